"""Scans at all nine checkpoints through real tokens: verdicts, lifecycle, containers, custody."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import Any

import asyncpg
import orjson
import pytest
from starlette.testclient import TestClient

from scan_api.scans import repository as scans_repository
from scan_api.scans.models import SUSPENSION_OFFLINE_WINDOW
from tests.pg import SyncDb
from tests.world import GTIN, World, now, scan_body, tamper
from traceability.db.columns import float4

HOUR = timedelta(hours=1)


def test_the_whole_chain_is_genuine(world: World, db: SyncDb) -> None:
    [item] = world.issue(1)
    world.deliver(item["payload"])
    rows = db.fetch(
        "SELECT checkpoint, party_id, to_party_id, verdict FROM scan_events"
        " WHERE code = $1 ORDER BY scanned_at",
        item["code"],
    )
    assert [r["checkpoint"] for r in rows] == [
        "commission",
        "ship",
        "dealer_receive",
        "dealer_ship",
        "retail_receive",
        "retail_sell",
    ]
    assert {r["verdict"] for r in rows} == {"genuine"}
    assert rows[1]["party_id"] == "plant" and rows[1]["to_party_id"] == "dealer-sh"
    assert db.fetchval(
        "SELECT commissioned_at IS NOT NULL FROM codes WHERE code = $1", item["code"]
    )


def test_counterfeit_payload_is_recorded_as_a_sighting(world: World, db: SyncDb) -> None:
    [item] = world.issue(1)
    tampered = tamper(item["payload"])
    result = world.ok("store-sh", tampered, "retail_sell", loc=(31.2, 121.4))
    assert result["verdict"] == "counterfeit"
    assert result["reason"] == "bad_signature"
    junk = world.ok("store-sh", "https://evil.example/01/123", "retail_sell")
    assert junk["verdict"] == "counterfeit" and junk["code"] is None
    stored = db.fetchval(
        "SELECT verdict FROM scan_events WHERE event_id = $1", uuid.UUID(junk["event_id"])
    )
    assert stored == "counterfeit"


def test_never_commissioned_codes_are_suspicious_in_the_market(world: World) -> None:
    [item] = world.issue(1)
    result = world.ok("store-sh", item["payload"], "retail_sell")
    assert (result["verdict"], result["reason"]) == ("suspicious", "never_commissioned")


def test_retry_returns_the_first_response_and_stores_once(world: World, db: SyncDb) -> None:
    [item] = world.issue(1)
    body = scan_body(item["payload"], "commission")
    first = world.client.post("/v1/scans", json=body, headers=world.tokens["line"])
    again = world.client.post("/v1/scans", json=body, headers=world.tokens["line"])
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    count = db.fetchval(
        "SELECT count(*) FROM scan_events WHERE event_id = $1", uuid.UUID(body["event_id"])
    )
    assert count == 1


def test_another_partys_event_id_is_a_conflict_that_reveals_nothing(
    world: World, db: SyncDb
) -> None:
    [item, other] = world.issue(2)
    world.deliver(item["payload"])
    body = {
        "event_id": str(uuid.uuid4()),
        "payload": item["payload"],
        "checkpoint": "dealer_receive",
        "scanned_at": now().isoformat(),
    }
    assert world.client.post("/v1/scans", json=body, headers=world.tokens["dealer-sh"]).is_success
    before = db.counts()
    stolen = {**body, "payload": other["payload"], "checkpoint": "retail_receive"}
    for attempt in (
        world.client.post("/v1/scans", json=stolen, headers=world.tokens["store-sh"]),
        world.client.post(
            "/v1/scans/batch", json={"scans": [stolen]}, headers=world.tokens["store-sh"]
        ),
    ):
        answer = attempt.json()
        problem = answer if attempt.status_code == 409 else answer["results"][0]["error"]
        assert problem["status"] == 409
        assert "another party" in problem["detail"]
        assert item["code"] not in attempt.text
    assert db.counts() == before
    again = world.client.post("/v1/scans", json=body, headers=world.tokens["dealer-sh"])
    assert again.status_code == 200 and again.json()["code"] == item["code"]


def test_racing_retries_get_the_first_response_and_store_once(world: World, db: SyncDb) -> None:
    """A phone that resends while its first attempt is still in flight: the copies race (in
    one commit group or in two), one is created, every other one answers the same."""
    items = world.issue(3)
    bodies = [scan_body(item["payload"], "commission") for item in items]
    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(
            pool.map(
                lambda body: world.client.post(
                    "/v1/scans", json=body, headers=world.tokens["line"]
                ),
                [body for body in bodies for _ in range(4)],
            )
        )
    for n, body in enumerate(bodies):
        copies = answers[4 * n : 4 * n + 4]
        assert sorted(a.status_code for a in copies) == [200, 200, 200, 201]
        assert all(a.json() == copies[0].json() for a in copies)
        stored = db.fetchval(
            "SELECT count(*) FROM scan_events WHERE event_id = $1", uuid.UUID(body["event_id"])
        )
        assert stored == 1


def test_batches_racing_over_the_same_events_store_each_once(world: World, db: SyncDb) -> None:
    """Two uploads of overlapping scans in opposite orders (an outbox flushed twice)."""
    items = world.issue(40)
    scans = [scan_body(item["payload"], "commission") for item in items]
    uploads = [scans, scans[::-1]] * 3
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(
            pool.map(
                lambda batch: world.client.post(
                    "/v1/scans/batch", json={"scans": batch}, headers=world.tokens["line"]
                ),
                uploads,
            )
        )
    assert [a.status_code for a in answers] == [200] * len(uploads), [a.text for a in answers]
    statuses = [r["status"] for a in answers for r in a.json()["results"]]
    assert statuses.count("created") == len(scans)
    assert statuses.count("duplicate") == len(scans) * (len(uploads) - 1)
    ids = [uuid.UUID(s["event_id"]) for s in scans]
    stored = db.fetchval("SELECT count(*) FROM scan_events WHERE event_id = ANY($1::uuid[])", ids)
    assert stored == len(scans)


def test_checkpoints_are_limited_by_party_kind(world: World) -> None:
    [item] = world.issue(1)
    p = item["payload"]
    forbidden = [
        ("line", "ship"),
        ("plant", "commission"),
        ("plant", "dealer_receive"),
        ("dealer-sh", "retail_sell"),
        ("store-sh", "dealer_ship"),
        ("store-sh", "consumer_verify"),
    ]
    for who, checkpoint in forbidden:
        extra = {"to_party_id": "dealer-hz"} if checkpoint.endswith("ship") else {}
        response = world.scan(who, p, checkpoint, **extra)
        assert response.status_code == 403, (who, checkpoint, response.text)
    assert world.scan("compliance", p, "retail_sell").status_code == 403
    assert (
        world.client.post(
            "/v1/scans",
            json={
                "event_id": str(uuid.uuid4()),
                "payload": p,
                "checkpoint": "retail_sell",
                "scanned_at": now().isoformat(),
            },
            headers=world.admin,
        ).status_code
        == 403
    )


def test_bad_scans_get_precise_problems_and_store_nothing(world: World, db: SyncDb) -> None:
    [item] = world.issue(1)
    p = item["payload"]
    before = db.counts()
    cases = [
        ("store-sh", {"checkpoint": "retail_sell", "location": {"lat": 91, "lon": 0}}, 422),
        ("store-sh", {"checkpoint": "retail_sell", "location": {"lat": 0, "lon": -181}}, 422),
        (
            "store-sh",
            {"checkpoint": "retail_sell", "location": {"lat": 0, "lon": 0, "accuracy_m": -1}},
            422,
        ),
        (  # positive, but a `real` column cannot hold it (PostgreSQL: underflow)
            "store-sh",
            {"checkpoint": "retail_sell", "location": {"lat": 0, "lon": 0, "accuracy_m": 1e-50}},
            422,
        ),
        ("store-sh", {"checkpoint": "retail_sell", "payload": "x" * 513}, 422),
        ("store-sh", {"checkpoint": "retail_sell", "payload": "é" * 257}, 422),
        ("store-sh", {"checkpoint": "retail_sell", "payload": 12345}, 422),
        ("store-sh", {"checkpoint": "teleport"}, 422),
        ("plant", {"checkpoint": "ship"}, 422),  # no to_party_id
        ("plant", {"checkpoint": "ship", "to_party_id": "nobody"}, 422),
        ("plant", {"checkpoint": "warehouse_in", "to_party_id": "dealer-sh"}, 422),
        ("plant", {"checkpoint": "warehouse_in", "children": [p]}, 422),
        (
            "store-sh",
            {
                "checkpoint": "retail_sell",
                "scanned_at": (now() + timedelta(minutes=11)).isoformat(),
            },
            422,
        ),
        ("store-sh", {"checkpoint": "retail_sell", "scanned_at": "2026-11-27T08:00:00"}, 422),
        ("store-sh", {"checkpoint": "retail_sell", "event_id": "not-a-uuid"}, 422),
        ("store-sh", {"checkpoint": "retail_sell", "surprise": 1}, 422),
        # Numbers where a timestamp belongs, and coerced coordinates, are refused, not read.
        ("store-sh", {"checkpoint": "retail_sell", "scanned_at": 1700000000}, 422),
        ("store-sh", {"checkpoint": "retail_sell", "scanned_at": "1700000000"}, 422),
        ("store-sh", {"checkpoint": "retail_sell", "scanned_at": "1.7e9"}, 422),
        ("store-sh", {"checkpoint": "retail_sell", "location": {"lat": True, "lon": 121}}, 422),
        ("store-sh", {"checkpoint": "retail_sell", "location": {"lat": 31, "lon": "121"}}, 422),
        # Before the service existed: a typo, and year 1 would not even read back.
        ("store-sh", {"checkpoint": "retail_sell", "scanned_at": "0001-01-01T00:00:00+01:00"}, 422),
        ("store-sh", {"checkpoint": "retail_sell", "scanned_at": "1999-12-31T23:59:59Z"}, 422),
    ]
    for who, change, status in cases:
        body = {
            "event_id": str(uuid.uuid4()),
            "payload": p,
            "scanned_at": now().isoformat(),
            **change,
        }
        response = world.client.post("/v1/scans", json=body, headers=world.tokens[who])
        assert response.status_code == status, (change, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"]
    assert db.counts() == before


def test_late_uploads_are_accepted_and_ordered_by_scanned_at(world: World, db: SyncDb) -> None:
    [item] = world.issue(1)
    world.ok("plant", item["payload"], "ship", now() - timedelta(days=3), to_party_id="dealer-sh")
    world.ok("line", item["payload"], "commission", now() - timedelta(days=4))
    rows = db.fetch(
        "SELECT checkpoint, recorded_at > scanned_at AS late FROM scan_events WHERE code = $1"
        " ORDER BY scanned_at",
        item["code"],
    )
    assert [r["checkpoint"] for r in rows] == ["commission", "ship"]
    assert all(r["late"] for r in rows)


def _dealer(world: World, party_id: str) -> None:
    body = {"kind": "dealer", "name": party_id, "location": {"lat": 31, "lon": 121}}
    assert world.client.put(f"/v1/parties/{party_id}", json=body, headers=world.admin).is_success


def _suspend(world: World, party_id: str, reason: str) -> None:
    suspended = world.client.post(
        f"/v1/parties/{party_id}/suspension",
        json={"reason": reason},
        headers=world.tokens["compliance"],
    )
    assert suspended.status_code == 200


def test_shipping_to_a_suspended_party_is_refused(world: World, db: SyncDb) -> None:
    [item] = world.issue(1)
    world.ok("line", item["payload"], "commission")
    _dealer(world, "dealer-bad")
    _suspend(world, "dealer-bad", "diversion case 12")
    before = db.counts()
    response = world.scan("plant", item["payload"], "ship", to_party_id="dealer-bad")
    assert response.status_code == 409
    assert "diversion case 12" in response.json()["detail"]
    assert db.counts() == before


def test_a_shipment_scanned_before_the_suspension_is_stored_when_uploaded_after(
    world: World, db: SyncDb
) -> None:
    """Found by a review: a handheld's shipment, scanned days before the consignee was
    suspended and uploaded after, was refused for good (409 is final), and the record of what
    the suspended party received was lost. Shipments scanned since are still refused."""
    [early, late] = world.issue(2)
    for item in (early, late):
        world.ok("line", item["payload"], "commission", now() - timedelta(days=4))
    _dealer(world, "dealer-offline")
    _suspend(world, "dealer-offline", "diversion case 14")
    before = world.ok(
        "plant", early["payload"], "ship", now() - timedelta(days=2), to_party_id="dealer-offline"
    )
    assert before["verdict"] == "genuine"
    after = world.scan("plant", late["payload"], "ship", to_party_id="dealer-offline")
    assert after.status_code == 409
    # Dated further back than a handheld stays offline: a clock set back (live review).
    years_ago = world.scan(
        "plant", late["payload"], "ship", now() - timedelta(days=700), to_party_id="dealer-offline"
    )
    assert years_ago.status_code == 409 and "offline" in years_ago.json()["detail"]


def test_a_shipment_dated_before_an_old_suspension_is_refused(world: World, db: SyncDb) -> None:
    """Found by a review: any shipment dated before the suspension was accepted whenever it
    came, so a handheld with its clock set back shipped to a suspended dealer for good. The
    exemption is for handhelds that were offline: it ends `SUSPENSION_OFFLINE_WINDOW` after
    the suspension."""
    [item] = world.issue(1)
    world.ok("line", item["payload"], "commission", now() - timedelta(days=6))
    _dealer(world, "dealer-backdated")
    _suspend(world, "dealer-backdated", "diversion case 15")
    db.execute(
        "UPDATE parties SET suspended_at = $2 WHERE id = $1",
        "dealer-backdated",
        now() - SUSPENSION_OFFLINE_WINDOW - timedelta(minutes=1),
    )
    before = db.counts()
    backdated = world.scan(
        "plant", item["payload"], "ship", now() - timedelta(days=5), to_party_id="dealer-backdated"
    )
    assert backdated.status_code == 409, backdated.text
    assert "diversion case 15" in backdated.json()["detail"]
    assert "offline" in backdated.json()["detail"]
    assert db.counts() == before


def test_a_shipment_dated_inside_a_lifted_suspension_stays_refused(
    world: World, db: SyncDb
) -> None:
    """Found by a live review: after a lift and a second suspension, a shipment dated
    inside the first one counted as "before the suspension" and was stored."""
    [item, other] = world.issue(2)
    for entry in (item, other):
        world.ok("line", entry["payload"], "commission", now() - timedelta(hours=2))
    _dealer(world, "dealer-twice")
    _suspend(world, "dealer-twice", "diversion case 16")
    lifted = world.client.delete(
        "/v1/parties/dealer-twice/suspension", headers=world.tokens["compliance"]
    )
    assert lifted.status_code == 200
    _suspend(world, "dealer-twice", "diversion case 17")
    history = world.client.get(
        "/v1/parties/dealer-twice/sanctions", headers=world.tokens["compliance"]
    ).json()["items"]
    first, lift = (datetime.fromisoformat(history[i]["at"]) for i in (0, 1))
    inside = first + (lift - first) / 2
    refused = world.scan("plant", item["payload"], "ship", inside, to_party_id="dealer-twice")
    assert refused.status_code == 409, refused.text
    assert refused.json()["suspension_reason"] == "diversion case 16"  # that suspension's
    between = lift + (datetime.fromisoformat(history[2]["at"]) - lift) / 2
    taken = world.scan("plant", other["payload"], "ship", between, to_party_id="dealer-twice")
    assert taken.status_code == 201, taken.text


def test_a_retry_after_the_consignee_was_suspended_gets_its_first_answer(
    world: World, db: SyncDb
) -> None:
    """Refusals are for new shipments: a retry of one already stored is the same event."""
    [item] = world.issue(1)
    world.ok("line", item["payload"], "commission")
    _dealer(world, "dealer-later-bad")
    body = {
        "event_id": str(uuid.uuid4()),
        "payload": item["payload"],
        "checkpoint": "ship",
        "scanned_at": now().isoformat(),
        "to_party_id": "dealer-later-bad",
    }
    first = world.client.post("/v1/scans", json=body, headers=world.tokens["plant"])
    assert first.status_code == 201
    _suspend(world, "dealer-later-bad", "diversion case 13")
    before = db.counts()
    for path, wrap in (("/v1/scans", False), ("/v1/scans/batch", True)):
        again = world.client.post(
            path, json={"scans": [body]} if wrap else body, headers=world.tokens["plant"]
        )
        assert again.status_code == 200, again.text
        if wrap:
            [result] = again.json()["results"]
            assert (result["status"], result["verdict"]) == ("duplicate", "genuine")
        else:
            assert again.json() == first.json()
    assert db.counts() == before


def test_pack_moves_children_and_unpack_releases_them(world: World, db: SyncDb) -> None:
    items = world.issue(3)
    [case_a, case_b] = world.issue(2, level="case")
    [pallet] = world.issue(1, level="pallet")
    for entry in [*items, case_a, case_b, pallet]:
        world.ok("line", entry["payload"], "commission")
    world.ok("line", case_a["payload"], "pack", children=[i["payload"] for i in items])
    world.ok("line", pallet["payload"], "pack", children=[case_a["payload"]])
    current = db.fetch(
        "SELECT child_code, parent_code FROM containment WHERE unpacked_at IS NULL"
        " AND child_code = ANY($1::text[])",
        [i["code"] for i in items] + [case_a["code"]],
    )
    assert {r["child_code"]: r["parent_code"] for r in current} == {
        **{i["code"]: case_a["code"] for i in items},
        case_a["code"]: pallet["code"],
    }
    # Re-packing one item moves it (history kept).
    world.ok("line", case_b["payload"], "pack", children=[items[0]["payload"]])
    history = db.fetch(
        "SELECT parent_code, unpacked_at IS NULL AS current FROM containment"
        " WHERE child_code = $1 ORDER BY packed_at",
        items[0]["code"],
    )
    assert [(r["parent_code"], r["current"]) for r in history] == [
        (case_a["code"], False),
        (case_b["code"], True),
    ]
    # A store opens case A: its items leave it.
    world.ok("store-sh", case_a["payload"], "retail_receive", unpack=True)
    left = db.fetchval(
        "SELECT count(*) FROM containment WHERE parent_code = $1 AND unpacked_at IS NULL",
        case_a["code"],
    )
    assert left == 0


def test_packing_commissions_a_case_or_pallet_the_line_never_scanned_alone(
    world: World, db: SyncDb
) -> None:
    """Found by a live review: cases and pallets packed by the line without a commission scan
    of their own were "suspicious / never_commissioned" at every later scan, and a dealer's
    receipt of the pallet raised a medium leaked_code alert for the case."""
    items = world.issue(3)
    [case] = world.issue(1, level="case")
    [pallet] = world.issue(1, level="pallet")
    t = now() - timedelta(hours=5)
    for item in items:
        world.ok("line", item["payload"], "commission", t)
    packed = world.ok("line", case["payload"], "pack", t, children=[i["payload"] for i in items])
    world.ok("line", pallet["payload"], "pack", t + HOUR / 2, children=[case["payload"]])
    assert packed["verdict"] == "genuine"
    [row] = db.fetch(
        "SELECT commissioned_at, commission_event_id FROM codes WHERE code = $1", case["code"]
    )
    assert row["commissioned_at"] == t and str(row["commission_event_id"]) == packed["event_id"]
    answers = [
        world.ok("plant", pallet["payload"], "warehouse_in", t + HOUR),
        world.ok("plant", pallet["payload"], "ship", t + HOUR * 2, to_party_id="dealer-sh"),
        world.ok("dealer-sh", pallet["payload"], "dealer_receive", t + HOUR * 3),
    ]
    assert [(a["verdict"], a.get("reason")) for a in answers] == [("genuine", None)] * 3
    assert all(not a.get("alert_ids") for a in answers)


def test_packs_racing_for_the_same_items_leave_each_in_one_case(world: World, db: SyncDb) -> None:
    """Two lines pack the same items into different cases at once (a re-pack racing the
    first pack): both are stored, the later one wins, never a 500."""
    items = world.issue(6)
    cases = world.issue(12, level="case")
    upload = [scan_body(entry["payload"], "commission") for entry in [*items, *cases]]
    batch = world.client.post(
        "/v1/scans/batch", json={"scans": upload}, headers=world.tokens["line"]
    )
    assert batch.status_code == 200
    children = [i["payload"] for i in items]

    def pack(case: dict[str, str]) -> Any:
        body = {
            "event_id": str(uuid.uuid4()),
            "payload": case["payload"],
            "checkpoint": "pack",
            "scanned_at": now().isoformat(),
            "children": children,
        }
        batch = {"scans": [body]}  # a batch is its own transaction: no group to serialise it
        return world.client.post("/v1/scans/batch", json=batch, headers=world.tokens["line"])

    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(pack, cases))
    assert [a.status_code for a in answers] == [200] * len(cases), [a.text for a in answers]
    assert [a.json()["results"][0]["status"] for a in answers] == ["created"] * len(cases)
    current = db.fetch(
        "SELECT child_code, count(*) AS n FROM containment WHERE unpacked_at IS NULL"
        " AND child_code = ANY($1::text[]) GROUP BY child_code",
        [i["code"] for i in items],
    )
    assert sorted(r["n"] for r in current) == [1] * len(items)
    # The case that holds them is the one packed last in scan time, whatever the commit
    # order (a review found 4 of 50 items left in an older case).
    packs = db.fetch(
        "SELECT code, scanned_at FROM scan_events WHERE checkpoint = 'pack'"
        " AND code = ANY($1::text[])",
        [c["code"] for c in cases],
    )
    last = max(r["scanned_at"] for r in packs)
    newest = {r["code"] for r in packs if r["scanned_at"] == last}
    holders = db.fetch(
        "SELECT DISTINCT parent_code FROM containment WHERE unpacked_at IS NULL"
        " AND child_code = ANY($1::text[])",
        [i["code"] for i in items],
    )
    assert {r["parent_code"] for r in holders} <= newest


def test_batches_packing_the_same_items_in_opposite_orders_do_not_deadlock(
    world: World, db: SyncDb
) -> None:
    items = world.issue(2)
    cases = world.issue(16, level="case")
    commission = [scan_body(e["payload"], "commission") for e in [*items, *cases]]
    world.client.post("/v1/scans/batch", json={"scans": commission}, headers=world.tokens["line"])
    x, y = (i["payload"] for i in items)

    def upload(n: int) -> Any:
        first, second = cases[2 * n], cases[2 * n + 1]
        order = [x, y] if n % 2 else [y, x]
        packs = [
            scan_body(first["payload"], "pack", children=[order[0]]),
            scan_body(second["payload"], "pack", children=[order[1]]),
        ]
        return world.client.post(
            "/v1/scans/batch", json={"scans": packs}, headers=world.tokens["line"]
        )

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(upload, range(8)))
    assert [a.status_code for a in answers] == [200] * 8, [a.text for a in answers]
    current = db.fetch(
        "SELECT count(*) AS n FROM containment WHERE unpacked_at IS NULL"
        " AND child_code = ANY($1::text[]) GROUP BY child_code",
        [i["code"] for i in items],
    )
    assert [r["n"] for r in current] == [1, 1]


@pytest.mark.parametrize("path", ["/v1/scans/batch", "/v1/scans"])
def test_a_scan_aborted_by_a_deadlock_is_a_503_to_retry(
    world: World, db: SyncDb, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    """PostgreSQL aborts the transaction after the insert went through: nothing is stored,
    and the client is told to send it again (the single-scan lane retries alone once first)."""
    [item] = world.issue(1)
    insert = scans_repository.insert_events

    async def deadlocked(*args: Any, **kwargs: Any) -> Any:
        await insert(*args, **kwargs)
        raise asyncpg.exceptions.DeadlockDetectedError("deadlock detected")

    monkeypatch.setattr(scans_repository, "insert_events", deadlocked)
    scan = scan_body(item["payload"], "commission")
    before = db.counts()
    body = {"scans": [scan]} if path.endswith("batch") else scan
    response = world.client.post(path, json=body, headers=world.tokens["line"])
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert response.headers["content-type"] == "application/problem+json"
    assert db.counts() == before
    monkeypatch.undo()
    again = world.client.post(path, json=body, headers=world.tokens["line"])
    assert again.status_code in (200, 201)


def test_pack_refuses_wrong_levels_and_fakes(world: World, db: SyncDb) -> None:
    [item, other] = world.issue(2)
    [case] = world.issue(1, level="case")
    before = db.counts()
    assert (
        world.scan("line", item["payload"], "pack", children=[other["payload"]]).status_code == 422
    )
    assert (
        world.scan("line", case["payload"], "pack", children=[tamper(other["payload"])]).status_code
        == 422
    )
    assert (
        world.scan(
            "line", case["payload"], "pack", children=[other["payload"], other["payload"]]
        ).status_code
        == 422
    )
    assert db.counts() == before


TINY_ACCURACY = {"lat": 31.2, "lon": 121.4, "accuracy_m": 1e-46}
"""Valid for a float8, 0 for the `real` column: was a 500 that sank the whole batch."""


def test_batch_rejects_bad_scans_alone(world: World, db: SyncDb) -> None:
    items = world.issue(4)
    good = [scan_body(i["payload"], "commission") for i in items]
    bad_time = {
        **good[0],
        "event_id": str(uuid.uuid4()),
        "scanned_at": (now() + timedelta(hours=1)).isoformat(),
    }
    bad_shape = {"event_id": str(uuid.uuid4()), "payload": items[0]["payload"]}
    bad_kind = {**good[1], "event_id": str(uuid.uuid4()), "checkpoint": "retail_sell"}
    bad_fix = {**good[2], "event_id": str(uuid.uuid4()), "location": TINY_ACCURACY}
    scans = [good[0], bad_time, good[1], bad_shape, good[2], bad_kind, bad_fix, good[3], good[0]]
    response = world.client.post(
        "/v1/scans/batch", json={"scans": scans}, headers=world.tokens["line"]
    )
    assert response.status_code == 200
    statuses = [r["status"] for r in response.json()["results"]]
    assert statuses == [
        "created",
        "rejected",
        "created",
        "rejected",
        "created",
        "rejected",
        "rejected",
        "created",
        "duplicate",
    ]
    results = response.json()["results"]
    assert results[-1]["verdict"] == results[0]["verdict"] == "genuine"  # the twin's answer
    assert results[-1]["code"] == results[0]["code"]
    errors = [r["error"] for r in response.json()["results"] if r["status"] == "rejected"]
    assert [e["status"] for e in errors] == [422, 422, 403, 422]
    again = world.client.post("/v1/scans/batch", json={"scans": good}, headers=world.tokens["line"])
    assert [r["status"] for r in again.json()["results"]] == ["duplicate"] * 4
    ids = [uuid.UUID(s["event_id"]) for s in good]
    assert (
        db.fetchval("SELECT count(*) FROM scan_events WHERE event_id = ANY($1::uuid[])", ids) == 4
    )


def test_batch_results_say_why_and_unpack_takes_only_booleans(world: World, db: SyncDb) -> None:
    """Found by a live review: batch results carried no `reason` (the mini-app uploads
    through the batch, so staff never saw why a scan was suspicious), and `"unpack": "yes"`
    or `1` emptied a container while every other field is strict."""
    [item, other] = world.issue(2)
    [case] = world.issue(1, level="case")
    scans = [
        scan_body(item["payload"], "dealer_receive"),  # never commissioned
        scan_body(tamper(item["payload"]), "dealer_receive"),
    ]
    results = world.client.post(
        "/v1/scans/batch", json={"scans": scans}, headers=world.tokens["dealer-sh"]
    ).json()["results"]
    assert [(r["verdict"], r["reason"]) for r in results] == [
        ("suspicious", "never_commissioned"),
        ("counterfeit", "bad_signature"),
    ]
    world.ok("line", other["payload"], "commission")
    world.ok("line", case["payload"], "pack", children=[other["payload"]])
    before = db.counts()
    for loose in ("yes", 1, "on"):
        opened = world.scan("line", case["payload"], "pack", unpack=loose)
        assert opened.status_code == 422, (loose, opened.text)
    assert db.counts() == before


def test_twin_of_a_refused_scan_is_refused_too(world: World, db: SyncDb) -> None:
    """Two copies of one event in one upload (or two racing retries in one group) that is
    refused: both get the refusal; neither may read as stored."""
    [item] = world.issue(1)
    world.ok("line", item["payload"], "commission")
    before = db.counts()
    ship = {
        "event_id": str(uuid.uuid4()),
        "payload": item["payload"],
        "checkpoint": "ship",
        "to_party_id": "no-such-party",
        "scanned_at": now().isoformat(),
    }
    response = world.client.post(
        "/v1/scans/batch", json={"scans": [ship, ship]}, headers=world.tokens["plant"]
    )
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["rejected", "rejected"]
    assert results[1]["error"] == results[0]["error"]
    assert results[0]["error"]["status"] == 422
    assert db.counts() == before


def test_a_batch_element_that_is_not_an_object_is_rejected_alone(world: World) -> None:
    [item] = world.issue(1)
    good = scan_body(item["payload"], "commission")
    response = world.client.post(
        "/v1/scans/batch", json={"scans": [5, good, "scan", None]}, headers=world.tokens["line"]
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["rejected", "created", "rejected", "rejected"]
    assert all(r["error"]["status"] == 422 for r in results if r["status"] == "rejected")


def test_batch_limits(world: World) -> None:
    [item] = world.issue(1)
    scan = scan_body(item["payload"], "commission")
    too_many = world.client.post(
        "/v1/scans/batch", json={"scans": [scan] * 1001}, headers=world.tokens["line"]
    )
    assert too_many.status_code == 422
    empty = world.client.post("/v1/scans/batch", json={"scans": []}, headers=world.tokens["line"])
    assert empty.status_code == 422


def _another_plants_line(world: World, plant_id: str) -> dict[str, str]:
    """A second plant and its line's token headers."""
    body = {"kind": "plant", "name": plant_id, "location": {"lat": 31.0, "lon": 121.0}}
    assert world.client.put(f"/v1/parties/{plant_id}", json=body, headers=world.admin).is_success
    made = world.client.post(
        "/v1/tokens",
        json={"role": "line", "name": f"line-of-{plant_id}", "party_id": plant_id},
        headers=world.admin,
    )
    assert made.status_code == 201, made.text
    return {"Authorization": f"Bearer {made.json()['token']}"}


