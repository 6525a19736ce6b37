-- The GHL token store (ghlbridge.store.base.TokenStore), reached only through PostgREST RPC with
-- the service-role key.
--
-- Why functions and not table access: every operation that must be atomic (one refresh-lease
-- holder, compare-and-swap on `generation`, an OAuth state consumed once, a webhook recorded once)
-- is a single UPDATE ... WHERE or INSERT ... ON CONFLICT inside one function, so two Lambda
-- containers racing can never both win. Lease expiry and timestamps come from the database clock,
-- never from a container's.
--
-- Access: RLS is enabled with no policy, and anon/authenticated/public have no privilege on the
-- tables or the functions: the browser (anon key or a user's JWT) can see nothing here. Only
-- service_role (used by the Lambda functions) may execute the functions, which run as the caller
-- (SECURITY INVOKER), so service_role also gets exactly the table privileges the functions use.
-- Privileges are revoked from service_role first so that Supabase's default grants (ALL to
-- anon, authenticated and service_role) do not leave more than is written here.
--
-- Every function returns jsonb: a row as an object (or null), a list as an array, a yes/no as a
-- boolean. Functions pin `search_path` to empty (every name is qualified) and `timezone` to UTC
-- (timestamps in the returned JSON carry +00:00).

-- ---------------------------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------------------------

create table public.installations (
    id                 text primary key,                  -- GHL locationId or companyId
    kind               text not null check (kind in ('location', 'company')),
    user_type          text not null,                     -- GHL's userType of the token
    company_id         text,
    name               text,
    scopes             text[] not null default '{}',
    approved_locations text[] not null default '{}',
    access_token_enc   text,                              -- ciphertexts: the app encrypts
    refresh_token_enc  text,
    expires_at         timestamptz,                       -- of the access token
    status             text not null default 'active'
                       check (status in ('active', 'needs_reauth', 'uninstalled')),
    reauth_reason      text,
    reauth_at          timestamptz,
    lease_holder       text,                              -- refresh lease: who, and until when
    lease_expires_at   timestamptz,
    generation         bigint not null default 0 check (generation >= 0),
    installed_by       text,                              -- audit only: who started the install
    uninstalled_at     timestamptz,
    created_at         timestamptz not null default now(),
    updated_at         timestamptz not null default now(),
    check ((lease_holder is null) = (lease_expires_at is null))
);

comment on table public.installations is
    'GHL app installations with their encrypted token pair. Write only through the functions.';
comment on column public.installations.generation is
    '+1 on every stored token change; complete_refresh and restore_parked compare-and-swap on it.';

-- The scheduled refresh scans active installations with a refresh token by expiry.
create index installations_expiring_idx on public.installations (expires_at)
    where status = 'active' and refresh_token_enc is not null;

-- find_company_for_location: which agency installation approved this location.
create index installations_company_locations_idx on public.installations using gin (approved_locations)
    where kind = 'company';

-- user_id is a Supabase Auth user id (auth.users.id is uuid): the same type lets a later policy
-- compare it with auth.uid() and a foreign key reference auth.users without casts, and the
-- column rejects anything that is not a user id. (No foreign key here: the migration must apply to
-- a plain PostgreSQL in tests, where the auth schema does not exist.)
create table public.members (
    location_id text not null,
    user_id     uuid not null,
    role        text not null,
    created_at  timestamptz not null default now(),
    primary key (location_id, user_id)
);

comment on table public.members is 'Which toolkit user (Supabase Auth id) may act for which GHL location.';

create index members_user_id_idx on public.members (user_id);

create table public.oauth_states (
    nonce      text primary key,
    user_id    uuid not null,
    expires_at timestamptz not null,
    used_at    timestamptz,
    created_at timestamptz not null default now()
);

comment on table public.oauth_states is 'Install-flow state nonces, each consumable once by the user it was issued to.';

create table public.webhook_receipts (
    webhook_id  text primary key,
    event_type  text not null,
    received_at timestamptz not null default now()
);

comment on table public.webhook_receipts is 'GHL webhook ids already processed (replay protection).';

-- The purge of old states and receipts (a scheduled delete) will want these.
create index oauth_states_expires_at_idx on public.oauth_states (expires_at);
create index webhook_receipts_received_at_idx on public.webhook_receipts (received_at);

alter table public.installations    enable row level security;
alter table public.members          enable row level security;
alter table public.oauth_states     enable row level security;
alter table public.webhook_receipts enable row level security;

revoke all on table public.installations, public.members, public.oauth_states, public.webhook_receipts
    from public, anon, authenticated, service_role;
