"""The unit's report page, reached only through its signed link: the link is the credential, no login.

A link names one unit and one directive; every route checks that what it touches belongs to both.
Nothing is written (no row, no file) unless everything sent is valid and the service accepts it.
"""

from __future__ import annotations

import unicodedata
import uuid
from datetime import UTC, datetime
from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from domain.errors import ConflictError, InputError
from domain.links import LinkError, read_link
from domain.report_form import Upload
from models.db import session_scope
from models.evidence import read_evidence, store_evidence
from models.links import open_link
from models.reports import Work, find_work, request_extension, submit_report
from web import forms
from web.context import Web, error_page, render, web_of
from web.forms import Shown
from web.queries import unit_evidence, unit_page

router = APIRouter()
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SENT = {"bao-cao", "gia-han"}


@router.api_route("/bao-cao/{token}", methods=["GET", "HEAD"])
def show(request: Request, token: str, gui: str | None = None, nv: str | None = None) -> Response:
    web = web_of(request)
    sent = (gui, nv) if gui in _SENT and nv else None
    return _page(request, web, token, web.now(), sent=sent)


@router.post("/bao-cao/{token}/nhiem-vu/{assignment_id}/bao-cao")
async def post_report(request: Request, token: str, assignment_id: str) -> Response:
    web = web_of(request)
    max_bytes = web.settings.max_evidence_bytes
    refused = forms.size_refusal(request.headers.get("content-length"), forms.report_limit(max_bytes),
                                 forms.report_too_big(max_bytes))
    if refused:
        return _refuse(request, token, *refused)
    async with request.form() as form:
        values = forms.report_values(form)
        uploads = await forms.read_uploads(form, max_bytes=max_bytes)
    return await run_in_threadpool(_submit_report, request, web, token, assignment_id, values, uploads)


@router.post("/bao-cao/{token}/nhiem-vu/{assignment_id}/gia-han")
async def post_extension(request: Request, token: str, assignment_id: str) -> Response:
    web = web_of(request)
    refused = forms.size_refusal(request.headers.get("content-length"), forms.EXTENSION_LIMIT,
                                 "Đề nghị gia hạn chỉ gồm ngày và lý do.")
    if refused:
        return _refuse(request, token, *refused)
    async with request.form() as form:
        values = forms.extension_values(form)
    return await run_in_threadpool(_request_extension, request, web, token, assignment_id, values)


@router.api_route("/bao-cao/{token}/minh-chung/{sha256}", methods=["GET", "HEAD"])
def evidence(request: Request, token: str, sha256: str) -> Response:
    """An evidence file of this unit's own reports in this directive, and nothing else."""
    web = web_of(request)
    with session_scope(web.env.url) as session:
        link = open_link(session=session, token=token, planning=web.planning, now=web.now())
        found = unit_evidence(session, link, sha256.lower())
    try:
        data = read_evidence(web.settings.evidence_dir, found["sha256"]) if found else None
    except (OSError, ValueError):
        data = None
    if data is None:
        return error_page(request, 404, "Không tìm thấy tệp minh chứng",
                          "Tệp này không có trong các báo cáo của đơn vị, hoặc không còn đọc được.",
                          back=f"/bao-cao/{token}")
    return Response(data, media_type=found.get("content_type") or "application/octet-stream",
                    headers={"content-disposition": _attachment(found.get("name") or "minh-chung")})


async def link_refused(request: Request, exc: LinkError) -> Response:
    """A malformed, forged or revoked link: 403; one past its expiry: 410 (it was genuine, it has ended)."""
    web = web_of(request)
    expired = _expired(request.path_params.get("token", ""), web.planning.link_key, web.now())
    title = "Đường dẫn báo cáo đã hết hạn" if expired else "Không mở được đường dẫn báo cáo"
    return error_page(request, 410 if expired else 403, title, str(exc))


# --- the work behind the routes ----------------------------------------------------------------------------

def _page(request: Request, web: Web, token: str, now: datetime, *, status: int = 200, sent=None,
          problems: dict | None = None, values: dict | None = None) -> Response:
    """The unit's page; `problems` and `values` (keyed by (assignment id, form)) put a refused form back."""
    with session_scope(web.env.url) as session:
        link = open_link(session=session, token=token, planning=web.planning, now=now)
        page = unit_page(session, link, web.today(now))
    return render(request, "report.html.j2", {
        "page": page, "token": token, "now": now, "sent": _sent_item(page, sent), "sent_kind": sent and sent[0],
        "problems": problems or {}, "values": values or {}, "max_mb": forms.megabytes(web.settings.max_evidence_bytes),
    }, status=status)


