"""Token models: shaped by apps/oauth.json, keep unknown fields, never show a token."""

from __future__ import annotations

import httpx
import pytest

from ghlbridge.ghl.errors import GHLInvalidResponseError
from ghlbridge.ghl.models import LocationTokenResponse, TokenResponse, parse_response
from tests.ghl.ghl_testkit import (
    ACCESS_TOKEN,
    BASE_URL,
    LOCATION_TOKEN,
    NEW_REFRESH_TOKEN,
    assert_no_secrets,
    location_token_body,
    token_body,
)


def test_token_response_reads_every_spec_field() -> None:
    answer = TokenResponse.model_validate(token_body(installToFutureLocations=False, approveAllLocations=True))

    assert answer.access_token.get_secret_value() == ACCESS_TOKEN
    assert answer.refresh_token is not None and answer.refresh_token.get_secret_value() == NEW_REFRESH_TOKEN
    assert (answer.token_type, answer.expires_in, answer.userType) == ("Bearer", 86399, "Location")
    assert (answer.locationId, answer.companyId, answer.userId, answer.planId) == (
        "l1C08ntBrFjLS0elLIYU",
        "c0MpAnY1d2e3f4g5h6i7",
        "u5Er1d2e3f4g5h6i7j8k",
        "p1AnId2e3f4g5h6i7j8k",
    )
    assert answer.approvedLocations == ["l1C08ntBrFjLS0elLIYU"]
    assert (answer.isBulkInstallation, answer.installToFutureLocations, answer.approveAllLocations) == (
        False,
        False,
        True,
    )
    assert answer.scopes == ["conversations/message.readonly", "conversations/message.write"]


def test_only_what_we_need_is_required() -> None:
    minimal = TokenResponse.model_validate({"access_token": ACCESS_TOKEN, "expires_in": 86399})
    assert (minimal.refresh_token, minimal.userId, minimal.approvedLocations, minimal.scopes) == (
        None,
        None,
        [],
        [],
    )


@pytest.mark.parametrize("missing", ["access_token", "expires_in"])
def test_a_token_answer_without_essentials_is_rejected(missing: str) -> None:
    body = token_body()
    del body[missing]
    with pytest.raises(ValueError, match=missing):
        TokenResponse.model_validate(body)


def test_unknown_fields_are_kept() -> None:
    answer = TokenResponse.model_validate(token_body(traceId="t-1", newGhlField={"a": 1}))

    assert answer.model_extra == {"traceId": "t-1", "newGhlField": {"a": 1}}
    assert answer.model_dump()["newGhlField"] == {"a": 1}


def test_repr_and_str_never_show_a_token() -> None:
    answer = TokenResponse.model_validate(token_body(id_token=ACCESS_TOKEN + "-extra"))
    location = LocationTokenResponse.model_validate(location_token_body())

    for text in (repr(answer), str(answer), repr(location), str(location)):
        assert_no_secrets(text)
    assert_no_secrets(TokenResponse.model_validate(token_body()).model_dump_json())  # SecretStr dumps as ****
    assert "userType='Location'" in repr(answer)  # the rest is there
    assert "extra_fields=['id_token']" in repr(answer)  # unknown fields: by name only


def test_validation_errors_do_not_quote_input() -> None:
    with pytest.raises(ValueError) as caught:
        TokenResponse.model_validate(token_body(expires_in=ACCESS_TOKEN))
    assert_no_secrets(str(caught.value), repr(caught.value))


def test_location_token_response_has_no_refresh_token() -> None:
    answer = LocationTokenResponse.model_validate(location_token_body())

    assert answer.access_token.get_secret_value() == LOCATION_TOKEN
    assert (answer.locationId, answer.userId, answer.appId, answer.versionId) == (
        "l1C08ntBrFjLS0elLIYU",
        "u5Er1d2e3f4g5h6i7j8k",
        "6578278e879ad2646715ba9c",
        "6578278e879ad2646715ba9c",
    )
    assert "refresh_token" not in LocationTokenResponse.model_fields
    assert answer.scopes[-2:] == ["oauth.readonly", "oauth.write"]


def test_parse_response_names_fields_not_values() -> None:
    request = httpx.Request("POST", BASE_URL + "/oauth/locationToken")
    response = httpx.Response(201, json={"access_token": LOCATION_TOKEN}, request=request, headers={"traceid": "t-9"})

    with pytest.raises(GHLInvalidResponseError) as caught:
        parse_response(response, LocationTokenResponse)

    error = caught.value
    assert (error.status, error.method, error.path, error.trace_id) == (
        201,
        "POST",
        "/oauth/locationToken",
        "t-9",
    )
    assert "expires_in" in error.message
    assert_no_secrets(str(error), repr(error))