grant select, insert, update on table
    public.installations, public.members, public.oauth_states, public.webhook_receipts
    to service_role;

-- ---------------------------------------------------------------------------------------------
-- Installations
-- ---------------------------------------------------------------------------------------------

-- Insert or replace after an OAuth code exchange (install or reinstall). The caller supplies the
-- installation's identity and tokens; status, lease, reauth and generation are the store's: the
-- row becomes active, unleased, and its generation moves on (so an in-flight refresh of the old
-- pair loses its compare-and-swap). created_at survives a reinstall.
create function public.save_installation(p_installation jsonb)
returns jsonb
language sql
set search_path = ''
set timezone = 'UTC'
as $$
    insert into public.installations as i (
        id, kind, user_type, company_id, name, scopes, approved_locations,
        access_token_enc, refresh_token_enc, expires_at, installed_by, generation
    )
    select r.id, r.kind, r.user_type, r.company_id, r.name,
           coalesce(r.scopes, '{}'), coalesce(r.approved_locations, '{}'),
           r.access_token_enc, r.refresh_token_enc, r.expires_at, r.installed_by, 1
    from pg_catalog.jsonb_populate_record(null::public.installations, p_installation) as r
    on conflict (id) do update set
        kind = excluded.kind,
        user_type = excluded.user_type,
        company_id = excluded.company_id,
        name = excluded.name,
        scopes = excluded.scopes,
        approved_locations = excluded.approved_locations,
        access_token_enc = excluded.access_token_enc,
        refresh_token_enc = excluded.refresh_token_enc,
        expires_at = excluded.expires_at,
        installed_by = excluded.installed_by,
        status = 'active',
        reauth_reason = null,
        reauth_at = null,
        lease_holder = null,
        lease_expires_at = null,
        uninstalled_at = null,
        generation = i.generation + 1,
        updated_at = now()
    returning pg_catalog.to_jsonb(i.*);
$$;

create function public.get_installation(p_installation_id text)
returns jsonb
language sql
stable
set search_path = ''
set timezone = 'UTC'
as $$
    select pg_catalog.to_jsonb(i.*) from public.installations as i where i.id = p_installation_id;
$$;

-- The active agency installation that approved this location (its token mints location tokens).
create function public.find_company_for_location(p_location_id text)
returns jsonb
language sql
stable
set search_path = ''
set timezone = 'UTC'
as $$
    select pg_catalog.to_jsonb(i.*)
    from public.installations as i
    where i.kind = 'company'
      and i.status = 'active'
      and i.approved_locations @> array[p_location_id]
    order by i.updated_at desc, i.id
    limit 1;
$$;

-- Ids to refresh ahead of expiry, soonest first (a run short of time does the urgent ones).
create function public.list_expiring(p_before timestamptz)
returns jsonb
language sql
stable
set search_path = ''
set timezone = 'UTC'
as $$
    select coalesce(pg_catalog.jsonb_agg(i.id order by i.expires_at, i.id), '[]'::jsonb)
    from public.installations as i
    where i.status = 'active'
      and i.refresh_token_enc is not null
      and i.expires_at < p_before;
$$;

-- ---------------------------------------------------------------------------------------------
-- The refresh protocol
-- ---------------------------------------------------------------------------------------------

-- Take (or extend) the refresh lease unless someone else holds an unexpired one. One UPDATE: a
-- racing claim waits on the row lock, re-reads the row and finds the lease taken. The database
-- clock decides expiry, so a container with a skewed clock cannot steal a live lease.
create function public.claim_refresh_lease(p_installation_id text, p_holder text, p_ttl_seconds double precision)
returns jsonb
language plpgsql
set search_path = ''
set timezone = 'UTC'
as $$
declare
    v_row jsonb;
begin
    if p_ttl_seconds is null or p_ttl_seconds <= 0 or p_holder is null or p_holder = '' then
        raise exception 'a lease needs a holder and a positive ttl' using errcode = '22023';
    end if;
    update public.installations as i
    set lease_holder = p_holder,
        lease_expires_at = pg_catalog.clock_timestamp() + pg_catalog.make_interval(secs => p_ttl_seconds),
        updated_at = now()
    where i.id = p_installation_id
      and (i.lease_holder is null
           or i.lease_holder = p_holder
           or i.lease_expires_at <= pg_catalog.clock_timestamp())
    returning pg_catalog.to_jsonb(i.*) into v_row;
    return v_row;
end;
$$;

