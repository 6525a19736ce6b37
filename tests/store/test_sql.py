"""The migration's access rules, checked in PostgreSQL itself: the browser's roles (anon key or a
user's JWT) can reach nothing, service_role reaches everything through the functions."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from psycopg import sql

pytestmark = pytest.mark.postgres

TABLES = ["idempotency_records", "install_tickets", "installations", "members", "oauth_states", "webhook_receipts"]
FUNCTIONS = [
    "add_member", "claim_refresh_lease", "complete_refresh", "consume_oauth_state", "create_install_ticket",
    "create_oauth_state", "delete_idempotency_record", "get_idempotency_record", "get_installation",
    "get_membership", "get_token_source", "link_member", "list_expiring", "list_locations", "list_members",
    "mark_needs_reauth", "put_idempotency_record", "put_member", "record_webhook", "redeem_install_ticket",
    "release_lease", "remove_member", "restore_parked", "save_installation", "set_member_role",
    "uninstall_installation", "update_idempotency_record",
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
