"""The exceptions dondoc raises; the CLI, flows and forms turn each into one clear message."""

from __future__ import annotations

from dataclasses import dataclass

from domain.text import quoted


class DondocError(Exception):
    """Base of every error dondoc reports to a person."""

    exit_code = 1


class ConfigError(DondocError):
    """The configuration (settings, registry, calendar, policies) is broken."""


class DatabaseBusyError(DondocError):
    """Another process kept the database locked for longer than dondoc waits; nothing was written."""


class InputError(DondocError):
    """Something a person gave us is wrong; nothing was written."""


class DeadlineError(InputError):
    """A deadline as written cannot be read, or names an impossible date."""


class UnknownUnitError(InputError):
    """A unit or group name matches nothing in the registry."""

    def __init__(self, name: str, suggestions: list[str]):
        self.name, self.suggestions = name, suggestions
        hint = f" Có phải: {'; '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"không tìm thấy đơn vị {quoted(name)} trong danh mục.{hint}")


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


# Pydantic's error types, said to a person in Vietnamese.
_MESSAGES = {
    "missing": "thiếu trường bắt buộc",
    "extra_forbidden": "khóa không được hỗ trợ (gõ sai tên khóa?)",
    "string_type": "phải là văn bản",
    "list_type": "phải là danh sách",
    "too_short": "không được để trống",
    "too_long": "quá dài",
    "string_too_short": "không được để trống",
    "string_too_long": "quá dài",
    "date_from_datetime_parsing": "ngày không hợp lệ (viết YYYY-MM-DD, ví dụ 2025-09-27)",
    "date_parsing": "ngày không hợp lệ (viết YYYY-MM-DD, ví dụ 2025-09-27)",
    "date_type": "ngày không hợp lệ (viết YYYY-MM-DD, ví dụ 2025-09-27)",
    "date_from_datetime_inexact": "ngày không được kèm giờ",
    "model_type": "phải là một bảng khóa: giá trị",
    "int_parsing": "phải là một số nguyên",
    "int_type": "phải là một số nguyên",
    "int_from_float": "phải là một số nguyên",
    "bool_parsing": "phải là có hoặc không",
    "greater_than_equal": "nhỏ hơn mức cho phép",
    "less_than_equal": "lớn hơn mức cho phép",
}


def problems_from(exc) -> list[Problem]:
    """A pydantic ValidationError as Problems, in Vietnamese."""
    return [_problem(e) for e in exc.errors()]


def _problem(error: dict) -> Problem:
    loc = error.get("loc", ())
    where = ""
    for part in loc:
        where += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if where else str(part))
    kind = error.get("type", "")
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        message = f"giá trị “{error.get('input')}” không hợp lệ; phải là một trong: {expected}"
    elif kind in ("too_long", "string_too_long") and "max_length" in error.get("ctx", {}):
        limit = f"{error['ctx']['max_length']:,}".replace(",", ".")  # say the limit: one must know how much to cut
        many = error["ctx"].get("field_type") in ("List", "Tuple", "Set", "Dict")
        message = f"quá nhiều (tối đa {limit})" if many else f"quá dài (tối đa {limit} ký tự)"
    elif kind in ("greater_than_equal", "less_than_equal"):
        bound = error.get("ctx", {}).get("ge", error.get("ctx", {}).get("le"))
        message = f"{_MESSAGES[kind]} ({'ít nhất' if kind == 'greater_than_equal' else 'nhiều nhất'} {bound})"
    elif kind == "value_error":
        message = str(error.get("ctx", {}).get("error") or error.get("msg", "không hợp lệ"))
    else:
        message = _MESSAGES.get(kind, error.get("msg", "không hợp lệ"))
    return Problem(where, message)
