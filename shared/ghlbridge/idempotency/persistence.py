"""Powertools Idempotency, persisted in the project's own store (Supabase in AWS, SQLite locally).

Why not `DynamoDBPersistenceLayer`: it needs boto3 (about 160 ms more cold start for functions that
otherwise never load it) and a DynamoDB table that `make dev` does not have. The store's
`put_idempotency_record` is the same atomic insert-if-absent as DynamoDB's conditional put.

Nothing is run twice, which is stricter than Powertools' own rules:

- An in-flight record whose invocation's deadline has passed is NOT taken over: that invocation may
  have done its work (sent a note to GHL) and died before completing the record, or failed to
  complete it. The layer settles such a key instead (`settle_idempotency_record`, a compare-and-swap
  on the record's `created_at`, so racing retries give one answer) with the answer of
  `unknown_outcome()` (the toolkit's: 504 `outcome_unknown`), and every retry gets that answer.
  Only a record the execution itself deleted (it raised: nothing was done) frees its key earlier.
- A completion the store refuses (locked, unreachable) is retried with backoff while the
  invocation's deadline leaves `COMPLETION_MARGIN_SECONDS`; then the error goes up (the caller
  still answers what was done, and the key answers `unknown_outcome()` once its deadline passed).

The stored response is encrypted: Powertools' JSON of the answer (a note's body, a call summary,
an appointment: a contact's data) is sealed with the token envelope (`TokenCipher`, AES-256-GCM;
the cipher it is given, `factories.get_cipher` in the app) under the AAD `idempotency:<key>`, so a
ciphertext copied to another key does not open. Chosen over keeping less of the answer: a replay
must answer the same body. A response that does not open (its key rotated away, tampered) is
answered as `unknown_outcome()`, never by running again.

    from ghlbridge import factories
    from ghlbridge.idempotency.persistence import IdempotencyConfig, StorePersistenceLayer, idempotent

    persistence = StorePersistenceLayer(  # the store (and the cipher) are built on first use
        factories.get_store,
        unknown_outcome=lambda: {"statusCode": 504, "body": '{"error": ...}'},
        cipher=factories.get_cipher,
    )
    config = IdempotencyConfig(event_key_jmespath='...', expires_after_seconds=86400,
                               raise_on_no_idempotency_key=True)

    @idempotent(config=config, persistence_store=persistence)
    def handler(event, context): ...

A layer keeps the config of the first function that uses it (Powertools configures it once):
give each decorated function its own layer.

Importing Powertools' idempotency package imports its DynamoDB module, and boto3 with it, even when
only a submodule is asked for (the package `__init__` runs first). So this module imports that
package once with the DynamoDB module stubbed out, then makes `DynamoDBPersistenceLayer` a lazy
attribute of the package (PEP 562): everything else in the package is the real thing, and whoever
does ask for the DynamoDB layer still gets it. Import `idempotent` & co. from here (or import this
module first) to keep boto3 out of a function.
"""

from __future__ import annotations

import importlib
import json
import logging
import sys
import time
import types
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from ghlbridge.store.base import IdempotencyRecord, IdempotencyStatus, IdempotencyStore, StoreUnavailableError
from ghlbridge.tokens.crypto import TokenDecryptError

if TYPE_CHECKING:
    from ghlbridge.tokens.crypto import TokenCipher

_PACKAGE = "aws_lambda_powertools.utilities.idempotency"
_DYNAMODB_MODULE = f"{_PACKAGE}.persistence.dynamodb"
_DYNAMODB_LAYER = "DynamoDBPersistenceLayer"


def _dynamodb_on_demand(name: str) -> Any:
    """The package's module `__getattr__`: import the DynamoDB layer (and boto3) when asked for."""
    if name != _DYNAMODB_LAYER:
        raise AttributeError(f"module {_PACKAGE!r} has no attribute {name!r}")
    layer = getattr(importlib.import_module(_DYNAMODB_MODULE), _DYNAMODB_LAYER)
    setattr(sys.modules[_PACKAGE], _DYNAMODB_LAYER, layer)
    return layer


