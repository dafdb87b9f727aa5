"""What a unit may send: a report, an extension request, evidence files. Validated before anything is written."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Annotated

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)
from pydantic import ValidationError as PydanticError

from domain.errors import Problem, ValidationError, problems_from
from domain.text import refuse_controls

MAX_TEXT = 5000
MAX_LINKS = 10
MAX_FILES = 10
# What officials attach as evidence; each kind is recognised by its first bytes, not by its name alone.
EVIDENCE_KINDS: dict[str, tuple[bytes, ...]] = {
    ".pdf": (b"%PDF-",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".docx": (b"PK\x03\x04",),
    ".xlsx": (b"PK\x03\x04",),
    ".odt": (b"PK\x03\x04",),
    ".ods": (b"PK\x03\x04",),
    ".doc": (b"\xd0\xcf\x11\xe0",),
    ".xls": (b"\xd0\xcf\x11\xe0",),
}
CONTENT_TYPES = {".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
                 ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                 ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                 ".odt": "application/vnd.oasis.opendocument.text",
                 ".ods": "application/vnd.oasis.opendocument.spreadsheet",
                 ".doc": "application/msword", ".xls": "application/vnd.ms-excel"}
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


def _text(value):
    """NFC, so that text typed on any system compares and displays the same; lines are kept; no control
    characters (NUL cannot even be stored in PostgreSQL)."""
    if value is None:
        return ""
    return refuse_controls(unicodedata.normalize("NFC", str(value)).replace("\r\n", "\n").strip())


Text = Annotated[str, BeforeValidator(_text), StringConstraints(max_length=MAX_TEXT)]


def _links(value):
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = value.split()
    return [refuse_controls(v.strip()) if isinstance(v, str) else v for v in value if v and str(v).strip()]


class ReportForm(BaseModel):
    """One report on one assignment."""

    model_config = ConfigDict(extra="forbid")

    progress: int = Field(ge=0, le=100)
    done_text: Text
    difficulties: Text = ""
    proposals: Text = ""
    links: Annotated[list[str], BeforeValidator(_links)] = Field(default_factory=list, max_length=MAX_LINKS)
    claims_completion: bool = False

    @model_validator(mode="after")
    def _coherent(self):
        if not self.done_text:
            raise ValueError("cần ghi kết quả thực hiện (đã làm được gì)")
        bad = [link for link in self.links if not _URL.match(link)]
        if bad:
            raise ValueError(f"đường dẫn minh chứng phải bắt đầu bằng http:// hoặc https://: {bad[0][:100]}")
        if self.claims_completion and self.progress != 100:
            raise ValueError("báo cáo hoàn thành thì tiến độ phải là 100%")
        return self


class ExtensionForm(BaseModel):
    """A unit's request for a later deadline."""

    model_config = ConfigDict(extra="forbid")

    requested_due: date
    reason: Annotated[str, BeforeValidator(_text), StringConstraints(min_length=1, max_length=MAX_TEXT)]


def validate_report(data: dict) -> ReportForm:
    return _validate(ReportForm, data, "báo cáo")


def validate_extension(data: dict, *, current_due: date | None) -> ExtensionForm:
    form = _validate(ExtensionForm, data, "đề nghị gia hạn")
    if current_due is None:
        raise ValidationError("đề nghị gia hạn", [Problem("", "nhiệm vụ này không có hạn cụ thể để gia hạn")])
    if form.requested_due <= current_due:
        raise ValidationError("đề nghị gia hạn", [Problem("requested_due", f"ngày đề nghị phải sau hạn hiện tại "
                                                                            f"({current_due.day}/{current_due.month}/{current_due.year})")])
    return form


def _validate(model, data: dict, source: str):
    try:
        return model.model_validate(data)
    except PydanticError as exc:
        raise ValidationError(source, problems_from(exc)) from None


@dataclass(frozen=True)
class Upload:
    """A file as it arrived: its name as the sender's system gave it, and its bytes."""

    name: str
    content: bytes


def check_uploads(uploads: list[Upload], *, max_bytes: int) -> list[Problem]:
    """Every problem with the files at once: too many, too big, empty, or not what their name says."""
    problems = []
    if len(uploads) > MAX_FILES:
        problems.append(Problem("files", f"tối đa {MAX_FILES} tệp minh chứng một lần"))
    for upload in uploads:
        name = safe_name(upload.name)
        suffix = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
        if suffix not in EVIDENCE_KINDS:
            problems.append(Problem(name, "chỉ nhận tệp PDF, Word, Excel, OpenDocument, JPG hoặc PNG"))
        elif not upload.content:
            problems.append(Problem(name, "tệp rỗng"))
        elif len(upload.content) > max_bytes:
            problems.append(Problem(name, f"tệp lớn hơn {max_bytes // (1024 * 1024)} MB"))
        elif not upload.content.startswith(EVIDENCE_KINDS[suffix]):
            problems.append(Problem(name, "nội dung tệp không đúng loại tệp theo tên (tệp hỏng hoặc đổi đuôi?)"))
    return problems


def safe_name(name: str) -> str:
    """A file name a person can read and a disk can hold: no folders, no control characters, not too long, and
    no invisible format characters (a right-to-left override shows "x\u202egpj.pdf" as "xfdp.jpg")."""
    base = unicodedata.normalize("NFC", re.split(r"[\\/]", name or "")[-1])
    base = "".join(c for c in base if unicodedata.category(c) != "Cf")
    base = re.sub(r"[\x00-\x1f\x7f<>:\"|?*]", "_", base).strip(" .") or "tep-minh-chung"
    if len(base) > 150:
        stem, dot, suffix = base.rpartition(".")
        base = (stem[: 140 - len(suffix)] + dot + suffix) if dot else base[:150]
    return base
