"""Prefect settings for running dondoc locally; applied before Prefect is imported."""

from __future__ import annotations

import os
import urllib.request
from pathlib import Path

HOST, PORT = "127.0.0.1", 4200


def local_prefect_env(state_dir: Path, *, port: int = PORT) -> dict[str, str]:
    """Environment for a project-local Prefect server and the clients that talk to it."""
    home = state_dir / "prefect"
    return {
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": f"http://{HOST}:{port}/api",
        "PREFECT_SERVER_API_HOST": HOST,
        "PREFECT_SERVER_API_PORT": str(port),
        "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{home / 'prefect.db'}",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_ENABLED": "true",
        "DO_NOT_TRACK": "1",
        "PREFECT_LOGGING_LEVEL": os.environ.get("PREFECT_LOGGING_LEVEL", "INFO"),
    }


def use_prefect(state_dir: Path) -> str:
    """Before Prefect is imported by a command: use the `make run` server when it is up, else a temporary
    server on the same Prefect database, so that every run shows in the UI later. Returns which."""
    if os.environ.get("PREFECT_API_URL"):
        return os.environ["PREFECT_API_URL"]
    env = local_prefect_env(state_dir)
    for key in ("PREFECT_HOME", "PREFECT_API_DATABASE_CONNECTION_URL", "PREFECT_SERVER_ANALYTICS_ENABLED", "DO_NOT_TRACK"):
        os.environ.setdefault(key, env[key])
    Path(os.environ["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")  # a fresh database takes ~25 s
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")  # the command prints its own summary
    if healthy(env["PREFECT_API_URL"]):
        os.environ["PREFECT_API_URL"] = env["PREFECT_API_URL"]
        return env["PREFECT_API_URL"]
    return "ephemeral"


def healthy(api_url: str, timeout: float = 1) -> bool:
    """Whether the Prefect API at `api_url` answers its health check."""
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=timeout) as response:
            return response.status == 200
    except OSError:
        return False