def _import_powertools_idempotency() -> None:
    """Import Powertools' idempotency package without its DynamoDB module (see the module docstring)."""
    if _PACKAGE in sys.modules or _DYNAMODB_MODULE in sys.modules:
        return  # imported the ordinary way already: boto3 is loaded, nothing left to save
    stub = types.ModuleType(_DYNAMODB_MODULE)
    setattr(stub, _DYNAMODB_LAYER, stub)  # what the package's `from ... import` binds for now
    sys.modules[_DYNAMODB_MODULE] = stub
    try:
        package = importlib.import_module(_PACKAGE)
    finally:
        if sys.modules.get(_DYNAMODB_MODULE) is stub:
            del sys.modules[_DYNAMODB_MODULE]
    if package.__dict__.get(_DYNAMODB_LAYER) is stub:
        delattr(package, _DYNAMODB_LAYER)
        setattr(package, "__getattr__", _dynamodb_on_demand)  # noqa: B010 - a module attribute, on purpose


_import_powertools_idempotency()

from aws_lambda_powertools.utilities.idempotency import (  # noqa: E402
    IdempotencyConfig,
    idempotent,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (  # noqa: E402
    IdempotencyInconsistentStateError,
    IdempotencyItemAlreadyExistsError,
    IdempotencyItemNotFoundError,
)
from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer  # noqa: E402
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord  # noqa: E402

__all__ = ["IdempotencyConfig", "StorePersistenceLayer", "idempotent", "idempotent_function"]

logger = logging.getLogger(__name__)

COMPLETION_MARGIN_SECONDS = 1.0  # left of the deadline when the last completion attempt starts
FIRST_PAUSE_SECONDS = 0.05
MAX_PAUSE_SECONDS = 1.0

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)
_MILLISECOND = timedelta(milliseconds=1)


def _to_store(data_record: DataRecord) -> IdempotencyRecord:
    """Powertools keeps the expiry in epoch seconds and the in-progress expiry in epoch milliseconds;
    the store keeps instants. Integer arithmetic, so both convert back exactly."""
    if data_record.expiry_timestamp is None:
        raise ValueError("an idempotency record needs an expiry")
    in_progress = data_record.in_progress_expiry_timestamp
    return IdempotencyRecord(
        key=data_record.idempotency_key,
        status=IdempotencyStatus(data_record.status),
        expires_at=_EPOCH + data_record.expiry_timestamp * _SECOND,
        in_progress_expires_at=_EPOCH + in_progress * _MILLISECOND if in_progress is not None else None,
        response_data=data_record.response_data or None,
        payload_hash=data_record.payload_hash or None,
    )


def _from_store(record: IdempotencyRecord, response_data: str) -> DataRecord:
    in_progress = record.in_progress_expires_at
    return DataRecord(
        idempotency_key=record.key,
        status=record.status.value,
        expiry_timestamp=(record.expires_at - _EPOCH) // _SECOND,
        in_progress_expiry_timestamp=(in_progress - _EPOCH) // _MILLISECOND if in_progress is not None else None,
        response_data=response_data,
        payload_hash=record.payload_hash or "",
    )


def aad(key: str) -> str:
    """What binds a sealed response to its record."""
    return f"idempotency:{key}"


