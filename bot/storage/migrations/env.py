"""Alembic environment: runs on the connection the application hands it (see Database.upgrade).

Used from the command line (``alembic -c alembic.ini revision --autogenerate``) it connects to
``ICBT_DATABASE_URL`` itself.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from bot.storage.metadata import METADATA

target_metadata = METADATA


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _standalone() -> None:
    from bot.settings import load_settings
    from bot.storage.database import Database

    async def main() -> None:
        db = Database(load_settings().database_url)
        async with db.engine.begin() as conn:
            await conn.run_sync(_run)
        await db.dispose()

    asyncio.run(main())


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    _standalone()
