"""The units registry as data, and the resolution of names as written (OCR-tolerant) to units and groups."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from rapidfuzz import fuzz, process

from domain.errors import UnknownUnitError
from domain.text import name_key, nfc

UnitKind = Literal["department", "commune", "other"]

# Abbreviations officials use interchangeably with the words: both fold to the words, so that fuzzy
# matching compares whole words ("S¢ Khoa hoc va Cong nghé" must still be close to the registry's name).
_ABBREVIATIONS = [
    (r"\bubnd\b", "uy ban nhan dan"),
    (r"\bhdnd\b", "hoi dong nhan dan"),
    (r"\bubmttq\b", "uy ban mat tran to quoc"),
    (r"\bmttq\b", "mat tran to quoc"),
    (r"\bmat tran to quoc viet nam\b", "mat tran to quoc"),
    (r"\bdbqh\b", "dai bieu quoc hoi"),
    (r"\btp\b", "thanh pho"),
    (r"\bthanh pho hai phong\b", "thanh pho"),  # the city's own bodies, named with the city or without
    (r"\b(?:khcn|kh cn|khoa hoc cong nghe)\b", "khoa hoc va cong nghe"),
    (r"\b(?:gddt|gd dt|giao duc dao tao)\b", "giao duc va dao tao"),
    (r"\b(?:nnmt|nn mt|nong nghiep moi truong)\b", "nong nghiep va moi truong"),
    (r"\bvhttdl\b", "van hoa the thao va du lich"),
]
_TRAILERS = re.compile(r"(?: tren dia ban(?: thanh pho)?| cua thanh pho)+$")
AUTO_ACCEPT = 90  # fuzzy score above which a unique best match is taken without asking
MARGIN = 5  # …provided the runner-up (another unit) scores at least this much lower


def match_key(text: str) -> str:
    """Key on which names are compared: name_key with abbreviations folded and 'thành phố' trailers dropped."""
    key = name_key(text)
    for pattern, short in _ABBREVIATIONS:
        key = re.sub(pattern, short, key)
    return _TRAILERS.sub("", key).strip()


@dataclass(frozen=True)
class UnitEntry:
    ref: str  # stable key: the official code for communes, else the folded name
    name: str
    kind: UnitKind
    code: str | None = None
    commune_type: str | None = None
    short: str | None = None
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class GroupEntry:
    name: str
    members: tuple[str, ...]  # unit refs
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Resolved:
    """What one name as written stands for."""

    written: str
    kind: Literal["unit", "group", "vague"]
    name: str  # the registry's spelling (full diacritics); the text itself when vague
    units: tuple[str, ...] = ()


@dataclass
class Registry:
    units: dict[str, UnitEntry]
    groups: dict[str, GroupEntry]
    vague_patterns: tuple[str, ...] = ()
    _index: dict[str, tuple[str, str]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        for unit in self.units.values():
            for spelling in (unit.name, unit.short, *unit.aliases, *_commune_spellings(unit)):
                if spelling:
                    self._index.setdefault(match_key(spelling), ("unit", unit.ref))
        for group in self.groups.values():
            for spelling in (group.name, *group.aliases):
                self._index.setdefault(match_key(spelling), ("group", group.name))

    def spellings(self) -> dict[str, tuple[str, str]]:
        """Every match key the registry knows → ("unit", ref) or ("group", name); drafting scans text with them."""
        return dict(self._index)

    def display(self, hit: tuple[str, str]) -> str:
        """The registry's spelling (full diacritics) of a unit ref or group name."""
        return self._display(hit)

    def members(self, kinds: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(u.ref for u in self.units.values() if u.kind in kinds)

    def resolve(self, written: str, *, fuzzy: bool = True) -> Resolved:
        """One name → a unit, a group, or a vague reference; UnknownUnitError with close matches otherwise
        (with `fuzzy`, a misspelt name is taken when one unit alone is close enough)."""
        text = nfc(written).strip(" .;,-–")
        key = match_key(text)
        if not key:
            raise UnknownUnitError(written, [])
        if any(re.search(p, key) for p in self.vague_patterns) and key not in self._index:
            return Resolved(text, "vague", text)
        hit = self._index.get(key) or (self._fuzzy(key) if fuzzy else None)
        if hit is None:
            raise UnknownUnitError(text, self.suggestions(text))
        return self._resolved(text, hit)

    def resolve_list(self, written: str | list[str]) -> list[Resolved]:
        """A cell or list of names ("Sở Tài chính; Sở Nội vụ", "UBND các xã, phường, đặc khu") → resolutions.

        Commas both separate names and occur inside them, so the longest run of comma-separated pieces
        that names something is taken first.
        """
        if isinstance(written, list) and len(written) > 1:
            try:  # a list of whole names ("Văn phòng Thành ủy", "Sở Khoa học và Công nghệ") item by item
                return [r for item in written for chunk in _split_names(nfc(str(item))) for r in self._resolve_chunk(chunk)]
            except UnknownUnitError:
                pass
        # A YAML flow list splits "[UBND các xã, phường, đặc khu]" into three items: join them back.
        text = ", ".join(str(i) for i in written) if isinstance(written, list) else str(written)
        out: list[Resolved] = []
        for chunk in _split_names(nfc(text)):
            out.extend(self._resolve_chunk(chunk))
        return out

    def _resolve_chunk(self, chunk: str) -> list[Resolved]:
        # "," and " và " separate names but also occur inside them ("Sở Văn hóa, Thể thao và Du lịch"). A run
        # of several names must never be taken for one by a fuzzy match ("Văn phòng Đoàn đại biểu Quốc hội và
        # Hội đồng nhân dân thành phố, Sở Y tế" is two units): exact spellings first, a fuzzy whole last.
        parts = re.split(r"(,|\s+và\s+)", chunk)
        pieces, seps = parts[0::2], parts[1::2]
        if len(pieces) < 2:
            return [self.resolve(chunk)]
        try:
            whole = self.resolve(chunk, fuzzy=False)
            if whole.kind != "vague":
                return [whole]
        except UnknownUnitError:
            whole = None
        try:
            found = self._resolve_pieces(pieces, seps)
        except UnknownUnitError:
            return [whole or self.resolve(chunk)]
        if whole is not None and all(r.kind == "vague" for r in found):
            return [whole]  # "Các đơn vị, địa phương liên quan" is one vague phrase, not two
        return found

    def _resolve_pieces(self, pieces: list[str], seps: list[str]) -> list[Resolved]:
        out, i = [], 0
        while i < len(pieces):
            for j in range(len(pieces), i, -1):
                text = "".join(p + s for p, s in zip(pieces[i:j], seps[i:j - 1] + [""], strict=True)).strip()
                try:
                    found = self.resolve(text, fuzzy=j - i == 1)
                except UnknownUnitError:
                    continue
                if found.kind == "vague" and j - i > 1:
                    continue  # a vague phrase must not swallow the names beside it
                out.append(found)
                i = j
                break
            else:
                raise UnknownUnitError(pieces[i].strip(), self.suggestions(pieces[i]))
        return out

    def suggestions(self, text: str, limit: int = 3) -> list[str]:
        """Registry names closest to a text, best first."""
        found = process.extract(match_key(text), list(self._index), scorer=fuzz.WRatio, limit=limit * 4)
        names: list[str] = []
        for key, score, _ in found:
            name = self._display(self._index[key])
            if score >= 60 and name not in names:
                names.append(name)
        return names[:limit]

    def _fuzzy(self, key: str) -> tuple[str, str] | None:
        found = process.extract(key, list(self._index), scorer=fuzz.ratio, limit=8)
        if not found or found[0][1] < AUTO_ACCEPT:
            return None
        best = self._index[found[0][0]]
        rivals = [score for k, score, _ in found[1:] if self._index[k] != best]
        if rivals and rivals[0] > found[0][1] - MARGIN:
            return None
        return best

    def _display(self, hit: tuple[str, str]) -> str:
        kind, ref = hit
        return self.units[ref].name if kind == "unit" else ref

    def _resolved(self, text: str, hit: tuple[str, str]) -> Resolved:
        kind, ref = hit
        if kind == "unit":
            return Resolved(text, "unit", self.units[ref].name, (ref,))
        return Resolved(text, "group", ref, self.groups[ref].members)


def _commune_spellings(unit: UnitEntry) -> list[str]:
    """'Xã An Thành' is also 'UBND xã An Thành' and 'Ủy ban nhân dân xã An Thành'."""
    if unit.kind != "commune":
        return []
    return [f"UBND {unit.name}", f"Ủy ban nhân dân {unit.name}"]


def _split_names(text: str) -> list[str]:
    """Split on ';' and new lines, and on '/' between two names ("Văn phòng Thành ủy/Công an thành phố")."""
    chunks: list[str] = []
    for part in re.split(r"[;\n]+", text):
        pieces = part.split("/")
        merged = [pieces[0]]
        for piece in pieces[1:]:
            if piece.strip()[:1].isupper():
                merged.append(piece)
            else:
                merged[-1] += "/" + piece
        chunks.extend(c.strip(" .;,-–+") for c in merged)
    return [c for c in chunks if c]
