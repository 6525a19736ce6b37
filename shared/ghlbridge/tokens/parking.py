"""Parking for rotated token pairs that could not be saved.

The moment GHL answers a refresh, the old refresh token is dead. If the store then refuses the new
pair (down, timing out), the pair is parked here, still encrypted, and the refresher restores
parked pairs (`ghlbridge.tokens.refresh.restore_parked`) before it calls GHL for an installation again.

In AWS the parking lot is an SQS queue (template.yaml `ParkingQueue`); locally it is a folder.
boto3 is imported only when a pair is actually parked or drained, never on the request path's
import.
"""

from __future__ import annotations

import json
import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient


class ParkedPair(BaseModel):
    """A rotated pair, encrypted as it would have been stored, and the generation it came from."""

    model_config = ConfigDict(frozen=True)

    installation_id: str
    parked_generation: int
    access_token_enc: str
    refresh_token_enc: str | None
    expires_at: datetime
    parked_at: datetime

    def __repr__(self) -> str:
        return f"ParkedPair(installation_id={self.installation_id!r}, gen={self.parked_generation})"

    __str__ = __repr__


Ack = Callable[[], None]


class Parking(Protocol):
    def park(self, pair: ParkedPair) -> None:
        """Keep the pair durably; raise if that is not possible."""
        ...

    def drain(self) -> Iterator[tuple[ParkedPair, Ack]]:
        """Yield every parked pair with a callback that removes it once restored."""
        ...


class SQSParking:
    """Parked pairs as SQS messages. The queue is expected to be (nearly) always empty."""

    def __init__(self, queue_url: str, client: SQSClient | None = None) -> None:
        self._queue_url = queue_url
        self._client = client

    def _sqs(self) -> SQSClient:
        if self._client is None:
            import boto3  # only here: +120 ms import, +200 ms with a client

            self._client = boto3.client("sqs")
        return self._client

    def park(self, pair: ParkedPair) -> None:
        self._sqs().send_message(
            QueueUrl=self._queue_url,
            MessageBody=pair.model_dump_json(),
            MessageAttributes={"installationId": {"DataType": "String", "StringValue": pair.installation_id}},
        )

    def drain(self, *, max_batches: int = 10) -> Iterator[tuple[ParkedPair, Ack]]:
        sqs = self._sqs()
        for _ in range(max_batches):
            answer = sqs.receive_message(
                QueueUrl=self._queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0, VisibilityTimeout=60
            )
            messages = answer.get("Messages", [])
            if not messages:
                return
            for message in messages:
                receipt = message["ReceiptHandle"]

                def ack(receipt: str = receipt) -> None:
                    sqs.delete_message(QueueUrl=self._queue_url, ReceiptHandle=receipt)

                yield ParkedPair.model_validate_json(message["Body"]), ack


class DirectoryParking:
    """Parked pairs as files in a folder, for local runs (the SQLite store may be what failed)."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self._dir = Path(directory)

    def park(self, pair: ParkedPair) -> None:
        self._dir.mkdir(parents=True, exist_ok=True)
        name = f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex}.json"
        fd, tmp = tempfile.mkstemp(dir=self._dir, suffix=".tmp")
        with os.fdopen(fd, "w") as out:
            out.write(pair.model_dump_json())
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, self._dir / name)  # atomic: a reader never sees half a file

    def drain(self) -> Iterator[tuple[ParkedPair, Ack]]:
        if not self._dir.is_dir():
            return
        for path in sorted(self._dir.glob("*.json")):
            try:
                pair = ParkedPair.model_validate(json.loads(path.read_text()))
            except FileNotFoundError:  # another process restored it first
                continue

            def ack(path: Path = path) -> None:
                path.unlink(missing_ok=True)

            yield pair, ack
