-- Idempotency records for Powertools Idempotency (ghlbridge.idempotency.StorePersistenceLayer),
-- kept in the project's own store so the functions need no boto3 and no DynamoDB.
--
-- Why: POSTs that send something to GHL (an email, a note, a call log, an appointment) carry an
-- Idempotency-Key. The first request with a key inserts an INPROGRESS record before it calls GHL;
-- a repeat finds the record and gets the stored response (COMPLETED) or a 409 (INPROGRESS). The
-- insert is the whole guarantee, so it is one INSERT ... ON CONFLICT DO UPDATE ... WHERE: two
-- containers racing on one key cannot both insert, and only one can take over a dead record.
--
-- A record is dead, and its key free again, when its expiry has passed, or when it is INPROGRESS
-- and its in-progress expiry (the Lambda invocation's own deadline) has passed: the invocation
-- that wrote it timed out or crashed without finishing or deleting it. The database clock decides,
-- as it does for refresh leases, so a container with a fast clock cannot take over a live key.
--
-- Access as in 20261128000000_token_store.sql: RLS on with no policy, nothing for anon,
-- authenticated or PUBLIC, EXECUTE for service_role only, functions SECURITY INVOKER with
-- `search_path` pinned to empty and `timezone` to UTC, every function returning jsonb.

create table public.idempotency_records (
    key                    text primary key check (key <> ''),   -- namespaced by the caller
    status                 text not null check (status in ('INPROGRESS', 'COMPLETED', 'EXPIRED')),
    expires_at             timestamptz not null,                  -- the record's time to live
    in_progress_expires_at timestamptz,                           -- the writing invocation's deadline
    response_data          text,                                  -- Powertools' JSON, byte for byte
    payload_hash           text,                                  -- set when payload validation is on
    created_at             timestamptz not null default now(),
    updated_at             timestamptz not null default now()
);

-- For a later purge: delete from public.idempotency_records where expires_at < now() - <grace>.
create index idempotency_records_expires_at_idx on public.idempotency_records (expires_at);

alter table public.idempotency_records enable row level security;

revoke all on table public.idempotency_records from public, anon, authenticated, service_role;
grant select, insert, update, delete on table public.idempotency_records to service_role;

-- Insert the record unless a live one holds the key; a dead one (see above) is replaced, with a
-- fresh created_at and no response. {"inserted": true} when stored, else {"inserted": false,
-- "record": <the live record>} and nothing written, so the caller can answer from it.
--
-- ON CONFLICT locks the conflicting row even when the WHERE refuses the update, so the record read
-- back by the second statement (a new snapshot, which sees the committed row) is the one that won.
create function public.put_idempotency_record(
    p_key text,
    p_status text,
    p_expires_at timestamptz,
    p_in_progress_expires_at timestamptz default null,
    p_payload_hash text default null
)
returns jsonb
language plpgsql
set search_path = ''
set timezone = 'UTC'
as $$
declare
    v_existing jsonb;
begin
    insert into public.idempotency_records as r (key, status, expires_at, in_progress_expires_at, payload_hash)
    values (p_key, p_status, p_expires_at, p_in_progress_expires_at, p_payload_hash)
    on conflict (key) do update set
        status = excluded.status,
        expires_at = excluded.expires_at,
        in_progress_expires_at = excluded.in_progress_expires_at,
        response_data = null,
        payload_hash = excluded.payload_hash,
        created_at = now(),
        updated_at = now()
    where r.expires_at < pg_catalog.clock_timestamp()
       or (r.status = 'INPROGRESS' and r.in_progress_expires_at < pg_catalog.clock_timestamp());
    if found then
        return pg_catalog.jsonb_build_object('inserted', true);
    end if;
    select pg_catalog.to_jsonb(r.*) into v_existing
    from public.idempotency_records as r
    where r.key = p_key;
    return pg_catalog.jsonb_build_object('inserted', false, 'record', v_existing);
end;
$$;

-- The record as stored (expired or not: the caller judges), or null.
create function public.get_idempotency_record(p_key text)
returns jsonb
language sql
stable
set search_path = ''
set timezone = 'UTC'
as $$
    select pg_catalog.to_jsonb(r.*) from public.idempotency_records as r where r.key = p_key;
$$;

-- Record the outcome of the execution holding the key: status, response and expiry only (the
-- payload hash and in-progress expiry stay as put). true if the key exists; never inserts.
create function public.update_idempotency_record(
    p_key text,
    p_status text,
    p_expires_at timestamptz,
    p_response_data text default null
)
returns jsonb
language sql
set search_path = ''
set timezone = 'UTC'
as $$
    with updated as (
        update public.idempotency_records as r
        set status = p_status,
            response_data = p_response_data,
            expires_at = p_expires_at,
            updated_at = now()
        where r.key = p_key
        returning 1
    )
    select pg_catalog.to_jsonb(exists (select from updated));
$$;

-- Free the key (the execution failed, so a retry may run again). true if it existed.
create function public.delete_idempotency_record(p_key text)
returns jsonb
language sql
set search_path = ''
set timezone = 'UTC'
as $$
    with deleted as (
        delete from public.idempotency_records as r
        where r.key = p_key
        returning 1
    )
    select pg_catalog.to_jsonb(exists (select from deleted));
$$;

revoke all on function
    public.put_idempotency_record,
    public.get_idempotency_record,
    public.update_idempotency_record,
    public.delete_idempotency_record
    from public, anon, authenticated, service_role;

grant execute on function
    public.put_idempotency_record,
    public.get_idempotency_record,
    public.update_idempotency_record,
    public.delete_idempotency_record
    to service_role;

-- PostgREST caches the schema; tell it to reload (a no-op where nothing listens).
notify pgrst, 'reload schema';
