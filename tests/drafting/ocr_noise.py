"""Seeded OCR damage in the manner of seeds 003 and 004, to test the drafter on letters it has never seen.

`damage(text, seed, level)` returns the text as a bad scan's OCR would: level 0 leaves it alone, level 1
damages it about as much as the seeds are damaged, levels in between damage fewer words and lines.

The letter confusions are measured, not guessed: 3,300 words of the seeds' appendix cells were aligned
with the same cells typed clean in examples/*.xlsx (tests/drafting/README.md has the figures). In the seeds
nearly every word loses its diacritics; what remains of a mark is a look-alike: ê/ế/ệ read "é" (82-97 %) or
"¢"/"€", ố/ổ read "6", "d" or "b" about half the time, ư reads "w"/"v"/"y", Đ reads "P" or "B" four times in
ten, word-initial l reads "1" ("1a" for "là"), "số" reads "s6"/"sb"/"sé"/"$6", Roman I reads 1 or l
("Quy I11/2025", "Il"), a slash is lost now and then ("122026"). Lines break mid-sentence, spaces stray,
and every page adds a page number, stamp debris and, under a table, its header again.
"""

from __future__ import annotations

import random
import re
import unicodedata

# Outcome weights for a vowel family (base letter + its hat/horn/breve), tone marks all alike; measured on
# the seeds (see module docstring). A letter without a tone or hat is left as it is.
_FAMILIES: dict[str, list[tuple[str, float]]] = {
    "a": [("a", 0.93), ("d", 0.04), ("é", 0.02), ("i", 0.01)],
    "â": [("a", 0.82), ("i", 0.08), ("é", 0.06), ("d", 0.04)],
    "ă": [("a", 0.76), ("i", 0.14), ("d", 0.10)],
    "e": [("é", 0.85), ("e", 0.15)],
    "ê": [("é", 0.85), ("¢", 0.07), ("e", 0.04), ("€", 0.03), ("&", 0.01)],
    "i": [("i", 0.96), ("j", 0.02), ("}", 0.01), ("1", 0.01)],
    "o": [("o", 0.85), ("6", 0.10), ("d", 0.05)],
    "ô": [("o", 0.62), ("d", 0.13), ("6", 0.12), ("é", 0.05), ("b", 0.04), ("0", 0.02), ("g", 0.02)],
    "ơ": [("o", 0.70), ("é", 0.08), ("d", 0.07), ("g", 0.05), ("6", 0.04), ("¢", 0.04), ("&", 0.02)],
    "u": [("u", 0.86), ("y", 0.04), ("i", 0.03), ("ti", 0.03), ("ii", 0.03), ("a", 0.01)],
    "ư": [("u", 0.70), ("y", 0.08), ("w", 0.06), ("i", 0.06), ("t", 0.06), ("ir", 0.03), ("v", 0.01)],
    "y": [("y", 0.95), ("¥", 0.05)],
}
_D_UPPER = [("D", 0.60), ("P", 0.24), ("B", 0.12), ("b", 0.04)]
_SO = [("s6", 0.45), ("so", 0.12), ("sb", 0.10), ("sé", 0.07), ("s", 0.06), ("sd", 0.05), ("$6", 0.05),
       ("s0", 0.05), ("s¢", 0.05)]
_ROMAN_I = [("1", 0.45), ("I", 0.30), ("l", 0.20), ("|", 0.05)]
_DEBRIS = ["\\»\\HA /", "<\\ k1 PHONG |", "z", "o", "LN", "f‘{TﬂANgiDLF", "foy” Q) N", ", . ’"]
_JUNK = "}{;‘’?)(~^,.'"
_HATS = {"\u0302": "^", "\u0306": "(", "\u031b": "+"}  # circumflex, breve, horn
_FAMILY_OF = {("a", "^"): "â", ("a", "("): "ă", ("e", "^"): "ê", ("o", "^"): "ô", ("o", "+"): "ơ",
              ("u", "+"): "ư"}

_TOKEN = re.compile(r"\w+|\W", re.UNICODE)
_ROMAN = re.compile(r"^[IVX]*I[IVX]*$")
_SLASH_YEAR = re.compile(r"(\d)/(\d{4})\b")
_TABLE_HEADER = re.compile(r"^\s*\|?\s*STT\b")


def damage(text: str, seed: int | str, level: float = 1.0) -> str:
    """The text as OCR would give it from a bad scan; the same seed and level give the same text."""
    return damage_with_map(text, seed, level)[0]


