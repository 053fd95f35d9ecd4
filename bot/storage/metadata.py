"""Every table the application has: the core tables (``models``) and each package's own (``tables_*``).

Alembic, ``drop_all`` in tests and anything that needs the whole schema import ``METADATA`` from here,
so ``models`` never has to import the packages' tables back (which would be an import circle).
"""

from __future__ import annotations

from sqlalchemy import MetaData

from bot.storage import tables_measures, tables_relay, tables_runtime, tables_trial
from bot.storage.models import Base

PACKAGE_TABLES = (tables_runtime, tables_measures, tables_relay, tables_trial)
METADATA: MetaData = Base.metadata
