"""A helper process that runs SQLite queries producing one blob each and writes every blob to a file.

models.frames starts one per core to read the large tables' text in parallel: in one process, threads on their
own connections were slower than one (SQLite's allocator takes one lock per process). Standard library only, so
it starts in ~15 ms with `python -I -S`. Usage: `python -I -S sqlite_text.py DATABASE FOLDER`, a JSON list of
[name, sql] on stdin; for each, the blob goes to FOLDER/name and the name is printed on its own line.
"""

import json
import os
import sqlite3
import sys
from urllib.parse import quote

MAP_BYTES = 1 << 34  # SQLite maps at most this much of the file (and no more than the file)


def main(database: str, folder: str) -> None:
    statements = json.load(sys.stdin)
    # read-only: a helper can never write, even by mistake; the WAL lets it read beside writers
    connection = sqlite3.connect(f"file:{quote(database)}?mode=ro", uri=True, isolation_level=None)
    connection.execute(f"PRAGMA mmap_size={MAP_BYTES}")
    connection.execute("BEGIN")  # one snapshot for all of this helper's statements
    for name, sql in statements:
        blob = connection.execute(sql).fetchone()[0] or b""
        path = os.path.join(folder, name)
        with open(path, "wb") as out:
            out.write(blob)
        del blob
        print(name, flush=True)
    connection.execute("COMMIT")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