def _submit_report(request: Request, web: Web, token: str, raw_id: str, values: dict,
                   uploads: list[Upload]) -> Response:
    now = web.now()
    work, link_id = _owned_work(web, token, raw_id, now)
    if work is None:
        return _not_theirs(request, token)
    form, problems = forms.check_report(values, uploads, max_bytes=web.settings.max_evidence_bytes)
    key = (str(work.assignment.id), "report")
    if problems:
        return _page(request, web, token, now, status=422, problems={key: problems}, values={key: values})
    submitted = {"form": form, "source": "web", "submitted_by": f"link:{link_id}", "now": now}
    try:
        _rehearse(web, work.assignment.id, submitted)
        with session_scope(web.env.url) as session:
            evidence = store_evidence(web.settings.evidence_dir, uploads)
            submit_report(session=session, work=find_work(session=session, assignment_id=work.assignment.id),
                          evidence=evidence, **submitted)
    except InputError as exc:
        return _page(request, web, token, now, status=_status_of(exc), problems={key: [Shown(None, str(exc))]},
                     values={key: values})
    return _back_to_page(token, "bao-cao", work)


class _Rehearsed(Exception):
    """Raised to roll back a rehearsal that went through."""


def _rehearse(web: Web, assignment_id: uuid.UUID, submitted: dict) -> None:
    """Let the service's own rules refuse a report before any file is written: the same call, rolled back."""
    try:
        with session_scope(web.env.url) as session:
            submit_report(session=session, work=find_work(session=session, assignment_id=assignment_id),
                          evidence=[], **submitted)
            raise _Rehearsed
    except _Rehearsed:
        pass


def _request_extension(request: Request, web: Web, token: str, raw_id: str, values: dict) -> Response:
    now = web.now()
    work, link_id = _owned_work(web, token, raw_id, now)
    if work is None:
        return _not_theirs(request, token)
    key = (str(work.assignment.id), "extension")
    form, problems = forms.check_extension(values, current_due=work.assignment.due)
    status = 422
    if not problems:
        try:
            with session_scope(web.env.url) as session:
                request_extension(session=session, work=find_work(session=session, assignment_id=work.assignment.id),
                                  form=form, source="web", requested_by=f"link:{link_id}", now=now)
            return _back_to_page(token, "gia-han", work)
        except InputError as exc:
            problems, status = [Shown(None, str(exc))], _status_of(exc)
    return _page(request, web, token, now, status=status, problems={key: problems}, values={key: values})


def _owned_work(web: Web, token: str, raw_id: str, now: datetime) -> tuple[Work | None, uuid.UUID]:
    """The assignment, if it belongs to the link's unit AND directive (a link opens nobody else's work)."""
    with session_scope(web.env.url) as session:
        link = open_link(session=session, token=token, planning=web.planning, now=now)
        try:
            work = find_work(session=session, assignment_id=uuid.UUID(raw_id))
        except (ValueError, InputError):
            return None, link.id
    theirs = work.unit.id == link.unit_id and work.directive.id == link.directive_id
    return (work if theirs else None), link.id


def _status_of(exc: InputError) -> int:
    return 409 if isinstance(exc, ConflictError) else 422


def _not_theirs(request: Request, token: str) -> Response:
    return error_page(request, 404, "Không tìm thấy nhiệm vụ",
                      "Nhiệm vụ này không thuộc đơn vị và văn bản của đường dẫn báo cáo.", back=f"/bao-cao/{token}")


def _refuse(request: Request, token: str, status: int, message: str) -> Response:
    return error_page(request, status, "Không nhận được dữ liệu gửi lên", message, back=f"/bao-cao/{token}")


def _back_to_page(token: str, what: str, work: Work) -> Response:
    """After a write, back to the page (a reload then sends nothing twice), with what was received."""
    aid = work.assignment.id
    return RedirectResponse(f"/bao-cao/{token}?gui={what}&nv={aid}#nv-{aid}", status_code=303)


def _sent_item(page, sent):
    if not sent:
        return None
    return next((i for i in page.lead if str(i.row.assignment.id) == sent[1]), None)


def _expired(token: str, key: bytes, now: datetime) -> bool:
    """Whether a token is genuine (its signature holds) but past its expiry."""
    try:
        read_link(token, key=key, now=_EPOCH)
    except LinkError:
        return False  # malformed or forged
    try:
        read_link(token, key=key, now=now)
    except LinkError:
        return True
    return False


def _attachment(name: str) -> str:
    """Content-Disposition that keeps a Vietnamese file name (RFC 6266), with a plain-ASCII fallback."""
    ascii_name = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    ascii_name = "".join(c for c in ascii_name if c.isascii() and c not in '"\\') or "minh-chung"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
