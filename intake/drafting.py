"""Drafting as the CLI and the flows use it: the configuration loaded, the letter read, the draft made."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from config.loaders import load_calendar, load_registry, read_yaml
from config.settings import Settings, get_settings
from drafting.draft import Draft, Vocabulary, draft_text
from intake.letter import read_letter


def vocabulary(settings: Settings | None = None) -> Vocabulary:
    s = settings or get_settings()
    return _vocabulary(s.units_file, s.registry_file, s.drafting_file)


@lru_cache
def _vocabulary(units_file: Path, registry_file: Path, drafting_file: Path) -> Vocabulary:
    s = get_settings().model_copy(update={"units_file": units_file, "registry_file": registry_file})
    return Vocabulary.build(load_registry(s), read_yaml(drafting_file))


def draft_letter(*, path: Path | None = None, text: str | None = None, settings: Settings | None = None) -> Draft:
    """A draft directive from a letter file (.txt, .pdf) or pasted text."""
    s = settings or get_settings()
    if path is not None:
        text, source = read_letter(path, max_bytes=s.max_import_bytes), path.name
    else:
        source = "văn bản dán vào"
    return draft_text(text or "", vocabulary=vocabulary(s), calendar=load_calendar(s), source=source)
