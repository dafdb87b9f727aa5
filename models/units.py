"""Units (departments, communes, other bodies), their groups, and people (leaders in charge)."""

from __future__ import annotations

import uuid

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.types import uuid_pk


class UnitBase(SQLModel):
    ref: str = Field(index=True, unique=True, max_length=80, description="Official code, or the folded name")
    name: str = Field(max_length=300)
    kind: str = Field(max_length=20, description="department | commune | other")
    code: str | None = Field(default=None, max_length=20)
    commune_type: str | None = Field(default=None, max_length=20, description="xa | phuong | dac_khu")
    short: str | None = Field(default=None, max_length=40)
    head: str | None = Field(default=None, max_length=200)


class UnitCreate(UnitBase):
    aliases: list[str] = []
    contacts: list[str] = []


class UnitUpdate(SQLModel):
    name: str | None = None
    head: str | None = None
    aliases: list[str] | None = None
    contacts: list[str] | None = None
    active: bool | None = None


class Unit(UnitBase, table=True):
    id: uuid.UUID = uuid_pk()
    aliases: list[str] = Field(default_factory=list, sa_type=JSON)
    contacts: list[str] = Field(default_factory=list, sa_type=JSON, description="Apprise URLs (secrets)")
    active: bool = True


class UnitPublic(UnitBase):
    """A unit as shown to people: contacts are secrets and are never part of it."""

    id: uuid.UUID
    aliases: list[str]
    active: bool


class UnitGroup(SQLModel, table=True):
    id: uuid.UUID = uuid_pk()
    name: str = Field(unique=True, max_length=300)
    aliases: list[str] = Field(default_factory=list, sa_type=JSON)


class UnitGroupMember(SQLModel, table=True):
    group_id: uuid.UUID = Field(foreign_key="unitgroup.id", primary_key=True, ondelete="CASCADE")
    unit_id: uuid.UUID = Field(foreign_key="unit.id", primary_key=True, ondelete="CASCADE")


class PersonBase(SQLModel):
    name: str = Field(max_length=200)
    title: str | None = Field(default=None, max_length=300)


class Person(PersonBase, table=True):
    __table_args__ = (UniqueConstraint("key"),)

    id: uuid.UUID = uuid_pk()
    key: str = Field(max_length=200, description="Folded name: one person however the name is spelt")
    contacts: list[str] = Field(default_factory=list, sa_type=JSON)


class PersonPublic(PersonBase):
    id: uuid.UUID
