-- Idempotency records: an expired in-flight record is no longer taken over (issue "Nothing twice,
-- nothing kept").
--
-- Why: 20261128010000_idempotency.sql let a retry replace an INPROGRESS record whose in-progress
-- expiry (the writing invocation's deadline) had passed, and send again. But that invocation may
-- have sent before it died (killed after the POST reached GHL, or unable to complete the record
-- because the store was locked or unreachable): the retry sent a second note. Now:
--
-- * put_idempotency_record replaces a record only when its expires_at has passed (the key's time
--   to live is over, whatever its status). An INPROGRESS record past its in-progress expiry is
--   returned like a live one, flagged "in_progress_expired": true (the database clock decides).
-- * settle_idempotency_record (new) lets the caller answer such a key once and for all: a
--   compare-and-swap on the record's key, created_at and INPROGRESS status sets it COMPLETED with
--   the caller's answer (the app stores 504 outcome_unknown), so racing retries produce one answer.
-- * update_idempotency_record completes only an INPROGRESS record: a completion arriving after a
--   settle does not change the answer the key already gave.
-- * get_idempotency_record reports the same flag.
--
-- Signatures are unchanged, so CREATE OR REPLACE keeps the existing grants. Access as before: RLS
-- on with no policy, EXECUTE for service_role only, SECURITY INVOKER, `search_path` pinned to empty
-- and `timezone` to UTC, every function returning jsonb.

-- Insert the record unless a record holds the key; only one whose expires_at has passed is
-- replaced, with a fresh created_at and no response. {"inserted": true} when stored, else
-- {"inserted": false, "record": <the record, with "in_progress_expired">} and nothing written.
--
-- ON CONFLICT locks the conflicting row even when the WHERE refuses the update, so the record read
-- back by the second statement (a new snapshot, which sees the committed row) is the one that won.
create or replace function public.put_idempotency_record(
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
    where r.expires_at < pg_catalog.clock_timestamp();
    if found then
        return pg_catalog.jsonb_build_object('inserted', true);
    end if;
    select pg_catalog.to_jsonb(r.*) || pg_catalog.jsonb_build_object(
               'in_progress_expired',
               coalesce(r.status = 'INPROGRESS' and r.in_progress_expires_at < pg_catalog.clock_timestamp(), false))
      into v_existing
    from public.idempotency_records as r
    where r.key = p_key;
    return pg_catalog.jsonb_build_object('inserted', false, 'record', v_existing);
end;
$$;

-- The record as stored (expired or not: the caller judges), with "in_progress_expired", or null.
-- Not STABLE any more: it reads the clock.
create or replace function public.get_idempotency_record(p_key text)
returns jsonb
language sql
volatile
set search_path = ''
set timezone = 'UTC'
as $$
    select pg_catalog.to_jsonb(r.*) || pg_catalog.jsonb_build_object(
               'in_progress_expired',
               coalesce(r.status = 'INPROGRESS' and r.in_progress_expires_at < pg_catalog.clock_timestamp(), false))
    from public.idempotency_records as r
    where r.key = p_key;
$$;

-- Complete the execution holding the key: status, response and expiry of its INPROGRESS record
-- only. true if it did; false if the key is missing or was settled meanwhile. Never inserts.
create or replace function public.update_idempotency_record(
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
          and r.status = 'INPROGRESS'
        returning 1
    )
    select pg_catalog.to_jsonb(exists (select from updated));
$$;

-- Answer for an invocation that died in flight: COMPLETED with p_response_data and p_expires_at, if
-- the key still holds the INPROGRESS record created at p_created_at and its in-progress expiry has
-- passed. Returns the record as it stands afterwards (ours, or what a concurrent settle or
-- completion wrote), or null if the key is gone.
--
-- A concurrent settle waits for the row lock, then re-checks the WHERE on the committed row (no
-- longer INPROGRESS) and writes nothing; its SELECT, a new snapshot, reads the winner's answer.
create function public.settle_idempotency_record(
    p_key text,
    p_created_at timestamptz,
    p_expires_at timestamptz,
    p_response_data text
)
returns jsonb
language plpgsql
set search_path = ''
set timezone = 'UTC'
as $$
declare
    v_record jsonb;
begin
    update public.idempotency_records as r
    set status = 'COMPLETED',
        response_data = p_response_data,
        expires_at = p_expires_at,
        updated_at = now()
    where r.key = p_key
      and r.status = 'INPROGRESS'
      and r.created_at = p_created_at
      and r.in_progress_expires_at < pg_catalog.clock_timestamp();
    select pg_catalog.to_jsonb(r.*) || pg_catalog.jsonb_build_object(
               'in_progress_expired',
               coalesce(r.status = 'INPROGRESS' and r.in_progress_expires_at < pg_catalog.clock_timestamp(), false))
      into v_record
    from public.idempotency_records as r
    where r.key = p_key;
    return v_record;
end;
$$;

revoke all on function public.settle_idempotency_record from public, anon, authenticated, service_role;
grant execute on function public.settle_idempotency_record to service_role;

-- PostgREST caches the schema; tell it to reload (a no-op where nothing listens).
notify pgrst, 'reload schema';
