"""What every route needs: settings, the city's configuration, the clock, and the templates that render pages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import jinja2
import pendulum
from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from config.settings import Settings
from domain.policy import TZ
from domain.text import vn_date, vn_weekday
from models.env import Env, Planning
from web.charts import percent_text
from web.forms import megabytes
from web.queries import Clock

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Web:
    settings: Settings
    env: Env
    planning: Planning
    clock: Callable[[], datetime]
    templates: Jinja2Templates

    def now(self) -> datetime:
        return pendulum.instance(self.clock()).in_timezone(TZ)

    def today(self, now: datetime) -> Clock:
        return Clock(now.date(), self.env.calendar)


def web_of(request: Request) -> Web:
    return request.app.state.web


def make_templates() -> Jinja2Templates:
    """Jinja2 with autoescaping on for every template (the default would skip *.html.j2 names)."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(vn_date=vn_date, weekday=_weekday_date, percent=percent_text, moment=_moment,
                       size=megabytes, sentence=_sentence)
    return Jinja2Templates(env=env)


def render(request: Request, name: str, context: dict, *, status: int = 200) -> Response:
    return web_of(request).templates.TemplateResponse(request, name, context, status_code=status)


def error_page(request: Request, status: int, title: str, message: str, *, back: str | None = None) -> Response:
    """A page that says what went wrong in Vietnamese, and where to go from there; never a traceback."""
    return render(request, "error.html.j2", {"title": title, "message": message, "back": back}, status=status)


def _weekday_date(day: date | None) -> str:
    """thứ Ba, 30/9/2025"""
    return f"{vn_weekday(day)}, {vn_date(day)}" if day else "—"


def _moment(moment: datetime | None) -> str:
    """09:30 ngày 29/9/2025, in Hai Phong time."""
    if moment is None:
        return "—"
    local = pendulum.instance(moment).in_timezone(TZ)
    return f"{local:%H:%M} ngày {vn_date(local.date())}"


def _sentence(text: str) -> str:
    """A message that starts with a capital, as a sentence on a page does."""
    text = str(text)
    return text[:1].upper() + text[1:]


