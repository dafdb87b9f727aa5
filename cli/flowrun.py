"""Commands that act run the same Prefect flows as the UI: against the `make run` server when it is up."""

from __future__ import annotations

import importlib

from cli.app import actor
from cli.output import out, parse_moment, print_json
from config.settings import get_settings
from domain.errors import InputError
from models.env import prepare

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
    from flows.prefect_env import use_prefect

    use_prefect(get_settings().state_dir)
    from prefect.exceptions import FailedRun

    module, function = FLOWS[name].split(":")
    flow = getattr(importlib.import_module(module), function)
    try:
        result = flow(as_of=now, **params)
    except FailedRun as exc:  # the run is failed in the UI with its reason; here it is one line
        raise InputError(str(exc).split(": ", 1)[-1]) from None
    if json_:
        print_json(result)
    else:
        out.print(f"{heading} {result.get('summary') or result.get('heading') or ''}".rstrip() + ".")
    return result
