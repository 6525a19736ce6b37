"""Opportunities (`apps/opportunities.json`, Version 2021-07-28, Sub-Account token).

`GET /opportunities/search` takes snake_case `location_id` (GHL-NOTES §9.3) and pages two ways:
`page` + `limit`, or the cursor `startAfter` (epoch ms of `createdAt`) + `startAfterId` that
`meta` hands back (also inside `meta.nextPageUrl`). Rows are sorted by `createdAt`, then id
(oldest first; `order=added_desc` reverses), so opportunities created in the same millisecond (the
seeded import batch) page stably. When a cursor is given it decides where the page starts, and
`currentPage` is counted from there; `page` only counts when there is no cursor.

Writes (`opportunities.write`): `PUT /opportunities/{id}` (stage, pipeline, status, value, owner,
name, custom fields) answers `{opportunity}`; `PUT /opportunities/{id}/status` (`status`*,
`lostReasonId`) answers only `{succeded: true}` (sic, the spec's spelling). Both take `status` ∈
open, won, lost, abandoned: the spec's write enums also list `all`, a search filter, which the
sandbox refuses as a validation error (422 "status must be one of the following values: open, won,
lost, abandoned"), as GHL-NOTES §10.8 advises clients to withhold it. A status change moves
`lastStatusChangeAt` (setting the same status does not), and the opportunity leaves
`GET /opportunities/search?status=open` for its new status's filter. `lostReasonId` is kept as given
(shown as `lostReasonId`) whatever the status: the sandbox has no lost-reason list to check it
against (`GET /opportunities/lost-reason` was internal-only on GHL, GHL-NOTES §10.8), and a later
status change without one keeps it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from ghlsandbox.clock import epoch_ms, utc
from ghlsandbox.records import Opportunity
from ghlsandbox.routing import VERSION_2021_07_28, Call, Reply, Route, unprocessable
from ghlsandbox.validation import Field

STATUSES = ("open", "won", "lost", "abandoned", "all")
WRITE_STATUSES = STATUSES[:-1]
"""What a write may set: the spec's enum without the search filter `all` (GHL-NOTES §10.8)."""
DEFAULT_LIMIT = 20
_CURSOR_PARAMS = ("page", "startAfter", "startAfterId")


def search(call: Call) -> Reply:
    query = call.query
    location = call.location(query["location_id"])
    problems: list[str] = []
    start_after = query.get("startAfter")
    if start_after is not None and not str(start_after).isdigit():
        problems.append("startAfter must be a number string (epoch milliseconds)")
    after_id = query.get("startAfterId")
    if after_id is not None and start_after is None and after_id not in call.data.opportunities:
        problems.append("startAfterId must be the id of an opportunity")
    since = _date(query, "date", problems)
    until = _date(query, "endDate", problems)
    if problems:
        raise unprocessable(problems)

    zone = location.zone
    earliest = datetime.combine(since, time(), zone) if since else None
    before = datetime.combine(until + timedelta(days=1), time(), zone) if until else None
    rows = [
        opportunity
        for opportunity in call.data.opportunities.values()
        if opportunity.location_id == location.id
        and _matches(call, opportunity, query)
        and (earliest is None or opportunity.created_at >= earliest)
        and (before is None or opportunity.created_at < before)
    ]
    descending = query.get("order") == "added_desc"
    rows.sort(key=_sort_key, reverse=descending)
    limit = int(query.get("limit", DEFAULT_LIMIT))
    if start_after is not None:
        start = _position(rows, (int(start_after), after_id) if after_id else (int(start_after),), descending)
    elif after_id is not None:
        start = _position(rows, _sort_key(call.data.opportunities[after_id]), descending)
    else:
        start = (int(query.get("page", 1)) - 1) * limit
    page_rows = rows[start : start + limit]
    return Reply(
        200,
        {
            "opportunities": [row.api(call.data.contacts.get(row.contact_id)) for row in page_rows],
            "meta": _meta(call, total=len(rows), start=start, limit=limit, page_rows=page_rows),
        },
    )


def _sort_key(opportunity: Opportunity) -> tuple[int, str]:
    return epoch_ms(opportunity.created_at), opportunity.id


