"""The Alembic migrations build exactly the tables the models declare, up and down, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

from models.db import downgrade, make_engine, migrate


def test_migrations_match_the_models_and_go_down_again(settings):
    url = settings.db_url
    migrate(url)
    engine = make_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []
    downgrade(url, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate(url)
    assert {"assignment", "outboxmessage", "event"} <= set(inspect(engine).get_table_names())
    engine.dispose()
