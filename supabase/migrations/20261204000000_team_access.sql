-- Team access (ghlbridge.store.base.TokenStore, members and install tickets): who may use the toolkit
-- on a location is a membership with a role (owner or member), and a membership is made only by
-- redeeming an install ticket (the user who completed the install becomes an owner) or by an owner.
--
-- Why: installing the app used to make the installer a member of every location it reached, and any
-- caller of add_member could grant anything. Now an install grants nothing by itself
-- (save_installation); it hands the installing user a single-use ticket bound to the installation
-- as installed at that moment, so an uninstall or a reinstall in between voids it. Member writes
-- are guarded in the function that writes (the actor's ownership is checked in the same
-- transaction) and the last owner of a location can neither leave nor be demoted or removed, even
-- by two owners acting at once: every guarded write locks the location's owner rows first, so
-- concurrent ones run one after the other and each counts what the previous one left.
--
-- Access as in 20261128000000_token_store.sql: RLS on with no policy, nothing for anon,
-- authenticated or PUBLIC, EXECUTE for service_role only, functions SECURITY INVOKER with
-- `search_path` pinned to empty and `timezone` to UTC, every function returning jsonb. A member is
-- the JSON of its row: {location_id, user_id, role, ghl_user_id, added_by, added_at}. A guarded
-- write answers {"outcome": <what it did>, "member": <the member as it stands afterwards, or null>}.
--
-- A null actor or user (the app sends null for a string that is not a Supabase Auth user id) names
-- nobody: the actor is then `forbidden`, the user `not_found`.

-- ---------------------------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------------------------

-- When the installation was last installed (install or reinstall): install tickets are bound to it.
alter table public.installations add column installed_at timestamptz;
update public.installations set installed_at = created_at;

-- Roles are owner or member; whatever else an older version wrote was a plain member.
update public.members set role = 'member' where role <> 'owner';
alter table public.members add constraint members_role_check check (role in ('owner', 'member'));
alter table public.members rename column created_at to added_at;
alter table public.members add column added_by uuid;        -- the owner who added them (or themself)
alter table public.members add column ghl_user_id text;     -- the GHL user of the location they act as

comment on column public.members.ghl_user_id is
    'The GHL user (of this location) whose name what the member writes carries; one member per GHL user.';

create unique index members_ghl_user_idx on public.members (location_id, ghl_user_id)
    where ghl_user_id is not null;

-- A company id is never a location: memberships made on one by older versions grant nothing.
delete from public.members as m
using public.installations as i
where i.kind = 'company' and i.id = m.location_id;

create table public.install_tickets (
    ticket_hash     text primary key,            -- SHA-256 of the ticket: the ticket itself is never stored
    user_id         uuid not null,               -- the only user who may redeem it
    installation_id text not null,
    installed_at    timestamptz not null,        -- the installation's installed_at when it was issued
    expires_at      timestamptz not null,
    used_at         timestamptz,
    created_at      timestamptz not null default now()
);

comment on table public.install_tickets is
    'Single-use tickets that make the user who completed an install an owner of its locations.';

-- The purge of old tickets (a scheduled delete) will want this.
create index install_tickets_expires_at_idx on public.install_tickets (expires_at);

alter table public.install_tickets enable row level security;

revoke all on table public.install_tickets from public, anon, authenticated, service_role;
grant select, insert, update on table public.install_tickets to service_role;
grant delete on table public.members to service_role;  -- remove_member, uninstall_installation

-- ---------------------------------------------------------------------------------------------
-- Installations
-- ---------------------------------------------------------------------------------------------

-- As before, and installed_at = now() on every install or reinstall: it voids the tickets issued
-- for an earlier install. It grants nothing to anybody.
create or replace function public.save_installation(p_installation jsonb)
returns jsonb
language sql
set search_path = ''
set timezone = 'UTC'
as $$
    insert into public.installations as i (
        id, kind, user_type, company_id, name, scopes, approved_locations,
        access_token_enc, refresh_token_enc, expires_at, installed_by, generation, installed_at
    )
    select r.id, r.kind, r.user_type, r.company_id, r.name,
           coalesce(r.scopes, '{}'), coalesce(r.approved_locations, '{}'),
           r.access_token_enc, r.refresh_token_enc, r.expires_at, r.installed_by, 1, now()
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
        installed_at = now(),
        updated_at = now()
    returning pg_catalog.to_jsonb(i.*);
$$;

drop function public.find_company_for_location(text);

