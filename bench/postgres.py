"""A PostgreSQL server for the bench: its data folder kept beside the generated SQLite files, so that the
generated databases are made once; each measure that writes works on a copy (CREATE DATABASE … TEMPLATE).

Default settings but a larger shared_buffers, fsync on: a server as the city would run it, not a tuned one.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

from notifiers.sinks import free_port


def pg_bin() -> Path | None:
    """The folder of initdb/pg_ctl (Debian's versioned folder, else PATH)."""
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists():
            return candidate
    found = shutil.which("initdb")
    return Path(found).resolve().parent if found else None


@contextlib.contextmanager
def postgres_server(folder: Path, *, options: str = "-c shared_buffers=512MB -c max_wal_size=4GB"):
    """Start (initialising on first use) a server on `folder`/pgdata with these settings (`options`, as
    postgres takes them); yields the URL without a database name."""
    bindir = pg_bin()
    if bindir is None:
        raise RuntimeError("PostgreSQL (initdb) is not installed")
    folder.mkdir(parents=True, exist_ok=True)
    data, sock = folder / "pgdata", Path(tempfile.mkdtemp(prefix="dondoc-bench-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # the server refuses to run as root
        for path in (folder, sock):
            shutil.chown(path, "postgres")
        if data.exists():
            shutil.chown(data, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
        if subprocess.run([*as_user, "test", "-x", str(folder)], check=False).returncode != 0:
            raise RuntimeError(f"{folder}: the postgres user cannot reach this folder (choose --data elsewhere)")

    def run(*cmd: str) -> None:
        subprocess.run([*as_user, *cmd], check=True, capture_output=True, text=True)

    if not (data / "PG_VERSION").exists():
        shutil.rmtree(data, ignore_errors=True)
        run(str(bindir / "initdb"), "-D", str(data), "-U", "dondoc", "--auth=trust", "-E", "UTF8", "--no-locale")
    port = free_port()
    run(str(bindir / "pg_ctl"), "-D", str(data), "-w", "-l", str(folder / "pg.log"), "-o",
        f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 {options}", "start")
    try:
        yield f"postgresql+psycopg://dondoc@127.0.0.1:{port}"
    finally:
        subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"], capture_output=True,
                       check=False)
        shutil.rmtree(sock, ignore_errors=True)


def admin(server: str, sql: str) -> list[tuple]:
    """Run one statement against the server's `postgres` database (autocommit); its rows, if any."""
    import psycopg

    with psycopg.connect(server.replace("+psycopg", "") + "/postgres", autocommit=True) as conn:
        cursor = conn.execute(sql)
        return cursor.fetchall() if cursor.description else []


def exists(server: str, name: str) -> bool:
    return bool(admin(server, f"SELECT 1 FROM pg_database WHERE datname = '{name}'"))


def create(server: str, *, template: str | None = None) -> str:
    """A new database (a copy of `template` if given); its URL."""
    name = f"run_{uuid.uuid4().hex[:12]}"
    admin(server, f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    return f"{server}/{name}"


def drop(url: str) -> None:
    server, name = url.rsplit("/", 1)
    admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
