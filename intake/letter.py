"""The text of a letter to draft from: a .txt file, or a PDF with a text layer (pypdf)."""

from __future__ import annotations

from pathlib import Path

from domain.errors import InputError

LETTER_SUFFIXES = {".txt", ".pdf"}


def read_letter(path: Path, *, max_bytes: int) -> str:
    """The letter's text; a PDF without a text layer (a bare scan) is refused with what to do instead."""
    suffix = path.suffix.lower()
    if suffix not in LETTER_SUFFIXES:
        raise InputError(f"{path.name}: chỉ nhận tệp .txt hoặc .pdf có lớp chữ")
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InputError(f"không có tệp {path}") from None
    if not path.is_file():
        raise InputError(f"{path} không phải là tệp")
    if size == 0:
        raise InputError(f"{path.name}: tệp rỗng")
    if size > max_bytes:
        raise InputError(f"{path.name}: tệp quá lớn ({size / 1048576:.1f} MB, tối đa {max_bytes / 1048576:.0f} MB)")
    text = _pdf_text(path) if suffix == ".pdf" else _txt(path)
    if not text.strip():
        raise InputError(f"{path.name}: không có chữ (bản quét chưa nhận dạng chữ? cần chạy OCR trước)")
    return text


def _txt(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{path.name}: không phải văn bản UTF-8") from None
    if "\x00" in text:
        raise InputError(f"{path.name}: không phải văn bản (có ký tự NUL)")
    return text


def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(path)
        return "\n".join(page.extract_text() or "" for page in reader.pages)
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        raise InputError(f"{path.name}: không đọc được PDF ({exc})") from None
