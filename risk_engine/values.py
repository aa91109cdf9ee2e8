"""The facts built for every scan a round judges: native value objects
(`traceability.value`): a position, a party, a scan. Re-exported by `risk_engine.models`."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import ClassVar, Final

from traceability.events import Checkpoint
from traceability.masterdata.models import PartyKind
from traceability.value import Value


class SignatureCheck(enum.StrEnum):
    """Outcome of verifying the printed payload's signature layers against the registry."""

    VALID = "valid"
    MALFORMED = "malformed"  # not one of our payloads at all (any QR code)
    BAD_SIGNATURE = "bad_signature"  # a layer fails: tampered or forged
    UNKNOWN_CODE = "unknown_code"  # well-formed and signed, but never issued
    REVOKED_KEY = "revoked_key"  # signed with a key that has been revoked
    REVOKED_BATCH = "revoked_batch"  # the code's batch (or line) has been revoked


class GeoFix(Value):
    """A WGS84 position with its accuracy radius in metres (0 for a surveyed address)."""

    names: ClassVar[tuple[str, ...]] = ("lat", "lon", "accuracy_m")
    __slots__ = names

    def __init__(self, lat: float, lon: float, accuracy_m: float = 0.0) -> None:
        self.lat: Final = lat
        self.lon: Final = lon
        self.accuracy_m: Final = accuracy_m

    def fields(self) -> tuple[object, ...]:
        return (self.lat, self.lon, self.accuracy_m)


class PartyRef(Value):
    """A party as the rules need it: kind, parent (a sub-dealer's dealer), registered place."""

    names: ClassVar[tuple[str, ...]] = ("id", "kind", "parent_id", "location", "ancestor_ids")
    __slots__ = names

    def __init__(
        self,
        id: str,
        kind: PartyKind,
        parent_id: str | None = None,
        location: GeoFix | None = None,
        ancestor_ids: tuple[str, ...] = (),
    ) -> None:
        self.id: Final = id
        self.kind: Final = kind
        self.parent_id: Final = parent_id
        self.location: Final = location
        # Parent, grandparent, …: the store of a sub-dealer belongs to the dealer too.
        self.ancestor_ids: Final = ancestor_ids

    def fields(self) -> tuple[object, ...]:
        return (self.id, self.kind, self.parent_id, self.location, self.ancestor_ids)


class ScanFact(Value):
    """One scan (or consumer verification) of a code; container scans are passed per item."""

    names: ClassVar[tuple[str, ...]] = (
        "event_id",
        "code",
        "checkpoint",
        "scanned_at",
        "party",
        "to_party",
        "location",
        "signature",
        "consumer_id",
        "via",
        "network",
    )
    __slots__ = names

    def __init__(
        self,
        event_id: str,
        code: str,
        checkpoint: Checkpoint,
        scanned_at: datetime,
        party: PartyRef | None = None,
        to_party: PartyRef | None = None,
        location: GeoFix | None = None,
        signature: SignatureCheck = SignatureCheck.VALID,
        consumer_id: str | None = None,
        via: str | None = None,
        network: str | None = None,
    ) -> None:
        self.event_id: Final = event_id
        self.code: Final = code
        self.checkpoint: Final = checkpoint
        self.scanned_at: Final = scanned_at
        self.party: Final = party  # None for consumer verifications
        self.to_party: Final = to_party  # ship / dealer_ship destination
        self.location: Final = location  # the device's GPS fix, when it sent one
        self.signature: Final = signature
        self.consumer_id: Final = consumer_id  # device/consumer id from the mini-app, if any
        self.via: Final = via  # the case/pallet code when the event was on a container
        self.network: Final = network  # a consumer check's network (keyed hash of its address)

    def fields(self) -> tuple[object, ...]:
        return (
            self.event_id,
            self.code,
            self.checkpoint,
            self.scanned_at,
            self.party,
            self.to_party,
            self.location,
            self.signature,
            self.consumer_id,
            self.via,
            self.network,
        )

    @property
    def party_id(self) -> str | None:
        return self.party.id if self.party else None

    @property
    def party_kind(self) -> PartyKind | None:
        return self.party.kind if self.party else None

    @property
    def to_party_id(self) -> str | None:
        return self.to_party.id if self.to_party else None

    @property
    def is_consumer(self) -> bool:
        return self.checkpoint is Checkpoint.CONSUMER_VERIFY
