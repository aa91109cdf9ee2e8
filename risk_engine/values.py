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
    """Outcome of checking the payload's three integrity layers and the code registry."""

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


class CodeStatus(enum.StrEnum):
    ISSUED = "issued"  # generated for a batch, never reported printed on an item
    COMMISSIONED = "commissioned"  # printed and applied to a real item


class CustodyStep(Value):
    """One holder in the chain of custody, from the event that made it a custodian."""

    names: ClassVar[tuple[str, ...]] = ("party", "since", "event_id", "checkpoint")
    __slots__ = names

    def __init__(
        self, party: PartyRef, since: datetime, event_id: str, checkpoint: Checkpoint
    ) -> None:
        self.party: Final = party
        self.since: Final = since
        self.event_id: Final = event_id
        # commission, ship/dealer_ship (shipped toward it) or a receive
        self.checkpoint: Final = checkpoint


class Authorization(Value):
    """A party may sell in a territory: every product when `gtins` is None."""

    names: ClassVar[tuple[str, ...]] = ("party_id", "territory_id", "gtins")
    __slots__ = names

    def __init__(
        self, party_id: str, territory_id: str, gtins: frozenset[str] | None = None
    ) -> None:
        self.party_id: Final = party_id
        self.territory_id: Final = territory_id
        self.gtins: Final = gtins

    def covers(self, gtin: str) -> bool:
        return self.gtins is None or gtin in self.gtins


class CodeFacts(Value):
    """What is known about one code before the scan being judged."""

    names: ClassVar[tuple[str, ...]] = (
        "code",
        "gtin",
        "lot",
        "status",
        "issuing_plant_id",
        "issuing_line_id",
        "batch_id",
        "custody",
        "authorizations",
        "history",
    )
    __slots__ = names

    def __init__(
        self,
        code: str,
        gtin: str,
        lot: str,
        status: CodeStatus,
        issuing_plant_id: str | None = None,
        issuing_line_id: str | None = None,
        batch_id: str | None = None,
        custody: tuple[CustodyStep, ...] = (),
        authorizations: tuple[Authorization, ...] = (),
        history: tuple[ScanFact, ...] = (),
    ) -> None:
        self.code: Final = code
        self.gtin: Final = gtin
        self.lot: Final = lot
        self.status: Final = status
        self.issuing_plant_id: Final = issuing_plant_id
        self.issuing_line_id: Final = issuing_line_id
        self.batch_id: Final = batch_id
        self.custody: Final = custody  # ordered by `since`
        # of the custodians (and the scanning party)
        self.authorizations: Final = authorizations
        # earlier sightings, any order; the judged scan excluded
        self.history: Final = history

    def territories_of(self, party_id: str) -> tuple[str, ...]:
        """Territories where `party_id` may sell this code's product, sorted."""
        return tuple(
            sorted(
                {
                    a.territory_id
                    for a in self.authorizations
                    if a.party_id == party_id and a.covers(self.gtin)
                }
            )
        )

    def commissioned_at(self) -> datetime | None:
        times = [e.scanned_at for e in self.history if e.checkpoint is Checkpoint.COMMISSION]
        return min(times) if times else None
