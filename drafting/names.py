"""Names of units, groups and vague phrases found in running text, matched to the registry on the folded form.

A name is taken only when one registry entry matches clearly (exactly, or fuzzily above AUTO with a margin
over any other entry); a close call is kept as ambiguous for the operator, never decided here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from rapidfuzz import fuzz, process

from domain.registry import Registry, match_key
from drafting.normalise import ocr_key, words

AUTO = 88  # fuzzy ratio from which a unique best match is taken
MARGIN = 6  # …when the runner-up (another entry) scores at least this much lower
MAX_WORDS = 18
SEPARATORS = {",", ";", "và", "va", "cùng", "cung"}


@dataclass(frozen=True)
class Entry:
    kind: str  # unit | group | vague
    name: str  # the spelling the draft writes (full diacritics)


@dataclass(frozen=True)
class Hit:
    entry: Entry | None  # None: ambiguous or unknown
    score: float  # 0..100
    start: int  # token index in the scanned text
    end: int
    written: str  # the text as it stands in the source
    alternatives: tuple[str, ...] = ()


@dataclass(frozen=True)
class Token:
    word: str  # folded word ("" for punctuation)
    punct: str  # the punctuation mark, for separators
    start: int
    end: int


class NameIndex:
    """The registry's spellings plus the canonical vague phrases, keyed by match_key."""

    def __init__(self, registry: Registry, vague_names: list[str] | tuple[str, ...] = ()):
        self.registry = registry
        self.keys: dict[str, Entry] = {}
        for key, hit in registry.spellings().items():
            self.keys.setdefault(key, Entry(hit[0], registry.display(hit)))
        for name in vague_names:
            self.keys.setdefault(match_key(name), Entry("vague", name))
        self._list = list(self.keys)

    @cached_property
    def vocabulary(self) -> frozenset[str]:
        """Words of the names of bodies other than communes: what a table's unit cells are made of."""
        out: set[str] = set()
        for key, (kind, ref) in self.registry.spellings().items():
            if kind == "group" or self.registry.units[ref].kind != "commune":
                out.update(key.split())
        for key, entry in self.keys.items():
            if entry.kind == "vague":
                out.update(key.split())
        return frozenset(out | {"ubnd", "hdnd", "ubmttq", "mttq", "tp", "khcn"})

    def lookup(self, key: str) -> tuple[Entry | None, float, tuple[str, ...]]:
        """A folded span → (entry, score, close alternatives); entry None when nothing or several match."""
        key = match_key(key)
        if not key:
            return None, 0.0, ()
        if key in self.keys:
            return self.keys[key], 100.0, ()
        found = process.extract(key, self._list, scorer=fuzz.ratio, limit=6, score_cutoff=70)
        if not found:
            return None, 0.0, ()
        best_key, best, _ = found[0]
        entry = self.keys[best_key]
        rivals = [(self.keys[k].name, s) for k, s, _ in found[1:] if self.keys[k].name != entry.name]
        if best >= AUTO and not (rivals and rivals[0][1] > best - MARGIN):
            return entry, best, ()
        names = tuple(dict.fromkeys([entry.name] + [n for n, s in rivals if s >= best - MARGIN]))
        return None, best, names if best >= 75 else ()


def tokenize(text: str) -> list[Token]:
    """Words and separating punctuation of a text, with their character spans."""
    out: list[Token] = []
    for m in re.finditer(r"[^\s,;:()]+|[,;:()]", text):
        raw = m.group()
        if raw in ",;:()":
            out.append(Token("", raw, m.start(), m.end()))
            continue
        folded = " ".join(words(ocr_key(raw)))
        out.append(Token(folded, "", m.start(), m.end()))
    return out


def span_key(tokens: list[Token], i: int, j: int) -> str:
    return " ".join(t.word for t in tokens[i:j] if t.word)


def name_at(index: NameIndex, text: str, tokens: list[Token], i: int) -> Hit | None:
    """The name starting at token i: the longest exact match, else the best fuzzy one."""
    if i >= len(tokens) or not tokens[i].word:
        return None
    best: Hit | None = None
    limit = min(len(tokens), i + MAX_WORDS)
    for j in range(limit, i, -1):
        if not tokens[j - 1].word:
            continue  # a name never ends on punctuation
        key = span_key(tokens, i, j)
        entry, score, alternatives = index.lookup(key)
        written = text[tokens[i].start:tokens[j - 1].end]
        if entry is not None and score == 100:
            return Hit(entry, score, i, j, written)
        if score >= 75 and (best is None or score > best.score + 1):
            best = Hit(entry, score, i, j, written, alternatives)
    return best


def names_from(index: NameIndex, text: str, tokens: list[Token], i: int) -> tuple[list[Hit], int]:
    """Names listed from token i ("Sở Tài chính, Sở Nội vụ và các đơn vị liên quan"); returns them and the
    index of the first token after the list."""
    hits: list[Hit] = []
    while True:
        hit = name_at(index, text, tokens, i)
        if hit is None:
            break
        hits.append(hit)
        i = hit.end
        k = i
        while k < len(tokens) and (tokens[k].punct in (",", ";") or tokens[k].word in SEPARATORS):
            k += 1
        if k == i or k >= len(tokens):
            break
        nxt = name_at(index, text, tokens, k)
        if nxt is None:
            break
        i = k
    return hits, i