def _position(rows: list[Opportunity], cursor: tuple[int, str] | tuple[int], descending: bool) -> int:
    """Where the page after `cursor` starts: how many (sorted) rows sort at or before the cursor.
    A cursor without an id skips every row of that millisecond."""
    width = len(cursor)
    if descending:
        return sum(1 for row in rows if _sort_key(row)[:width] >= cursor)
    return sum(1 for row in rows if _sort_key(row)[:width] <= cursor)


def _date(query: Mapping[str, Any], name: str, problems: list[str]) -> Any:
    text = query.get(name)
    if text is None:
        return None
    try:
        return datetime.strptime(text, "%m-%d-%Y").date()
    except ValueError:
        problems.append(f"{name} must be a date in mm-dd-yyyy format")
        return None


def _matches(call: Call, opportunity: Opportunity, query: Mapping[str, Any]) -> bool:
    exact = {
        "pipeline_id": opportunity.pipeline_id,
        "pipeline_stage_id": opportunity.pipeline_stage_id,
        "contact_id": opportunity.contact_id,
        "assigned_to": opportunity.assigned_to,
        "id": opportunity.id,
    }
    if any(name in query and query[name] != value for name, value in exact.items()):
        return False
    if query.get("status", "all") not in ("all", opportunity.status):
        return False
    text = str(query.get("q", "")).lower()
    if text:
        contact = call.data.contacts.get(opportunity.contact_id)
        haystack = [opportunity.name]
        if contact is not None:
            haystack += [contact.name, contact.email, contact.phone, contact.company_name]
        return any(text in value.lower() for value in haystack)
    return True


def _meta(call: Call, *, total: int, start: int, limit: int, page_rows: list[Opportunity]) -> dict[str, Any]:
    """GHL's `meta`. Keys without a value (no next page, no previous page) are left out, because
    the spec types them as plain numbers/strings; `search_meta_nulls` sends nulls as GHL does."""
    current = start // limit + 1
    meta: dict[str, Any] = {"total": total, "currentPage": current}
    if call.config.search_meta_nulls:
        meta.update(nextPageUrl=None, startAfterId=None, startAfter=None, nextPage=None, prevPage=None)
    if current > 1:
        meta["prevPage"] = current - 1
    if page_rows and start + limit < total:
        last = page_rows[-1]
        cursor = {"startAfter": epoch_ms(last.created_at), "startAfterId": last.id, "page": current + 1}
        kept = [
            (name, value) for name, values in call.raw_query.items() if name not in _CURSOR_PARAMS for value in values
        ]
        meta.update(
            startAfter=cursor["startAfter"],
            startAfterId=last.id,
            nextPage=current + 1,
            nextPageUrl=f"{call.base_url}/opportunities/search?{urlencode([*kept, *cursor.items()])}",
        )
    return meta


def pipelines(call: Call) -> Reply:
    location = call.location(call.query["locationId"])
    found = [pipeline.api() for pipeline in call.data.pipelines.values() if pipeline.location_id == location.id]
    return Reply(200, {"pipelines": found})


def get(call: Call) -> Reply:
    found = call.data.opportunities.get(call.path_params["id"])
    opportunity = call.owned(found, found.location_id if found else None, "Opportunity")
    return Reply(200, {"opportunity": opportunity.api(call.data.contacts.get(opportunity.contact_id))})


def update(call: Call) -> Reply:
    """`PUT /opportunities/{id}`: validate the whole change first (422, message array), then apply."""
    found = call.data.opportunities.get(call.path_params["id"])
    opportunity = call.owned(found, found.location_id if found else None, "Opportunity")
    body = call.body
    problems: list[str] = []
    pipeline_id = body.get("pipelineId", opportunity.pipeline_id)
    stage_id = body.get("pipelineStageId", opportunity.pipeline_stage_id)
    pipeline = call.data.pipelines.get(pipeline_id)
    if pipeline is None or pipeline.location_id != opportunity.location_id:
        problems.append(f"pipelineId {pipeline_id} is not a pipeline of this location")
    elif pipeline.stage(stage_id) is None:
        problems.append(f"pipelineStageId {stage_id} is not a stage of pipeline {pipeline_id}")
    if "monetaryValue" in body and body["monetaryValue"] < 0:
        problems.append("monetaryValue must not be less than 0")
    assigned_to = body.get("assignedTo")
    if assigned_to:
        user = call.data.users.get(assigned_to)
        if user is None or opportunity.location_id not in user.location_ids:
            problems.append(f"assignedTo {assigned_to} is not a user of this location")
    custom_values = _custom_field_values(call, opportunity.location_id, body.get("customFields", []), problems)
    if problems:
        raise unprocessable(problems)

    now = utc(call.now)
    if stage_id != opportunity.pipeline_stage_id or pipeline_id != opportunity.pipeline_id:
        opportunity.last_stage_change_at = now
    if "status" in body:
        _set_status(opportunity, body["status"], now)
    opportunity.pipeline_id, opportunity.pipeline_stage_id = pipeline_id, stage_id
    if "name" in body:
        opportunity.name = body["name"]
    if "monetaryValue" in body:
        opportunity.monetary_value = float(body["monetaryValue"])
    if assigned_to is not None:
        opportunity.assigned_to = assigned_to
    opportunity.custom_fields.update(custom_values)
    opportunity.updated_at = now
    return Reply(200, {"opportunity": opportunity.api(call.data.contacts.get(opportunity.contact_id))})