def test_codes_signed_by_another_process_verify_at_once(
    world: World, module_dsn: str, settings: object
) -> None:
    """A second API process creates a new plant's line key; this one must not call its codes
    counterfeit while its periodic keyring refresh has not come round yet."""
    from scan_api.app import create_app

    headers = _another_plants_line(world, "plant-2")
    with TestClient(create_app(settings, dsn=module_dsn)) as other:  # type: ignore[arg-type]
        batch = other.post(
            "/v1/code-batches", json={"gtin": GTIN, "lot": "P2", "count": 1}, headers=headers
        ).json()
        payload = other.get(f"/v1/code-batches/{batch['batch_id']}/codes", headers=headers).json()[
            "payload"
        ]
    world.tokens["line-2"] = headers
    assert world.ok("line-2", payload, "commission")["verdict"] == "genuine"


def test_stored_events_keep_every_value_exactly(world: World, db: SyncDb) -> None:
    """The insert sends its rows as JSON text (scan_api/scans/repository.py): quotes,
    backslashes, non-ASCII, full float precision, offsets and microseconds survive."""
    payload = 'https://fake.example/01/"quoted"\\back\\slash/ü/中文/🙂'
    at = (now() - timedelta(minutes=3)).replace(microsecond=123456)
    body = {
        "event_id": str(uuid.uuid4()),
        "payload": payload,
        "checkpoint": "retail_sell",
        "scanned_at": at.astimezone(timezone(timedelta(hours=8))).isoformat(),
        "location": {"lat": 31.123456789012345, "lon": 121.98765432109876, "accuracy_m": 12.3},
    }
    response = world.client.post("/v1/scans", json=body, headers=world.tokens["store-sh"])
    assert response.status_code == 201, response.text
    [row] = db.fetch(
        "SELECT payload, scanned_at, lat, lon, accuracy_m, verdict, to_party_id, unpack, response"
        " FROM scan_events WHERE event_id = $1",
        uuid.UUID(body["event_id"]),
    )
    assert row["payload"] == payload
    assert row["scanned_at"] == at
    assert (row["lat"], row["lon"]) == (31.123456789012345, 121.98765432109876)
    assert row["accuracy_m"] == float4(12.3)
    assert (row["verdict"], row["to_party_id"], row["unpack"]) == ("counterfeit", None, False)
    assert orjson.loads(row["response"]) == response.json()


