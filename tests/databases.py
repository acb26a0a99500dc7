"""The database every test gets: a copy of one seeded template, in SQLite or in PostgreSQL.

With TDC_TEST_DATABASE_URL set to a PostgreSQL server (`.ci/postgres` starts one), every test gets its own
database created from a seeded template database (CREATE DATABASE … TEMPLATE, a file copy on the server);
otherwise a copy of a seeded SQLite file. Either way each test starts from the same seeded state.
"""

from __future__ import annotations

import itertools
import os
import shutil
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.cli.seed import seed
from models import init_db, make_engine, session_scope

SERVER = os.environ.get("TDC_TEST_DATABASE_URL", "")
BACKEND = "postgresql" if SERVER.startswith("postgresql") else "sqlite"


class Databases:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self._names = itertools.count(1)
        self._prefix = f"tdc_{os.getpid()}"
        self.template = self._create_template()

    def copy(self) -> str:
        """A new database holding the seeded template's data."""
        return self._new(template=True)

    def empty(self) -> str:
        """A new database with nothing in it, not even tables."""
        return self._new(template=False)

    def _create_template(self) -> str:
        url = self._new(template=False, name="template")
        engine = make_engine(url)
        init_db(engine)
        with session_scope(engine) as session:
            seed(session)
        if BACKEND == "sqlite":
            with engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        return url

    def _new(self, template: bool, name: str | None = None) -> str:
        name = name or f"t{next(self._names)}"
        if BACKEND == "sqlite":
            path = self.workdir / name / "tdc.sqlite3"
            path.parent.mkdir(parents=True)
            if template:
                shutil.copy(self.template.removeprefix("sqlite:///"), path)
            return f"sqlite:///{path}"
        database = f"{self._prefix}_{name}"
        source = f" TEMPLATE {make_url(self.template).database}" if template else ""
        self._admin(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)", f"CREATE DATABASE {database}{source}")
        return make_url(SERVER).set(database=database).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        if BACKEND == "postgresql":
            self._admin(f"DROP DATABASE IF EXISTS {make_url(url).database} WITH (FORCE)")

    def _admin(self, *statements: str) -> None:
        engine = make_engine(SERVER)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            for statement in statements:
                connection.execute(text(statement))
        engine.dispose()
