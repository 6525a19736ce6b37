"""Powertools Idempotency, persisted in the project's own store (Supabase in AWS, SQLite locally).

Why not `DynamoDBPersistenceLayer`: it needs boto3 (about 160 ms more cold start for functions that
otherwise never load it) and a DynamoDB table that `make dev` does not have. The store's
`put_idempotency_record` is the same atomic insert-if-absent as DynamoDB's conditional put, with the
same rules for taking over an expired record or one whose invocation died in flight.

    from ghlbridge import factories
    from ghlbridge.idempotency import IdempotencyConfig, StorePersistenceLayer, idempotent

    persistence = StorePersistenceLayer(factories.get_store)  # the store is built on first use
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
import logging
import sys
import types
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from ghlbridge.store.base import IdempotencyRecord, IdempotencyStatus, TokenStore

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
    IdempotencyItemAlreadyExistsError,
    IdempotencyItemNotFoundError,
)
from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer  # noqa: E402
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord  # noqa: E402

__all__ = ["IdempotencyConfig", "StorePersistenceLayer", "idempotent", "idempotent_function"]

logger = logging.getLogger(__name__)

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


def _from_store(record: IdempotencyRecord) -> DataRecord:
    in_progress = record.in_progress_expires_at
    return DataRecord(
        idempotency_key=record.key,
        status=record.status.value,
        expiry_timestamp=(record.expires_at - _EPOCH) // _SECOND,
        in_progress_expiry_timestamp=(in_progress - _EPOCH) // _MILLISECOND if in_progress is not None else None,
        response_data=record.response_data or "",
        payload_hash=record.payload_hash or "",
    )


class StorePersistenceLayer(BasePersistenceLayer):
    """A Powertools persistence layer over a `TokenStore`, or over a function returning one (such as
    `factories.get_store`), called on every operation so the store is built on first use and a
    reset factory is honoured."""

    def __init__(self, store: TokenStore | Callable[[], TokenStore]) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # Powertools leaves it unannotated
        self._store = store

    @property
    def store(self) -> TokenStore:
        store = self._store
        return store() if callable(store) else store

    def _get_record(self, idempotency_key: str) -> DataRecord:
        record = self.store.get_idempotency_record(idempotency_key)
        if record is None:
            raise IdempotencyItemNotFoundError
        return _from_store(record)

    def _put_record(self, data_record: DataRecord) -> None:
        """As DynamoDB's conditional put with ReturnValuesOnConditionCheckFailure: the live record in
        the way is checked against this payload (a different one is an `IdempotencyValidationError`),
        cached when the local cache is on, and handed to Powertools, which answers with its response
        (COMPLETED) or `IdempotencyAlreadyInProgressError` (INPROGRESS) without a second read."""
        existing = self.store.put_idempotency_record(_to_store(data_record))
        if existing is None:
            return
        old_data_record = _from_store(existing)
        self._validate_payload(data_payload=data_record, stored_data_record=old_data_record)
        self._save_to_cache(data_record=old_data_record)
        raise IdempotencyItemAlreadyExistsError(old_data_record=old_data_record)

    def _update_record(self, data_record: DataRecord) -> None:
        record = _to_store(data_record)
        if not self.store.update_idempotency_record(record.key, record.status, record.expires_at, record.response_data):
            # The work is done and its response goes back to the caller; failing now would invite a
            # retry that does it twice. Without a record, though, a retry runs again: say so.
            logger.warning("idempotency record %s vanished before its result was saved", record.key)

    def _delete_record(self, data_record: DataRecord) -> None:
        self.store.delete_idempotency_record(data_record.idempotency_key)