-- The installation whose token serves the location: its own Location installation unless
-- uninstalled (a needs_reauth one still answers: the caller reports it), else the newest active
-- Company installation that approved it. A company's own id is not a location (kind = 'location').
create function public.get_token_source(p_location_id text)
returns jsonb
language sql
stable
set search_path = ''
set timezone = 'UTC'
as $$
    select pg_catalog.to_jsonb(i.*)
    from public.installations as i
    where (i.kind = 'location' and i.id = p_location_id and i.status <> 'uninstalled')
       or (i.kind = 'company' and i.status = 'active' and i.approved_locations @> array[p_location_id])
    order by i.kind = 'location' desc, i.updated_at desc, i.id
    limit 1;
$$;

-- ---------------------------------------------------------------------------------------------
-- Uninstall
-- ---------------------------------------------------------------------------------------------

-- As before, and the memberships the installation served end with it: those of a Location
-- installation's location; those of each location a Company installation approved that nothing
-- else serves any more (asked of get_token_source once this row is uninstalled). Tickets need no
-- change: redeem_install_ticket refuses an uninstalled installation, and a reinstall moves
-- installed_at.
create or replace function public.uninstall_installation(p_installation_id text)
returns jsonb
language plpgsql
set search_path = ''
set timezone = 'UTC'
as $$
declare
    v_inst public.installations;
begin
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
    returning i.* into v_inst;
    if not found then
        return pg_catalog.to_jsonb(false);
    end if;
    if v_inst.kind = 'location' then
        delete from public.members as m where m.location_id = v_inst.id;
    else
        delete from public.members as m
        where m.location_id = any (v_inst.approved_locations)
          and public.get_token_source(m.location_id) is null;
    end if;
    return pg_catalog.to_jsonb(true);
end;
$$;

-- ---------------------------------------------------------------------------------------------
-- Members
-- ---------------------------------------------------------------------------------------------

drop function public.list_memberships(uuid);
drop function public.add_member(text, uuid, text);

-- Unguarded insert-or-update of the role (seeding, tests, tools); added_by and added_at stay those
-- of the first insert.
create function public.add_member(p_location_id text, p_user_id uuid, p_role text, p_added_by uuid default null)
returns jsonb
language sql
set search_path = ''
set timezone = 'UTC'
as $$
    insert into public.members as m (location_id, user_id, role, added_by)
    values (p_location_id, p_user_id, p_role, p_added_by)
    on conflict (location_id, user_id) do update set role = excluded.role
    returning pg_catalog.to_jsonb(m.*);
$$;

create or replace function public.get_membership(p_location_id text, p_user_id uuid)
returns jsonb
language sql
stable
set search_path = ''
set timezone = 'UTC'
as $$
    select pg_catalog.to_jsonb(m.*)
    from public.members as m
    where m.location_id = p_location_id and m.user_id = p_user_id;
$$;

-- Oldest first.
create function public.list_members(p_location_id text)
returns jsonb
language sql
stable
set search_path = ''
set timezone = 'UTC'
as $$
    select coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(m.*) order by m.added_at, m.user_id), '[]'::jsonb)
    from public.members as m
    where m.location_id = p_location_id;
$$;

-- Every location of the user (ordered by id, bytewise as the SQLite store does), each with the
-- installation get_token_source picks for it: [{"membership": {...}, "installation": {...} | null}].
create function public.list_locations(p_user_id uuid)
returns jsonb
language sql
stable
set search_path = ''
set timezone = 'UTC'
as $$
    select coalesce(
        pg_catalog.jsonb_agg(
            pg_catalog.jsonb_build_object(
                'membership', pg_catalog.to_jsonb(m.*),
                'installation', public.get_token_source(m.location_id)
            )
            order by m.location_id collate pg_catalog."C"
        ),
        '[]'::jsonb
    )
    from public.members as m
    where m.user_id = p_user_id;
$$;

-- The guarded writes below begin alike: lock the location's owner rows (in one order, so two of
-- them cannot deadlock) and read them in the same statement. A concurrent guarded write on the
-- location waits there until this one commits, then sees what it left: of two owners demoting or
-- removing each other, the second finds its actor no longer an owner, or itself the last one.

-- Add a member, if the actor is an owner: created | exists | role_differs | forbidden | not_found
-- (a null user).
create function public.put_member(p_location_id text, p_actor uuid, p_user_id uuid, p_role text)
returns jsonb
language plpgsql
set search_path = ''
set timezone = 'UTC'
as $$
declare
    v_owners uuid[];
    v_member public.members;
