"""Read a directive from a file: YAML or JSON as in shared/spec, or an appendix spreadsheet plus a header."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import yaml

from domain.errors import InputError
from domain.text import megabytes
from intake.xlsx import read_appendix

DIRECTIVE_SUFFIXES = {".yaml", ".yml", ".json", ".xlsx"}
# Spreadsheets of other kinds, with what to do about them.
OTHER_SPREADSHEETS = {
    ".xlsm": "bảng tính có macro (.xlsm) không được nhận: hãy lưu lại thành .xlsx thường (Excel Workbook)",
    ".xltm": "mẫu bảng tính có macro (.xltm) không được nhận: hãy lưu lại thành .xlsx thường (Excel Workbook)",
    ".xlsb": "bảng tính nhị phân (.xlsb) không được nhận: hãy lưu lại thành .xlsx (Excel Workbook)",
    ".xls": "tệp .xls cũ không được nhận: hãy lưu lại thành .xlsx (Excel 2007 trở lên)",
    ".csv": "tệp .csv không được nhận: hãy mở bằng Excel và lưu thành .xlsx",
}


def read_directive(path: Path, *, max_bytes: int, header: dict | None = None) -> dict:
    """The raw directive at `path`; for a spreadsheet, its rows become `tasks` under `header`'s fields.

    A spreadsheet's header comes from `header`, else from a file beside it with the same name and
    .yaml/.yml/.json suffix.
    """
    suffix = path.suffix.lower()
    if suffix not in DIRECTIVE_SUFFIXES:
        raise InputError(f"{path.name}: {OTHER_SPREADSHEETS.get(suffix, 'chỉ nhận tệp .yaml, .yml, .json hoặc .xlsx')}")
    check_file(path, max_bytes)
    if suffix != ".xlsx":
        return _read_mapping(path)
    tasks = read_appendix(path, max_bytes=max_bytes)  # the spreadsheet's own problems first: they are what the user is looking at
    data = dict(header if header is not None else _sidecar_header(path, max_bytes))
    if "tasks" in data:
        raise InputError(f"{path.name}: phần đầu văn bản không được có “tasks”; nhiệm vụ lấy từ bảng tính")
    data["tasks"] = tasks
    return data


def read_header(path: Path, *, max_bytes: int) -> dict:
    """A spreadsheet's header file (the directive's own fields) given with --header."""
    check_file(path, max_bytes)
    return _read_mapping(path)


def read_text(text: str, *, name: str = "văn bản dán vào", max_bytes: int) -> dict:
    """A directive pasted as YAML or JSON text (from the Prefect UI)."""
    if len(text.encode()) > max_bytes:
        raise InputError(f"{name}: quá lớn ({len(text.encode()) // 1024} KB, tối đa {max_bytes // 1024} KB)")
    return _parse_mapping(text, name)


def check_file(path: Path, max_bytes: int) -> None:
    """An existing, non-empty regular file of at most `max_bytes`, or one message saying what it is not."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InputError(f"không có tệp {path}") from None
    except OSError as exc:
        raise InputError(f"không đọc được {path}: {exc.strerror}") from None
    if not path.is_file():
        raise InputError(f"{path} không phải là tệp")
    if size == 0:
        raise InputError(f"{path.name}: tệp rỗng")
    if size > max_bytes:
        raise InputError(f"{path.name}: tệp quá lớn ({megabytes(size)}, tối đa {megabytes(max_bytes)})")


def _read_mapping(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{path.name}: không phải văn bản UTF-8 (tệp nhị phân?)") from None
    return _parse_mapping(text, path.name)


def _parse_mapping(text: str, name: str) -> dict:
    if "\x00" in text:
        raise InputError(f"{name}: không phải văn bản (có ký tự NUL)")
    if not text.strip():
        raise InputError(f"{name}: tệp rỗng")
    is_json = text.lstrip().startswith("{")
    try:
        data = json.loads(text, object_pairs_hook=_json_object) if is_json else yaml.load(text, Loader=_Loader)
    except json.JSONDecodeError as exc:
        raise InputError(f"{name}: JSON không hợp lệ ở dòng {exc.lineno}, cột {exc.colno}: {exc.msg}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" ở dòng {mark.line + 1}, cột {mark.column + 1}" if mark else ""
        raise InputError(f"{name}: YAML không hợp lệ{where}: {getattr(exc, 'problem', None) or exc}") from None
    except _KeyTwice as exc:
        raise InputError(f"{name}: JSON không hợp lệ: {exc}") from None
    except Exception as exc:  # noqa: BLE001  PyYAML's constructors fail on explicit tags (!!int abc) with anything
        what = "JSON" if is_json else "YAML"
        raise InputError(f"{name}: {what} không hợp lệ: giá trị không đọc được ({type(exc).__name__}: {exc})") from None
    if not isinstance(data, dict):
        raise InputError(f"{name}: phải là một văn bản dạng bảng khóa: giá trị (number, kind, issuer, tasks…)")
    return data


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, stricter where it would guess: a key given twice is an error (the second would
    silently win), and an impossible date (2026-02-30) is a YAML error with its line, not a crash."""

    def construct_mapping(self, node, deep=False):
        keys = [k.value for k, _ in node.value if isinstance(k, yaml.ScalarNode) and k.value != "<<"]
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and keys.count(key_node.value) > 1:
                raise yaml.constructor.ConstructorError(
                    None, None, f"khóa “{key_node.value}” có hai lần (giá trị nào mới đúng?)", key_node.start_mark)
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_timestamp(self, node):
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            raise yaml.constructor.ConstructorError(
                None, None, f"“{node.value}” không phải một ngày có thật (năm-tháng-ngày)", node.start_mark) from None


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


class _KeyTwice(ValueError):
    """A JSON object gives a key twice."""


def _json_object(pairs: list[tuple]) -> dict:
    """A JSON object; a key given twice is an error, as in YAML."""
    twice = [key for key, n in Counter(key for key, _ in pairs).items() if n > 1]
    if twice:
        raise _KeyTwice(f"khóa “{twice[0]}” có hai lần (giá trị nào mới đúng?)")
    return dict(pairs)


def _sidecar_header(path: Path, max_bytes: int) -> dict:
    for suffix in (".yaml", ".yml", ".json"):
        candidate = path.with_suffix(suffix)
        if candidate.exists():
            check_file(candidate, max_bytes)
            return _read_mapping(candidate)
    raise InputError(
        f"{path.name}: thiếu phần đầu văn bản (số, loại, ngày ban hành, cơ quan ban hành, trích yếu): "
        f"đặt tệp {path.with_suffix('.yaml').name} cạnh bảng tính hoặc dùng --header"
    )
