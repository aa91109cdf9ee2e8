"""The nine checkpoints and who may scan at which: the vocabulary of every custody event."""

from __future__ import annotations

import enum

from traceability.auth.models import Principal, Role


class Checkpoint(enum.StrEnum):
    """The names are part of the public API (PRODUCT.md, "The nine checkpoints")."""

    COMMISSION = "commission"
    PACK = "pack"
    WAREHOUSE_IN = "warehouse_in"
    SHIP = "ship"
    DEALER_RECEIVE = "dealer_receive"
    DEALER_SHIP = "dealer_ship"
    RETAIL_RECEIVE = "retail_receive"
    RETAIL_SELL = "retail_sell"
    CONSUMER_VERIFY = "consumer_verify"


# EPCIS CBV bizStep of each checkpoint, for interoperability exports.
BIZ_STEP = {
    Checkpoint.COMMISSION: "commissioning",
    Checkpoint.PACK: "packing",
    Checkpoint.WAREHOUSE_IN: "storing",
    Checkpoint.SHIP: "shipping",
    Checkpoint.DEALER_RECEIVE: "receiving",
    Checkpoint.DEALER_SHIP: "shipping",
    Checkpoint.RETAIL_RECEIVE: "receiving",
    Checkpoint.RETAIL_SELL: "retail_selling",
    Checkpoint.CONSUMER_VERIFY: "inspecting",
}

SHIPPING = frozenset({Checkpoint.SHIP, Checkpoint.DEALER_SHIP})
RECEIVING = frozenset({Checkpoint.DEALER_RECEIVE, Checkpoint.RETAIL_RECEIVE})
# Where opening a container (unpacking) can be reported.
UNPACKING = frozenset({Checkpoint.PACK, Checkpoint.DEALER_RECEIVE, Checkpoint.RETAIL_RECEIVE})

_LINE = frozenset({Checkpoint.COMMISSION, Checkpoint.PACK})
_LOGISTICS_BY_KIND = {
    "plant": frozenset({Checkpoint.WAREHOUSE_IN, Checkpoint.SHIP}),
    "dealer": frozenset({Checkpoint.DEALER_RECEIVE, Checkpoint.DEALER_SHIP}),
    "retailer": frozenset({Checkpoint.RETAIL_RECEIVE, Checkpoint.RETAIL_SELL}),
}


def allowed_checkpoints(principal: Principal) -> frozenset[Checkpoint]:
    """What this token may scan; consumer_verify only ever goes through POST /v1/verify."""
    if principal.role is Role.LINE:
        return _LINE
    if principal.role is Role.LOGISTICS and principal.party_kind is not None:
        return _LOGISTICS_BY_KIND.get(principal.party_kind, frozenset())
    return frozenset()