def test_a_nul_character_is_refused_and_stores_nothing(world: World, db: SyncDb) -> None:
    before = db.fetchval("SELECT count(*) FROM scan_events")
    response = world.scan("store-sh", "https://fake.example/\x00", "retail_sell")
    assert response.status_code == 422, response.text
    assert db.fetchval("SELECT count(*) FROM scan_events") == before


def test_the_batch_schema_documents_its_scans(world: World) -> None:
    """Accepted as anything (each judged alone), documented as the scans they should be."""
    spec = world.client.get("/openapi.json").json()
    scans = spec["components"]["schemas"]["BatchIn"]["properties"]["scans"]
    assert scans["items"] == {"$ref": "#/components/schemas/ScanIn"}
    assert "ScanIn" in spec["components"]["schemas"]


def test_the_hot_paths_document_their_problems(world: World) -> None:
    """Found by a review: /v1/scans listed only 200/201/422 and /v1/verify no 429."""
    paths = world.client.get("/openapi.json").json()["paths"]
    documented = {
        path: set(paths[path]["post"]["responses"])
        for path in ("/v1/scans", "/v1/scans/batch", "/v1/verify")
    }
    assert {"401", "403", "409", "413", "422", "503"} <= documented["/v1/scans"]
    assert {"401", "403", "413", "422", "503"} <= documented["/v1/scans/batch"]
    assert {"413", "422", "429", "503"} <= documented["/v1/verify"]
    limited = paths["/v1/verify"]["post"]["responses"]["429"]
    assert "Retry-After" in limited["headers"]
    assert "application/problem+json" in limited["content"]


