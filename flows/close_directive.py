"""Flow: close a directive by decision — what is still open is cancelled, the issuer gets the final summary."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.states import Failed
from pydantic import Field

from domain.errors import DondocError
from flows.reports import closure_markdown
from flows.runtime import actor, moment, open_request
from flows.tasks import send_due_messages
from models.closure import close_directive as close
from models.crud import find_directive
from models.db import session_scope
from models.env import Env, planning_of


@task(name="close-directive", cache_policy=NO_CACHE)
def close_it(env: Env, directive: str, reason: str, who: str, now: datetime) -> dict:
    with session_scope(env.url) as session:
        found = find_directive(session=session, ref=directive)
        closure = close(session=session, planning=planning_of(env), directive=found, reason=reason, by=who, now=now)
        return closure.summary


@flow(name="close_directive", description="Kết thúc văn bản / Close a directive")
def close_directive(
    directive: Annotated[str, Field(title="Văn bản", description="Số hoặc mã")],
    reason: Annotated[str, Field(title="Lý do", description="Các đơn vị còn dở việc nhận được lý do này", min_length=1)],
    as_of: Annotated[datetime | None, Field(title="Coi như thời điểm", description="Để trống: bây giờ")] = None,
):
    now, who = moment(as_of), actor()
    try:
        env = open_request(now, who)
        summary = close_it(env, directive, reason, who, now)
        sent = send_due_messages(env, now, who)
    except DondocError as exc:
        get_run_logger().error(str(exc))
        return Failed(message=f"Không kết thúc được / not closed: {exc}")
    create_markdown_artifact(key="directive-closed", markdown=closure_markdown(summary),
                             description=f"Văn bản {summary['directive']} đã kết thúc")
    return {"directive": summary["directive"], "counts": summary["counts"], "sent": sent.count("sent")}
