"""Loopback sinks in their own process (so that their CPU is not the dispatcher's): `python -m bench.sink PORTFILE`.

Writes {"http": port, "smtp": port} to PORTFILE; on SIGTERM writes PORTFILE.counts with what arrived and how
many distinct idempotency keys (a message sent twice would show as fewer keys than messages).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time

from notifiers.sinks import HttpSink, SmtpSink


def main(portfile: str) -> None:
    http, smtp = HttpSink().start(), SmtpSink().start()

    def stop(*_):
        keys = {b.get("idempotency_key") for b in http.received} | {m.key for m in smtp.mails}
        with open(portfile + ".counts", "w") as out:
            json.dump({"http": len(http.received), "smtp": len(smtp.mails), "keys": len(keys)}, out)
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    with open(portfile + ".tmp", "w") as out:
        json.dump({"http": http.port, "smtp": smtp.port}, out)
    os.replace(portfile + ".tmp", portfile)
    while True:
        time.sleep(1)


if __name__ == "__main__":
    main(sys.argv[1])
