"""Alembic environment: the URL comes from the caller's config (models.db.alembic_config)."""

from alembic import context
from sqlmodel import SQLModel

import models  # noqa: F401
from domain.errors import ConfigError
from models.db import make_engine

config = context.config
target_metadata = SQLModel.metadata


def run_migrations() -> None:
    url = config.get_main_option("sqlalchemy.url")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(url)
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch operations rebuild a table (copy, DROP, rename); with foreign keys on, that DROP deletes the
            # rows of every table referencing it (ON DELETE CASCADE): a downgrade emptied tasks and assignments.
            # The pragma is ignored inside a transaction, hence before it; the keys are checked at the end.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                _check_foreign_keys(connection)
    engine.dispose()


def _check_foreign_keys(connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        tables = sorted({row[0] for row in broken})
        raise ConfigError(f"sau khi nâng cấp cơ sở dữ liệu, {len(broken)} dòng có khóa ngoại hỏng trong bảng "
                          f"{', '.join(tables)}: khôi phục bản sao lưu (dondoc restore) và báo cho người phát triển")


run_migrations()
