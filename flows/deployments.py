"""Every deployment and its schedule, declared in one place (schedules in Asia/Ho_Chi_Minh)."""

from __future__ import annotations

from prefect.schedules import Cron

from flows.assign_directive import assign_directive
from flows.cancel_assignment import cancel_assignment
from flows.chase_deadlines import chase_deadlines
from flows.decide_extension import decide_extension
from flows.dispatch_outbox import dispatch_outbox
from flows.issue_directive import issue_directive
from flows.monitoring_report import monitoring_report
from flows.preview_timeline import preview_timeline
from flows.review_report import review_report

TIMEZONE = "Asia/Ho_Chi_Minh"
CHASE_CRON = "0 8 * * 1-5"  # the policy's step time, Monday to Friday; holidays are skipped by the calendar
NOTICES_CRON = "*/10 7-16 * * 1-5"  # notices of directives issued outside the UI go within ten minutes
DISPATCH_CRON = "*/5 7-16 * * 1-5"  # retries and messages held by quiet hours
MONITORING_CRONS = ("0 7 * * 1", "0 16 L * *")  # Monday morning, and the afternoon of each month's last day


def deployments() -> list:
    """The deployments `make run` serves; ad-hoc flows have no schedule."""
    return [
        chase_deadlines.to_deployment(
            name="chase-deadlines",
            description="Đôn đốc hằng ngày 08:00 (thứ Hai–thứ Sáu) / Daily chase at 08:00 Mon–Fri",
            schedule=Cron(CHASE_CRON, timezone=TIMEZONE),
            tags=["reminders", "scheduled"],
        ),
        assign_directive.to_deployment(
            name="assign-directive",
            description="Thông báo giao nhiệm vụ (tự động 10 phút một lần trong giờ làm việc) / Assignment notices",
            schedule=Cron(NOTICES_CRON, timezone=TIMEZONE),
            tags=["reminders", "scheduled"],
        ),
        dispatch_outbox.to_deployment(
            name="dispatch-outbox",
            description="Gửi lại tin lỗi, tin chờ giờ làm việc (5 phút một lần) / Retry and release held messages",
            schedule=Cron(DISPATCH_CRON, timezone=TIMEZONE),
            tags=["reminders", "scheduled"],
        ),
        issue_directive.to_deployment(
            name="issue-directive",
            description="Đăng ký, ban hành văn bản chỉ đạo từ tệp hoặc YAML dán vào / Register and issue a directive",
            tags=["issuance", "ad-hoc"],
        ),
        preview_timeline.to_deployment(
            name="preview-timeline",
            description="Xem trước lịch nhắc việc của một văn bản / Preview a directive's reminders",
            tags=["reminders", "ad-hoc"],
        ),
        monitoring_report.to_deployment(
            name="monitoring-report",
            description="Báo cáo theo dõi hằng tuần và cuối tháng, diện cảnh báo, tệp Excel / Weekly and month-end monitoring",
            schedules=[Cron(cron, timezone=TIMEZONE) for cron in MONITORING_CRONS],
            tags=["monitoring", "scheduled"],
        ),
        review_report.to_deployment(
            name="review-report",
            description="Duyệt báo cáo hoàn thành (chấp nhận hoặc trả lại) / Accept or return a completion report",
            tags=["reports", "ad-hoc"],
        ),
        decide_extension.to_deployment(
            name="decide-extension",
            description="Đồng ý hoặc không đồng ý gia hạn / Grant or refuse an extension",
            tags=["reports", "ad-hoc"],
        ),
        cancel_assignment.to_deployment(
            name="cancel-assignment",
            description="Hủy nhiệm vụ đã giao cho một đơn vị / Cancel a unit's assignment",
            tags=["reports", "ad-hoc"],
        ),
    ]
