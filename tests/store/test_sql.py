"""The migration's access rules, checked in PostgreSQL itself: the browser's roles (anon key or a
user's JWT) can reach nothing, service_role reaches everything through the functions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from psycopg import sql

from tests.pg import MIGRATIONS, SUPABASE_ROLES, scratch_database

pytestmark = pytest.mark.postgres

TABLES = [
    "idempotency_records", "install_tickets", "installations", "locations", "members", "oauth_states",
    "webhook_receipts",
]  # fmt: skip
FUNCTIONS = [
    "add_member", "claim_refresh_lease", "complete_refresh", "consume_oauth_state", "create_install_ticket",
    "create_oauth_state", "delete_idempotency_record", "get_idempotency_record", "get_installation",
    "get_membership", "get_token_source", "link_member", "list_expiring", "list_locations", "list_members",
    "mark_needs_reauth", "purge_idempotency_records", "purge_install_tickets", "purge_oauth_states",
    "purge_webhook_receipts", "put_idempotency_record", "put_member", "record_webhook", "redeem_install_ticket",
    "release_lease", "remove_member", "restore_parked", "save_installation", "set_location_name", "set_member_role",
    "settle_idempotency_record", "uninstall_installation", "update_idempotency_record",
]  # fmt: skip
API_ROLES = ["anon", "authenticated"]
Conn = psycopg.Connection[Any]


def as_role(conn: Conn, role: str, statement: sql.SQL | sql.Composed) -> list[Any]:
    """Run one statement as `role` in a transaction that is rolled back."""
    with conn.transaction(force_rollback=True):
        conn.execute(sql.SQL("set local role {}").format(sql.Identifier(role)))
        return conn.execute(statement).fetchall()


def functions(conn: Conn) -> dict[str, Any]:
    """name → (oid, proacl, proconfig, prosecdef) of every function in `public`."""
    rows = conn.execute(
        "select proname, oid, proacl::text[], proconfig, prosecdef from pg_proc"
        " where pronamespace = 'public'::regnamespace"
    ).fetchall()
    return {name: rest for name, *rest in rows}


def test_rls_is_enabled_on_every_table_and_no_policy_opens_it(pg_conn: Conn) -> None:
    rows = pg_conn.execute(
        "select relname, relrowsecurity from pg_class where relnamespace = 'public'::regnamespace and relkind = 'r'"
    ).fetchall()

    assert sorted(rows) == [(table, True) for table in TABLES]
    assert pg_conn.execute("select count(*) from pg_policies where schemaname = 'public'").fetchone() == (0,)


@pytest.mark.parametrize("role", [*API_ROLES, "public"])
@pytest.mark.parametrize("table", TABLES)
def test_api_roles_have_no_privilege_on_the_tables(pg_conn: Conn, role: str, table: str) -> None:
    any_privilege = "select, insert, update, delete, truncate, references, trigger"
    row = pg_conn.execute("select has_table_privilege(%s, %s, %s)", [role, f"public.{table}", any_privilege]).fetchone()
    assert row == (False,)


@pytest.mark.parametrize("role", API_ROLES)
@pytest.mark.parametrize("table", TABLES)
def test_api_roles_cannot_select_from_the_tables(pg_conn: Conn, role: str, table: str) -> None:
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        as_role(pg_conn, role, sql.SQL("select * from {}").format(sql.Identifier("public", table)))


# Exactly what the functions need (they run as the caller): deletes only where a function deletes.
SERVICE_ROLE_PRIVILEGES = {
    "idempotency_records": {"SELECT", "INSERT", "UPDATE", "DELETE"},
    "install_tickets": {"SELECT", "INSERT", "UPDATE", "DELETE"},  # purge_install_tickets
    "installations": {"SELECT", "INSERT", "UPDATE"},
    "locations": {"SELECT", "INSERT", "UPDATE", "DELETE"},  # uninstall_installation
    "members": {"SELECT", "INSERT", "UPDATE", "DELETE"},  # remove_member, uninstall_installation
    "oauth_states": {"SELECT", "INSERT", "UPDATE", "DELETE"},  # purge_oauth_states, create_oauth_state
    "webhook_receipts": {"SELECT", "INSERT", "UPDATE", "DELETE"},  # purge_webhook_receipts
}


@pytest.mark.parametrize("table", TABLES)
def test_service_role_has_exactly_the_table_privileges_the_functions_use(pg_conn: Conn, table: str) -> None:
    held = {
        privilege
        for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")
        if pg_conn.execute(
            "select has_table_privilege('service_role', %s, %s)", [f"public.{table}", privilege]
        ).fetchone()
        == (True,)
    }
    assert held == SERVICE_ROLE_PRIVILEGES[table]


def test_the_migration_defines_the_contract_functions(pg_conn: Conn) -> None:
    assert sorted(functions(pg_conn)) == FUNCTIONS


@pytest.mark.parametrize("role", API_ROLES)
def test_api_roles_cannot_execute_the_functions(pg_conn: Conn, role: str) -> None:
    for name, (oid, _, _, _) in functions(pg_conn).items():
        assert pg_conn.execute("select has_function_privilege(%s, %s, 'execute')", [role, oid]).fetchone() == (
            False,
        ), name
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        as_role(pg_conn, role, sql.SQL("select public.record_webhook('wh-1', 'INSTALL')"))
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        as_role(pg_conn, role, sql.SQL("select public.get_installation('loc1')"))


def test_no_function_is_executable_by_public(pg_conn: Conn) -> None:
    """A NULL ACL means PostgreSQL's default, EXECUTE for PUBLIC; an entry `=X/owner` grants it too."""
    for name, (_, acl, _, _) in functions(pg_conn).items():
        assert acl is not None, name
        assert not any(entry.startswith("=") for entry in acl), (name, acl)