def test_a_line_packs_and_opens_only_its_own_plants_codes(world: World, db: SyncDb) -> None:
    """Found by two reviews: commissioning checked the code's plant, packing did not, so one
    plant's line could empty or refill another plant's cases (and change their custody)."""
    world.tokens["line-3"] = _another_plants_line(world, "plant-3")
    [case] = world.issue(1, level="case")
    items = world.issue(2)
    world.ok("line", case["payload"], "pack", children=[items[0]["payload"]])
    batch = world.client.post(
        "/v1/code-batches",
        json={"gtin": GTIN, "lot": "P3", "count": 1},
        headers=world.tokens["line-3"],
    ).json()
    [theirs] = [
        orjson.loads(line)
        for line in world.client.get(
            f"/v1/code-batches/{batch['batch_id']}/codes", headers=world.tokens["line-3"]
        ).content.splitlines()
    ]
    before = db.counts()
    attempts = [
        ("line-3", case["payload"], {"unpack": True}),  # open another plant's case
        ("line-3", case["payload"], {"children": [items[1]["payload"]]}),  # refill it
        ("line", case["payload"], {"children": [theirs["payload"]]}),  # take in a foreign item
    ]
    for who, payload, extra in attempts:
        refused = world.scan(who, payload, "pack", **extra)
        assert refused.status_code == 403, (who, extra, refused.text)
        assert "not yours" in refused.json()["detail"]
    assert db.counts() == before
    assert (
        db.fetchval(
            "SELECT parent_code FROM containment WHERE child_code = $1 AND unpacked_at IS NULL",
            items[0]["code"],
        )
        == case["code"]
    )


