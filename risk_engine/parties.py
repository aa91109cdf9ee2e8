"""Parties with their ancestors and territory authorizations, kept in memory for the rules.

Every judged group used to ask PostgreSQL for its parties (a recursive query and a round trip
per group) although parties and authorizations change a few times a day. The cache answers
from memory; like the territory index it checks every 2 s whether anything changed (a
fingerprint over every row, so no edit is missed), and it reloads at once when a group names
a party it has never seen (one created a moment ago, possibly by another process).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any

import asyncpg

from risk_engine import repository

CHECK_EVERY_S = 2.0
# As the recursive query did: a party and up to four levels of parents.
MAX_ANCESTORS = 4


class PartyCache:
    def __init__(self, check_every_s: float = CHECK_EVERY_S) -> None:
        self.check_every_s = check_every_s
        self._parties: dict[str, dict[str, Any]] = {}
        self._fingerprint: tuple[str, str] | None = None
        self._checked_at = float("-inf")

    async def rows(self, conn: asyncpg.Connection, ids: Sequence[str]) -> list[dict[str, Any]]:
        """The parties `ids`, their ancestors and their authorizations (`id`, `kind`,
        `parent_id`, `lat`, `lon`, `authorizations`: [{`territory_id`, `gtins`}])."""
        if time.monotonic() - self._checked_at >= self.check_every_s:
            await self._refresh(conn, await repository.parties_fingerprint(conn))
        if any(party_id not in self._parties for party_id in ids):
            await self._refresh(conn, None)
        return list(self._with_ancestors(ids))

    async def _refresh(self, conn: asyncpg.Connection, fingerprint: tuple[str, str] | None) -> None:
        if fingerprint is None or fingerprint != self._fingerprint:
            fingerprint = fingerprint or await repository.parties_fingerprint(conn)
            parties, authorizations = await repository.all_parties(conn)
            self._parties = {
                r["id"]: {
                    "id": r["id"],
                    "kind": r["kind"],
                    "parent_id": r["parent_id"],
                    "lat": r["lat"],
                    "lon": r["lon"],
                    "authorizations": [],
                }
                for r in parties
            }
            for a in authorizations:
                if a["party_id"] in self._parties:
                    self._parties[a["party_id"]]["authorizations"].append(
                        {"territory_id": a["territory_id"], "gtins": a["gtins"]}
                    )
            self._fingerprint = fingerprint
        self._checked_at = time.monotonic()

    def _with_ancestors(self, ids: Iterable[str]) -> Iterable[dict[str, Any]]:
        seen: set[str] = set()
        for party_id in ids:
            current: str | None = party_id
            for _ in range(MAX_ANCESTORS + 1):
                if current is None or current not in self._parties:
                    break
                if current not in seen:
                    seen.add(current)
                    yield self._parties[current]
                current = self._parties[current]["parent_id"]