def damage_with_map(text: str, seed: int | str, level: float = 1.0) -> tuple[str, list[int]]:
    """Damaged text, and for each of its lines the 1-based source line it came from (0: page furniture)."""
    rng = random.Random(f"{seed}|{level}")
    level = max(0.0, float(level))
    if level == 0:
        lines = text.split("\n")
        return text, list(range(1, len(lines) + 1))
    p = min(level, 1.0)
    source = unicodedata.normalize("NFC", text).split("\n")
    header_at = next((i for i, line in enumerate(source, start=1) if _TABLE_HEADER.match(line)), 0)
    out: list[tuple[str, int]] = []
    next_page, page = rng.randint(35, 55), 2
    for number, line in enumerate(source, start=1):
        for piece in _break(line, rng, p):
            out.append((_damage_line(piece, rng, p), number))
        if rng.random() < 0.03 * p:
            out.append(("", number))
        if len(out) >= next_page:
            header = source[header_at - 1] if 0 < header_at < number else None  # repeated once a table runs
            out.extend(_page_furniture(rng, p, page, header))
            next_page, page = len(out) + rng.randint(35, 55), page + 1
    return "\n".join(line for line, _ in out), [n for _, n in out]


def _break(line: str, rng: random.Random, p: float) -> list[str]:
    """Now and then cut a long line at a word boundary, as OCR does when it misreads a column's edge."""
    if len(line) < 40 or rng.random() >= 0.08 * p:
        return [line]
    spaces = [m.start() for m in re.finditer(r" ", line.strip())]
    if not spaces:
        return [line]
    cut = rng.choice(spaces) + (len(line) - len(line.lstrip()))
    return [line[:cut].rstrip(), line[cut:].strip()]


def _page_furniture(rng: random.Random, p: float, page: int, header: str | None) -> list[tuple[str, int]]:
    lines = [("", 0), (str(page), 0)]
    if rng.random() < 0.5 * p:
        lines.append((rng.choice(_DEBRIS), 0))
    if header is not None:
        lines.append((_damage_line(header, rng, p), 0))
    return lines


def _damage_line(line: str, rng: random.Random, p: float) -> str:
    if rng.random() < 0.05 * p:
        line = _SLASH_YEAR.sub(r"\1\2", line, count=1)
    parts = []
    for token in _TOKEN.findall(line):
        if token[0].isalnum() or token[0] == "_":
            token = _damage_word(token, rng, p)
        elif token == " " and rng.random() < 0.02 * p:
            token = "  "
        parts.append(token)
    return "".join(parts)


def _damage_word(word: str, rng: random.Random, p: float) -> str:
    if word.isdigit():
        return word
    if _ROMAN.match(word):
        return "".join(_pick(_ROMAN_I, rng) if c == "I" and rng.random() < p else c for c in word)
    if word.lower() == "số" and rng.random() < p:
        so = _pick(_SO, rng)
        return so[0].upper() + so[1:] if word[0].isupper() else so
    if rng.random() < 0.01 * p:
        return _garble(word, rng)
    touched = rng.random() < p
    chars = []
    for i, c in enumerate(word):
        if touched:
            c = _letter(c, rng)
        if c == "l" and rng.random() < (0.2 if i == 0 else 0.03) * p:
            c = "1" if rng.random() < 0.88 else "I"
        chars.append(c)
    word = "".join(chars)
    if len(word) > 3 and rng.random() < 0.01 * p:
        cut = rng.randint(1, len(word) - 1)
        word = word[:cut] + rng.choice([" ", " ", ",", "’"]) + word[cut:]
    return word


def _letter(c: str, rng: random.Random) -> str:
    """One letter as the OCR reads it: marks dropped, or a look-alike where a mark was."""
    if c == "đ":
        return "d"
    if c == "Đ":
        return _pick(_D_UPPER, rng)
    decomposed = unicodedata.normalize("NFD", c)
    if len(decomposed) == 1:
        return c
    base, marks = decomposed[0], decomposed[1:]
    lower = base.lower()
    hat = next((_HATS[m] for m in marks if m in _HATS), None)
    family = _FAMILY_OF.get((lower, hat), lower) if hat else lower
    outcomes = _FAMILIES.get(family)
    if outcomes is None:
        return base
    if base.isupper() and rng.random() < 0.8:
        return base  # capitals mostly come out plain in the seeds ("KE HOACH", "NHIEM VU")
    got = _pick(outcomes, rng)
    return got.upper() if base.isupper() and got.isalpha() else got


def _garble(word: str, rng: random.Random) -> str:
    """A word the OCR could not read at all ("dgoll,g" for "đường")."""
    chars = list(unicodedata.normalize("NFD", word))
    chars = [c for c in chars if not unicodedata.combining(c)]
    for _ in range(max(1, len(chars) // 3)):
        chars.insert(rng.randint(0, len(chars)), rng.choice(_JUNK))
    return "".join(chars)


def _pick(outcomes: list[tuple[str, float]], rng: random.Random) -> str:
    roll, total = rng.random() * sum(w for _, w in outcomes), 0.0
    for value, weight in outcomes:
        total += weight
        if roll < total:
            return value
    return outcomes[-1][0]
