"""Calendars for the toolkit API: booking links, free slots, booking an appointment, and
rescheduling, confirming or cancelling one."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from ghlbridge import deadline
from ghlbridge.http.document import BEARER, responses
from ghlbridge.http.params import AppointmentId, CalendarId, EndDay, IdempotencyKey, LocationId, StartDay, TimeZone
from ghlbridge.http.toolkit_resolver import (
    READ_ERRORS,
    REPLAY_HEADERS,
    SEND_ERRORS,
    UPDATE_ERRORS,
    make_toolkit_resolver,
    request_context,
    respond,
)
from ghlbridge.observability import logger, metrics, traced
from ghlbridge.toolkit import calendars
from ghlbridge.toolkit.models.calendars import (
    Appointment,
    AppointmentCreate,
    AppointmentUpdate,
    CalendarPage,
    FreeSlots,
)

app = make_toolkit_resolver()


@app.get(
    "/locations/<locationId>/calendars",
    operation_id="listCalendars",
    summary="The location's calendars, each with its booking link",
    tags=["calendars"],
    security=BEARER,
    responses=responses(200, CalendarPage, *READ_ERRORS),
)
def list_calendars(locationId: LocationId) -> CalendarPage:
    return calendars.list_calendars(request_context(app), locationId)


@app.get(
    "/locations/<locationId>/calendars/<calendarId>/free-slots",
    operation_id="getFreeSlots",
    summary="Free slots of a calendar between two dates",
    description=(
        "`start` and `end` are dates in `timezone`, both included; `end` is not before `start` and at most 31 days "
        "after it (400 `invalid_request` naming `end` otherwise)."
    ),
    tags=["calendars"],
    security=BEARER,
    responses=responses(200, FreeSlots, *READ_ERRORS),
)
def free_slots(
    locationId: LocationId, calendarId: CalendarId, start: StartDay, end: EndDay, timezone: TimeZone
) -> FreeSlots:
    return calendars.free_slots(request_context(app), locationId, calendarId, start=start, end=end, timezone=timezone)


@app.post(
    "/locations/<locationId>/appointments",
    operation_id="bookAppointment",
    status_code=201,
    summary="Book an appointment for a contact",
    tags=["calendars"],
    security=BEARER,
    responses=responses(
        201, Appointment, *SEND_ERRORS, "slot_unavailable", description="The appointment", headers=REPLAY_HEADERS
    ),
)
def book_appointment(
    locationId: LocationId, appointment: Annotated[AppointmentCreate, Body()], idempotencyKey: IdempotencyKey
) -> Response[dict[str, Any]]:
    return respond(calendars.book(request_context(app, idempotencyKey), locationId, appointment))


@app.put(
    "/locations/<locationId>/appointments/<appointmentId>",
    operation_id="updateAppointment",
    summary="Reschedule, confirm or cancel an appointment",
    description=(
        "A new `startTime` must be one of the calendar's free slots (409 `slot_unavailable` otherwise, nothing "
        "sent); the appointment keeps its length unless `endTime` is given. `status: cancelled` keeps it in GHL, "
        "cancelled, and frees its slot. 404 for another location's appointment. No Idempotency-Key: a PUT of values."
    ),
    tags=["calendars"],
    security=BEARER,
    responses=responses(200, Appointment, *UPDATE_ERRORS, "slot_unavailable"),
)
def update_appointment(
    locationId: LocationId, appointmentId: AppointmentId, change: Annotated[AppointmentUpdate, Body()]
) -> Appointment:
    return calendars.update_appointment(request_context(app), locationId, appointmentId, change)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
@traced
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    deadline.start(context)
    return app.resolve(event, context)