class StorePersistenceLayer(BasePersistenceLayer):
    """A Powertools persistence layer over an `IdempotencyStore`, or over a function returning one (such as
    `factories.get_store`), called on every operation so the store is built on first use and a
    reset factory is honoured.

    `unknown_outcome()` is the response (as the guarded function would return it) that a key answers
    when its earlier execution may have happened but left no answer (see the module docstring).
    `cipher` seals the stored responses (a cipher, or a function returning one, asked on every use);
    `sleep` and `clock` (epoch seconds) pace the completion retries.
    """

    def __init__(
        self,
        store: IdempotencyStore | Callable[[], IdempotencyStore],
        *,
        unknown_outcome: Callable[[], dict[str, Any]],
        cipher: TokenCipher | Callable[[], TokenCipher],
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # Powertools leaves it unannotated
        self._store = store
        self._unknown_outcome = unknown_outcome
        self._cipher = cipher
        self._sleep = sleep
        self._clock = clock
        self._deadlines: dict[str, int] = {}  # key → its invocation's deadline (epoch ms), while we hold it

    @property
    def store(self) -> IdempotencyStore:
        store = self._store
        return store() if callable(store) else store

    @property
    def cipher(self) -> TokenCipher:
        cipher = self._cipher
        return cipher() if callable(cipher) else cipher

    # --- the response, sealed ------------------------------------------------------------------
    def _unknown_response(self) -> str:
        return json.dumps(self._unknown_outcome(), sort_keys=True)  # as Powertools serializes a response

    def _seal(self, key: str, response_data: str | None) -> str | None:
        return self.cipher.encrypt(response_data, aad=aad(key)) if response_data else None

    def _opened(self, record: IdempotencyRecord) -> DataRecord:
        """The record for Powertools, its response decrypted; one that does not open is unknown."""
        response = ""
        if record.response_data:
            try:
                response = self.cipher.decrypt(record.response_data, aad=aad(record.key))
            except TokenDecryptError:
                logger.warning("idempotency record %s: stored response does not decrypt", record.key)
                response = self._unknown_response()
        return _from_store(record, response)

    # --- Powertools' operations -------------------------------------------------------------
    def _get_record(self, idempotency_key: str) -> DataRecord:
        record = self.store.get_idempotency_record(idempotency_key)
        if record is None:
            raise IdempotencyItemNotFoundError
        return self._opened(record)

    def _put_record(self, data_record: DataRecord) -> None:
        """As DynamoDB's conditional put with ReturnValuesOnConditionCheckFailure: the record in the
        way is checked against this payload (a different one is an `IdempotencyValidationError`),
        settled if its invocation died in flight, cached when the local cache is on, and handed to
        Powertools, which answers with its response (COMPLETED) or `IdempotencyAlreadyInProgressError`
        (INPROGRESS) without a second read."""
        record = _to_store(data_record)
        existing = self.store.put_idempotency_record(record)
        if existing is None:
            if data_record.in_progress_expiry_timestamp is not None:
                self._deadlines[record.key] = data_record.in_progress_expiry_timestamp
            return
        old_data_record = self._opened(existing)
        self._validate_payload(data_payload=data_record, stored_data_record=old_data_record)
        if existing.in_progress_expired:
            old_data_record = self._settle(existing, record.expires_at)
        self._save_to_cache(data_record=old_data_record)
        raise IdempotencyItemAlreadyExistsError(old_data_record=old_data_record)

    def _settle(self, abandoned: IdempotencyRecord, expires_at: datetime) -> DataRecord:
        """Answer `unknown_outcome()` for the key of an invocation that died in flight, once."""
        if abandoned.created_at is None:
            raise StoreUnavailableError("the store returned an idempotency record without created_at")
        response = self._seal(abandoned.key, self._unknown_response())
        assert response is not None
        settled = self.store.settle_idempotency_record(abandoned.key, abandoned.created_at, expires_at, response)
        if settled is None:  # deleted meanwhile by its execution, which did nothing: Powertools puts again
            raise IdempotencyInconsistentStateError("idempotency record vanished while being settled")
        logger.warning("idempotency record %s: in flight past its deadline; answered as unknown", abandoned.key)
        return self._opened(settled)

    def _update_record(self, data_record: DataRecord) -> None:
        """Complete the record, retried while the invocation's deadline allows: the work is done,
        and a record left in flight can only answer "outcome unknown" later."""
        record = _to_store(data_record)
        deadline = self._deadlines.pop(record.key, None)
        response = self._seal(record.key, record.response_data)
        pause = FIRST_PAUSE_SECONDS
        while True:
            try:
                completed = self.store.update_idempotency_record(record.key, record.status, record.expires_at, response)
                break
            except StoreUnavailableError as exc:
                if deadline is None or self._clock() + pause + COMPLETION_MARGIN_SECONDS > deadline / 1000:
                    raise
                logger.warning("idempotency record %s not completed (%s); retrying", record.key, type(exc).__name__)
                self._sleep(pause)
                pause = min(pause * 2, MAX_PAUSE_SECONDS)
        if not completed:
            # The work is done and its response goes back to the caller; failing now would invite a
            # retry that does it twice. The key was settled meanwhile (its deadline passed) or freed.
            logger.warning("idempotency record %s was settled or freed before its result was saved", record.key)

    def _delete_record(self, data_record: DataRecord) -> None:
        self._deadlines.pop(data_record.idempotency_key, None)
        self.store.delete_idempotency_record(data_record.idempotency_key)
