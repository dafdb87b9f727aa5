"""Commands that act run the same Prefect flows as the UI: against the `make run` server when it is up."""

from __future__ import annotations

import importlib
from urllib.parse import urlsplit

from cli.app import actor
from cli.output import out, parse_moment, print_json
from config.settings import get_settings
from domain.errors import DondocError, InputError
from models.env import prepare


class PrefectUnavailable(DondocError):
    """The Prefect server does not answer: the flow did not start (nothing done), or it lost the server."""

    def __init__(self, api: str, *, started: bool):
        parts = urlsplit(api)
        where = (f"{parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}{parts.path}, "
                 "PREFECT_API_URL") if parts.hostname else "máy chủ tạm thời"
        what = "lần chạy bị dừng giữa chừng, những gì đã ghi vẫn nhất quán" if started else \
            "chưa chạy gì, cơ sở dữ liệu không đổi"
        super().__init__(f"không kết nối được máy chủ Prefect ({where}): {what}. Khởi động lại máy chủ "
                         "(make run) rồi chạy lại lệnh: lần chạy sau làm nốt phần còn lại, không gửi trùng tin nào")


FLOWS = {  # name → module.function; imported only when run, after Prefect is pointed at its server
    "chase": "flows.chase_deadlines:chase_deadlines",
    "dispatch": "flows.dispatch_outbox:dispatch_outbox",
    "assign": "flows.assign_directive:assign_directive",
    "review": "flows.review_report:review_report",
    "extension": "flows.decide_extension:decide_extension",
    "cancel": "flows.cancel_assignment:cancel_assignment",
    "monitor": "flows.monitoring_report:monitoring_report",
}


def run_flow(name: str, *, as_of: str | None, json_: bool, heading: str, **params) -> dict:
    """Run flow `name` as if at `as_of`, print its summary (or its JSON), and return its result."""
    now = parse_moment(as_of)
    prepare(now=now, actor=actor())  # bad configuration is reported before a flow run is started
    from flows.prefect_env import healthy, use_prefect

    api = use_prefect(get_settings().state_dir)
    if api != "ephemeral" and not healthy(api, timeout=10):  # at once, not after Prefect's client retried a while
        raise PrefectUnavailable(api, started=False)
    import httpx
    from prefect.exceptions import FailedRun

    module, function = FLOWS[name].split(":")
    flow = getattr(importlib.import_module(module), function)
    try:
        result = flow(as_of=now, **params)
    except FailedRun as exc:  # the run is failed in the UI with its reason; here it is one line
        raise InputError(str(exc).split(": ", 1)[-1]) from None
    except (httpx.TransportError, RuntimeError) as exc:  # the server went away, or never answered
        if isinstance(exc, RuntimeError) and not str(exc).startswith("Failed to reach API"):
            raise
        raise PrefectUnavailable(api, started=not str(exc).startswith("Failed to reach API")) from None
    if json_:
        print_json(result)
    else:
        out.print(f"{heading} {result.get('summary') or result.get('heading') or ''}".rstrip() + ".")
    return result
