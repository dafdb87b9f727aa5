"""Commands for running dondoc on a Prefect server: register its deployments for a work pool's workers."""

from __future__ import annotations

import os
import re
from typing import Annotated

import typer

from cli.app import JsonOpt, app
from cli.output import edge, out, print_json
from domain.errors import ConfigError, InputError


@app.command("deploy")
@edge
def deploy_cmd(
    work_pool: Annotated[str, typer.Option("--work-pool", help="Tên work pool (kiểu process) mà các worker lấy việc")],
    env: Annotated[list[str] | None, typer.Option("--env", help="KEY=VALUE cho các lần chạy trên worker (không ghi bí mật ở đây)")] = None,
    json_: JsonOpt = False,
):
    """Đăng ký mọi deployment (kèm lịch) lên Prefect server (PREFECT_API_URL) cho các worker của một work pool."""
    api = os.environ.get("PREFECT_API_URL")
    if not api:
        raise ConfigError("chưa đặt PREFECT_API_URL: dondoc deploy đăng ký lên một Prefect server đang chạy, "
                          "ví dụ PREFECT_API_URL=http://may-chu:4200/api")
    job_env = dict(_pair(item) for item in env or [])
    _ensure_pool(work_pool)
    from config.settings import get_settings
    from flows.alerts import ensure_alerts
    from flows.deployments import register

    names = register(work_pool=work_pool, job_env=job_env, chase_shards=get_settings().chase_shards)
    alerts = ensure_alerts()
    if json_:
        return print_json({"server": api, "work_pool": work_pool, "deployments": names, "alerts": alerts})
    out.print(f"Đã đăng ký {len(names)} deployment lên {api} cho work pool “{work_pool}”: {', '.join(names)}.")
    out.print(f"Chạy worker: prefect worker start --pool {work_pool}  (với DONDOC_DATABASE_URL và các bí mật trong môi trường)")


def _pair(item: str) -> tuple[str, str]:
    key, sep, value = item.partition("=")
    if not sep or not key:
        raise InputError(f"--env “{item}” phải có dạng KEY=VALUE")
    secret = any(word in key.upper() for word in ("SECRET", "PASSWORD", "TOKEN")) or re.search(r"://[^/@\s]*:[^/@\s]*@", value)
    # a Secret block reference is resolved by the worker at run time: the deployment only names the block
    if secret and not _BLOCK_REFERENCE.fullmatch(value.strip()):
        raise InputError(f"--env {key}: bí mật không ghi thẳng vào deployment (ai xem được Prefect UI cũng thấy); "
                         "đặt nó trong môi trường của worker, hoặc dùng Secret block: "
                         f"{key}={{{{ prefect.blocks.secret.ten-block }}}}")
    return key, value


_BLOCK_REFERENCE = re.compile(r"\{\{\s*prefect\.blocks\.secret\.[a-z0-9-]+\s*\}\}")


@app.command("migrate")
@edge
def migrate_cmd(json_: JsonOpt = False):
    """Nâng cấp cơ sở dữ liệu lên phiên bản mới nhất (Alembic); các lệnh khác cũng tự làm việc này."""
    from alembic.script import ScriptDirectory

    from cli.app import actor
    from cli.output import parse_moment
    from models.db import alembic_config
    from models.env import prepare

    env = prepare(now=parse_moment(None), actor=actor())
    head = ScriptDirectory.from_config(alembic_config(env.url)).get_current_head()
    if json_:
        return print_json({"revision": head})
    out.print(f"Cơ sở dữ liệu ở phiên bản {head} (mới nhất).")


def _ensure_pool(name: str) -> None:
    """A process work pool of that name, made when missing."""
    from prefect import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            client.read_work_pool(name)
        except ObjectNotFound:
            client.create_work_pool(WorkPoolCreate(name=name, type="process"))
