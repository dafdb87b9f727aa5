"""Report links: one signed, expiring, revocable link per unit and directive, made when a message needs it."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import insert
from sqlmodel import Session, col, select

from domain.chase import ItemFacts
from domain.links import LinkError, read_link, sign_link
from models.crud import create_event
from models.env import Planning
from models.reporting import ReportLink
from models.types import utc
from models.units import Unit


def with_links(*, session: Session, facts: dict[str, ItemFacts], keys: set[str], planning: Planning,
               now: datetime) -> dict[str, ItemFacts]:
    """The facts of assignments `keys` with their unit's report link for their directive filled in."""
    urls = ensure_links(session=session, pairs={(facts[k].unit_ref, facts[k].directive_id) for k in keys},
                        planning=planning, now=now)
    return {k: replace(f, report_link=urls[(f.unit_ref, f.directive_id)]) if k in keys else f
            for k, f in facts.items()}


def ensure_links(*, session: Session, pairs: set[tuple[str, str]], planning: Planning,
                 now: datetime) -> dict[tuple[str, str], str]:
    """A usable link per (unit ref, directive id): the current one, or a new one when it is old or revoked."""
    if not pairs:
        return {}
    unit_ids = dict(session.exec(select(Unit.ref, Unit.id).where(col(Unit.ref).in_({u for u, _ in pairs}))).all())
    directive_ids = {uuid.UUID(d) for _, d in pairs}
    # a link is renewed when a third of its life is left, so a message never carries one about to expire
    fresh_until = utc(now + timedelta(days=planning.link_days / 3))
    current: dict[tuple[uuid.UUID, uuid.UUID], ReportLink] = {}
    for link in session.exec(select(ReportLink).where(
            col(ReportLink.directive_id).in_(directive_ids), col(ReportLink.unit_id).in_(unit_ids.values()),
            col(ReportLink.revoked_at).is_(None), ReportLink.expires_at > fresh_until)).all():
        best = current.get((link.unit_id, link.directive_id))
        if best is None or link.expires_at > best.expires_at:
            current[(link.unit_id, link.directive_id)] = link
    expires, new = utc(now + timedelta(days=planning.link_days)), []
    tokens = {key: (link.id, link.expires_at) for key, link in current.items()}
    for unit_ref, directive_id in pairs:
        key = (unit_ids[unit_ref], uuid.UUID(directive_id))
        if key not in tokens:
            tokens[key] = (uuid.uuid4(), expires)
            new.append({"id": tokens[key][0], "unit_id": key[0], "directive_id": key[1], "created_at": utc(now),
                        "expires_at": expires, "revoked_at": None, "revoked_by": None})
    if new:  # one statement: the first reminders of a directive to every commune make hundreds of links
        session.execute(insert(ReportLink.__table__), new)
    base = f"{planning.public_url.rstrip('/')}/bao-cao/"
    return {(unit_ref, directive_id): base + sign_link(*tokens[(unit_ids[unit_ref], uuid.UUID(directive_id))],
                                                       key=planning.link_key)
            for unit_ref, directive_id in pairs}


def link_url(link: ReportLink, planning: Planning) -> str:
    return f"{planning.public_url.rstrip('/')}/bao-cao/{sign_link(link.id, link.expires_at, key=planning.link_key)}"


def open_link(*, session: Session, token: str, planning: Planning, now: datetime) -> ReportLink:
    """The link a token names, if it is genuine, unexpired and not revoked; LinkError otherwise."""
    link = session.get(ReportLink, read_link(token, key=planning.link_key, now=now))
    if link is None:
        raise LinkError("đường dẫn báo cáo không còn tồn tại: đề nghị Văn phòng cấp lại")
    if link.revoked_at is not None:
        raise LinkError("đường dẫn báo cáo đã bị thu hồi: dùng đường dẫn trong tin nhắc việc mới nhất, "
                        "hoặc đề nghị Văn phòng cấp lại")
    return link


def revoke_links(*, session: Session, unit_id: uuid.UUID, directive_id: uuid.UUID, by: str, now: datetime) -> int:
    """Revoke every live link of a unit for a directive (a lost phone, a departed clerk); returns how many."""
    links = session.exec(select(ReportLink).where(ReportLink.unit_id == unit_id, ReportLink.directive_id == directive_id,
                                                  col(ReportLink.revoked_at).is_(None))).all()
    for link in links:
        link.revoked_at, link.revoked_by = now, by
        session.add(link)
    if links:
        create_event(session=session, at=now, actor=by, action="link.revoked", entity="directive",
                     entity_id=directive_id, data={"unit_id": str(unit_id), "links": len(links)})
    return len(links)


__all__ = ["LinkError", "ensure_links", "link_url", "open_link", "revoke_links", "with_links"]
