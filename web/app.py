"""The units' web pages: `create_app` builds the FastAPI application (report pages and Ba công khai).

Run it with `uvicorn --factory web.app:create_app`. The clock is a parameter: pages compute statuses for
the day it gives, and tests pass a fixed one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

import pendulum
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from config.settings import Settings, get_settings
from domain.links import LinkError
from domain.policy import TZ
from models.env import planning_of, prepare
from web import public_page, report_page
from web.context import HERE, Web, error_page, make_templates

log = logging.getLogger(__name__)

_TITLES = {404: "Không tìm thấy trang", 405: "Thao tác không được hỗ trợ", 400: "Yêu cầu không hợp lệ"}
_MESSAGES = {404: "Trang này không có, hoặc đã được chuyển đi. Hãy kiểm tra lại đường dẫn.",
             405: "Trang này không nhận thao tác đó.", 400: "Dữ liệu gửi lên không đọc được; hãy thử lại."}


def create_app(*, settings: Settings | None = None, clock: Callable[[], datetime] | None = None) -> FastAPI:
    """The application, with its database brought up to date once, here, at startup."""
    settings = settings or get_settings()
    clock = clock or (lambda: pendulum.now(TZ))
    env = prepare(now=clock(), actor="web", settings=settings)
    app = FastAPI(title="Đôn đốc thực hiện văn bản chỉ đạo", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.web = Web(settings, env, planning_of(env), clock, make_templates())
    app.mount("/tinh", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(report_page.router)
    app.include_router(public_page.router)
    app.add_api_route("/", lambda: RedirectResponse("/cong-khai", status_code=307), include_in_schema=False)
    app.add_exception_handler(LinkError, report_page.link_refused)
    _handle_errors(app)
    app.add_middleware(SecurityHeaders)
    return app


def _handle_errors(app: FastAPI) -> None:
    """Every error a person can meet is a page in Vietnamese."""

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        status = exc.status_code
        return error_page(request, status, _TITLES.get(status, "Không thực hiện được"),
                          _MESSAGES.get(status, "Yêu cầu không thực hiện được."))

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError):
        return error_page(request, 404, _TITLES[404], _MESSAGES[404])

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception):
        log.exception("lỗi khi xử lý %s %s", request.method, request.url.path)
        return error_page(request, 500, "Lỗi hệ thống",
                          "Hệ thống gặp lỗi khi xử lý yêu cầu; dữ liệu chưa được ghi. Hãy thử lại sau ít phút.")


class SecurityHeaders:
    """Headers every page carries. The report links hold their credential in the URL, so no page may send it
    on as a Referer, be cached, framed or indexed."""

    HEADERS = (
        (b"content-security-policy", (b"default-src 'self'; img-src 'self' data:; style-src 'self'; "
                                      b"script-src 'none'; frame-ancestors 'none'; form-action 'self'")),
        (b"referrer-policy", b"no-referrer"),
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
    )
    PRIVATE = ((b"cache-control", b"no-store"), (b"x-robots-tag", b"noindex, nofollow"))

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        extra = self.HEADERS + (self.PRIVATE if scope["path"].startswith("/bao-cao/") else ())

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, with_headers)
