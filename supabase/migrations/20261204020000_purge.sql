-- Nothing kept longer than it is needed (ghlbridge.store.base.TokenStore, "purge" operations; run
-- daily by PurgeFunction, ghlbridge.purge).
--
-- Why: idempotency records keep a write's whole answer (a contact's details, a note, an e-mail)
-- for their replay window, and nothing deleted them afterwards; nor OAuth states (one per
-- GET /oauth/authorize), install tickets or webhook receipts. The product promises that no copy of
-- GHL data is kept. Each purge function deletes at most `p_limit` rows (clamped to 1..10000) of one
-- kind that the store's clock says are no longer needed, and answers how many it deleted; the
-- caller loops while a batch comes back full and its deadline allows. Batches keep each statement
-- short (no long lock, no huge WAL burst) and let an invocation stop between two of them.
--
-- Rows are picked `for update skip locked`: a row another transaction is writing (a put taking
-- over a dead idempotency key, a state being consumed) is left for the next run, and two purges
-- running at once never wait on each other or count a row twice. The DELETE repeats the test, so a
-- row that came back to life between the pick and the delete stays.
--
-- Also: create_oauth_state keeps at most 20 live (unused, unexpired) states per user, so one user
-- calling GET /oauth/authorize in a loop cannot grow the table without bound.
--
-- Access as in 20261128000000_token_store.sql: RLS on with no policy, nothing for anon,
-- authenticated or PUBLIC, EXECUTE for service_role only, functions SECURITY INVOKER with
-- `search_path` pinned to empty and `timezone` to UTC, every function returning jsonb.

-- The purge functions delete, as the caller: service_role needs DELETE where it had none.
-- (idempotency_records: granted by 20261128010000_idempotency.sql already.)
grant delete on table public.oauth_states, public.install_tickets, public.webhook_receipts to service_role;

-- create_oauth_state counts a user's live states on every call.
create index oauth_states_user_live_idx on public.oauth_states (user_id, created_at) where used_at is null;

-- ---------------------------------------------------------------------------------------------
-- Purge, one kind per function
-- ---------------------------------------------------------------------------------------------

-- Idempotency records past their expires_at: put_idempotency_record would replace them anyway, so
-- deleting them changes no answer. An INPROGRESS record whose in-progress expiry has passed but
-- whose expires_at has not is kept: its key still answers (the outcome of that write is unknown).
create function public.purge_idempotency_records(p_limit integer)
returns jsonb
language sql
set search_path = ''
set timezone = 'UTC'
as $$
    with doomed as (
        select r.key
        from public.idempotency_records as r
        where r.expires_at < pg_catalog.clock_timestamp()
        order by r.expires_at
        limit least(greatest(coalesce(p_limit, 0), 0), 10000)
        for update skip locked
    ),
    deleted as (
        delete from public.idempotency_records as r
        using doomed as d
        where r.key = d.key
          and r.expires_at < pg_catalog.clock_timestamp()
        returning 1
    )
    select pg_catalog.to_jsonb(pg_catalog.count(*)) from deleted;
$$;

-- OAuth states that were used, or expired (consume_oauth_state refuses both).
create function public.purge_oauth_states(p_limit integer)
returns jsonb
language sql
set search_path = ''
set timezone = 'UTC'
as $$
    with doomed as (
        select s.nonce
        from public.oauth_states as s
        where s.used_at is not null
           or s.expires_at <= pg_catalog.clock_timestamp()
        order by s.expires_at
        limit least(greatest(coalesce(p_limit, 0), 0), 10000)
        for update skip locked
    ),
    deleted as (
        delete from public.oauth_states as s
        using doomed as d
        where s.nonce = d.nonce
          and (s.used_at is not null or s.expires_at <= pg_catalog.clock_timestamp())
        returning 1
    )
    select pg_catalog.to_jsonb(pg_catalog.count(*)) from deleted;
$$;

