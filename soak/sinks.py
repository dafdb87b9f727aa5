"""The local sinks in a process of their own, with faults in front: `SinkProcess` runs `python -m soak.sinks`.

That process runs the product's HTTP and SMTP sinks (notifiers/sinks.py) and, in front of each, a small TCP
proxy that is told what to do: pass everything (`up`), refuse connections (`down`: the server is gone), answer
every new connection with an error (`error`: HTTP 500, SMTP 421), hang up on it (`drop`), and, while up, cut
a connection at random (`cut`, a probability per chunk the client sends, per request for HTTP), or answer
slowly (`slow` seconds before each message goes on: time to kill its sender mid-send). A cut always falls
before a chunk is passed on: what reached a sink had its answer on the way, so a fault never makes a
delivered message look failed, and a message that arrives twice can only be a re-send by the outbox. Every
arrival is counted by its idempotency key. Commands and answers are JSON lines on stdin and stdout.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
MODES = ("up", "down", "error", "drop")
REFUSALS = {"http": b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            "smtp": b"421 4.3.2 Service not available, closing transmission channel\r\n"}


class SinkProcess:
    """The sinks process, seen from the test or the soak: addresses, faults, and what arrived."""

    def __init__(self, *, seed: int = 0, log: Path | None = None):
        self._log = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115  (closed in stop)
        self._proc = subprocess.Popen([sys.executable, "-m", "soak.sinks", str(seed)], cwd=ROOT, text=True,
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log)
        self.ports = json.loads(self._proc.stdout.readline())

    def ask(self, **command) -> dict:
        self._proc.stdin.write(json.dumps(command) + "\n")
        self._proc.stdin.flush()
        line = self._proc.stdout.readline()
        if not line:
            raise RuntimeError("the sinks process is gone")
        return json.loads(line)

    def http_url(self, path: str, *, faults: bool = True) -> str:
        return f"json://127.0.0.1:{self.ports['http_proxy' if faults else 'http']}/{path}"

    def smtp_url(self, to: str, *, faults: bool = True) -> str:
        port = self.ports["smtp_proxy" if faults else "smtp"]
        return f"mailto://127.0.0.1:{port}?from=dondoc@localhost&to={quote(to)}&mode=insecure"

    def set(self, channel: str, mode: str = "up", cut: float = 0.0, slow: float = 0.0) -> None:
        """What the proxy in front of the `http` or `smtp` sink does from now on."""
        self.ask(op="set", channel=channel, mode=mode, cut=cut, slow=slow)

    def arrivals(self) -> int:
        return self.ask(op="arrivals")["arrivals"]

    def counts(self) -> tuple[Counter, dict]:
        """Arrivals per idempotency key, and the faults the proxies made."""
        answer = self.ask(op="counts")
        return Counter(answer["keys"]), answer["faults"]

    def stop(self) -> None:
        if self._proc.poll() is None:
            self.ask(op="stop")
            self._proc.wait(timeout=30)
        if self._log is not subprocess.DEVNULL:
            self._log.close()

    def __enter__(self) -> SinkProcess:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


class FaultyPort:
    """A TCP proxy in front of one sink; lives on the process's event loop."""

    def __init__(self, kind: str, target: int, rng: random.Random):
        self.kind, self.target, self.rng = kind, target, rng
        self.mode, self.cut, self.slow, self.port = "up", 0.0, 0.0, 0
        self.server: asyncio.Server | None = None
        self.live: set[asyncio.StreamWriter] = set()
        self.faults: Counter = Counter()

    async def open(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def set(self, mode: str, cut: float, slow: float = 0.0) -> None:
        if mode not in MODES:
            raise ValueError(mode)
        if mode != "up":  # a fault starts now, also for the connections a sender keeps open
            for writer in list(self.live):
                writer.transport.abort()
        if mode == "down" and self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None
        elif mode != "down" and self.server is None:
            await self.open()  # the same port again
        self.mode, self.cut, self.slow = mode, cut, slow

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.mode != "up":
            self.faults[f"{self.kind} {self.mode}"] += 1
            if self.kind == "http":  # an HTTP server answers (or hangs up) once the request came
                await _read(reader)
            if self.mode == "error":
                writer.write(REFUSALS[self.kind])
                await _drain(writer)
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target)
        except OSError:
            writer.transport.abort()
            return
        self.live.update((writer, up_writer))
        forward = asyncio.ensure_future(self._client_to_sink(reader, up_writer))
        back = asyncio.ensure_future(_pipe(up_reader, writer))
        try:
            await forward
            if forward.result():  # the client closed: let the sink's last answer through
                await asyncio.wait_for(back, timeout=5)
        except (OSError, TimeoutError):
            pass
        finally:
            back.cancel()
            for w in (writer, up_writer):
                self.live.discard(w)
                w.transport.abort()

    async def _client_to_sink(self, reader: asyncio.StreamReader, up_writer: asyncio.StreamWriter) -> bool:
        """Pass the client's bytes on; False when the connection was cut."""
        while data := await _read(reader):
            # HTTP is cut only where a request starts: the sink would take a body cut short for an empty one
            starts = self.kind != "http" or data[:1].isalpha()
            if self.cut and starts and self.rng.random() < self.cut:
                self.faults[f"{self.kind} cut"] += 1
                return False
            if self.slow and (data[:1].isalpha() if self.kind == "http" else data[:4].upper() == b"MAIL"):
                await asyncio.sleep(self.slow)
            up_writer.write(data)
            if not await _drain(up_writer):
                return False
        if up_writer.can_write_eof():
            up_writer.write_eof()
        return True


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while data := await _read(reader):
        writer.write(data)
        if not await _drain(writer):
            return


