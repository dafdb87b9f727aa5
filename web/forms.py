"""The report and extension forms as they arrive over HTTP: read, bounded, checked, every problem named for people."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.datastructures import FormData, UploadFile

from domain.errors import Problem, ValidationError
from domain.report_form import (
    MAX_FILES,
    ExtensionForm,
    ReportForm,
    Upload,
    check_uploads,
    safe_name,
    validate_extension,
    validate_report,
)
from domain.text import megabytes

# The text fields (3 × 5,000 characters of up to 4 bytes), ten links and the multipart framing fit in this.
FORM_OVERHEAD = 1024 * 1024
EXTENSION_LIMIT = 256 * 1024
TEXT_FIELDS = ("done_text", "difficulties", "proposals", "links")
FIELD_LABELS = {
    "progress": "Tiến độ (%)", "done_text": "Kết quả thực hiện", "difficulties": "Khó khăn, vướng mắc",
    "proposals": "Đề xuất", "links": "Đường dẫn minh chứng", "files": "Tệp minh chứng",
    "claims_completion": "Đã hoàn thành nhiệm vụ", "requested_due": "Gia hạn đến ngày", "reason": "Lý do",
}


@dataclass(frozen=True)
class Shown:
    """One problem as the page lists it: which field (None: the form as a whole) and what is wrong."""

    field: str | None
    message: str


def report_limit(max_file_bytes: int) -> int:
    """The largest request a report can need: MAX_FILES files at the limit, plus the text around them."""
    return MAX_FILES * max_file_bytes + FORM_OVERHEAD


def size_refusal(content_length: str | None, limit: int, too_big: str) -> tuple[int, str] | None:
    """(status, message) when a request must be refused before its body is read; None when it may be read."""
    if content_length is None:
        return 411, "Trình duyệt không cho biết dung lượng dữ liệu gửi lên; hãy gửi lại bằng trình duyệt khác."
    if not content_length.isdigit():
        return 400, "Yêu cầu gửi lên không hợp lệ; hãy tải lại trang và gửi lại."
    if int(content_length) > limit:
        return 413, f"Dữ liệu gửi lên quá lớn ({megabytes(int(content_length))}). {too_big} Chưa có gì được ghi."
    return None


def report_too_big(max_file_bytes: int) -> str:
    return (f"Mỗi lần gửi tối đa {MAX_FILES} tệp, mỗi tệp không quá {megabytes(max_file_bytes)}; "
            "hãy gửi lại với ít tệp hơn hoặc tệp nhỏ hơn.")


def report_values(form: FormData) -> dict:
    """What the person typed, to fill the form again when it is shown back with its problems."""
    values = {key: _str(form.get(key)) for key in ("progress", *TEXT_FIELDS)}
    return {**values, "claims_completion": bool(form.get("claims_completion"))}


async def read_uploads(form: FormData, *, max_bytes: int) -> list[Upload]:
    """The chosen files; at most one byte more than the limit is read from each, enough to know it is too big."""
    uploads = []
    for item in form.getlist("files"):
        if not isinstance(item, UploadFile) or (not item.filename and not item.size):
            continue  # the empty part a browser sends when no file was chosen
        uploads.append(Upload(item.filename or "", await item.read(max_bytes + 1)))
    return uploads


def check_report(values: dict, uploads: list[Upload], *, max_bytes: int) -> tuple[ReportForm | None, list[Shown]]:
    """The validated report, or every problem of the fields and of the files at once."""
    data = {key: values[key] for key in TEXT_FIELDS}
    if values["progress"].strip():
        data["progress"] = values["progress"].strip()
    data["claims_completion"] = values["claims_completion"]
    form, problems = _validated(data)
    if problems and all(p.where for p in problems):
        # The form-wide rules (result written, links, completion at 100 %) only run once every field is
        # well formed: run them again with the wrong fields set to values that pass, to list everything at once.
        passing = {"progress": 100 if data["claims_completion"] else 0, "links": [], "done_text": "…"}
        retry = {**data, **{p.where.split("[")[0]: passing.get(p.where.split("[")[0], "") for p in problems}}
        problems += [p for p in _validated(retry)[1] if not p.where]
    shown = [_shown(p) for p in problems]
    shown += [Shown(_file_label(p), p.message) for p in check_uploads(uploads, max_bytes=max_bytes)]
    return (None if shown else form), shown


def _validated(data: dict) -> tuple[ReportForm | None, list[Problem]]:
    try:
        return validate_report(data), []
    except ValidationError as exc:
        return None, list(exc.problems)


def extension_values(form: FormData) -> dict:
    return {"requested_due": _str(form.get("requested_due")), "reason": _str(form.get("reason"))}


def check_extension(values: dict, *, current_due) -> tuple[ExtensionForm | None, list[Shown]]:
    data = {key: value for key, value in values.items() if value.strip()}
    try:
        return validate_extension(data, current_due=current_due), []
    except ValidationError as exc:
        return None, [_shown(p) for p in exc.problems]


def _shown(problem: Problem) -> Shown:
    field = problem.where.split("[", 1)[0].split(".", 1)[0]
    return Shown(FIELD_LABELS.get(field, problem.where) if field else None, problem.message)


def _file_label(problem: Problem) -> str:
    return FIELD_LABELS["files"] if problem.where == "files" else f"Tệp “{safe_name(problem.where)}”"


def _str(value) -> str:
    return value if isinstance(value, str) else ""
