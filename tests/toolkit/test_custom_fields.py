"""Insights checked against their field's definition before anything is sent (`toolkit.custom_fields`)."""

from __future__ import annotations

from typing import Any

import pytest

from ghlbridge.ghl import CustomFieldDefinition
from ghlbridge.toolkit.custom_fields import LARGE_TEXT_MAX, TEXT_MAX, _checked


def field(kind: str, options: tuple[str, ...] = ()) -> CustomFieldDefinition:
    return CustomFieldDefinition(
        id="f1", name="Field", fieldKey="contact.field", dataType=kind, picklistOptions=list(options)
    )


@pytest.mark.parametrize(
    ("kind", "options", "value", "sent"),
    [
        ("TEXT", (), "Fleet", "Fleet"),
        ("LARGE_TEXT", (), "x" * LARGE_TEXT_MAX, "x" * LARGE_TEXT_MAX),
        ("NUMERICAL", (), 12, 12),
        ("NUMERICAL", (), "12.5", 12.5),
        ("MONETORY", (), 126000.0, 126000),
        ("SINGLE_OPTIONS", ("Hot", "Cold"), "hot", "Hot"),
        ("RADIO", ("Champion", "Economic buyer"), "Champion", "Champion"),
        ("MULTIPLE_OPTIONS", ("Email", "SMS", "Call"), ["sms", "Email", "SMS"], ["SMS", "Email"]),
        ("CHECKBOX", ("Email", "SMS"), "Email", ["Email"]),
        ("DATE", (), "2027-01-31", "2027-01-31"),
    ],
)
def test_a_value_that_suits_its_field_is_sent_as_ghl_takes_it(
    kind: str, options: tuple[str, ...], value: Any, sent: Any
) -> None:
    assert _checked(field(kind, options), value) == sent


@pytest.mark.parametrize(
    ("kind", "options", "value"),
    [
        ("TEXT", (), 12),
        ("TEXT", (), "x" * (TEXT_MAX + 1)),
        ("NUMERICAL", (), "a lot"),
        ("NUMERICAL", (), True),
        ("MONETORY", (), float("nan")),
        ("SINGLE_OPTIONS", ("Hot", "Cold"), "Warm"),
        ("SINGLE_OPTIONS", ("Hot", "Cold"), ["Hot"]),
        ("MULTIPLE_OPTIONS", ("Email", "SMS"), ["Email", "Fax"]),
        ("DATE", (), "31/01/2027"),
        ("DATE", (), "2027-02-30"),
        ("FILE_UPLOAD", (), "https://example.com/a.pdf"),
    ],
)
def test_a_value_that_does_not_suit_its_field_is_refused_without_echoing_it(
    kind: str, options: tuple[str, ...], value: Any
) -> None:
    with pytest.raises(ValueError) as refused:
        _checked(field(kind, options), value)
    if isinstance(value, str) and len(value) > 3:
        assert value not in str(refused.value)  # never the offending value
