"""An appendix spreadsheet as a city plan sends it to every commune, reproducible from a seed.

Rows in sections (Roman STT), each task led by "UBND các xã, phường, đặc khu" (or one of the ways people
write that group) with one department coordinating, Vietnamese titles, deadlines in every form of the
grammar (dates typed as text or as Excel dates, quarters, months, recurring, "thường xuyên"). Beside it, the
header file `dondoc import` reads for a spreadsheet, with a number and a date: the import issues it.
"""

from __future__ import annotations

import random
from datetime import date, datetime
from pathlib import Path

import xlsxwriter
import yaml

from config.loaders import load_registry

ISSUED_ON = date(2026, 6, 15)  # bench.generate.Shape.as_of's day
COMMUNES = ["UBND các xã, phường, đặc khu", "Ủy ban nhân dân các xã, phường, đặc khu", "UBND cấp xã",
            "Các xã, phường, đặc khu trên địa bàn thành phố"]
SECTIONS = ["Hoàn thiện thể chế, cơ chế, chính sách", "Phát triển hạ tầng số, dữ liệu số",
            "Chuyển đổi số trong hoạt động của cơ quan nhà nước", "Phát triển kinh tế số, xã hội số",
            "Phát triển nguồn nhân lực, phổ cập kỹ năng số", "Bảo đảm an toàn, an ninh mạng"]
VERBS = ["Rà soát, cập nhật", "Triển khai", "Tổ chức tuyên truyền, phổ biến", "Hoàn thiện", "Xây dựng kế hoạch thực hiện",
         "Kiểm tra, đánh giá", "Báo cáo kết quả thực hiện", "Đôn đốc, hướng dẫn"]
OBJECTS = ["số liệu chuyển đổi số của địa phương", "cơ sở dữ liệu dân cư, đất đai trên địa bàn",
           "thủ tục hành chính trực tuyến toàn trình", "phong trào “Bình dân học vụ số” đến từng khu dân cư",
           "chứng thư số công vụ cho cán bộ, công chức cấp xã", "hạ tầng mạng, camera an ninh tại trụ sở",
           "Nghị quyết số 57-NQ/TW đến cán bộ, đảng viên và Nhân dân", "nền tảng thanh toán không dùng tiền mặt"]
PURPOSES = ["bảo đảm đúng tiến độ, hiệu quả thực chất", "gửi Sở Khoa học và Công nghệ tổng hợp",
            "theo hướng dẫn của các sở, ngành", "phù hợp điều kiện thực tế của địa phương", ""]
OUTPUTS = ["Báo cáo", "Kế hoạch", "Văn bản/Báo cáo", "Cơ sở dữ liệu", "Kết quả triển khai"]
LEADERS = ["Đồng chí Hoàng Minh Cường, Phó Chủ tịch Ủy ban nhân dân thành phố",
           "Đồng chí Lê Trí Vũ, Ủy viên Ban Thường vụ Thành ủy, Trưởng Ban Tổ chức Thành ủy", None]
HEADERS = ["STT", "Tên nhiệm vụ", "Chủ trì chỉ đạo", "Đơn vị chủ trì", "Đơn vị phối hợp", "Sản phẩm đầu ra",
           "Thời gian thực hiện/hoàn thành"]
ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"]


def write_appendix(folder: Path, rows: int, *, seed: int = 2026) -> Path:
    """`rows` tasks to all communes in folder/phu-luc-<rows>.xlsx, its header file beside it; returns the XLSX."""
    rng = random.Random(seed)
    departments = [u.name for u in load_registry().units.values() if u.kind == "department"]
    path = folder / f"phu-luc-{rows}.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet, wrap = book.add_worksheet("Phụ lục"), book.add_format({"text_wrap": True})
    typed_date = book.add_format({"num_format": "dd/mm/yyyy"})
    sheet.write(0, 0, "PHỤ LỤC: Phân công thực hiện nhiệm vụ chuyển đổi số năm 2026 tại cấp xã")
    sheet.write(1, 0, "(kèm theo Kế hoạch của Ủy ban nhân dân thành phố)")
    sheet.write_row(2, 0, HEADERS)
    at, per_section = 3, -(-rows // len(SECTIONS))
    for n in range(rows):
        if n % per_section == 0:
            sheet.write_row(at, 0, [ROMAN[n // per_section], SECTIONS[n // per_section]])
            at += 1
        content = f"{rng.choice(VERBS)} {rng.choice(OBJECTS)}"
        if purpose := rng.choice(PURPOSES):
            content += f", {purpose}"
        deadline = _deadline(rng)
        sheet.write_row(at, 0, [str(n + 1), content + ".", rng.choice(LEADERS), rng.choice(COMMUNES),
                                rng.choice(departments), rng.choice(OUTPUTS)], wrap)
        if isinstance(deadline, date):
            sheet.write_datetime(at, 6, datetime.combine(deadline, datetime.min.time()), typed_date)
        else:
            sheet.write_string(at, 6, deadline)
        at += 1
    book.close()
    header = {"number": f"{rows}/KH-UBND", "kind": "ke_hoach", "issued_on": ISSUED_ON.isoformat(),
              "issuer": "Ủy ban nhân dân thành phố Hải Phòng", "signer": "Hoàng Minh Cường",
              "subject": "Kế hoạch triển khai nhiệm vụ chuyển đổi số năm 2026 tại cấp xã",
              "implements": ["57-NQ/TW"], "reminder_policy": "default"}
    path.with_suffix(".yaml").write_text(yaml.safe_dump(header, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _deadline(rng) -> str | date:
    """A deadline after the issuance date, in one of the ways directives write them."""
    month, day = rng.randint(7, 12), rng.randint(1, 28)
    return rng.choice([
        lambda: f"{day}/{month}/2026",
        lambda: f"Trước ngày {day}/{month}/2026",
        lambda: date(2026, month, day),  # typed as an Excel date
        lambda: f"Tháng {month}/2026",
        lambda: f"Quý {rng.choice(['III', 'IV'])}/2026",
        lambda: "Năm 2026",
        lambda: "Thường xuyên",
        lambda: rng.choice(["Hằng tháng", "Hằng quý", "Định kỳ 6 tháng"]),
        lambda: f"{rng.choice([15, 30, 45])} ngày kể từ ngày ban hành",
    ])()