def update_status(call: Call) -> Reply:
    """`PUT /opportunities/{id}/status` → `{succeded: true}` only."""
    found = call.data.opportunities.get(call.path_params["id"])
    opportunity = call.owned(found, found.location_id if found else None, "Opportunity")
    now = utc(call.now)
    _set_status(opportunity, call.body["status"], now)
    if call.body.get("lostReasonId"):
        opportunity.lost_reason_id = call.body["lostReasonId"]
    opportunity.updated_at = now
    return Reply(200, {"succeded": True})


def _set_status(opportunity: Opportunity, status: str, now: datetime) -> None:
    if status != opportunity.status:
        opportunity.status = status
        opportunity.last_status_change_at = now


def _custom_field_values(call: Call, location_id: str, items: list[Any], problems: list[str]) -> dict[str, str]:
    """`customFields` written as `{id | key, field_value}` (read back as `{id, fieldValue}`)."""
    values: dict[str, str] = {}
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("id") or item.get("key"), str):
            problems.append("each value in customFields must have an id or a key")
            continue
        ref = str(item.get("id") or item.get("key"))
        definition = call.data.custom_field(ref, model="opportunity", location_id=location_id)
        if definition is None:
            problems.append(f"customFields: no opportunity custom field {ref}")
        elif "field_value" not in item:
            problems.append(f"customFields: field_value should not be empty ({ref})")
        else:
            value = item["field_value"]
            values[definition.id] = value if isinstance(value, str) else ", ".join(map(str, value))
    return values


_SEARCH_QUERY = (
    Field("q"),
    Field("location_id", required=True),
    Field("pipeline_id"),
    Field("pipeline_stage_id"),
    Field("contact_id"),
    Field("status", enum=STATUSES),
    Field("assigned_to"),
    Field("campaignId"),  # accepted, not used by the sandbox
    Field("id"),
    Field("order", enum=("added_asc", "added_desc")),
    Field("endDate"),
    Field("startAfter"),
    Field("startAfterId"),
    Field("date"),
    Field("country"),  # accepted, not used by the sandbox
    Field("page", "integer", minimum=1),
    Field("limit", "integer", minimum=1, maximum=100),
    Field("getTasks", "boolean"),
    Field("getNotes", "boolean"),
    Field("getCalendarEvents", "boolean"),
)

ROUTES: tuple[Route, ...] = (
    Route(
        "GET", "/opportunities/search", search, VERSION_2021_07_28, "Location", "opportunities.readonly", _SEARCH_QUERY
    ),
    Route(
        "GET",
        "/opportunities/pipelines",
        pipelines,
        VERSION_2021_07_28,
        "Location",
        "opportunities.readonly",
        (Field("locationId", required=True),),
    ),
    Route("GET", "/opportunities/{id}", get, VERSION_2021_07_28, "Location", "opportunities.readonly"),
    Route(
        "PUT",
        "/opportunities/{id}",
        update,
        VERSION_2021_07_28,
        "Location",
        "opportunities.write",
        body=(
            Field("pipelineId"),
            Field("name"),
            Field("pipelineStageId"),
            Field("status", enum=WRITE_STATUSES),
            Field("monetaryValue", "number"),
            Field("assignedTo"),
            Field("customFields", "array"),
        ),
    ),
    Route(
        "PUT",
        "/opportunities/{id}/status",
        update_status,
        VERSION_2021_07_28,
        "Location",
        "opportunities.write",
        body=(Field("status", required=True, enum=WRITE_STATUSES), Field("lostReasonId")),
    ),
)