-- Compare-and-swap the rotated pair in: only the lease holder, only at the generation it
-- refreshed from. A null refresh token or scopes keeps the stored one (RFC 6749 §6: the server
-- may not issue a new refresh token). Null (nothing written) when either check fails.
create function public.complete_refresh(
    p_installation_id text,
    p_holder text,
    p_expected_generation bigint,
    p_access_token_enc text,
    p_refresh_token_enc text,
    p_expires_at timestamptz,
    p_scopes text[] default null
)
returns jsonb
language sql
set search_path = ''
set timezone = 'UTC'
as $$
    update public.installations as i
    set access_token_enc = p_access_token_enc,
        refresh_token_enc = coalesce(p_refresh_token_enc, i.refresh_token_enc),
        expires_at = p_expires_at,
        scopes = coalesce(p_scopes, i.scopes),
        generation = i.generation + 1,
        status = 'active',
        reauth_reason = null,
        reauth_at = null,
        lease_holder = null,
        lease_expires_at = null,
        updated_at = now()
    where i.id = p_installation_id
      and i.generation = p_expected_generation
      and i.lease_holder = p_holder
    returning pg_catalog.to_jsonb(i.*);
$$;

-- true if `p_holder` held the lease and gave it back.
create function public.release_lease(p_installation_id text, p_holder text)
returns jsonb
language sql
set search_path = ''
set timezone = 'UTC'
as $$
    with released as (
        update public.installations as i
        set lease_holder = null, lease_expires_at = null, updated_at = now()
        where i.id = p_installation_id and i.lease_holder = p_holder
        returning 1
    )
    select pg_catalog.to_jsonb(exists (select from released));
$$;