async def _read(reader: asyncio.StreamReader) -> bytes:
    try:
        return await reader.read(65536)
    except OSError:
        return b""


async def _drain(writer: asyncio.StreamWriter) -> bool:
    try:
        await writer.drain()
        return True
    except OSError:
        return False


def main(seed: int) -> None:
    from notifiers.sinks import HttpSink, SmtpSink

    http, smtp = HttpSink().start(), SmtpSink().start()
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True).start()
    rng = random.Random(seed)
    proxies = {"http": FaultyPort("http", http.port, rng), "smtp": FaultyPort("smtp", smtp.port, rng)}

    def on_loop(coro):
        return asyncio.run_coroutine_threadsafe(coro, loop).result()

    for proxy in proxies.values():
        on_loop(proxy.open())
    keys, lock = Counter(), threading.Lock()

    def drain() -> None:
        """Keep only the keys of what arrived (a year of messages would not fit in memory whole)."""
        with lock:
            for store, key_of in ((http.received, lambda b: b.get("idempotency_key")), (smtp.mails, lambda m: m.key)):
                n = len(store)
                keys.update(key_of(item) for item in store[:n])
                del store[:n]  # the sinks' threads only append: what is past n stays
            del http.headers[:]

    def keep_draining() -> None:
        while True:
            threading.Event().wait(1)
            drain()

    threading.Thread(target=keep_draining, daemon=True).start()

    def say(answer: dict) -> None:
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()

    say({"http": http.port, "smtp": smtp.port, "http_proxy": proxies["http"].port,
         "smtp_proxy": proxies["smtp"].port})
    for line in sys.stdin:
        command = json.loads(line)
        op = command["op"]
        if op == "set":
            proxy = proxies[command["channel"]]
            on_loop(proxy.set(command["mode"], float(command.get("cut", 0)), float(command.get("slow", 0))))
            say({"ok": True})
        elif op == "arrivals":
            drain()
            say({"arrivals": sum(keys.values())})
        elif op == "counts":
            drain()
            faults = sum((p.faults for p in proxies.values()), Counter())
            say({"keys": dict(keys), "faults": dict(faults)})
        elif op == "stop":
            say({"ok": True})
            break
    http.stop()
    smtp.stop()
    os._exit(0)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