begin
    select coalesce(pg_catalog.array_agg(o.user_id), '{}') into v_owners
    from (select m.user_id from public.members as m
          where m.location_id = p_location_id and m.role = 'owner'
          order by m.user_id for update) as o;
    if not coalesce(p_actor = any (v_owners), false) then
        return pg_catalog.jsonb_build_object('outcome', 'forbidden', 'member', null);
    end if;
    if p_user_id is null then
        return pg_catalog.jsonb_build_object('outcome', 'not_found', 'member', null);
    end if;
    insert into public.members as m (location_id, user_id, role, added_by)
    values (p_location_id, p_user_id, p_role, p_actor)
    on conflict (location_id, user_id) do nothing
    returning m.* into v_member;
    if found then
        return pg_catalog.jsonb_build_object('outcome', 'created', 'member', pg_catalog.to_jsonb(v_member));
    end if;
    select m.* into v_member from public.members as m
    where m.location_id = p_location_id and m.user_id = p_user_id;
    return pg_catalog.jsonb_build_object(
        'outcome', case when v_member.role = p_role then 'exists' else 'role_differs' end,
        'member', pg_catalog.to_jsonb(v_member)
    );
end;
$$;

-- Change a member's role, if the actor is an owner: updated | not_found | forbidden | last_owner.
create function public.set_member_role(p_location_id text, p_actor uuid, p_user_id uuid, p_role text)
returns jsonb
language plpgsql
set search_path = ''
set timezone = 'UTC'
as $$
declare
    v_owners uuid[];
    v_member public.members;
begin
    select coalesce(pg_catalog.array_agg(o.user_id), '{}') into v_owners
    from (select m.user_id from public.members as m
          where m.location_id = p_location_id and m.role = 'owner'
          order by m.user_id for update) as o;
    if not coalesce(p_actor = any (v_owners), false) then
        return pg_catalog.jsonb_build_object('outcome', 'forbidden', 'member', null);
    end if;
    select m.* into v_member from public.members as m
    where m.location_id = p_location_id and m.user_id = p_user_id
    for update;
    if not found then
        return pg_catalog.jsonb_build_object('outcome', 'not_found', 'member', null);
    end if;
    if v_member.role = 'owner' and p_role <> 'owner' and pg_catalog.cardinality(v_owners) <= 1 then
        return pg_catalog.jsonb_build_object('outcome', 'last_owner', 'member', pg_catalog.to_jsonb(v_member));
    end if;
    update public.members as m set role = p_role
    where m.location_id = p_location_id and m.user_id = p_user_id
    returning m.* into v_member;
    return pg_catalog.jsonb_build_object('outcome', 'updated', 'member', pg_catalog.to_jsonb(v_member));
end;
$$;

-- End a membership, if the actor is an owner or the member themself: removed (with the removed
-- row) | not_found | forbidden | last_owner.
create function public.remove_member(p_location_id text, p_actor uuid, p_user_id uuid)
returns jsonb
language plpgsql
set search_path = ''
set timezone = 'UTC'
as $$
declare
    v_owners uuid[];
    v_member public.members;
begin
    select coalesce(pg_catalog.array_agg(o.user_id), '{}') into v_owners
    from (select m.user_id from public.members as m
          where m.location_id = p_location_id and m.role = 'owner'
          order by m.user_id for update) as o;
    if p_actor is null
       or (p_actor is distinct from p_user_id and not coalesce(p_actor = any (v_owners), false)) then
        return pg_catalog.jsonb_build_object('outcome', 'forbidden', 'member', null);
    end if;
    select m.* into v_member from public.members as m
    where m.location_id = p_location_id and m.user_id = p_user_id
    for update;
    if not found then
        return pg_catalog.jsonb_build_object('outcome', 'not_found', 'member', null);
    end if;
    if v_member.role = 'owner' and pg_catalog.cardinality(v_owners) <= 1 then
        return pg_catalog.jsonb_build_object('outcome', 'last_owner', 'member', pg_catalog.to_jsonb(v_member));
    end if;
    delete from public.members as m
    where m.location_id = p_location_id and m.user_id = p_user_id;
    return pg_catalog.jsonb_build_object('outcome', 'removed', 'member', pg_catalog.to_jsonb(v_member));
end;
$$;

-- Link a member to a GHL user of the location (null unlinks), if the actor is an owner or the
-- member themself: updated | not_found | forbidden | ghl_user_taken (another member has that GHL
-- user: the unique index says so, also against a concurrent link).
create function public.link_member(p_location_id text, p_actor uuid, p_user_id uuid, p_ghl_user_id text)
returns jsonb
language plpgsql
set search_path = ''
set timezone = 'UTC'
as $$
declare
    v_owners uuid[];
    v_member public.members;
