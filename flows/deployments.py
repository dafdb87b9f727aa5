"""Every deployment — flow, schedule (Asia/Ho_Chi_Minh), tags, concurrency — declared in one place, served by
`make run` or registered on a Prefect server for the workers of a work pool (`dondoc deploy`)."""

from __future__ import annotations

import contextlib
import importlib
import io
from dataclasses import dataclass, field, replace

from prefect.client.schemas.objects import (
    ConcurrencyLimitConfig,
    ConcurrencyLimitStrategy,
)
from prefect.schedules import Cron

from config.settings import PROJECT_DIR

TIMEZONE = "Asia/Ho_Chi_Minh"
CHASE_CRON = "0 8 * * 1-5"  # the policy's step time, Monday to Friday; holidays are skipped by the calendar
NOTICES_CRON = "*/10 7-16 * * 1-5"  # notices of directives issued outside the UI go within ten minutes
DISPATCH_CRON = "*/5 7-16 * * 1-5"  # retries and messages held by quiet hours
MONITORING_CRONS = ("0 7 * * 1", "0 16 L * *")  # Monday morning, and the afternoon of each month's last day
TOKENS_CRON = "0 6 * * *"  # Zalo OA access tokens live 25 hours: renewed every morning before anything is sent
ONE_AT_A_TIME = ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.ENQUEUE)


@dataclass(frozen=True)
class Spec:
    entrypoint: str  # path:function, from the project's folder
    name: str
    description: str
    crons: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    one_at_a_time: bool = False  # a second run waits for the first (two chases must never overlap)
    parameters: dict = field(default_factory=dict)


SPECS = [
    Spec("flows/chase_deadlines.py:chase_deadlines", "chase-deadlines",
         "Đôn đốc hằng ngày 08:00 (thứ Hai–thứ Sáu) / Daily chase at 08:00 Mon–Fri", (CHASE_CRON,),
         ("reminders", "scheduled"), one_at_a_time=True),
    Spec("flows/assign_directive.py:assign_directive", "assign-directive",
         "Thông báo giao nhiệm vụ (tự động 10 phút một lần trong giờ làm việc) / Assignment notices", (NOTICES_CRON,),
         ("reminders", "scheduled"), one_at_a_time=True),
    Spec("flows/dispatch_outbox.py:dispatch_outbox", "dispatch-outbox",
         "Gửi lại tin lỗi, tin chờ giờ làm việc (5 phút một lần) / Retry and release held messages", (DISPATCH_CRON,),
         ("reminders", "scheduled")),
    Spec("flows/monitoring_report.py:monitoring_report", "monitoring-report",
         "Báo cáo theo dõi hằng tuần và cuối tháng, diện cảnh báo, tệp Excel / Weekly and month-end monitoring",
         MONITORING_CRONS, ("monitoring", "scheduled"), one_at_a_time=True),
    Spec("flows/refresh_zalo_tokens.py:refresh_zalo_tokens", "refresh-zalo-tokens",
         "Làm mới mã truy cập Zalo OA mỗi sáng / Renew Zalo OA access tokens daily", (TOKENS_CRON,),
         ("channels", "scheduled"), one_at_a_time=True),
    Spec("flows/issue_directive.py:issue_directive", "issue-directive",
         "Đăng ký, ban hành văn bản chỉ đạo từ tệp hoặc YAML dán vào / Register and issue a directive",
         tags=("issuance", "ad-hoc")),
    Spec("flows/draft_directive.py:draft_directive", "draft-directive",
         "Đọc công văn/kế hoạch (kể cả OCR), đề xuất bản nháp để sửa rồi ban hành / Draft a directive from its letter",
         tags=("issuance", "ad-hoc")),
    Spec("flows/issue_draft.py:issue_draft", "issue-draft",
         "Ban hành bản dự thảo: cấp số, ngày, giao nhiệm vụ / Issue a draft", tags=("issuance", "ad-hoc")),
    Spec("flows/preview_timeline.py:preview_timeline", "preview-timeline",
         "Xem trước lịch nhắc việc của một văn bản / Preview a directive's reminders", tags=("reminders", "ad-hoc")),
    Spec("flows/simulate_window.py:simulate_window", "simulate-window",
         "Chạy thử một khoảng ngày vào hộp thư thử / Replay a window into local sinks", tags=("reminders", "ad-hoc")),
    Spec("flows/resend_digest.py:resend_digest", "resend-digest",
         "Gửi lại tin nhắn gần nhất cho một đơn vị / Resend a unit's latest digest", tags=("reminders", "ad-hoc")),
    Spec("flows/record_report.py:record_report", "record-report",
         "Ghi báo cáo thay đơn vị / Record a report on a unit's behalf", tags=("reports", "ad-hoc")),
    Spec("flows/review_report.py:review_report", "review-report",
         "Duyệt báo cáo hoàn thành (chấp nhận hoặc trả lại) / Accept or return a completion report",
         tags=("reports", "ad-hoc")),
    Spec("flows/decide_extension.py:decide_extension", "decide-extension",
         "Đồng ý hoặc không đồng ý gia hạn / Grant or refuse an extension", tags=("reports", "ad-hoc")),
    Spec("flows/extend_deadline.py:extend_deadline", "extend-deadline",
         "Gia hạn cho một đơn vị theo quyết định của Văn phòng / Extend a unit's deadline", tags=("reports", "ad-hoc")),
    Spec("flows/cancel_assignment.py:cancel_assignment", "cancel-assignment",
         "Hủy nhiệm vụ đã giao cho một đơn vị / Cancel a unit's assignment", tags=("reports", "ad-hoc")),
    Spec("flows/alert_operator.py:alert_operator", "alert-operator",
         "Báo người vận hành khi có sự cố (do automation gọi) / Alert the operators (run by automations)",
         tags=("operations",)),
    Spec("flows/close_directive.py:close_directive", "close-directive",
         "Kết thúc văn bản: hủy phần còn lại, gửi tổng kết / Close a directive", tags=("reports", "ad-hoc")),
]


