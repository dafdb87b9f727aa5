"""The directive's own fields from the letter's header, preamble and signature block."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from rapidfuzz import fuzz

from domain.registry import match_key
from drafting.deadline_text import aligned_fold
from drafting.names import NameIndex, names_from, tokenize
from drafting.normalise import Line, join, looks_ocr, mend_symbol
from drafting.review import Found, found, missing

KINDS = {"ke hoach": "ke_hoach", "chuong trinh": "chuong_trinh", "thong bao": "thong_bao", "quyet dinh": "quyet_dinh",
         "nghi quyet": "nghi_quyet", "cong van": "cong_van"}
KIND_WORDS = {"ke_hoach": "Kế hoạch", "chuong_trinh": "Chương trình", "thong_bao": "Thông báo",
              "quyet_dinh": "Quyết định", "nghi_quyet": "Nghị quyết"}
_SYMBOL_KINDS = {"KH": "ke_hoach", "TB": "thong_bao", "QĐ": "quyet_dinh", "NQ": "nghi_quyet", "CTR": "chuong_trinh"}
_NUMBER = re.compile(r"^s[o6e0&]\s*[:.;]?\s*(?P<n>\d*)\s*(?P<sym>[-/]?\s*[a-z]{1,8}(?:\s*[/-]\s*[a-z0-9]{1,12})+)\s*$")
_DATE = re.compile(r"\bh\w{0,2}i? ?phong\s*,?\s*ngay\s*(?P<d>\d{1,2})?\s*thang\s*(?P<m>\d{1,2})?\s*nam\s*(?P<y>\d{4})")
_PREAMBLE = re.compile(r"^-?\s*(?:can c\w{0,2}|thuc hien)\b")
_DOC = re.compile(r"(?<![\w/])(\d{1,5}(?:/\d{4})?)\s*([-/])\s*([A-ZĐ][A-ZĐa-z]{0,7}(?:[-/][A-ZĐ0-9]{1,12})*)")
_BOILERPLATE = re.compile(r"cong hoa xa hoi chu nghia viet nam|doc lap\s*-?\s*tu do\s*-?\s*hanh phuc|"
                          r"dang cong san viet nam|\bd\w?ang cong san viet nam")
_NAME = re.compile(r"^[A-ZĐ][a-zà-ỹđ]+(?: [A-ZĐ][a-zà-ỹđ]+){1,4}$")
_LEADER = re.compile(r"\b(?P<title>(?:pho )?chu tich (?:uy ban nhan dan|ubnd) thanh pho)\s+(?P<name>(?:[a-z]+ ){1,3}[a-z]+)"
                     r"\s+(?:da )?(?:co y kien|chi dao|yeu cau)")


@dataclass
class Header:
    number: Found
    issued_on: Found
    kind: Found
    issuer: Found
    subject: Found
    implements: Found
    signer: Found
    signer_title: Found
    leader_in_charge: Found
    recipients: list[Found] = field(default_factory=list)
    ocr: bool = False


def read_header(lines: list[Line], *, index: NameIndex, issuers: dict[str, str], body_end: int) -> Header:
    """`issuers`: match key → spelling; `body_end`: index of the first line after the letter's body (the
    appendix or the end)."""
    top = lines[:60]
    ocr = looks_ocr(" ".join(line.text for line in lines[:body_end]))
    number = _number(top, ocr)
    issued = _issued_on(top)
    if (number.value is None) != (issued.value is None):
        which = "số" if number.value is None else "ngày ban hành"
        note = f"thiếu {which}: để trống cả số và ngày (dự thảo) cho đến khi người vận hành điền"
        number = missing(note + (f"; đọc được số “{number.value}”" if number.value else ""), number.line)
        issued = missing(note + (f"; đọc được ngày {issued.value}" if issued.value else ""), issued.line)
    kind = _kind(top, number)
    subject = _subject(top, kind.value, ocr)
    return Header(
        number=number, issued_on=issued, kind=kind, issuer=_issuer(lines, issuers),
        subject=subject, implements=_implements(lines[:body_end], subject),
        signer=_signer(lines[:body_end]), signer_title=_signer_title(lines[:body_end]),
        leader_in_charge=_leader(lines[:body_end], ocr), recipients=_recipients(lines[:body_end], index, ocr), ocr=ocr,
    )


def _number(top: list[Line], ocr: bool) -> Found:
    for line in top:
        m = _NUMBER.match(line.key)
        if not m:
            continue
        raw_sym = re.search(r"([A-ZĐa-z]{1,8}(?:\s*[/-]\s*[A-ZĐa-z0-9]{1,12})+)\s*$", line.text)
        sym = mend_symbol(re.sub(r"\s+", "", raw_sym.group(1))) if raw_sym else m["sym"].upper()
        sep = m["sym"].strip()[0] if m["sym"].strip()[0] in "-/" else "-"
        if not m["n"]:
            return missing(f"số để trống (“{line.text}”): bản dự thảo, chưa có số", line.number)
        value = f"{m['n']}{sep}{sym}"
        clean = line.key.startswith(("so:", "so ")) and not ocr
        return found(value, 1.0 if clean else 0.7, line.number, "" if clean else f"đọc từ bản quét: “{line.text}”")
    return missing("không thấy dòng “Số: …”: bản dự thảo")


def _issued_on(top: list[Line]) -> Found:
    for line in top:
        m = _DATE.search(line.key)
        if not m:
            continue
        if not (m["d"] and m["m"]):
            return missing(f"ngày ban hành để trống (“{line.text.strip()}”)", line.number)
        try:
            return found(date(int(m["y"]), int(m["m"]), int(m["d"])).isoformat(), 0.95, line.number)
        except ValueError:
            return missing(f"ngày không có thật: “{line.text.strip()}”", line.number)
    return missing("không thấy dòng “…, ngày … tháng … năm …”")


def _kind(top: list[Line], number: Found) -> Found:
    for line in top:
        key = re.sub(r"[^a-z ]", "", line.key).strip()
        if key in KINDS:
            return found(KINDS[key], 0.95, line.number)
    for line in top:
        if line.key.startswith("v/v"):
            return found("cong_van", 0.95, line.number)
    if number.value:
        prefix = re.split(r"[/-]", str(number.value).split("-", 1)[-1])[0].upper()
        if prefix in _SYMBOL_KINDS:
            return found(_SYMBOL_KINDS[prefix], 0.8, number.line, f"suy ra từ ký hiệu {number.value}")
    return missing("không rõ loại văn bản (công văn, kế hoạch…)")


def _subject(top: list[Line], kind: str | None, ocr: bool) -> Found:
    start = next((i for i, line in enumerate(top) if line.key.startswith("v/v")), None)
    prefix = ""
    if start is None:
        start = next((i + 1 for i, line in enumerate(top) if re.sub(r"[^a-z ]", "", line.key).strip() in KINDS), None)
        prefix = KIND_WORDS.get(kind or "", "")
    if start is None:
        return missing("không thấy trích yếu (“V/v …” hoặc dòng dưới tên loại văn bản)")
    picked: list[Line] = []
    for line in top[start:]:
        if _DATE.search(line.key) or line.key.startswith(("kinh gui", "so:")) or _PREAMBLE.match(line.key) \
                or _BOILERPLATE.search(line.key) or (line.blank and picked and picked[-1].blank):
            break
        picked.append(line)
    text = join(picked).text
    if prefix:
        text = f"{prefix} {text}"
    return found(text, 0.6 if ocr else 0.95, picked[0].number if picked else None,
                 "chữ đọc từ bản quét (mất dấu): cần gõ lại" if ocr else "")


def _issuer(lines: list[Line], issuers: dict[str, str]) -> Found:
    head, first = [], None
    for line in lines[:20]:
        if _NUMBER.match(line.key) or line.key.startswith("v/v") or re.sub(r"[^a-z ]", "", line.key).strip() in KINDS:
            break
        key = _BOILERPLATE.sub(" ", _DATE.sub(" ", line.key))
        key = re.sub(r"\bh\w{0,2}i? ?phong\s*,?\s*ngay.*$", " ", key)
        if match_key(key):
            head.append(key)
            first = first or line.number
    if head:
        hit = _best(" ".join(head), issuers)
        if hit:
            return found(hit[0], hit[1] / 100, first)
    for i, line in enumerate(lines[:80]):  # a programme without a header block says who issues it
        m = re.search(r"\b(?:ban hanh|xay dung)\s+(?:chuong trinh|ke hoach)", line.key)
        if m:
            passage = join(lines[max(0, i - 2):i + 1]).text
            key = re.sub(r"\(.*?\)", " ", aligned_fold(passage))
            key = re.split(r"\b(?:ban hanh|xay dung)\s+(?:chuong trinh|ke hoach)", key)[0]
            hit = _best(key.split(";")[-1].split(".")[-1], issuers)
            if hit:
                return found(hit[0], min(hit[1] / 100, 0.8), line.number, f"suy ra từ câu “… {line.text.strip()}”")
    return missing("không nhận ra cơ quan ban hành", first)


def _best(text: str, issuers: dict[str, str]) -> tuple[str, float] | None:
    key = match_key(text)
    scored = sorted(((fuzz.ratio(key, k), name) for k, name in issuers.items()), reverse=True)
    if not scored or scored[0][0] < 80:
        return None
    return scored[0][1], scored[0][0]


def _implements(lines: list[Line], subject: Found) -> Found:
    numbers, first = [], None
    blocks: list[list[Line]] = []
    for line in lines[:120]:
        if _PREAMBLE.match(line.key):
            blocks.append([line])
        elif blocks and not line.blank and not re.match(r"^(?:[ivx1l|]+\.|\d+\.)\s", line.key) and len(blocks[-1]) < 12 \
                and not _PREAMBLE.match(line.key) and not blocks[-1][-1].text.rstrip().endswith((";", ":")):
            blocks[-1].append(line)
    texts = [(join(b).text, b[0].number) for b in blocks]
    if subject.value and re.search(r"thuc hien", aligned_fold(str(subject.value))):
        texts.insert(0, (str(subject.value), subject.line))
    for text, number in texts:
        for m in _DOC.finditer(text):
            doc = f"{m[1]}{m[2]}{mend_symbol(m[3])}"
            if doc not in numbers and re.search(r"[A-ZĐ]", m[3]):
                numbers.append(doc)
                first = first or number
    return found(numbers, 0.9, first) if numbers else found([], 1.0, None)


def _signer(lines: list[Line]) -> Found:
    for line in reversed(lines[-40:]):
        text = line.text.strip()
        if _NAME.match(text) and not text.startswith(("Nơi", "Như", "Lưu")):
            return found(text, 0.95, line.number)
        if line.key.startswith(("noi nhan", "kt.", "tm.")):
            break
    ocr_name = next((line for line in reversed(lines[-40:]) if re.match(r"^[A-Z][a-z]+(?: [A-Z][a-z]+){1,4}$", line.text.strip())), None)
    note = f"đọc được “{ocr_name.text.strip()}” (mất dấu): cần gõ lại" if ocr_name else "không đọc được tên người ký"
    return missing(note, ocr_name.number if ocr_name else None)


def _signer_title(lines: list[Line]) -> Found:
    titles = [line for line in lines[-60:] if re.match(r"^(?:kt\.|tm\.|q\.)?\s*(?:pho )?(?:chanh van phong|chu tich|"
                                                       r"bi thu|truong ban|giam doc)", line.key) and line.text.isupper()]
    if not titles:
        return missing("không thấy chức vụ người ký")
    return found(" / ".join(t.text.strip() for t in titles), 0.9, titles[0].number)


def _leader(lines: list[Line], ocr: bool) -> Found:
    passage = join(lines[:200])
    m = _LEADER.search(aligned_fold(passage.text))
    if not m:
        return missing("văn bản không nêu lãnh đạo chủ trì chỉ đạo")
    text = passage.text[m.start("title"):m.end("name")]
    line = passage.line_at(m.start())
    if ocr:
        return missing(f"đọc được “{text}” (mất dấu): cần gõ lại", line)
    return found(text[0].upper() + text[1:], 0.9, line)


def _recipients(lines: list[Line], index: NameIndex, ocr: bool) -> list[Found]:
    out: list[Found] = []
    taking = False
    for line in lines:
        key = line.key
        if re.match(r"^(?:kinh gui|no\w? nh\w{1,2}n)\b", key):
            taking = True
            key_text = line.text.split(":", 1)[1] if ":" in line.text else ""
            if not key_text.strip():
                continue
            item = key_text
        elif taking and line.text.lstrip().startswith(("-", "_", "–")):
            item = line.text
        elif taking and line.blank:
            continue
        else:
            taking = False
            continue
        item = item.strip(" -_–;.,")
        tokens = tokenize(item)
        hits, _ = names_from(index, item, tokens, 0)
        if hits and hits[0].entry is not None and hits[0].start == 0:
            out.extend(found(h.entry.name, h.score / 100, line.number) for h in hits if h.entry)
        elif item:
            out.append(found(item, 0.4, line.number, "chữ đọc từ bản quét") if ocr else found(item, 0.9, line.number))
    return out
