"""A stored scan and its position as the custody rules read them: native value objects
(`traceability.value`), built for every row the risk engine loads."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Final

from traceability.events import Checkpoint
from traceability.value import Value


class Location(Value):
    names: ClassVar[tuple[str, ...]] = ("lat", "lon", "accuracy_m")
    __slots__ = names

    def __init__(self, lat: float, lon: float, accuracy_m: float | None = None) -> None:
        self.lat: Final = lat
        self.lon: Final = lon
        self.accuracy_m: Final = accuracy_m


class Event(Value):
    """One stored scan of one code (an item, a case or a pallet)."""

    names: ClassVar[tuple[str, ...]] = (
        "event_id",
        "code",
        "checkpoint",
        "party_id",
        "scanned_at",
        "recorded_at",
        "to_party_id",
        "location",
        "verdict",
        "unpack",
    )
    __slots__ = names

    def __init__(
        self,
        event_id: str,
        code: str,
        checkpoint: Checkpoint,
        party_id: str | None,
        scanned_at: datetime,
        recorded_at: datetime,
        to_party_id: str | None = None,
        location: Location | None = None,
        verdict: str = "genuine",
        unpack: bool = False,
    ) -> None:
        self.event_id: Final = event_id
        self.code: Final = code
        self.checkpoint: Final = checkpoint
        self.party_id: Final = party_id
        self.scanned_at: Final = scanned_at
        self.recorded_at: Final = recorded_at
        self.to_party_id: Final = to_party_id
        self.location: Final = location
        self.verdict: Final = verdict
        self.unpack: Final = unpack

    @property
    def counterfeit(self) -> bool:
        return self.verdict == "counterfeit"


class Membership(Value):
    """`child` was inside `parent` from `packed_at` until `unpacked_at` (None: still is)."""

    names: ClassVar[tuple[str, ...]] = (
        "child",
        "parent",
        "packed_at",
        "unpacked_at",
        "pack_event_id",
        "unpack_event_id",
    )
    __slots__ = names

    def __init__(
        self,
        child: str,
        parent: str,
        packed_at: datetime,
        unpacked_at: datetime | None = None,
        pack_event_id: str | None = None,
        unpack_event_id: str | None = None,
    ) -> None:
        self.child: Final = child
        self.parent: Final = parent
        self.packed_at: Final = packed_at
        self.unpacked_at: Final = unpacked_at
        self.pack_event_id: Final = pack_event_id
        self.unpack_event_id: Final = unpack_event_id

    def current(self) -> bool:
        return self.unpacked_at is None


class Window(Value):
    """`code` was (directly or through an inner container) inside `container` in [start, end).

    `closing_event_id` is the unpacking scan of `container` that ended the window, if any:
    it still counts for the contents.
    """

    names: ClassVar[tuple[str, ...]] = ("container", "start", "end", "closing_event_id", "depth")
    __slots__ = names

    def __init__(
        self,
        container: str,
        start: datetime,
        end: datetime | None,
        closing_event_id: str | None = None,
        depth: int = 1,
    ) -> None:
        self.container: Final = container
        self.start: Final = start
        self.end: Final = end
        self.closing_event_id: Final = closing_event_id
        self.depth: Final = depth

    def covers(self, event: Event) -> bool:
        if event.code != self.container:
            return False
        if self.closing_event_id is not None and event.event_id == self.closing_event_id:
            return True
        at = event.scanned_at
        return at >= self.start and (self.end is None or at < self.end)


class EffectiveEvent(Value):
    """An event that counts for a code; `via` names the container it was scanned on."""

    names: ClassVar[tuple[str, ...]] = ("event", "via")
    __slots__ = names

    def __init__(self, event: Event, via: str | None = None) -> None:
        self.event: Final = event
        self.via: Final = via


class CustodyStep(Value):
    """One holder in the chain of custody, from the event that made it a custodian."""

    names: ClassVar[tuple[str, ...]] = ("party_id", "since", "event_id", "checkpoint", "via")
    __slots__ = names

    def __init__(
        self,
        party_id: str,
        since: datetime,
        event_id: str,
        checkpoint: Checkpoint,
        via: str | None = None,
    ) -> None:
        self.party_id: Final = party_id
        self.since: Final = since
        self.event_id: Final = event_id
        self.checkpoint: Final = checkpoint
        self.via: Final = via
