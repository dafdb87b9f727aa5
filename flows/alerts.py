"""Prefect automations, declared in code: a chase that fails or crashes, and dead-lettered messages, start the
alert_operator flow (it tells the operators through dondoc's own channels)."""

from __future__ import annotations

from prefect import get_client
from prefect.automations import Automation, EventTrigger, RunDeployment

ALERT_DEPLOYMENT = "alert_operator/alert-operator"
DEAD_LETTERS = "dondoc.outbox.dead-lettered"  # emitted by the send task when rows are dead-lettered


def wanted(alert_deployment_id) -> list[Automation]:
    failed = {"prefect.flow-run.Failed", "prefect.flow-run.Crashed"}
    return [
        Automation(
            name="dondoc: đôn đốc thất bại / chase failed",
            description="Lần chạy chase_deadlines thất bại hoặc sập: báo người vận hành",
            trigger=EventTrigger(expect=failed, match={"prefect.resource.id": "prefect.flow-run.*"},
                                 match_related={"prefect.resource.role": "flow",
                                                "prefect.resource.name": "chase_deadlines"},
                                 posture="Reactive", threshold=1),
            actions=[RunDeployment(source="selected", deployment_id=alert_deployment_id,
                                   parameters={"what": "chase_failed",
                                               "detail": "{{ flow_run.name }}: {{ flow_run.state.message }}"})],
        ),
        Automation(
            name="dondoc: tin nhắn không gửi được / dead letters",
            description="Có tin nhắn bị đưa vào danh sách không gửi được: báo người vận hành",
            trigger=EventTrigger(expect={DEAD_LETTERS}, match={"prefect.resource.id": "dondoc.outbox"},
                                 posture="Reactive", threshold=1),
            actions=[RunDeployment(source="selected", deployment_id=alert_deployment_id,
                                   parameters={"what": "dead_letters",
                                               "detail": "{{ event.payload.summary }}"})],
        ),
    ]


def ensure_alerts() -> list[str]:
    """Create (or replace) dondoc's automations on the current Prefect server; returns their names."""
    with get_client(sync_client=True) as client:
        alert = client.read_deployment_by_name(ALERT_DEPLOYMENT)
    names = []
    for automation in wanted(alert.id):
        try:
            old = Automation.read(name=automation.name)
        except ValueError:
            old = None
        if old is not None:
            old.delete()
        automation.create()
        names.append(automation.name)
    return names