def _memberships(db: SyncDb, code: str) -> list[tuple[str, datetime, datetime | None]]:
    rows = db.fetch(
        "SELECT parent_code, packed_at, unpacked_at FROM containment WHERE child_code = $1"
        " ORDER BY packed_at",
        code,
    )
    return [(r["parent_code"], r["packed_at"], r["unpacked_at"]) for r in rows]


def test_a_late_pack_lands_in_scan_time_behind_a_newer_one(world: World, db: SyncDb) -> None:
    """Found by a review: the older of two packs, uploaded last, took the item out of the
    case it was packed into later, for good (4 of 50 items under concurrent packing)."""
    [item] = world.issue(1)
    [case_a, case_b] = world.issue(2, level="case")
    t = now() - timedelta(hours=2)
    world.ok(
        "line", case_b["payload"], "pack", t + timedelta(minutes=2), children=[item["payload"]]
    )
    world.ok(
        "line", case_a["payload"], "pack", t + timedelta(minutes=1), children=[item["payload"]]
    )
    assert _memberships(db, item["code"]) == [
        (case_a["code"], t + timedelta(minutes=1), t + timedelta(minutes=2)),
        (case_b["code"], t + timedelta(minutes=2), None),
    ]
    # The newer case's shipment carries the item; the older case's does not.
    world.ok("plant", case_b["payload"], "ship", t + timedelta(hours=1), to_party_id="dealer-sh")
    trace = world.client.get(f"/v1/codes/{item['code']}/trace", headers=world.admin).json()
    assert trace["custodians"][-1] == "dealer-sh"