def test_functions_run_as_the_caller_with_a_pinned_search_path(pg_conn: Conn) -> None:
    for name, (_, _, config, security_definer) in functions(pg_conn).items():
        assert security_definer is False, name
        assert 'search_path=""' in (config or []), name


def test_service_role_can_execute_the_functions_and_bypasses_rls(pg_conn: Conn) -> None:
    for name, (oid, _, _, _) in functions(pg_conn).items():
        assert pg_conn.execute("select has_function_privilege('service_role', %s, 'execute')", [oid]).fetchone() == (
            True,
        ), name

    with pg_conn.transaction():
        pg_conn.execute("set local role service_role")
        assert pg_conn.execute("select public.record_webhook('wh-1', 'INSTALL')").fetchone() == (True,)
        assert pg_conn.execute("select webhook_id from public.webhook_receipts").fetchall() == [("wh-1",)]
    assert pg_conn.execute("select count(*) from public.webhook_receipts").fetchone() == (1,)  # committed


def test_the_team_access_migration_upgrades_rows_written_before_it(pg_dsn: str) -> None:
    """A scratch database on the same server, migrated up to the migration before team access, given
    rows as the older functions wrote them, then migrated on."""
    team_access = MIGRATIONS / "20261204000000_team_access.sql"
    owner, rep = "6f1c2a4e-9b7d-4c1e-8f3a-2d5e6b7c8d9e", "0b8e2f7a-3c4d-4e5f-9a1b-2c3d4e5f6a7b"
    with scratch_database(pg_dsn) as dsn, psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(SUPABASE_ROLES)
        for path in sorted(MIGRATIONS.glob("*.sql")):
            if path.name < team_access.name:
                conn.execute(path.read_bytes())
        conn.execute(
            "insert into public.installations (id, kind, user_type, created_at) values"
            " ('loc1', 'location', 'Location', '2026-11-28 10:00+00'), ('comp1', 'company', 'Company', now())"
        )
        conn.execute(
            "insert into public.members (location_id, user_id, role, created_at) values"
            " ('loc1', %s, 'owner', '2026-11-28 10:00:01+00'), ('loc1', %s, 'rep', '2026-11-28 10:00:02+00'),"
            " ('comp1', %s, 'owner', now())",
            [owner, rep, owner],
        )

        conn.execute(team_access.read_bytes())

        backfilled = conn.execute("select id from public.installations where installed_at = created_at order by id")
        assert backfilled.fetchall() == [("comp1",), ("loc1",)]
        members = conn.execute(
            "select location_id, user_id::text, role, added_at, added_by, ghl_user_id from public.members"
            " order by added_at"
        ).fetchall()
        assert [(m[0], m[1], m[2], m[4], m[5]) for m in members] == [
            ("loc1", owner, "owner", None, None), ("loc1", rep, "member", None, None),
        ]  # fmt: skip
        assert members[0][3] == datetime(2026, 11, 28, 10, 0, 1, tzinfo=UTC)
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute("update public.members set role = 'rep'")


INSTALL_LOC1 = """select public.save_installation('{"id": "loc1", "kind": "location", "user_type": "Location"}')"""


def test_the_locations_table_takes_only_a_trimmed_name_of_1_to_200_characters(pg_conn: Conn) -> None:
    """What `location_name` makes of a name, the table insists on too (a caller that skips it)."""
    pg_conn.execute(INSTALL_LOC1)
    for bad in ("", " Main Street", "Main Street ", "x" * 201):
        with pytest.raises(psycopg.errors.CheckViolation), pg_conn.transaction():
            pg_conn.execute("set local role service_role")
            pg_conn.execute("select public.set_location_name('loc1', %s)", [bad])
    with pg_conn.transaction():
        pg_conn.execute("set local role service_role")
        assert pg_conn.execute("select public.set_location_name('loc1', %s)", ["é" * 200]).fetchone() == (True,)
    assert pg_conn.execute("select name from public.locations").fetchall() == [("é" * 200,)]


def test_the_location_names_migration_applies_over_rows_written_before_it(pg_dsn: str) -> None:
    location_names = MIGRATIONS / "20261205000000_location_names.sql"
    owner = "6f1c2a4e-9b7d-4c1e-8f3a-2d5e6b7c8d9e"
    with scratch_database(pg_dsn) as dsn, psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(SUPABASE_ROLES)
        for path in sorted(MIGRATIONS.glob("*.sql")):
            if path.name < location_names.name:
                conn.execute(path.read_bytes())
        conn.execute(INSTALL_LOC1)
        conn.execute("select public.add_member('loc1', %s, 'owner')", [owner])

        conn.execute(location_names.read_bytes())

        listed = conn.execute("select public.list_locations(%s)", [owner]).fetchone()
        assert listed is not None and [(a["membership"]["location_id"], a["name"]) for a in listed[0]] == [
            ("loc1", None)
        ]
        assert conn.execute("select public.set_location_name('loc1', 'Main Street')").fetchone() == (True,)
        listed = conn.execute("select public.list_locations(%s)", [owner]).fetchone()
        assert listed is not None and listed[0][0]["name"] == "Main Street"
