"""GHL webhooks: signatures fail closed, bodies are checked, effects happen once."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from ghlbridge.errors import RequestInvalidError, WebhookSignatureError
from ghlbridge.settings import reset_settings
from ghlbridge.store.base import Installation, InstallationKind, InstallationStatus, Store
from ghlbridge.tokens.webhooks import (
    WebhookEvent,
    WebhookResult,
    WebhookStaleError,
    body_bytes,
    handle_event,
    parse_event,
    receive,
    verify_signature,
)
from tests.security.conftest import GHL_CLIENT_ID

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
APP_ID = GHL_CLIENT_ID.split("-")[0]
ED_KEY = ed25519.Ed25519PrivateKey.generate()
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_ED_KEY = ed25519.Ed25519PrivateKey.generate()
OTHER_RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem(private_key: Any) -> str:
    return (
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def ed_sign(body: bytes, key: ed25519.Ed25519PrivateKey = ED_KEY) -> str:
    return base64.b64encode(key.sign(body)).decode()


def rsa_sign(body: bytes, key: rsa.RSAPrivateKey = RSA_KEY) -> str:
    return base64.b64encode(key.sign(body, padding.PKCS1v15(), hashes.SHA256())).decode()


def body(**fields: Any) -> bytes:
    payload: dict[str, Any] = {
        "type": "INSTALL",
        "appId": APP_ID,
        "locationId": "loc_1",
        "companyId": "comp_1",
        "userId": "user_1",
        "webhookId": "wh_1",
        "timestamp": "2026-03-01T11:59:30.000Z",
    }
    payload.update(fields)
    # GHL's own spacing, not ours: the signature covers these exact bytes
    return json.dumps({k: v for k, v in payload.items() if v is not None}, indent=1).encode()


def installation(iid: str, kind: InstallationKind, **fields: Any) -> Installation:
    base: dict[str, Any] = {
        "id": iid,
        "kind": kind,
        "user_type": kind.value.title(),
        "access_token_enc": f"v1.k2.access-{iid}",
        "refresh_token_enc": f"v1.k2.refresh-{iid}",
        "updated_at": NOW - timedelta(days=3),
    }
    base.update(fields)
    return Installation(**base)


class FakeStore:
    """In-memory `Store` for the three calls webhooks make; anything else fails the test."""

    def __init__(self) -> None:
        self.installations = {
            "loc_1": installation("loc_1", InstallationKind.LOCATION),
            "comp_1": installation("comp_1", InstallationKind.COMPANY),
        }
        self.webhooks: dict[str, str] = {}
        self.calls: list[tuple[str, str]] = []
        self.fail_uninstall = False

    def snapshot(self) -> tuple[dict[str, Installation], dict[str, str]]:
        return dict(self.installations), dict(self.webhooks)

    def get_installation(self, installation_id: str) -> Installation | None:
        self.calls.append(("get_installation", installation_id))
        return self.installations.get(installation_id)

    def uninstall(self, installation_id: str) -> bool:
        self.calls.append(("uninstall", installation_id))
        if self.fail_uninstall:
            raise ConnectionError("store down")
        inst = self.installations.get(installation_id)
        if inst is None:
            return False
        self.installations[installation_id] = inst.model_copy(
            update={
                "access_token_enc": None,
                "refresh_token_enc": None,
                "status": InstallationStatus.UNINSTALLED,
                "uninstalled_at": NOW,
            }
        )
        return True

    def record_webhook(self, webhook_id: str, event_type: str) -> bool:
        self.calls.append(("record_webhook", webhook_id))
        if webhook_id in self.webhooks:
            return False
        self.webhooks[webhook_id] = event_type
        return True

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"webhooks must not call store.{name}")


class StoreFactory:
    """Counts builds, to prove a rejected request never even constructs the store."""

    def __init__(self, store: FakeStore) -> None:
        self.store, self.builds = store, 0

    def __call__(self) -> Store:
        self.builds += 1
        return self.store  # type: ignore[return-value]


@pytest.fixture(autouse=True)
def webhook_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GHL_WEBHOOK_ED25519_PUBLIC_KEY", pem(ED_KEY))
    monkeypatch.setenv("GHL_WEBHOOK_RSA_PUBLIC_KEY", pem(RSA_KEY))
    reset_settings()


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


def deliver(raw: bytes, headers: dict[str, str], store: FakeStore) -> WebhookResult:
    return receive(raw, headers, store=StoreFactory(store), now=NOW)


def assert_rejected_untouched(
    raw: bytes, headers: dict[str, str], store: FakeStore, error: type[Exception]
) -> Exception:
    before, factory = store.snapshot(), StoreFactory(store)
    with pytest.raises(error) as info:
        receive(raw, headers, store=factory, now=NOW)
    assert store.snapshot() == before
    assert store.calls == [] and factory.builds == 0
    return info.value


# --- signatures -----------------------------------------------------------------------------------


def test_ed25519_valid(store: FakeStore) -> None:
    raw = body()
    result = deliver(raw, {"x-ghl-signature": ed_sign(raw)}, store)
    assert result == WebhookResult(webhook_id="wh_1", type="INSTALL", outcome="acknowledged")
    assert store.webhooks == {"wh_1": "INSTALL"}
    assert store.installations["loc_1"].status is InstallationStatus.ACTIVE  # INSTALL changes nothing


def test_headers_are_case_insensitive(store: FakeStore) -> None:
    raw = body()
    assert deliver(raw, {"X-GHL-Signature": ed_sign(raw)}, store).outcome == "acknowledged"
    raw2 = body(webhookId="wh_2")
    assert deliver(raw2, {"X-Wh-Signature": rsa_sign(raw2)}, store).outcome == "acknowledged"


@pytest.mark.parametrize(
    "signature",
    [
        ed_sign(body(), OTHER_ED_KEY),  # wrong key
        ed_sign(body(webhookId="wh_other")),  # signature of another body
        "",
        "not base64 !!",
        base64.b64encode(b"\x00" * 64).decode(),
        base64.b64encode(b"short").decode(),
        rsa_sign(body()),  # an RSA signature in the Ed25519 header
    ],
    ids=["wrong-key", "other-body", "empty", "bad-base64", "zeros", "short", "rsa-in-ed-header"],
)
def test_ed25519_bad(store: FakeStore, signature: str) -> None:
    error = assert_rejected_untouched(body(), {"x-ghl-signature": signature}, store, WebhookSignatureError)
    assert getattr(error, "status", None) == 401


def test_missing_signature(store: FakeStore) -> None:
    assert_rejected_untouched(body(), {"content-type": "application/json"}, store, WebhookSignatureError)
    assert_rejected_untouched(body(), {}, store, WebhookSignatureError)


def test_rsa_fallback_valid(store: FakeStore) -> None:
    raw = body()
    assert deliver(raw, {"x-wh-signature": rsa_sign(raw)}, store).outcome == "acknowledged"
    assert store.webhooks == {"wh_1": "INSTALL"}


@pytest.mark.parametrize(
    "signature",
    [rsa_sign(body(), OTHER_RSA_KEY), rsa_sign(body(webhookId="x")), "%%%", "", ed_sign(body())],
    ids=["wrong-key", "other-body", "bad-base64", "empty", "ed25519-in-rsa-header"],
)
def test_rsa_fallback_bad(store: FakeStore, signature: str) -> None:
    assert_rejected_untouched(body(), {"x-wh-signature": signature}, store, WebhookSignatureError)


def test_bad_ed25519_does_not_fall_back_to_a_good_rsa_signature(store: FakeStore) -> None:
    raw = body()
    headers = {"x-ghl-signature": ed_sign(raw, OTHER_ED_KEY), "x-wh-signature": rsa_sign(raw)}
    assert_rejected_untouched(raw, headers, store, WebhookSignatureError)


@pytest.mark.parametrize("scheme", ["ed25519", "rsa"])
def test_body_modified_after_signing(store: FakeStore, scheme: str) -> None:
    raw = body(type="INSTALL")
    headers = {"x-ghl-signature": ed_sign(raw)} if scheme == "ed25519" else {"x-wh-signature": rsa_sign(raw)}
    for tampered in (
        raw.replace(b"INSTALL", b"UNINSTALL"),
        raw.replace(b"loc_1", b"loc_2"),
        raw + b" ",
        json.dumps(json.loads(raw)).encode(),  # same JSON, re-serialised: different bytes
    ):
        assert_rejected_untouched(tampered, headers, store, WebhookSignatureError)


@pytest.mark.parametrize("setting", ["GHL_WEBHOOK_ED25519_PUBLIC_KEY", "GHL_WEBHOOK_RSA_PUBLIC_KEY"])
@pytest.mark.parametrize("value", ["", "not a pem", pem(ED_KEY).replace("A", "B", 3)])
def test_bad_key_setting_fails_closed(
    store: FakeStore, monkeypatch: pytest.MonkeyPatch, setting: str, value: str
) -> None:
    monkeypatch.setenv(setting, value)
    reset_settings()
    raw = body()
    header = "x-ghl-signature" if "ED25519" in setting else "x-wh-signature"
    signature = ed_sign(raw) if "ED25519" in setting else rsa_sign(raw)
    assert_rejected_untouched(raw, {header: signature}, store, WebhookSignatureError)


def test_key_of_the_wrong_type_fails_closed(store: FakeStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GHL_WEBHOOK_ED25519_PUBLIC_KEY", pem(RSA_KEY))
    reset_settings()
    raw = body()
    assert_rejected_untouched(raw, {"x-ghl-signature": ed_sign(raw)}, store, WebhookSignatureError)


def test_pem_with_escaped_newlines_is_accepted(store: FakeStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GHL_WEBHOOK_ED25519_PUBLIC_KEY", pem(ED_KEY).replace("\n", "\\n"))
    reset_settings()
    raw = body()
    assert deliver(raw, {"x-ghl-signature": ed_sign(raw)}, store).outcome == "acknowledged"


def test_verify_signature_alone() -> None:
    raw = body()
    verify_signature(raw, {"x-ghl-signature": ed_sign(raw)})
    with pytest.raises(WebhookSignatureError, match="missing or invalid"):
        verify_signature(raw, {"x-ghl-signature": ed_sign(raw + b"x")})


# --- bodies and freshness -------------------------------------------------------------------------


def signed(raw: bytes) -> dict[str, str]:
    return {"x-ghl-signature": ed_sign(raw)}


@pytest.mark.parametrize(
    ("timestamp", "accepted"),
    [
        ("2026-03-01T11:55:00Z", True),  # exactly 300 s old
        ("2026-03-01T11:54:59Z", False),  # stale
        ("2026-03-01T12:05:00+00:00", True),
        ("2026-03-01T12:05:01Z", False),  # from the future
        ("2026-03-01T13:00:00+01:00", True),  # same instant, other zone
        ("2026-03-01T11:59:30", True),  # no zone: taken as UTC
        ("2025-01-28T14:35:00Z", False),  # the doc's example, long stale
    ],
)
def test_timestamp_window(store: FakeStore, timestamp: str, accepted: bool) -> None:
    raw = body(timestamp=timestamp)
    if accepted:
        assert deliver(raw, signed(raw), store).outcome == "acknowledged"
        return
    error = assert_rejected_untouched(raw, signed(raw), store, WebhookStaleError)
    assert isinstance(error, WebhookStaleError) and error.status == 401 and error.code == "stale_webhook"


def test_window_follows_settings(store: FakeStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBHOOK_MAX_AGE_SECONDS", "10")
    reset_settings()
    raw = body(timestamp="2026-03-01T11:59:30Z")
    assert_rejected_untouched(raw, signed(raw), store, WebhookStaleError)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b"", "not valid JSON"),
        (b"\xff\xfe\x00garbage", "not valid JSON"),
        (b"[]", "must be a JSON object"),
        (b'"INSTALL"', "must be a JSON object"),
        (b"42", "must be a JSON object"),
        (b"null", "must be a JSON object"),
    ],
)
def test_malformed_and_non_object_json(store: FakeStore, raw: bytes, message: str) -> None:
    error = assert_rejected_untouched(raw, signed(raw), store, RequestInvalidError)
    assert message in str(error) and getattr(error, "status", None) == 400


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"webhookId": None}, "webhookId"),
        ({"webhookId": ""}, "webhookId"),
        ({"webhookId": 7}, "webhookId"),
        ({"timestamp": None}, "timestamp"),
        ({"timestamp": 1772366400}, "timestamp"),
        ({"timestamp": "yesterday"}, "timestamp"),
    ],
)
def test_missing_or_invalid_required_fields(store: FakeStore, fields: dict[str, Any], field: str) -> None:
    raw = body(**fields)
    error = assert_rejected_untouched(raw, signed(raw), store, RequestInvalidError)
    assert isinstance(error, RequestInvalidError)
    assert [d["field"] for d in error.details] == [field]


def test_unknown_fields_are_kept() -> None:
    event = parse_event(body(planId="plan_9", trial={"onTrial": True}), now=NOW)
    assert event.model_extra == {"planId": "plan_9", "trial": {"onTrial": True}}
    assert (event.webhook_id, event.app_id, event.location_id) == ("wh_1", APP_ID, "loc_1")


def test_result_serialises_camel_case() -> None:
    result = WebhookResult(webhook_id="wh_1", type="UNINSTALL", outcome="uninstalled")
    assert result.model_dump(by_alias=True) == {
        "webhookId": "wh_1",
        "type": "UNINSTALL",
        "outcome": "uninstalled",
    }
    assert json.loads(result.model_dump_json())["webhookId"] == "wh_1"


# --- effects --------------------------------------------------------------------------------------


def test_replayed_webhook_id_is_a_duplicate(store: FakeStore) -> None:
    raw = body()
    assert deliver(raw, signed(raw), store).outcome == "acknowledged"
    before = store.snapshot()
    assert deliver(raw, signed(raw), store).outcome == "duplicate"
    assert store.snapshot() == before


def test_uninstall_by_location(store: FakeStore) -> None:
    raw = body(type="UNINSTALL", companyId=None, userId=None)
    assert deliver(raw, signed(raw), store) == WebhookResult(webhook_id="wh_1", type="UNINSTALL", outcome="uninstalled")
    gone = store.installations["loc_1"]
    assert gone.status is InstallationStatus.UNINSTALLED
    assert gone.access_token_enc is None and gone.refresh_token_enc is None
    assert store.installations["comp_1"].status is InstallationStatus.ACTIVE
    assert store.webhooks == {"wh_1": "UNINSTALL"}
    assert store.calls == [("get_installation", "loc_1"), ("uninstall", "loc_1"), ("record_webhook", "wh_1")]


def test_uninstall_by_company(store: FakeStore) -> None:
    raw = body(type="UNINSTALL", locationId=None, userId=None, webhookId="wh_c")
    assert deliver(raw, signed(raw), store).outcome == "uninstalled"
    assert store.installations["comp_1"].status is InstallationStatus.UNINSTALLED
    assert store.installations["loc_1"].status is InstallationStatus.ACTIVE
    assert ("uninstall", "comp_1") in store.calls


def test_replayed_uninstall_is_a_duplicate_and_changes_nothing(store: FakeStore) -> None:
    raw = body(type="UNINSTALL")
    assert deliver(raw, signed(raw), store).outcome == "uninstalled"
    before, calls = store.snapshot(), len(store.calls)
    assert deliver(raw, signed(raw), store).outcome == "duplicate"
    assert store.snapshot() == before
    assert ("uninstall", "loc_1") not in store.calls[calls:]


def test_uninstall_effect_failure_leaves_no_receipt_so_the_retry_redoes_it(store: FakeStore) -> None:
    raw = body(type="UNINSTALL")
    store.fail_uninstall = True
    with pytest.raises(ConnectionError):
        deliver(raw, signed(raw), store)
    assert store.webhooks == {}  # not recorded: GHL's retry must not be taken for a duplicate
    store.fail_uninstall = False
    assert deliver(raw, signed(raw), store).outcome == "uninstalled"
    assert store.installations["loc_1"].status is InstallationStatus.UNINSTALLED


def test_uninstall_done_but_receipt_lost_is_not_redone(store: FakeStore) -> None:
    store.installations["loc_1"] = store.installations["loc_1"].model_copy(
        update={"status": InstallationStatus.UNINSTALLED, "access_token_enc": None, "refresh_token_enc": None}
    )
    raw = body(type="UNINSTALL")
    assert deliver(raw, signed(raw), store).outcome == "uninstalled"
    assert ("uninstall", "loc_1") not in store.calls
    assert store.webhooks == {"wh_1": "UNINSTALL"}


def test_uninstall_older_than_a_reinstall_is_superseded(store: FakeStore) -> None:
    """A retried or replayed UNINSTALL must not wipe the tokens of a later reinstall."""
    store.installations["loc_1"] = store.installations["loc_1"].model_copy(update={"installed_at": NOW})
    raw = body(type="UNINSTALL", timestamp="2026-03-01T11:58:00Z")
    assert deliver(raw, signed(raw), store).outcome == "superseded"
    assert store.installations["loc_1"].access_token_enc == "v1.k2.access-loc_1"
    assert ("uninstall", "loc_1") not in store.calls
    assert store.webhooks == {"wh_1": "UNINSTALL"}


def test_uninstall_after_a_refresh_or_lease_touched_the_row_still_uninstalls(store: FakeStore) -> None:
    """`updated_at` moves with every lease and refresh; only an install moves `installed_at`."""
    earlier = datetime(2026, 2, 1, tzinfo=UTC)
    store.installations["loc_1"] = store.installations["loc_1"].model_copy(
        update={"installed_at": earlier, "updated_at": NOW}
    )
    raw = body(type="UNINSTALL", timestamp="2026-03-01T11:58:00Z")

    assert deliver(raw, signed(raw), store).outcome == "uninstalled"
    assert ("uninstall", "loc_1") in store.calls


def test_uninstall_of_unknown_installation_is_acknowledged(store: FakeStore) -> None:
    raw = body(type="UNINSTALL", locationId="loc_unknown")
    assert deliver(raw, signed(raw), store).outcome == "acknowledged"
    assert ("uninstall", "loc_unknown") not in store.calls


def test_uninstall_without_target_is_invalid(store: FakeStore) -> None:
    raw = body(type="UNINSTALL", locationId=None, companyId=None)
    before = store.snapshot()
    with pytest.raises(RequestInvalidError, match="neither locationId nor companyId"):
        deliver(raw, signed(raw), store)
    assert store.snapshot() == before and store.calls == []


@pytest.mark.parametrize(
    "fields",
    [{"type": "UNINSTALL", "appId": "another-app"}, {"type": "UNINSTALL", "appId": None}, {"appId": "other"}],
    ids=["uninstall-other-app", "uninstall-no-app-id", "install-other-app"],
)
def test_events_not_addressed_to_this_app_are_ignored(store: FakeStore, fields: dict[str, Any]) -> None:
    """GHL signs every app's webhooks with one key: another app's signed UNINSTALL must not act here."""
    raw = body(**fields)
    before = store.snapshot()
    assert deliver(raw, signed(raw), store).outcome == "ignored"
    assert store.snapshot() == before and store.calls == []


def test_other_event_types_are_acknowledged(store: FakeStore) -> None:
    raw = body(type="OpportunityStageUpdate", appId=None, webhookId="wh_o", id="opp_1")
    result = deliver(raw, signed(raw), store)
    assert result.outcome == "acknowledged" and result.type == "OpportunityStageUpdate"
    assert store.webhooks == {"wh_o": "OpportunityStageUpdate"}
    assert all(name != "uninstall" for name, _ in store.calls)


def test_handle_event_directly(store: FakeStore) -> None:
    event = WebhookEvent.model_validate(json.loads(body(type="UNINSTALL")))
    assert handle_event(event, store).outcome == "uninstalled"  # type: ignore[arg-type]
    assert handle_event(event, store).outcome == "duplicate"  # type: ignore[arg-type]


def test_receive_builds_the_store_only_after_every_check(store: FakeStore) -> None:
    factory = StoreFactory(store)
    raw = body()
    receive(raw, signed(raw), store=factory, now=NOW)
    assert factory.builds == 1


def test_body_bytes_from_api_gateway_events() -> None:
    raw = body()
    assert body_bytes(base64.b64encode(raw).decode(), True) == raw
    assert body_bytes(raw.decode(), False) == raw
    assert body_bytes(None, None) == b""
    with pytest.raises(RequestInvalidError):
        body_bytes("not base64!", True)
