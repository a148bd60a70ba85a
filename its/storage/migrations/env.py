"""Alembic environment: migrates the connection handed in by the store, or the URL of
``ITS_DATABASE_URL`` when run as ``alembic -c its/storage/alembic.ini upgrade head``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from its.settings import get_settings
from its.storage.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = config.get_main_option("sqlalchemy.url") or get_settings().database_url
    engine = create_engine(url)
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()
