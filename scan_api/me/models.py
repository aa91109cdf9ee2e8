"""Domain types of /v1/me (pure)."""

from __future__ import annotations

from dataclasses import dataclass

from traceability.auth.models import Principal
from traceability.events import Checkpoint, allowed_checkpoints

# The public order of the checkpoints (PRODUCT.md), for a stable answer.
_ORDER = list(Checkpoint)


@dataclass(frozen=True, slots=True)
class PartyRef:
    id: str
    kind: str
    name: str
    parent_id: str | None
    suspended: bool


@dataclass(frozen=True, slots=True)
class Me:
    principal: Principal
    party: PartyRef | None
    checkpoints: list[Checkpoint]


def checkpoints_of(principal: Principal) -> list[Checkpoint]:
    """What the token may scan, in checkpoint order (empty for admin and compliance)."""
    return sorted(allowed_checkpoints(principal), key=_ORDER.index)