def load(spec: Spec):
    path, function = spec.entrypoint.split(":")
    return getattr(importlib.import_module(path.removesuffix(".py").replace("/", ".")), function)


def _options(spec: Spec) -> dict:
    return {"name": spec.name, "description": spec.description, "tags": list(spec.tags),
            "schedules": [Cron(cron, timezone=TIMEZONE) for cron in spec.crons] or None,
            "concurrency_limit": ONE_AT_A_TIME if spec.one_at_a_time else None,
            "parameters": dict(spec.parameters) or None}


def deployments() -> list:
    """The deployments `make run` serves (in its own process)."""
    return [load(spec).to_deployment(**_options(spec)) for spec in SPECS]


def register(*, work_pool: str, job_env: dict[str, str] | None = None, chase_shards: int = 1) -> list[str]:
    """Register every deployment on the current Prefect server for a work pool's workers; the workers run the
    code of this folder (a process pool on the same machine or a shared disk, or the image of compose.yaml).
    The scheduled chase shares its sending among `chase_shards` runs, one per worker."""
    from prefect import deploy, flow

    specs = [replace(s, parameters={"shards": chase_shards}) if s.name == "chase-deadlines" and chase_shards > 1 else s
             for s in SPECS]
    runners = [flow.from_source(source=str(PROJECT_DIR), entrypoint=spec.entrypoint).to_deployment(
        **_options(spec), job_variables={"env": dict(job_env or {})}) for spec in specs]
    with contextlib.redirect_stdout(io.StringIO()):  # Prefect prints its own table; the command says what it did
        deploy(*runners, work_pool_name=work_pool, build=False, push=False, print_next_steps_message=False,
               ignore_warnings=True)
    return [spec.name for spec in SPECS]
