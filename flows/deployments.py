"""Every deployment and its schedule, declared in one place (schedules in Asia/Ho_Chi_Minh)."""

from __future__ import annotations

from flows.issue_directive import issue_directive

TIMEZONE = "Asia/Ho_Chi_Minh"


def deployments() -> list:
    """The deployments `make run` serves; ad-hoc flows have no schedule."""
    return [
        issue_directive.to_deployment(
            name="issue-directive",
            description="Đăng ký, ban hành văn bản chỉ đạo từ tệp hoặc YAML dán vào / Register and issue a directive",
            tags=["issuance", "ad-hoc"],
        ),
    ]
