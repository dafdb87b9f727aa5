"""The exceptions dondoc raises; the CLI, flows and forms turn each into one clear message."""

from __future__ import annotations

from dataclasses import dataclass


class DondocError(Exception):
    """Base of every error dondoc reports to a person."""

    exit_code = 1


class ConfigError(DondocError):
    """The configuration (settings, registry, calendar, policies) is broken."""


class InputError(DondocError):
    """Something a person gave us is wrong; nothing was written."""


class DeadlineError(InputError):
    """A deadline as written cannot be read, or names an impossible date."""


class UnknownUnitError(InputError):
    """A unit or group name matches nothing in the registry."""

    def __init__(self, name: str, suggestions: list[str]):
        self.name, self.suggestions = name, suggestions
        hint = f" Có phải: {'; '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"không tìm thấy đơn vị “{name}” trong danh mục.{hint}")


class NotFoundError(InputError):
    """A directive, task or unit asked for by number or id does not exist."""


class ConflictError(InputError):
    """The request contradicts what is stored (duplicate number, already issued…)."""


class AlreadyRegisteredError(ConflictError):
    """The same directive (same validated content) is registered already."""


@dataclass(frozen=True)
class Problem:
    """One problem found while validating an input, with where it is."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class ValidationError(InputError):
    """Every problem of one input, reported at once."""

    def __init__(self, source: str, problems: list[Problem]):
        self.source, self.problems = source, problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{source}: {len(problems)} lỗi, không ghi gì vào cơ sở dữ liệu:\n{lines}")
