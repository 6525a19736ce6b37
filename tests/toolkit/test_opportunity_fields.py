"""The opportunity list writes its JSON without validating it again (`toolkit.opportunities.search`).
That is safe only while `opportunity_fields` yields exactly the JSON of the validated `Opportunity`:
checked here over every opportunity the sandbox seeds (with contacts, tags and custom fields;
open, won, lost and abandoned), plus odd shapes GHL allows: nothing but an id, an unknown pipeline
and stage, non-ASCII text, a nested custom-field value, an unknown GHL field."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pydantic_core
import pytest
from ghlsandbox.data import seed_data

from ghlbridge import ghl
from ghlbridge.toolkit.models.opportunities import Opportunity
from ghlbridge.toolkit.opportunities import opportunity_fields
from ghlbridge.toolkit.pipelines import Pipelines

DATA = seed_data(7, datetime(2026, 11, 28, tzinfo=UTC))
NAMES = Pipelines(tuple(ghl.Pipeline.model_validate(p.api()) for p in DATA.pipelines.values()), fresh=False)


def ghl_items() -> list[dict[str, Any]]:
    seeded = [row.api(DATA.contacts.get(row.contact_id)) for row in DATA.opportunities.values()]
    odd = [
        {"id": "o1"},  # nothing but the id
        {"id": "o2", "pipelineId": "unknown", "pipelineStageId": "unknown", "monetaryValue": 0},
        {"id": "o3", "name": 'Zoë — 50% "off" \u2028', "monetaryValue": 12.5, "contact": {"id": "c", "tags": []}},
        {"id": "o4", "customFields": [{"id": "f", "fieldValue": {"a": [1, None, 2.5]}}], "futureField": [1]},
        {"id": "o5", "status": "archived"},  # a status GHL does not document: answered as null
    ]
    return seeded + odd


def test_the_sandbox_seeds_the_variety_this_test_relies_on() -> None:
    items = ghl_items()
    assert len(items) > 200
    assert any(item.get("contact") for item in items) and any(item.get("customFields") for item in items)
    assert {item.get("status") for item in items} >= {"open", "won", "lost", "abandoned"}


@pytest.mark.parametrize("item", ghl_items(), ids=lambda item: str(item["id"]))
def test_fields_are_the_json_of_the_validated_model(item: dict[str, Any]) -> None:
    fields = opportunity_fields(ghl.Opportunity.model_validate(item), NAMES)

    written = json.loads(pydantic_core.to_json(fields))
    validated = json.loads(Opportunity.model_validate(fields).model_dump_json(by_alias=True))

    assert written == validated
    assert list(written) == list(validated)  # same fields, same order


def test_a_status_ghl_does_not_document_is_answered_as_null_so_the_enum_holds() -> None:
    fields = opportunity_fields(ghl.Opportunity.model_validate({"id": "o5", "status": "archived"}), None)

    assert fields["status"] is None
    assert opportunity_fields(ghl.Opportunity.model_validate({"id": "o6", "status": "won"}), None)["status"] == "won"
