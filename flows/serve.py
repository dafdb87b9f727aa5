"""`make run`: a local Prefect server, the bundled examples registered through the issuance flow, and the
deployments served until Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from config.settings import PROJECT_DIR, get_settings
from flows.prefect_env import HOST, PORT, local_prefect_env

WEB_PORT = 8000

EXAMPLES_DIR = PROJECT_DIR / "examples"
EXAMPLES = ["002-cong-van-du-thao.yaml", "003-ke-hoach-01-KH-BCD.xlsx", "004-chuong-trinh-2026.xlsx"]


def main() -> int:
    settings = get_settings()
    env = local_prefect_env(settings.state_dir)
    os.environ.update(env)
    Path(env["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)
    server = _start_server()
    web = None
    try:
        _wait_healthy(server)
        web = _start_web()
        _register_examples()
        print(f"\nGiao diện Prefect / Prefect UI: http://{HOST}:{PORT}"
              f"\nTrang báo cáo và Ba công khai / Report and public pages: http://{HOST}:{WEB_PORT}/cong-khai"
              "\nNhấn Ctrl-C để dừng.\n", flush=True)
        _serve()
    except KeyboardInterrupt:
        print("\nĐang dừng…", flush=True)
    finally:
        if web is not None:
            _stop(web, "trang web")
        _stop(server, "Prefect server")
    return 0


def _port_in_use(port: int = PORT) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex((HOST, port)) == 0


def _start_web() -> subprocess.Popen:
    """The units' report pages and the public page, beside the Prefect server (same state folder)."""
    if _port_in_use(WEB_PORT):
        raise SystemExit(f"Cổng {HOST}:{WEB_PORT} đang được dùng; hãy dừng chương trình đang giữ nó trước.")
    log = open(get_settings().state_dir / "web.log", "ab")
    cmd = [sys.executable, "-m", "uvicorn", "web.app:create_app", "--factory", "--host", HOST, "--port", str(WEB_PORT)]
    web = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=PROJECT_DIR)
    _wait_healthy(web, url=f"http://{HOST}:{WEB_PORT}/cong-khai", what="trang web", log_name="web.log")
    return web


def _start_server() -> subprocess.Popen:
    if _port_in_use():  # else the health check would answer for someone else's server
        raise SystemExit(f"Cổng {HOST}:{PORT} đang được dùng (một `make run` khác đang chạy?); hãy dừng nó trước.")
    log = open(get_settings().state_dir / "prefect-server.log", "ab")
    cmd = [sys.executable, "-m", "prefect", "server", "start", "--host", HOST, "--port", str(PORT)]
    print(f"Khởi động Prefect server ({HOST}:{PORT}), nhật ký: .state/prefect-server.log", flush=True)
    # Its own process group, so that Ctrl-C reaches it through us and stopping it stops its children too.
    return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def _wait_healthy(server: subprocess.Popen, timeout: float = 180, *, url: str = f"http://{HOST}:{PORT}/api/health",
                  what: str = "Prefect server", log_name: str = "prefect-server.log") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"{what} đã dừng (mã {server.returncode}); xem .state/{log_name}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(1)
    raise SystemExit(f"{what} không sẵn sàng sau {timeout:.0f} s; xem .state/{log_name}")


def _register_examples() -> None:
    from prefect.exceptions import FailedRun

    from flows.issue_directive import IssueDirectiveRequest, issue_directive

    for name in EXAMPLES:
        request = IssueDirectiveRequest(path=str(EXAMPLES_DIR / name), skip_existing=True)
        try:
            result = issue_directive(request)
            print(f"  {name}: {result['status']}, {result['tasks']} nhiệm vụ, {result['assignments']} lượt giao", flush=True)
        except FailedRun as exc:  # the run is failed in the UI with its reason; carry on with the others
            print(f"  {name}: lỗi: {exc}", flush=True)


def _serve() -> None:
    from prefect import serve

    from flows.alerts import ensure_alerts
    from flows.deployments import deployments

    served = deployments()
    for deployment in served:  # the automations name the alert deployment: it must exist first
        deployment.apply()
    ensure_alerts()
    serve(*served, print_starting_message=False)


def _stop(process: subprocess.Popen, what: str) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
    print(f"Đã dừng {what}.", flush=True)


if __name__ == "__main__":
    sys.exit(main())
