"""Text normalisation for matching Vietnamese names and phrases typed by people or mangled by OCR."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

# Characters OCR puts where a Vietnamese letter was (seen in the seeds: "S¢", "B§", "$6" for "số").
_OCR_LOOKALIKES = str.maketrans({"¢": "e", "§": "o", "$": "s", "|": "l", "’": "'", "‘": "'", "“": '"', "”": '"'})
_SPACES = re.compile(r"\s+")
# Control characters nobody types (NUL, escape, DEL, C1): tab, line breaks and form feeds are white space.
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")


def nfc(text: str) -> str:
    """Compose to NFC and fold runs of white space, so NFD input ("Sở" typed on a Mac) compares equal."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


def refuse_controls(text: str) -> str:
    """`text` as it is, or ValueError when it holds a control character: such text was pasted from a binary
    file or mangled on the way, and PostgreSQL cannot even store a NUL."""
    if m := _CONTROLS.search(text):
        raise ValueError(f"có ký tự điều khiển U+{ord(m[0]):04X} (không phải chữ): hãy gõ lại hoặc dán dưới dạng "
                         "văn bản thuần")
    return text


def quoted(text: str, limit: int = 80) -> str:
    """“text”, as a message quotes what a person typed: cut at `limit` characters, so one message stays short."""
    text = str(text)
    return f"“{text if len(text) <= limit else text[: limit - 1] + '…'}”"


# Markdown's active characters: raw HTML, links and images ([…](…)), code, table cells.
_MARKDOWN = str.maketrans({"\\": "\\\\", "&": "&amp;", "<": "&lt;", ">": "&gt;", "|": "\\|", "[": "\\[",
                           "]": "\\]", "`": "\\`"})


def md_text(text: object) -> str:
    """Text that markdown (a Prefect artifact) shows as typed, on one line: no HTML, link, image or code of its
    own, and safe inside a table cell."""
    return " ".join(str(text).translate(_MARKDOWN).split())


def megabytes(n: int) -> str:
    """10 MB, 1,5 MB, 512 KB: a size as people read it."""
    if n < 1024 * 1024:
        return f"{max(1, round(n / 1024))} KB"
    return f"{n / (1024 * 1024):.1f}".rstrip("0").rstrip(".").replace(".", ",") + " MB"


def fold(text: str) -> str:
    """Lower-case ASCII skeleton of a text: no diacritics, đ→d, OCR look-alikes mapped, spaces folded."""
    text = unicodedata.normalize("NFD", text.translate(_OCR_LOOKALIKES))
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("đ", "d").replace("Đ", "D")
    return _SPACES.sub(" ", text.lower()).strip()


def name_key(text: str) -> str:
    """Key under which two spellings of a unit or person name are the same name."""
    text = fold(text)
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return _SPACES.sub(" ", text).strip()


_WEEKDAYS = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")


def vn_date(day: date | str | None) -> str:
    """30/9/2025, the way people write dates here; "—" for none."""
    if day is None:
        return "—"
    day = date.fromisoformat(day) if isinstance(day, str) else day
    return f"{day.day}/{day.month}/{day.year}"


def vn_weekday(day: date) -> str:
    """thứ Ba, the way people name a weekday here."""
    return _WEEKDAYS[day.weekday()]
