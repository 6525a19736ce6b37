"""A contact's notes (read and write) and tags (add) for the toolkit API."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from ghlbridge import deadline
from ghlbridge.http.document import BEARER, responses
from ghlbridge.http.params import ContactId, IdempotencyKey, LocationId
from ghlbridge.http.toolkit_resolver import (
    READ_ERRORS,
    REPLAY_HEADERS,
    SEND_ERRORS,
    make_toolkit_resolver,
    request_context,
    respond,
)
from ghlbridge.observability import logger, metrics, traced
from ghlbridge.toolkit import notes
from ghlbridge.toolkit.models.contacts import Note
from ghlbridge.toolkit.models.notes import NoteCreate, NotePage, TagList, TagsAdd

app = make_toolkit_resolver()


@app.get(
    "/locations/<locationId>/contacts/<contactId>/notes",
    operation_id="listNotes",
    summary="The contact's notes, newest first",
    tags=["notes"],
    security=BEARER,
    responses=responses(200, NotePage, *READ_ERRORS),
)
def list_notes(locationId: LocationId, contactId: ContactId) -> NotePage:
    return notes.list_notes(request_context(app), locationId, contactId)


@app.post(
    "/locations/<locationId>/contacts/<contactId>/notes",
    operation_id="createNote",
    status_code=201,
    summary="Add a note to the contact",
    tags=["notes"],
    security=BEARER,
    responses=responses(201, Note, *SEND_ERRORS, description="The note", headers=REPLAY_HEADERS),
)
def create_note(
    locationId: LocationId,
    contactId: ContactId,
    note: Annotated[NoteCreate, Body()],
    idempotencyKey: IdempotencyKey,
) -> Response[dict[str, Any]]:
    return respond(notes.create_note(request_context(app, idempotencyKey), locationId, contactId, note))


@app.post(
    "/locations/<locationId>/contacts/<contactId>/tags",
    operation_id="addTags",
    summary="Add tags to the contact (its other tags stay)",
    tags=["notes"],
    security=BEARER,
    responses=responses(200, TagList, *SEND_ERRORS, description="GHL's answer", headers=REPLAY_HEADERS),
)
def add_tags(
    locationId: LocationId,
    contactId: ContactId,
    tags: Annotated[TagsAdd, Body()],
    idempotencyKey: IdempotencyKey,
) -> Response[dict[str, Any]]:
    return respond(notes.add_tags(request_context(app, idempotencyKey), locationId, contactId, tags))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
@traced
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    deadline.start(context)
    return app.resolve(event, context)