def test_a_late_pack_into_a_case_already_opened_ends_at_the_opening(
    world: World, db: SyncDb
) -> None:
    """Found by a review: a pack uploaded after its case was opened put the item back into
    the empty case for good, so the item travelled on with it."""
    [item] = world.issue(1)
    [case] = world.issue(1, level="case")
    t = now() - timedelta(hours=6)
    world.ok("plant", case["payload"], "ship", t + timedelta(hours=2), to_party_id="dealer-sh")
    world.ok("dealer-sh", case["payload"], "dealer_receive", t + timedelta(hours=4), unpack=True)
    world.ok("line", case["payload"], "pack", t + timedelta(hours=1), children=[item["payload"]])
    assert _memberships(db, item["code"]) == [
        (case["code"], t + timedelta(hours=1), t + timedelta(hours=4))
    ]
    world.ok(
        "dealer-sh", case["payload"], "dealer_ship", t + timedelta(hours=5), to_party_id="store-hz"
    )
    trace = world.client.get(f"/v1/codes/{item['code']}/trace", headers=world.admin).json()
    assert "store-hz" not in trace["custodians"]
    assert trace["custodians"][-1] == "dealer-sh"


def test_a_late_pack_racing_the_opening_of_its_case_ends_at_the_opening(
    world: World, db: SyncDb
) -> None:
    """Found by a review: a late pack and the case's (later-dated) opening committing at the
    same moment each missed the other (the pack did not see the opening, the opening not the
    pack), so the item stayed in the opened case. A container's packs and openings now take
    its lock, with the children's, in one order."""
    n = 16
    items = world.issue(n)
    cases = world.issue(n, level="case")
    t = now() - timedelta(hours=6)

    def upload(token: str, body: dict[str, Any]) -> Any:
        batch = {"scans": [body]}  # a batch is its own transaction: the two race
        answer = world.client.post("/v1/scans/batch", json=batch, headers=world.tokens[token])
        assert answer.status_code == 200 and answer.json()["results"][0]["status"] == "created"

    for case in cases:
        upload("plant", scan_body(case["payload"], "ship", t, to_party_id="dealer-sh"))
    jobs = []
    for item, case in zip(items, cases, strict=True):
        pack = scan_body(case["payload"], "pack", t - timedelta(hours=1))
        pack["children"] = [item["payload"]]
        opening = scan_body(case["payload"], "dealer_receive", t + timedelta(hours=1))
        opening["unpack"] = True
        jobs += [("line", pack), ("dealer-sh", opening)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda job: upload(*job), jobs))
    still_in = db.fetch(
        "SELECT child_code FROM containment WHERE child_code = ANY($1::text[])"
        " AND unpacked_at IS NULL",
        [i["code"] for i in items],
    )
    assert still_in == []


