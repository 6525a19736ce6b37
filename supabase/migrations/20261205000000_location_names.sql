-- Location names (ghlbridge.store.base: `set_location_name`, `LocationAccess.name`): the toolkit's
-- location picker shows each location's name. GHL's token answer has none; the app asks GHL once
-- (GET /locations/{id}) and keeps the answer here.
--
-- Where the name lives: a table of its own, `locations`, keyed by the GHL locationId. A name is a
-- property of the location, not of an installation: one location has one name whichever
-- installation serves it (its own Location installation, or any Company installation approving
-- it), and a location reached through an agency install has no installation row of its own to
-- carry it. Nor does `installations.name` fit for a location's own installation: save_installation
-- overwrites the row on every reinstall with what the token answer holds (no name), and a Company
-- row's name would be the agency's. That column is left as it is (the app never wrote it: there is
-- nothing to carry over).
--
-- Lifetime: a name is kept only while the store knows its location, i.e. while an installation
-- that is not uninstalled covers it (its own Location installation, or a Company installation
-- whose approved locations include it). set_location_name stores nothing for any other id (it
-- answers false). A reinstall (save_installation) leaves the names alone, so none is lost;
-- uninstall_installation deletes, in the same transaction, the name of each location of the
-- uninstalled installation that nothing else covers any more: a name is GHL's data, and nothing of
-- GHL's is kept for a location the bridge no longer serves. Nobody sees it meanwhile either:
-- list_locations only lists the caller's memberships, and the uninstall ends those.
--
-- Races: set_location_name locks the covering installation rows `for share` while it checks
-- them, so an uninstall either waits for it (and then deletes what it wrote) or has committed
-- first (and then the row no longer qualifies: false, nothing written). uninstall_installation
-- locks the name rows it may delete before it looks for another covering installation, in a
-- statement of its own (a fresh snapshot): of two uninstalls of the installations covering one
-- location, the second sees the first one's and deletes the name.
--
-- Names arrive trimmed, at most 200 characters, never empty (`ghlbridge.store.base.location_name`);
-- the table's check says so again.
--
-- Access as in 20261128000000_token_store.sql: RLS on with no policy, nothing for anon,
-- authenticated or PUBLIC, EXECUTE for service_role only, functions SECURITY INVOKER with
-- `search_path` pinned to empty and `timezone` to UTC, every function returning jsonb.

-- ---------------------------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------------------------

create table public.locations (
    id         text primary key,                          -- GHL locationId
    name       text not null
               check (pg_catalog.char_length(name) between 1 and 200 and name = pg_catalog.btrim(name)),
    updated_at timestamptz not null default now()         -- when the name was last stored
);

comment on table public.locations is
    'The name of each GHL location an installation covers (asked of GHL once). Write only through the functions.';

alter table public.locations enable row level security;

revoke all on table public.locations from public, anon, authenticated, service_role;
grant select, insert, update, delete on table public.locations to service_role;  -- delete: uninstall_installation

-- ---------------------------------------------------------------------------------------------
-- Locations
-- ---------------------------------------------------------------------------------------------

-- true if the name is stored (inserted, or replacing the previous one); false, nothing written,
-- when no installation that is not uninstalled covers the location.
create function public.set_location_name(p_location_id text, p_name text)
returns jsonb
language plpgsql
set search_path = ''
set timezone = 'UTC'
as $$
begin
    perform
    from public.installations as i
    where i.status <> 'uninstalled'
      and ((i.kind = 'location' and i.id = p_location_id)
           or (i.kind = 'company' and i.approved_locations @> array[p_location_id]))
    order by i.id
    for share;
    if not found then
        return pg_catalog.to_jsonb(false);
    end if;
    insert into public.locations as l (id, name)
    values (p_location_id, p_name)
    on conflict (id) do update set name = excluded.name, updated_at = now();
    return pg_catalog.to_jsonb(true);
end;
$$;

-- ---------------------------------------------------------------------------------------------
-- Uninstall
-- ---------------------------------------------------------------------------------------------

-- As before (20261204000000_team_access.sql), and the names of the installation's locations that
-- no installation still covers are deleted.
create or replace function public.uninstall_installation(p_installation_id text)
returns jsonb
language plpgsql
set search_path = ''
set timezone = 'UTC'
as $$
declare
    v_inst public.installations;
    v_locations text[];
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
        v_locations := array[v_inst.id];
    else
        delete from public.members as m
        where m.location_id = any (v_inst.approved_locations)
          and public.get_token_source(m.location_id) is null;
        v_locations := v_inst.approved_locations;
    end if;
    -- Lock first, then look (next statement, fresh snapshot): a concurrent uninstall of another
    -- installation covering one of them has committed by then, and is seen.
    perform from public.locations as l where l.id = any (v_locations) order by l.id for update;
    delete from public.locations as l
    where l.id = any (v_locations)
      and not exists (
          select from public.installations as i
          where i.status <> 'uninstalled'
            and ((i.kind = 'location' and i.id = l.id)
                 or (i.kind = 'company' and i.approved_locations @> array[l.id]))
      );
    return pg_catalog.to_jsonb(true);
end;
$$;

-- ---------------------------------------------------------------------------------------------
-- Members
-- ---------------------------------------------------------------------------------------------

-- As before, and each location's name (null until set_location_name stored one):
-- [{"membership": {...}, "installation": {...} | null, "name": "..." | null}]. Still one statement.
create or replace function public.list_locations(p_user_id uuid)
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
                'installation', public.get_token_source(m.location_id),
                'name', l.name
            )
            order by m.location_id collate pg_catalog."C"
        ),
        '[]'::jsonb
    )
    from public.members as m
    left join public.locations as l on l.id = m.location_id
    where m.user_id = p_user_id;
$$;

-- ---------------------------------------------------------------------------------------------
-- Who may call them: service_role only (the replaced functions keep the grants they had).
-- ---------------------------------------------------------------------------------------------

revoke all on function public.set_location_name from public, anon, authenticated, service_role;
grant execute on function public.set_location_name to service_role;

-- PostgREST caches the schema; tell it to reload (a no-op where nothing listens).
notify pgrst, 'reload schema';
