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

    def fields(self) -> tuple[object, ...]:
        return (self.lat, self.lon, self.accuracy_m)


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

    def fields(self) -> tuple[object, ...]:
        return (
            self.event_id,
            self.code,
            self.checkpoint,
            self.party_id,
            self.scanned_at,
            self.recorded_at,
            self.to_party_id,
            self.location,
            self.verdict,
            self.unpack,
        )

    @property
    def counterfeit(self) -> bool:
        return self.verdict == "counterfeit"

    def placed(self, location: Location | None) -> Event:
        """The same event at another position (`dataclasses.replace` for a native class)."""
        return Event(
            self.event_id,
            self.code,
            self.checkpoint,
            self.party_id,
            self.scanned_at,
            self.recorded_at,
            self.to_party_id,
            location,
            self.verdict,
            self.unpack,
        )