-- Park the installation for a reinstall, unless a concurrent rotation moved the generation on
-- (then the new pair is good and the caller's verdict is stale). The generation does not move:
-- the tokens did not change, and a parked pair refreshed from this generation can still be
-- restored over it. An uninstalled row stays uninstalled.
create function public.mark_needs_reauth(p_installation_id text, p_expected_generation bigint, p_reason text)
returns jsonb
language sql
set search_path = ''
set timezone = 'UTC'
as $$
    with marked as (
        update public.installations as i
        set status = 'needs_reauth',
            reauth_reason = p_reason,
            reauth_at = pg_catalog.clock_timestamp(),
            lease_holder = null,
            lease_expires_at = null,
            updated_at = now()
        where i.id = p_installation_id
          and i.generation = p_expected_generation
          and i.status <> 'uninstalled'
        returning 1
    )
    select pg_catalog.to_jsonb(exists (select from marked));
$$;

-- Write back a pair GHL rotated but the store failed to save (it was parked). Only over the
-- generation it was refreshed from: a later save, refresh or uninstall wins. The pair is valid,
-- so the row becomes active again; any lease taken on the old pair is moot and is dropped.
create function public.restore_parked(
    p_installation_id text,
    p_parked_generation bigint,
    p_access_token_enc text,
    p_refresh_token_enc text,
    p_expires_at timestamptz
)
returns jsonb
language sql
set search_path = ''
set timezone = 'UTC'
as $$
    with restored as (
        update public.installations as i
        set access_token_enc = p_access_token_enc,
            refresh_token_enc = coalesce(p_refresh_token_enc, i.refresh_token_enc),
            expires_at = p_expires_at,
            generation = i.generation + 1,
            status = 'active',
            reauth_reason = null,
            reauth_at = null,
            lease_holder = null,
            lease_expires_at = null,
            updated_at = now()
        where i.id = p_installation_id
          and i.generation = p_parked_generation
          and i.status <> 'uninstalled'
        returning 1
    )
    select pg_catalog.to_jsonb(exists (select from restored));
$$;

-- ---------------------------------------------------------------------------------------------
-- Uninstall
-- ---------------------------------------------------------------------------------------------

-- Drop the tokens, keep the row (history, memberships, a later reinstall). Removing tokens is a
-- token change, so the generation moves on and no in-flight refresh or parked pair can write
-- them back.
create function public.uninstall_installation(p_installation_id text)
returns jsonb
language sql
set search_path = ''
set timezone = 'UTC'
as $$
    with gone as (
        update public.installations as i
        set access_token_enc = null,
            refresh_token_enc = null,
            expires_at = null,
            status = 'uninstalled',
            uninstalled_at = pg_catalog.clock_timestamp(),
            lease_holder = null,
            lease_expires_at = null,
            generation = i.generation + 1,
            updated_at = now()
        where i.id = p_installation_id
        returning 1
    )
    select pg_catalog.to_jsonb(exists (select from gone));
$$;

-- ---------------------------------------------------------------------------------------------
-- Members
-- ---------------------------------------------------------------------------------------------

create function public.add_member(p_location_id text, p_user_id uuid, p_role text)
returns jsonb
language sql
set search_path = ''
set timezone = 'UTC'
as $$
    insert into public.members as m (location_id, user_id, role)
    values (p_location_id, p_user_id, p_role)
    on conflict (location_id, user_id) do update set role = excluded.role
    returning pg_catalog.jsonb_build_object('location_id', m.location_id, 'user_id', m.user_id, 'role', m.role);
$$;

create function public.get_membership(p_location_id text, p_user_id uuid)
returns jsonb
language sql
stable
set search_path = ''
set timezone = 'UTC'
as $$
    select pg_catalog.jsonb_build_object('location_id', m.location_id, 'user_id', m.user_id, 'role', m.role)
    from public.members as m
    where m.location_id = p_location_id and m.user_id = p_user_id;
$$;

create function public.list_memberships(p_user_id uuid)
returns jsonb
language sql
stable
set search_path = ''
set timezone = 'UTC'
as $$
    select coalesce(
        pg_catalog.jsonb_agg(
            pg_catalog.jsonb_build_object('location_id', m.location_id, 'user_id', m.user_id, 'role', m.role)
            order by m.location_id
        ),
        '[]'::jsonb
    )
    from public.members as m
    where m.user_id = p_user_id;
$$;

-- ---------------------------------------------------------------------------------------------
-- OAuth states and webhook receipts
-- ---------------------------------------------------------------------------------------------

-- true if created; a nonce that exists already is left as it is (first writer wins), so a
-- repeated nonce can never rebind a state to another user.
create function public.create_oauth_state(p_nonce text, p_user_id uuid, p_expires_at timestamptz)
returns jsonb
language sql
set search_path = ''
set timezone = 'UTC'
as $$
    with created as (
        insert into public.oauth_states (nonce, user_id, expires_at)
        values (p_nonce, p_user_id, p_expires_at)
        on conflict (nonce) do nothing
        returning 1
    )
    select pg_catalog.to_jsonb(exists (select from created));
$$;

-- true exactly once for an unused, unexpired state of this user. A state presented by another
-- user is refused and stays usable by its owner.
create function public.consume_oauth_state(p_nonce text, p_user_id uuid)
returns jsonb
language sql
set search_path = ''
set timezone = 'UTC'
as $$
    with consumed as (
        update public.oauth_states as s
        set used_at = pg_catalog.clock_timestamp()
        where s.nonce = p_nonce
          and s.user_id = p_user_id
          and s.used_at is null
          and s.expires_at > pg_catalog.clock_timestamp()
        returning 1
    )
    select pg_catalog.to_jsonb(exists (select from consumed));
$$;

-- true the first time a webhook id is seen, false for a replay.
create function public.record_webhook(p_webhook_id text, p_event_type text)
returns jsonb
language sql
set search_path = ''
set timezone = 'UTC'
as $$
    with recorded as (
        insert into public.webhook_receipts (webhook_id, event_type)
        values (p_webhook_id, p_event_type)
        on conflict (webhook_id) do nothing
        returning 1
    )
    select pg_catalog.to_jsonb(exists (select from recorded));
$$;

-- ---------------------------------------------------------------------------------------------
-- Who may call them: service_role only (Supabase grants EXECUTE to anon and authenticated by
-- default, and PostgreSQL to PUBLIC).
-- ---------------------------------------------------------------------------------------------

revoke all on function
    public.save_installation,
    public.get_installation,
    public.find_company_for_location,
    public.list_expiring,
    public.claim_refresh_lease,
    public.complete_refresh,
    public.release_lease,
    public.mark_needs_reauth,
    public.restore_parked,
    public.uninstall_installation,
    public.add_member,
    public.get_membership,
    public.list_memberships,
    public.create_oauth_state,
    public.consume_oauth_state,
    public.record_webhook
    from public, anon, authenticated, service_role;

grant execute on function
    public.save_installation,
    public.get_installation,
    public.find_company_for_location,
    public.list_expiring,
    public.claim_refresh_lease,
    public.complete_refresh,
    public.release_lease,
    public.mark_needs_reauth,
    public.restore_parked,
    public.uninstall_installation,
    public.add_member,
    public.get_membership,
    public.list_memberships,
    public.create_oauth_state,
    public.consume_oauth_state,
    public.record_webhook
    to service_role;

-- PostgREST caches the schema; tell it to reload (a no-op where nothing listens).
notify pgrst, 'reload schema';
