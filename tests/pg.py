"""A real PostgreSQL 15 for tests, migrated as the Supabase CLI would (pytest plugin).

Registered in tests/conftest.py: `pytest_plugins = ["tests.pg", ...]`. Fixtures:

* `pg_dsn` (session): a DSN of a database holding Supabase's API roles (`anon`, `authenticated`,
  `service_role`), Supabase's default grants to them on `public`, and every
  `supabase/migrations/*.sql` applied in filename order. The DSN's user is a superuser or the
  database owner: tests `SET ROLE` to act as an API role.
  - `TEST_DATABASE_URL` set: a scratch database is created on that server and dropped at the
    end, so the migrations meet an empty database and nothing the URL names is ever touched.
  - otherwise: a throwaway cluster from Debian's postgresql-15 server programs, on 127.0.0.1 and a
    free port, trust auth, fsync off; run as the `postgres` user when we are root (initdb refuses
    root); stopped and deleted at the end. Missing programs fail the tests, never skip them.
* `pg_conn` (function): an autocommit connection to that database, every table of `public`
  truncated first, so each test starts empty whatever the previous one left.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

PG_BIN = Path("/usr/lib/postgresql/15/bin")
MIGRATIONS = Path(__file__).resolve().parent.parent / "supabase" / "migrations"

# The roles PostgREST switches to in Supabase (service_role bypasses RLS, as there) and Supabase's
# generous default privileges on `public`, so that a migration that forgets a REVOKE fails here too.
SUPABASE_ROLES = b"""
do $$
begin
    if not exists (select from pg_roles where rolname = 'anon') then
        create role anon nologin noinherit;
    end if;
    if not exists (select from pg_roles where rolname = 'authenticated') then
        create role authenticated nologin noinherit;
    end if;
    if not exists (select from pg_roles where rolname = 'service_role') then
        create role service_role nologin noinherit bypassrls;
    end if;
end
$$;
grant usage on schema public to anon, authenticated, service_role;
alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges in schema public grant all on functions to anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;
"""

MISSING_POSTGRES = (
    "PostgreSQL 15 server programs not found at {bin}. Install them (`apt-get install postgresql-15`, "
    "as the Makefile does) or point TEST_DATABASE_URL at a PostgreSQL 15 server whose user may "
    "create databases and roles."
)


def _run(command: list[str], what: str, log: Path | None = None) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
        pytest.fail(f"{what} failed ({done.returncode}):\n{done.stdout}{done.stderr}{tail}", pytrace=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def throwaway_cluster() -> Iterator[str]:
    """initdb + pg_ctl start in a temporary directory; yields the superuser's DSN."""
    if not (PG_BIN / "initdb").exists() or not (PG_BIN / "pg_ctl").exists():
        pytest.fail(MISSING_POSTGRES.format(bin=PG_BIN), pytrace=False)
    as_postgres: list[str] = []
    root = Path(tempfile.mkdtemp(prefix="ghlbridge-pg-"))
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            pytest.fail("Running as root needs the `postgres` user (apt-get install postgresql-15).", pytrace=False)
        os.chown(root, owner.pw_uid, owner.pw_gid)
        as_postgres = ["runuser", "-u", "postgres", "--"]
    data, log = root / "data", root / "server.log"
    try:
        _run(
            [*as_postgres, str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
             "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"],
            "initdb",
        )  # fmt: skip
        port = _free_port()
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={root} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c timezone=UTC "
            "-c max_connections=200"
        )
        pg_ctl = [*as_postgres, str(PG_BIN / "pg_ctl"), "-D", str(data)]
        _run([*pg_ctl, "-l", str(log), "-o", options, "-w", "-t", "60", "start"], "pg_ctl start", log)
        try:
            yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
        finally:
            subprocess.run([*pg_ctl, "-m", "immediate", "-w", "stop"], capture_output=True, check=False)
    finally:
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def scratch_database(server_url: str) -> Iterator[str]:
    """A fresh database on an existing server, dropped afterwards; yields its DSN."""
    name = f"ghlbridge_test_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    try:
        yield make_conninfo(server_url, dbname=name)
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


def migrate(dsn: str) -> None:
    """Create Supabase's API roles, then apply every migration in filename order, each in a transaction."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(SUPABASE_ROLES)
        for path in sorted(MIGRATIONS.glob("*.sql")):
            with conn.transaction():
                conn.execute(path.read_bytes())


def truncate_all(conn: psycopg.Connection[Any]) -> None:
    tables = [row[0] for row in conn.execute("select tablename from pg_tables where schemaname = 'public'")]
    if tables:
        names = sql.SQL(", ").join(sql.Identifier("public", t) for t in tables)
        conn.execute(sql.SQL("truncate {}").format(names))


@pytest.fixture(scope="session")
def pg_dsn() -> Iterator[str]:
    server_url = os.environ.get("TEST_DATABASE_URL")
    with scratch_database(server_url) if server_url else throwaway_cluster() as dsn:
        migrate(dsn)
        yield dsn


@pytest.fixture
def pg_conn(pg_dsn: str) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        truncate_all(conn)
        yield conn
