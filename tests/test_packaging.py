"""What a production set-up is built from: the image holds every package, compose.yaml wires the services and
keeps its secrets out of the file."""

from __future__ import annotations

import re
import tomllib

import yaml

from conftest import ROOT


def test_the_image_holds_every_package_the_project_installs():
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]["include"]
    copied = set(re.findall(r"^COPY (\w+) \./\1$", (ROOT / "Dockerfile").read_text(), re.M))
    assert {p.rstrip("*") for p in packages} == copied


def test_compose_runs_postgres_prefect_two_workers_and_the_web_pages():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"postgres", "prefect-server", "setup", "worker", "web"}
    assert services["worker"]["deploy"]["replicas"] == 2
    assert services["prefect-server"]["environment"]["PREFECT_API_DATABASE_CONNECTION_URL"].startswith(
        "postgresql+asyncpg://")
    for name in ("setup", "worker", "web"):
        env = services[name]["environment"]
        assert env["DONDOC_DATABASE_URL"].startswith("postgresql+psycopg://") and env["PREFECT_API_URL"]
        assert env["DONDOC_CHASE_SHARDS"] == str(services["worker"]["deploy"]["replicas"])
    text = (ROOT / "compose.yaml").read_text()
    # every secret comes from the environment, with a refusal to start without it
    assert "${POSTGRES_PASSWORD:?" in text and "${DONDOC_LINK_SECRET:?" in text
    assert not re.search(r"(PASSWORD|SECRET): [\"']?\w{6,}", text)
    assert services["setup"]["command"][-1].startswith("dondoc migrate && dondoc deploy --work-pool dondoc")
