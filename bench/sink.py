"""Loopback sinks in their own process (so that their CPU is not the dispatcher's): `python -m bench.sink PORTFILE`.

Writes {"http": port, "smtp": port} to PORTFILE; on SIGTERM writes PORTFILE.counts with what arrived and how
many distinct idempotency keys (a message sent twice would show as fewer keys than messages).

The HTTP sink is the tests' own (notifiers/sinks.py). The SMTP sink is not: the tests' aiosmtpd server parses
every message and reads its DATA line by line, ~1 ms of CPU a message on the two cores the dispatchers use,
so here a minimal asyncio SMTP server stands in. It speaks the protocol a mail client uses (EHLO/HELO, MAIL,
RCPT, DATA with dot-unstuffing, BDAT, RSET, NOOP, QUIT; PIPELINING and CHUNKING offered, as mail servers do)
and keeps only each message's idempotency key. That the messages are well-formed MIME is the tests' business
(tests/test_email.py, against aiosmtpd, and against this server for BDAT).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import sys
import threading
import time

from notifiers.sinks import KEY_HEADER, HttpSink

_KEY = re.compile(rb"(?mi)^" + KEY_HEADER.encode() + rb":[ \t]*([^\r\n]*)")


class CountingSmtp:
    """A minimal SMTP server on 127.0.0.1 that accepts every message and counts them and their keys."""

    def __init__(self, *, keep: bool = False) -> None:
        self.messages, self.keys, self.kept = 0, set(), [] if keep else None  # kept: each message, for tests
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        self._loop = asyncio.new_event_loop()

    def start(self) -> CountingSmtp:
        """Serve from a thread of its own, with its own event loop (the caller's thread may be running one)."""
        serving = threading.Event()

        def serve() -> None:
            self._loop.run_until_complete(self._loop.create_server(lambda: _Session(self), sock=self._socket))
            serving.set()
            self._loop.run_forever()

        threading.Thread(target=serve, daemon=True).start()
        serving.wait()
        return self

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._socket.close()

    def arrived(self, content: bytes) -> None:
        headers = content[:content.find(b"\r\n\r\n")]
        found = _KEY.search(headers)
        self.messages += 1
        if self.kept is not None:
            self.kept.append(content)
        self.keys.add(found.group(1).strip().decode() if found else None)


class _Session(asyncio.Protocol):
    """One client's session; the replies to pipelined commands go out together."""

    def __init__(self, sink: CountingSmtp) -> None:
        self.sink, self.buffer, self.greeted = sink, b"", False
        self.sender, self.recipients, self.in_data, self.chunk, self.chunks = None, 0, False, None, []

    def connection_made(self, transport) -> None:
        self.transport = transport
        transport.write(b"220 127.0.0.1 ESMTP bench sink\r\n")

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        replies = []
        while (reply := self._next()) is not None:
            replies.append(reply)
            if reply.startswith("221"):
                break
        if replies:
            self.transport.write("".join(f"{r}\r\n" for r in replies).encode())
            if replies[-1].startswith("221"):
                self.transport.close()

    def _next(self) -> str | None:
        """The reply to what the buffer holds next (a command, a message, a chunk), or None while incomplete."""
        if self.chunk is not None:  # BDAT: so many bytes, exactly
            size, last = self.chunk
            if len(self.buffer) < size:
                return None
            self.chunks.append(self.buffer[:size])
            self.buffer, self.chunk = self.buffer[size:], None
            if not self.recipients:
                self.chunks = []
                return "503 Bad sequence of commands"
            return self._arrived(b"".join(self.chunks)) if last else "250 OK chunk"
        if self.in_data:  # DATA: up to a line holding a lone dot; the message keeps its last line's CRLF
            end = 0 if self.buffer.startswith(b".\r\n") else self.buffer.find(b"\r\n.\r\n") + 2
            if end == 1:  # not there yet
                return None
            content, self.buffer = self.buffer[:end], self.buffer[end + 3:]
            return self._arrived(re.sub(rb"(?m)^\.\.", b".", content))
        end = self.buffer.find(b"\r\n")
        if end < 0:
            return None
        line, self.buffer = self.buffer[:end].decode("ascii", "replace"), self.buffer[end + 2:]
        return self._command(line[:4].upper(), line[5:].strip())

    def _arrived(self, content: bytes) -> str:
        self.sink.arrived(content)
        self.sender, self.recipients, self.in_data, self.chunks = None, 0, False, []
        return "250 OK queued"

    def _command(self, verb: str, argument: str) -> str:
        if verb in ("EHLO", "HELO"):
            self.greeted, self.sender, self.recipients, self.chunks = True, None, 0, []
            return "250-127.0.0.1\r\n250-PIPELINING\r\n250-CHUNKING\r\n250 8BITMIME" if verb == "EHLO" \
                else "250 127.0.0.1"
        if verb == "MAIL":
            if not self.greeted or self.sender is not None:
                return "503 Bad sequence of commands"
            if not argument.upper().startswith("FROM:"):
                return "501 Syntax: MAIL FROM:<address>"
            self.sender = argument[5:]
            return "250 OK"
        if verb == "RCPT":
            if self.sender is None:
                return "503 Bad sequence of commands"
            if not argument.upper().startswith("TO:"):
                return "501 Syntax: RCPT TO:<address>"
            self.recipients += 1
            return "250 OK"
        if verb == "DATA":
            if not self.recipients or self.chunks:
                return "503 Bad sequence of commands"
            self.in_data = True
            return "354 End data with <CR><LF>.<CR><LF>"
        if verb == "BDAT":
            words = argument.split()
            if not words or not words[0].isdigit() or words[1:] not in ([], ["LAST"], ["last"]):
                return "501 Syntax: BDAT size [LAST]"
            self.chunk = (int(words[0]), len(words) == 2)
            return self._next()  # the chunk's bytes follow the command at once
        if verb == "RSET":
            self.sender, self.recipients, self.chunks = None, 0, []
            return "250 OK"
        if verb == "NOOP":
            return "250 OK"
        if verb == "QUIT":
            return "221 Bye"
        return "502 Command not implemented"


def main(portfile: str) -> None:
    http, smtp = HttpSink().start(), CountingSmtp().start()

    def stop(*_):
        keys = {b.get("idempotency_key") for b in http.received} | smtp.keys
        with open(portfile + ".counts", "w") as out:
            json.dump({"http": len(http.received), "smtp": smtp.messages, "keys": len(keys)}, out)
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    with open(portfile + ".tmp", "w") as out:
        json.dump({"http": http.port, "smtp": smtp.port}, out)
    os.replace(portfile + ".tmp", portfile)
    while True:
        time.sleep(1)


if __name__ == "__main__":
    main(sys.argv[1])