begin
    select coalesce(pg_catalog.array_agg(o.user_id), '{}') into v_owners
    from (select m.user_id from public.members as m
          where m.location_id = p_location_id and m.role = 'owner'
          order by m.user_id for update) as o;
    if p_actor is null
       or (p_actor is distinct from p_user_id and not coalesce(p_actor = any (v_owners), false)) then
        return pg_catalog.jsonb_build_object('outcome', 'forbidden', 'member', null);
    end if;
    select m.* into v_member from public.members as m
    where m.location_id = p_location_id and m.user_id = p_user_id
    for update;
    if not found then
        return pg_catalog.jsonb_build_object('outcome', 'not_found', 'member', null);
    end if;
    begin
        update public.members as m set ghl_user_id = p_ghl_user_id
        where m.location_id = p_location_id and m.user_id = p_user_id
        returning m.* into v_member;
    exception when unique_violation then
        return pg_catalog.jsonb_build_object('outcome', 'ghl_user_taken', 'member', pg_catalog.to_jsonb(v_member));
    end;
    return pg_catalog.jsonb_build_object('outcome', 'updated', 'member', pg_catalog.to_jsonb(v_member));
end;
$$;

-- ---------------------------------------------------------------------------------------------
-- Install tickets
-- ---------------------------------------------------------------------------------------------

-- true if stored. The ticket is bound to the installation's installed_at as read by this very
-- statement (never a value from outside); false for an unknown installation or a hash in use.
create function public.create_install_ticket(
    p_ticket_hash text,
    p_user_id uuid,
    p_installation_id text,
    p_expires_at timestamptz
)
returns jsonb
language sql
set search_path = ''
set timezone = 'UTC'
as $$
    with created as (
        insert into public.install_tickets (ticket_hash, user_id, installation_id, installed_at, expires_at)
        select p_ticket_hash, p_user_id, i.id, i.installed_at, p_expires_at
        from public.installations as i
        where i.id = p_installation_id
        on conflict (ticket_hash) do nothing
        returning 1
    )
    select pg_catalog.to_jsonb(exists (select from created));
$$;

-- The sorted ids of the locations the user now owns, or null (nothing changed) unless the ticket
-- is this user's, unused, unexpired, and its installation is not uninstalled and still as installed
-- when the ticket was issued. The ticket row is locked (a second redeemer waits, then finds it
-- used) and the installation row shared (an uninstall or reinstall waits for us, or we see it).
create function public.redeem_install_ticket(p_ticket_hash text, p_user_id uuid)
returns jsonb
language plpgsql
set search_path = ''
set timezone = 'UTC'
as $$
declare
    v_inst public.installations;
    v_locations text[];
begin
    select i.* into v_inst
    from public.install_tickets as t
    join public.installations as i on i.id = t.installation_id
    where t.ticket_hash = p_ticket_hash
      and t.user_id = p_user_id
      and t.used_at is null
      and t.expires_at > pg_catalog.clock_timestamp()
      and i.status <> 'uninstalled'
      and i.installed_at = t.installed_at
    for update of t for share of i;
    if not found then
        return null;
    end if;
    update public.install_tickets as t
    set used_at = pg_catalog.clock_timestamp()
    where t.ticket_hash = p_ticket_hash;
    select coalesce(pg_catalog.array_agg(distinct l.id collate pg_catalog."C" order by l.id collate pg_catalog."C"),
                    '{}')
    into v_locations
    from pg_catalog.unnest(
        case when v_inst.kind = 'location' then array[v_inst.id] else v_inst.approved_locations end
    ) as l (id);
    -- An existing member is promoted; their link, added_by and added_at stay.
    insert into public.members as m (location_id, user_id, role, added_by)
    select l.id, p_user_id, 'owner', p_user_id
    from pg_catalog.unnest(v_locations) as l (id)
    on conflict (location_id, user_id) do update set role = 'owner';
    return pg_catalog.to_jsonb(v_locations);
end;
$$;

-- ---------------------------------------------------------------------------------------------
-- Who may call them: service_role only (the replaced functions keep the grants they had).
-- ---------------------------------------------------------------------------------------------

revoke all on function
    public.get_token_source,
    public.add_member,
    public.list_members,
    public.list_locations,
    public.put_member,
    public.set_member_role,
    public.remove_member,
    public.link_member,
    public.create_install_ticket,
    public.redeem_install_ticket
    from public, anon, authenticated, service_role;

grant execute on function
    public.get_token_source,
    public.add_member,
    public.list_members,
    public.list_locations,
    public.put_member,
    public.set_member_role,
    public.remove_member,
    public.link_member,
    public.create_install_ticket,
    public.redeem_install_ticket
    to service_role;

-- PostgREST caches the schema; tell it to reload (a no-op where nothing listens).
notify pgrst, 'reload schema';
