"""Prefect settings for running dondoc locally; applied before Prefect is imported."""

from __future__ import annotations

import os
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