-- Install tickets that were used, or expired (redeem_install_ticket refuses both).
create function public.purge_install_tickets(p_limit integer)
returns jsonb
language sql
set search_path = ''
set timezone = 'UTC'
as $$
    with doomed as (
        select t.ticket_hash
        from public.install_tickets as t
        where t.used_at is not null
           or t.expires_at <= pg_catalog.clock_timestamp()
        order by t.expires_at
        limit least(greatest(coalesce(p_limit, 0), 0), 10000)
        for update skip locked
    ),
    deleted as (
        delete from public.install_tickets as t
        using doomed as d
        where t.ticket_hash = d.ticket_hash
          and (t.used_at is not null or t.expires_at <= pg_catalog.clock_timestamp())
        returning 1
    )
    select pg_catalog.to_jsonb(pg_catalog.count(*)) from deleted;
$$;

-- Webhook receipts received more than `p_older_than_seconds` ago (negative counts as 0). The
-- caller's retention must outlast every replay the receipt is there to recognize: the signed
-- timestamp's window and GHL's retries of one webhookId (see ghlbridge.purge).
create function public.purge_webhook_receipts(p_older_than_seconds double precision, p_limit integer)
returns jsonb
language sql
set search_path = ''
set timezone = 'UTC'
as $$
    with doomed as (
        select w.webhook_id
        from public.webhook_receipts as w
        where w.received_at < pg_catalog.clock_timestamp()
              - pg_catalog.make_interval(secs => greatest(coalesce(p_older_than_seconds, 0), 0))
        order by w.received_at
        limit least(greatest(coalesce(p_limit, 0), 0), 10000)
        for update skip locked
    ),
    deleted as (
        delete from public.webhook_receipts as w
        using doomed as d
        where w.webhook_id = d.webhook_id
        returning 1
    )
    select pg_catalog.to_jsonb(pg_catalog.count(*)) from deleted;
$$;

-- ---------------------------------------------------------------------------------------------
-- At most 20 live OAuth states per user
-- ---------------------------------------------------------------------------------------------

-- As before (true if created; a nonce that exists already is left as it is, so a state is never
-- rebound to another user), and then the user's live (unused, unexpired) states beyond the 20
-- newest are deleted: creating the 21st removes the oldest. A transaction-scoped advisory lock per
-- user makes concurrent creates by one user run one after the other (each statement after it sees
-- what the previous ones committed), so they can neither both keep 21 nor both delete; created_at
-- is taken after the lock, so "newest" is the order they ran in. Other users are not delayed.
create or replace function public.create_oauth_state(p_nonce text, p_user_id uuid, p_expires_at timestamptz)
returns jsonb
language plpgsql
set search_path = ''
set timezone = 'UTC'
as $$
declare
    v_created boolean;
begin
    perform pg_catalog.pg_advisory_xact_lock(
        pg_catalog.hashtextextended('public.oauth_states:' || p_user_id::text, 0)
    );
    insert into public.oauth_states (nonce, user_id, expires_at, created_at)
    values (p_nonce, p_user_id, p_expires_at, pg_catalog.clock_timestamp())
    on conflict (nonce) do nothing;
    v_created := found;
    delete from public.oauth_states as s
    where s.nonce in (
        select l.nonce
        from public.oauth_states as l
        where l.user_id = p_user_id
          and l.used_at is null
          and l.expires_at > pg_catalog.clock_timestamp()
        order by l.created_at desc, l.nonce desc
        offset 20
    );
    return pg_catalog.to_jsonb(v_created);
end;
$$;

-- ---------------------------------------------------------------------------------------------
-- Who may call them: service_role only (create_oauth_state, replaced, keeps the grants it had).
-- ---------------------------------------------------------------------------------------------

revoke all on function
    public.purge_idempotency_records,
    public.purge_oauth_states,
    public.purge_install_tickets,
    public.purge_webhook_receipts
    from public, anon, authenticated, service_role;

grant execute on function
    public.purge_idempotency_records,
    public.purge_oauth_states,
    public.purge_install_tickets,
    public.purge_webhook_receipts
    to service_role;

-- PostgREST caches the schema; tell it to reload (a no-op where nothing listens).
notify pgrst, 'reload schema';