def _current_parent(db: SyncDb, code: str) -> str | None:
    parent: str | None = db.fetchval(
        "SELECT parent_code FROM containment WHERE child_code = $1 AND unpacked_at IS NULL", code
    )
    return parent


@pytest.mark.parametrize("opening_first", [False, True])
def test_an_opening_at_the_instant_of_a_pack_wins_in_either_upload_order(
    world: World, db: SyncDb, opening_first: bool
) -> None:
    """Found by a review: a pack and an opening of one case at the same instant left the
    item in the case or not depending on which was uploaded first. The opening wins."""
    [item] = world.issue(1)
    [case] = world.issue(1, level="case")
    t = now() - timedelta(hours=2)
    uploads = [
        lambda: world.ok("line", case["payload"], "pack", t, children=[item["payload"]]),
        lambda: world.ok("store-sh", case["payload"], "retail_receive", t, unpack=True),
    ]
    for upload in reversed(uploads) if opening_first else uploads:
        upload()
    assert _current_parent(db, item["code"]) is None


@pytest.mark.parametrize("larger_first", [False, True])
def test_two_packs_of_one_item_at_one_instant_agree_in_either_upload_order(
    world: World, db: SyncDb, larger_first: bool
) -> None:
    """Found by a review: two packs of one item at the same instant left it in the case
    uploaded last. Ties go to the pack with the larger event_id, whatever the order."""
    [item] = world.issue(1)
    cases = world.issue(2, level="case")
    t = now() - timedelta(hours=2)
    ids = sorted(uuid.uuid4() for _ in cases)
    bodies = []
    for case, event_id in zip(cases, ids, strict=True):
        body = scan_body(case["payload"], "pack", t, children=[item["payload"]])
        bodies.append({**body, "event_id": str(event_id)})
    for body in reversed(bodies) if larger_first else bodies:
        answer = world.client.post("/v1/scans", json=body, headers=world.tokens["line"])
        assert answer.status_code == 201, answer.text
    assert _current_parent(db, item["code"]) == cases[1]["code"]  # the larger event_id


