"""What every flow does first: the moment it acts as, who it is in the audit log, the city's configuration."""

from __future__ import annotations

import uuid
from datetime import datetime

import pendulum
from prefect.runtime import flow_run

from domain.policy import TZ
from models.crud import find_directive
from models.db import session_scope
from models.env import Env


def moment(as_of: datetime | None) -> datetime:
    """The flow's `as_of` (a replayed moment) or now, in Asia/Ho_Chi_Minh; naive input is read as local time."""
    if as_of is None:
        return pendulum.now(TZ)
    if as_of.tzinfo is None:
        return pendulum.instance(as_of, tz=TZ)
    return pendulum.instance(as_of).in_timezone(TZ)


def actor() -> str:
    return f"prefect:{flow_run.get_id() or 'local'}"


def directive_id(env: Env, ref: str) -> uuid.UUID:
    with session_scope(env.url) as session:
        return find_directive(session=session, ref=ref).id
