"""The Alembic migrations build exactly the tables the models declare, up and down, on both databases, and keep
the data of a populated database through every downgrade and upgrade."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlmodel import SQLModel

from models.db import alembic_config, downgrade, make_engine, migrate
from populated import populate, table_columns, table_rows


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


def test_a_populated_database_goes_down_to_each_revision_and_back_keeping_its_data(settings):
    url = settings.db_url
    migrate(url)
    fresh = schema(url)  # what a new installation gets: every round trip must end there again
    populate(settings)
    full, full_columns = table_rows(url), table_columns(url)
    assert min(len(full[t]) for t in ("directive", "assignment", "outboxmessage", "report", "reportlink")) > 0
    head, *older = [r.revision for r in ScriptDirectory.from_config(alembic_config(url)).walk_revisions()]
    for revision in older:  # newest first: each step down starts from the previous round trip
        downgrade(url, revision)
        kept = table_columns(url)
        down = table_rows(url)
        assert down.pop("alembic_version") == [(revision,)]
        # the older schema holds every row, each with the columns that schema has
        assert down == project(full, full_columns, kept), revision
        migrate(url)
        assert schema(url) == fresh, revision
        back = table_rows(url, kept)
        assert back.pop("alembic_version") == [(head,)]
        assert {t: back[t] for t in down} == down, revision  # the way up keeps what the way down kept
    downgrade(url, "base")
    assert set(table_columns(url)) <= {"alembic_version"}
    migrate(url)
    assert schema(url) == fresh


def project(rows: dict[str, list[tuple]], read_with: dict[str, list[str]],
            columns: dict[str, list[str]]) -> dict[str, list[tuple]]:
    """The rows of `columns`' tables cut to `columns`, from rows read with the columns `read_with`."""
    out = {}
    for table, cols in columns.items():
        if table == "alembic_version":
            continue
        index = [read_with[table].index(c) for c in cols]
        out[table] = sorted((tuple(r[i] for i in index) for r in rows[table]), key=repr)
    return out


def schema(url: str) -> dict:
    """Tables, columns, keys and indexes as the database reports them, comparable between two databases."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            found = inspect(conn)
            return {t: {"columns": [(c["name"], str(c["type"]), c["nullable"]) for c in found.get_columns(t)],
                        "primary": found.get_pk_constraint(t)["constrained_columns"],
                        "foreign": sorted((f["constrained_columns"], f["referred_table"], f["referred_columns"],
                                           f["options"].get("ondelete")) for f in found.get_foreign_keys(t)),
                        "indexes": sorted((i["name"], i["column_names"], i["unique"]) for i in found.get_indexes(t)),
                        "unique": sorted(tuple(u["column_names"]) for u in found.get_unique_constraints(t))}
                    for t in found.get_table_names()}
    finally:
        engine.dispose()
