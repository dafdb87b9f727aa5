"""Ba công khai: progress, responsibility and results of every issued directive, for anyone to read.

Read-only, and only what may be published: no contacts (units' or people's), no report links, no report
texts beyond progress and status.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from markupsafe import Markup
from starlette.responses import Response

from models.db import session_scope
from web.charts import bar_chart, status_bar
from web.context import error_page, render, web_of
from web.queries import Tally, public_directive, public_directives, public_unit

router = APIRouter()


@router.api_route("/cong-khai", methods=["GET", "HEAD"])
def index(request: Request) -> Response:
    web = web_of(request)
    now = web.now()
    with session_scope(web.env.url) as session:
        summaries = public_directives(session, web.today(now))
    rows = [(s, _status_chart(s.tally, f"Tình hình thực hiện văn bản {s.directive.number or ''}")) for s in summaries]
    return render(request, "public_index.html.j2", {"rows": rows, "now": now})


@router.api_route("/cong-khai/van-ban/{directive_id}", methods=["GET", "HEAD"])
def directive(request: Request, directive_id: str) -> Response:
    web = web_of(request)
    now = web.now()
    try:
        wanted = uuid.UUID(directive_id)
    except ValueError:
        wanted = None
    with session_scope(web.env.url) as session:
        detail = wanted and public_directive(session, wanted, web.today(now))
    if not detail:
        return error_page(request, 404, "Không tìm thấy văn bản",
                          "Văn bản này không có, hoặc chưa được ban hành.", back="/cong-khai")
    measured = [(u.name, u.tally.on_time_rate) for u in detail.units if u.tally.on_time_rate is not None]
    return render(request, "public_directive.html.j2", {
        "d": detail, "now": now,
        "status_chart": _status_chart(detail.tally, "Tình hình thực hiện theo trạng thái"),
        "progress_chart": Markup(bar_chart([(u.name, u.progress) for u in detail.units],
                                           title="Tiến độ báo cáo gần nhất theo đơn vị chủ trì (%)")),
        "on_time_chart": Markup(bar_chart(measured, title="Tỷ lệ hoàn thành đúng hạn theo đơn vị (%)",
                                          empty="chưa có nhiệm vụ nào đến hạn")),
    })


@router.api_route("/cong-khai/don-vi/{unit_ref}", methods=["GET", "HEAD"])
def unit(request: Request, unit_ref: str) -> Response:
    web = web_of(request)
    now = web.now()
    with session_scope(web.env.url) as session:
        detail = public_unit(session, unit_ref, web.today(now))
    if detail is None:
        return error_page(request, 404, "Không tìm thấy đơn vị", "Không có đơn vị này trong danh mục.",
                          back="/cong-khai")
    return render(request, "public_unit.html.j2", {
        "u": detail, "now": now, "status_chart": _status_chart(detail.tally, f"Tình hình thực hiện của {detail.name}"),
    })


def _status_chart(tally: Tally, title: str) -> Markup:
    return Markup(status_bar(tally.labelled(), title=title))
