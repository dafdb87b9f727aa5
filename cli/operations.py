"""Commands for running dondoc on a Prefect server: register its deployments for a work pool's workers."""

from __future__ import annotations

import os
from typing import Annotated, Optional

import typer

from cli.app import JsonOpt, app
from cli.output import edge, out, print_json
from domain.errors import ConfigError, InputError


@app.command("deploy")
@edge
def deploy_cmd(
    work_pool: Annotated[str, typer.Option("--work-pool", help="Tên work pool (kiểu process) mà các worker lấy việc")],
    env: Annotated[Optional[list[str]], typer.Option("--env", help="KEY=VALUE cho các lần chạy trên worker (không ghi bí mật ở đây)")] = None,
    json_: JsonOpt = False,
):
    """Đăng ký mọi deployment (kèm lịch) lên Prefect server (PREFECT_API_URL) cho các worker của một work pool."""
    api = os.environ.get("PREFECT_API_URL")
    if not api:
        raise ConfigError("chưa đặt PREFECT_API_URL: dondoc deploy đăng ký lên một Prefect server đang chạy, "
                          "ví dụ PREFECT_API_URL=http://may-chu:4200/api")
    job_env = dict(_pair(item) for item in env or [])
    _ensure_pool(work_pool)
    from flows.alerts import ensure_alerts
    from flows.deployments import register

    names = register(work_pool=work_pool, job_env=job_env)
    alerts = ensure_alerts()
    if json_:
        return print_json({"server": api, "work_pool": work_pool, "deployments": names, "alerts": alerts})
    out.print(f"Đã đăng ký {len(names)} deployment lên {api} cho work pool “{work_pool}”: {', '.join(names)}.")
    out.print(f"Chạy worker: prefect worker start --pool {work_pool}  (với DONDOC_DATABASE_URL và các bí mật trong môi trường)")


def _pair(item: str) -> tuple[str, str]:
    key, sep, value = item.partition("=")
    if not sep or not key:
        raise InputError(f"--env “{item}” phải có dạng KEY=VALUE")
    if any(word in key.upper() for word in ("SECRET", "PASSWORD", "TOKEN")):
        raise InputError(f"--env {key}: bí mật không ghi vào deployment (ai xem được Prefect UI cũng thấy); "
                         "đặt nó trong môi trường của worker hoặc một Secret block")
    return key, value


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