def test_a_late_opening_ends_only_what_the_case_held_at_its_time(world: World, db: SyncDb) -> None:
    [item] = world.issue(1)
    [case] = world.issue(1, level="case")
    t = now() - timedelta(hours=6)
    world.ok("line", case["payload"], "pack", t + timedelta(hours=3), children=[item["payload"]])
    world.ok("store-sh", case["payload"], "retail_receive", t + timedelta(hours=1), unpack=True)
    assert _memberships(db, item["code"]) == [(case["code"], t + timedelta(hours=3), None)]


@pytest.mark.parametrize(
    "around", ["{}\r\n", "{}\n", "{}\t", " {} "], ids=["crlf", "lf", "tab", "spaces"]
)
def test_a_scanners_whitespace_around_a_genuine_code_is_not_a_counterfeit(
    world: World, db: SyncDb, around: str
) -> None:
    """Found by a review: a keyboard-wedge scanner's Enter after a genuine code made it a
    malformed payload, a high counterfeit alert, and no event on the real code."""
    [item] = world.issue(1)
    scanned = world.ok("line", around.format(item["payload"]), "commission")
    assert scanned["verdict"] == "genuine" and scanned["code"] == item["code"]
    assert (
        db.fetchval(
            "SELECT payload FROM scan_events WHERE event_id = $1", uuid.UUID(scanned["event_id"])
        )
        == item["payload"]
    )
    checked = world.client.post("/v1/verify", json={"payload": around.format(item["payload"])})
    assert checked.json()["verdict"] == "genuine"


def test_a_payload_of_only_whitespace_is_refused(world: World) -> None:
    refused = world.scan("line", "\r\n", "commission")
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"][-1] == "payload"


def test_an_event_id_reused_for_a_different_scan_is_a_conflict(world: World, db: SyncDb) -> None:
    """Found by a review: a second scan sent under a stored event_id got the first scan's
    answer (200), so a client deleted it from its queue and it was lost."""
    [first, second] = world.issue(2)
    at = now() - timedelta(minutes=5)
    body = scan_body(first["payload"], "commission", at)
    body["location"] = {"lat": 31.123456789, "lon": 121.5, "accuracy_m": 12.3}
    line = world.tokens["line"]
    assert world.client.post("/v1/scans", json=body, headers=line).status_code == 201
    # The same scan again, its time written with another offset: a retry.
    same = {**body, "scanned_at": at.astimezone(timezone(timedelta(hours=8))).isoformat()}
    assert world.client.post("/v1/scans", json=same, headers=line).status_code == 200
    before = db.counts()
    for changed in (
        {"payload": second["payload"]},
        {"scanned_at": (at + timedelta(seconds=1)).isoformat()},
        {"location": {**body["location"], "lat": 31.2}},
        {"location": None},
    ):
        reused = world.client.post("/v1/scans", json={**body, **changed}, headers=line)
        assert reused.status_code == 409, (changed, reused.text)
        assert "different scan" in reused.json()["detail"]
    assert db.counts() == before
    # In one upload: an identical twin is a duplicate, a different one is refused.
    fresh = scan_body(second["payload"], "commission", at)
    twins = [fresh, dict(fresh), {**fresh, "scanned_at": (at + timedelta(seconds=2)).isoformat()}]
    answer = world.client.post("/v1/scans/batch", json={"scans": twins}, headers=line).json()
    assert [r["status"] for r in answer["results"]] == ["created", "duplicate", "rejected"]
    assert answer["results"][2]["error"]["status"] == 409


def test_an_event_id_reused_for_a_pack_of_other_children_is_a_conflict(
    world: World, db: SyncDb
) -> None:
    """Found by a review: a pack's identity left out its children, so a second pack sent
    under a stored event_id with other items got the first pack's answer and was lost."""
    items = world.issue(3)
    [case] = world.issue(1, level="case")
    for entry in [*items, case]:
        world.ok("line", entry["payload"], "commission")
    line = world.tokens["line"]
    body = scan_body(case["payload"], "pack", children=[i["payload"] for i in items[:2]])
    assert world.client.post("/v1/scans", json=body, headers=line).status_code == 201
    retry = {**body, "children": [f" {i['payload']}\r\n" for i in items[:2]]}
    assert world.client.post("/v1/scans", json=retry, headers=line).status_code == 200
    before = db.counts()
    for children in ([items[2]["payload"]], [i["payload"] for i in reversed(items[:2])], []):
        reused = world.client.post("/v1/scans", json={**body, "children": children}, headers=line)
        assert reused.status_code == 409, (children, reused.text)
    assert db.counts() == before
    held = db.fetch(
        "SELECT child_code FROM containment WHERE parent_code = $1 AND unpacked_at IS NULL",
        case["code"],
    )
    assert sorted(r["child_code"] for r in held) == sorted(i["code"] for i in items[:2])


def test_a_bad_token_is_a_401_whatever_the_body(world: World) -> None:
    """Found by two reviews: with an invalid body, a bad token got the body's 422 (api.md:
    401 for a missing or bad token); the batch endpoint already answered 401."""
    unknown = "Bearer stk_" + "0" * 22 + "." + "x" * 43
    for header in ("Bearer x", unknown):
        for path, body in (("/v1/scans", {}), ("/v1/scans/batch", {"scans": [{}]})):
            answer = world.client.post(path, json=body, headers={"Authorization": header})
            assert answer.status_code == 401, (header, path, answer.text)
    refused = world.client.post("/v1/scans", json={}, headers=world.tokens["line"])
    assert refused.status_code == 422
