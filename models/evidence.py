"""Evidence files on disk, addressed by their SHA-256: the same file twice is stored once, a file is never
overwritten, and the database keeps the name, size, type and checksum beside the report."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from domain.report_form import CONTENT_TYPES, Upload, safe_name


def store_evidence(root: Path, uploads: list[Upload]) -> list[dict]:
    """Write the (already checked) files; returns their descriptions for Report.evidence."""
    out = []
    for upload in uploads:
        digest = hashlib.sha256(upload.content).hexdigest()
        path = evidence_path(root, digest)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            # written aside then renamed: a reader never sees half a file, a crash leaves no torn one
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
            with os.fdopen(fd, "wb") as f:
                f.write(upload.content)
            os.replace(tmp, path)
        name = safe_name(upload.name)
        suffix = "." + name.rsplit(".", 1)[-1].lower()
        out.append({"kind": "file", "name": name, "sha256": digest, "size": len(upload.content),
                    "content_type": CONTENT_TYPES.get(suffix, "application/octet-stream")})
    return out


def evidence_path(root: Path, sha256: str) -> Path:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError("not a SHA-256")  # the checksum names the file: nothing else may reach the disk
    return root / sha256[:2] / sha256


def read_evidence(root: Path, sha256: str) -> bytes:
    """The file's bytes, checked against its checksum (a disk that rots must not serve a wrong file)."""
    data = evidence_path(root, sha256).read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise OSError(f"tệp minh chứng {sha256[:12]}… bị hỏng trên đĩa")
    return data
