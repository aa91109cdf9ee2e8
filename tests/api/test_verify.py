"""POST /v1/verify through the real app: verdicts, history, loyalty, limits, bad input, races."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from starlette.testclient import TestClient

from scan_api.verify.ratelimit import TokenBucket
from scan_api.verify.router import VerifyState, install
from tests.pg import SyncDb
from tests.world import World, now, tamper
from traceability.config import Settings

INNER_GTIN = "00012345678905"
IN_SH = (31.2, 121.4)
IN_HZ = (30.2, 120.1)
BEIJING = (39.9042, 116.4074)


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Generous rate limits (tests install tight ones themselves), small loyalty limits."""
    return Settings(
        data_dir=Path(tmp_path_factory.mktemp("data")),
        log_level="WARNING",
        master_key=None,
        verify_rate_per_address_per_min=100_000,
        verify_rate_per_consumer_per_min=100_000,
        loyalty_max_claims_per_day=3,
        loyalty_max_regions=2,
        verify_max_pin_failures=3,
    )


@pytest.fixture
def state(client: TestClient, settings: Settings) -> Iterator[VerifyState]:
    """A fresh endpoint state for the test, restored afterwards."""
    app: Any = client.app
    yield install(app, settings)
    install(app, settings)


def verify(
    client: TestClient,
    payload: str,
    consumer: str | None = None,
    loc: tuple[float, float] | None = IN_SH,
    pin: str | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"payload": payload}
    if consumer is not None:
        body["consumer_id"] = consumer
    if loc is not None:
        body["location"] = {"lat": loc[0], "lon": loc[1], "accuracy_m": 15}
    if pin is not None:
        body["pin"] = pin
    response = client.post("/v1/verify", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def commissioned(
    world: World, count: int = 1, level: str = "item", shipped: bool = True
) -> list[str]:
    """Items in trade: commissioned, and (`shipped`) shipped by the plant to dealer-sh, as
    a code must have left the plant to pay points."""
    items = world.issue(count, level=level)
    for item in items:
        world.ok("line", item["payload"], "commission")
        if shipped:
            world.ok("plant", item["payload"], "ship", to_party_id="dealer-sh")
    return [item["payload"] for item in items]


def consumer_events(db: SyncDb, code: str) -> list[Any]:
    return db.fetch(
        "SELECT * FROM scan_events WHERE code = $1 AND checkpoint = 'consumer_verify'"
        " ORDER BY recorded_at",
        code,
    )


def test_first_check_of_a_sold_item_pays_and_repeat_checks_count_honestly(
    world: World, db: SyncDb
) -> None:
    [item] = world.issue(1)
    world.deliver(item["payload"])

    first = verify(world.client, item["payload"], "alice")
    assert first["verdict"] == "genuine" and first["reason"] is None
    product = {"gtin": "05901234123457", "name": "Green tea", "lot": "LOT1", "expiry": None}
    assert first["product"] == product
    assert first["verification_count"] == 1
    assert first["first_verified_region"] == "sh"
    assert first["points_awarded"] == 10 and first["loyalty_reason"] is None
    assert first["message"] == (
        "Genuine product. This is the first check of this code. You earned 10 points."
    )
    [claim] = db.fetch("SELECT * FROM loyalty_claims WHERE code = $1", item["code"])
    assert (claim["consumer_id"], claim["points"], claim["region"]) == ("alice", 10, "territory:sh")

    again = verify(world.client, item["payload"], "alice", loc=BEIJING)
    first_at = datetime.fromisoformat(first["first_verified_at"]).astimezone(UTC)
    day = first_at.strftime("%Y-%m-%d %H:%M UTC")
    assert again["verdict"] == "genuine"  # the same consumer far away is one witness
    assert again["verification_count"] == 2 and again["points_awarded"] == 0
    assert again["loyalty_reason"] == "already_claimed"
    assert f"Checked 2 times, first on {day} in sh." in again["message"]
    assert again["first_verified_at"] == first["first_verified_at"]

    other = verify(world.client, item["payload"], "bob")
    assert other["verdict"] == "genuine"
    assert other["verification_count"] == 3 and other["points_awarded"] == 0
    assert "Checked 3 times" in other["message"]
    text = orjson.dumps(other).decode()
    for secret in ("alice", "store-sh", "dealer-sh", "121.4", "31.2", "event_id", "party"):
        assert secret not in text  # nobody's ids or exact positions

    events = consumer_events(db, item["code"])
    assert [e["consumer_id"] for e in events] == ["alice", "alice", "bob"]
    assert {e["party_id"] for e in events} == {None}
    assert orjson.loads(events[0]["response"]) == first
    assert orjson.loads(events[2]["response"]) == other
    assert (events[0]["lat"], events[0]["lon"], events[0]["accuracy_m"]) == (31.2, 121.4, 15.0)
    assert db.fetchval("SELECT count(*) FROM loyalty_claims WHERE code = $1", item["code"]) == 1


def test_a_check_outside_every_territory_gets_a_rounded_label(world: World) -> None:
    [payload] = commissioned(world)
    verify(world.client, payload, loc=BEIJING)
    second = verify(world.client, payload, loc=None)
    assert second["first_verified_region"] == "39.9, 116.4"
    assert "first on" in second["message"] and "in 39.9, 116.4." in second["message"]


def test_tampered_payload_is_counterfeit_and_recorded(world: World, db: SyncDb) -> None:
    [item] = world.issue(1)
    world.ok("line", item["payload"], "commission")
    result = verify(world.client, tamper(item["payload"]), "carol")
    assert result["verdict"] == "counterfeit" and result["reason"] == "bad_signature"
    assert result["product"] is None and result["points_awarded"] == 0
    assert result["message"].startswith("Counterfeit.")
    [event] = consumer_events(db, item["code"])
    assert event["verdict"] == "counterfeit" and event["reason"] == "bad_signature"
    assert db.fetchval("SELECT count(*) FROM loyalty_claims WHERE code = $1", item["code"]) == 0


def test_junk_payload_is_counterfeit_malformed(world: World, db: SyncDb) -> None:
    junk = f"https://evil.example/01/{uuid.uuid4()}"
    result = verify(world.client, junk, "carol")
    assert result["verdict"] == "counterfeit" and result["reason"] == "malformed_payload"
    assert result["verification_count"] == 1 and result["first_verified_at"] is None
    row = db.fetch("SELECT code, verdict, reason FROM scan_events WHERE payload = $1", junk)
    assert [tuple(r) for r in row] == [(None, "counterfeit", "malformed_payload")]


def test_a_revoked_batch_and_an_unissued_code_get_their_own_reasons(
    world: World, db: SyncDb
) -> None:
    """Machine-readable reasons (PRODUCT.md): a stolen roll of labels, and a code that was
    signed with our keys but is not in the registry."""
    [stolen, unissued] = world.issue(2)
    world.ok("line", stolen["payload"], "commission")
    batch_id = db.fetchval("SELECT batch_id FROM codes WHERE code = $1", stolen["code"])
    db.execute(
        "UPDATE code_batches SET revoked_at = now(), revoke_reason = 'stolen labels' WHERE id = $1",
        batch_id,
    )
    revoked = verify(world.client, stolen["payload"], "erin")
    assert (revoked["verdict"], revoked["reason"]) == ("counterfeit", "revoked_batch")
    db.execute("DELETE FROM codes WHERE code = $1", unissued["code"])
    unknown = verify(world.client, unissued["payload"], "erin")
    assert (unknown["verdict"], unknown["reason"]) == ("counterfeit", "unknown_code")
    assert revoked["points_awarded"] == unknown["points_awarded"] == 0


def test_never_commissioned_code_is_suspicious(world: World) -> None:
    [item] = world.issue(1)
    result = verify(world.client, item["payload"], "dave")
    assert result["verdict"] == "suspicious" and result["reason"] == "never_commissioned"
    assert result["product"] is not None and result["product"]["lot"] == "LOT1"
    assert result["points_awarded"] == 0 and result["loyalty_reason"] == "not_genuine"


def test_case_codes_pay_no_points(world: World) -> None:
    [payload] = commissioned(world, level="case")
    result = verify(world.client, payload, "erin")
    assert result["verdict"] == "genuine"
    assert result["points_awarded"] == 0 and result["loyalty_reason"] == "not_an_item"


@pytest.fixture(scope="module")
def inner_world(world: World, db: SyncDb) -> World:
    product = {
        "name": "Baijiu",
        "unit_value": "300",
        "currency": "CNY",
        "inner_code_required": True,
    }
    response = world.client.put(f"/v1/products/{INNER_GTIN}", json=product, headers=world.admin)
    assert response.is_success, response.text
    return world


def inner_item(world: World, db: SyncDb, pin: str | None = "AB12-CD34") -> str:
    body = {"gtin": INNER_GTIN, "lot": "L9", "count": 1, "level": "item"}
    batch = world.client.post("/v1/code-batches", json=body, headers=world.tokens["line"])
    assert batch.status_code == 201, batch.text
    codes = world.client.get(
        f"/v1/code-batches/{batch.json()['batch_id']}/codes", headers=world.tokens["line"]
    )
    [item] = [orjson.loads(line) for line in codes.content.splitlines()]
    world.ok("line", item["payload"], "commission")
    world.ok("plant", item["payload"], "ship", to_party_id="dealer-sh")
    if pin is not None:  # as the printer loads them: keyed hashes only
        loaded = world.client.put(
            f"/v1/code-batches/{batch.json()['batch_id']}/inner-codes",
            json={"inner_codes": [{"code": item["code"], "pin": pin}]},
            headers=world.tokens["line"],
        )
        assert loaded.status_code == 200, loaded.text
    payload: str = item["payload"]
    return payload


def test_inner_code_is_needed_for_points(inner_world: World, db: SyncDb) -> None:
    payload = inner_item(inner_world, db)
    client = inner_world.client
    none = verify(client, payload, "frank")
    assert none["verdict"] == "genuine" and none["points_awarded"] == 0
    assert none["loyalty_reason"] == "inner_code_required"
    assert "enter the code printed inside the package" in none["message"]
    wrong = verify(client, payload, "frank", pin="ZZ99-ZZ99")
    assert wrong["verdict"] == "genuine" and wrong["points_awarded"] == 0
    assert wrong["loyalty_reason"] == "inner_code_wrong"
    assert "inner code is not correct" in wrong["message"]
    right = verify(client, payload, "frank", pin="ab12 cd34")  # canonical form: case, separators
    assert right["points_awarded"] == 10 and right["loyalty_reason"] is None
    assert verify(client, payload, "frank", pin="AB12CD34")["loyalty_reason"] == "already_claimed"


def test_shelf_checks_without_the_inner_code_do_not_block_the_buyer(
    inner_world: World, db: SyncDb
) -> None:
    payload = inner_item(inner_world, db)
    verify(inner_world.client, payload, "shelf-reader")
    buyer = verify(inner_world.client, payload, "buyer", pin="AB12-CD34")
    assert buyer["verification_count"] == 2 and buyer["points_awarded"] == 10


def test_a_code_without_a_stored_inner_code_never_pays(inner_world: World, db: SyncDb) -> None:
    payload = inner_item(inner_world, db, pin=None)
    result = verify(inner_world.client, payload, "gina", pin="AB12-CD34")
    assert result["points_awarded"] == 0 and result["loyalty_reason"] == "inner_code_wrong"


def test_pin_guessing_locks_the_code(inner_world: World, db: SyncDb) -> None:
    payload = inner_item(inner_world, db)
    for guess in ("0000", "1111", "2222"):  # verify_max_pin_failures = 3 in this module
        assert verify(inner_world.client, payload, "mallory", pin=guess)["points_awarded"] == 0
    late = verify(inner_world.client, payload, "owner", pin="AB12-CD34")
    assert late["points_awarded"] == 0 and late["loyalty_reason"] == "inner_code_locked"
    assert "too many wrong inner codes" in late["message"]


def test_a_pin_lock_opens_again_once_its_wrong_pins_are_a_day_old(
    inner_world: World, db: SyncDb
) -> None:
    """Found by a review: anyone who can read a shelf item's outer code could lock its pin,
    and the buyer lost the points for good. Wrong pins count for
    `verify_pin_failure_window_h` (24 h): guessing stays bounded, the lock does not."""
    payload = inner_item(inner_world, db)
    for guess in ("0000", "1111", "2222"):
        verify(inner_world.client, payload, "mallory", pin=guess)
    assert verify(inner_world.client, payload, "owner", pin="AB12-CD34")["points_awarded"] == 0
    db.execute(
        "UPDATE scan_events SET scanned_at = scanned_at - interval '23 hours' "
        "WHERE consumer_id = 'mallory'"
    )
    still = verify(inner_world.client, payload, "owner", pin="AB12-CD34")
    assert still["loyalty_reason"] == "inner_code_locked"  # 23 h: locked still
    for _ in range(5):  # the buyer retrying meanwhile does not make the lock last longer
        verify(inner_world.client, payload, "owner", pin="AB12-CD34")
    db.execute(
        "UPDATE scan_events SET scanned_at = scanned_at - interval '2 hours' "
        "WHERE consumer_id = 'mallory'"
    )
    opened = verify(inner_world.client, payload, "owner", pin="AB12-CD34")
    assert opened["points_awarded"] == 10 and opened["loyalty_reason"] is None


def test_daily_claim_limit_stops_a_harvester(world: World, db: SyncDb) -> None:
    payloads = commissioned(world, 4)  # loyalty_max_claims_per_day = 3 in this module
    paid = [verify(world.client, p, "harvester")["points_awarded"] for p in payloads]
    assert paid == [10, 10, 10, 0]
    last = verify(world.client, commissioned(world)[0], "harvester")
    assert last["verdict"] == "genuine" and last["loyalty_reason"] == "daily_limit"
    assert db.fetchval("SELECT count(*) FROM loyalty_claims WHERE consumer_id = 'harvester'") == 3


def test_claims_from_too_many_regions_stop_earning(world: World) -> None:
    a, b, c, d = commissioned(world, 4)  # loyalty_max_regions = 2 in this module
    assert verify(world.client, a, "traveller", loc=IN_SH)["points_awarded"] == 10
    assert verify(world.client, b, "traveller", loc=IN_HZ)["points_awarded"] == 10
    far = verify(world.client, c, "traveller", loc=BEIJING)
    assert far["points_awarded"] == 0 and far["loyalty_reason"] == "too_many_regions"
    assert verify(world.client, d, "traveller", loc=IN_HZ)["points_awarded"] == 10  # home again


def test_new_territories_are_used_after_the_cache_check(world: World, state: VerifyState) -> None:
    [payload] = commissioned(world)
    state.regions.check_every_s = 0.0
    verify(world.client, payload, loc=BEIJING)
    assert verify(world.client, payload)["first_verified_region"] == "39.9, 116.4"
    ring = [[116.0, 39.5], [117.0, 39.5], [117.0, 40.5], [116.0, 40.5], [116.0, 39.5]]
    body = {"name": "Beijing", "geometry": {"type": "Polygon", "coordinates": [ring]}}
    assert world.client.put("/v1/territories/bj", json=body, headers=world.admin).is_success
    assert verify(world.client, payload)["first_verified_region"] == "Beijing"


def test_too_many_checks_from_one_address_get_429(
    world: World, db: SyncDb, state: VerifyState
) -> None:
    [payload] = commissioned(world)
    state.per_address = TokenBucket(rate_per_s=1 / 60, capacity=2)
    verify(world.client, payload)
    verify(world.client, payload)
    before = db.counts()
    response = world.client.post("/v1/verify", json={"payload": payload})
    assert response.status_code == 429
    assert response.headers["content-type"].startswith("application/problem+json")
    assert 1 <= int(response.headers["retry-after"]) <= 60
    assert response.json()["type"].endswith("/rate-limited")
    junk = world.client.post("/v1/verify", json={"payload": payload, "extra": 1})
    assert junk.status_code == 429  # limited before the body is even validated
    assert db.counts() == before


def test_too_many_checks_by_one_consumer_get_429(
    world: World, db: SyncDb, state: VerifyState
) -> None:
    [payload] = commissioned(world)
    state.per_consumer = TokenBucket(rate_per_s=1 / 60, capacity=1)
    verify(world.client, payload, "greedy")
    before = db.counts()
    response = world.client.post("/v1/verify", json={"payload": payload, "consumer_id": "greedy"})
    assert response.status_code == 429 and "retry-after" in response.headers
    assert db.counts() == before
    assert verify(world.client, payload, "patient")["verdict"] == "genuine"  # others unaffected


@pytest.mark.parametrize(
    "body",
    [
        {"payload": "x" * 513},
        {"payload": "é" * 257},  # 514 bytes
        {"payload": "abc\u0000def"},
        {"payload": ""},
        {"payload": 12345},
        {},
        {"payload": "abc", "location": {"lat": 91, "lon": 0}},
        {"payload": "abc", "location": {"lat": 0, "lon": 181}},
        {"payload": "abc", "location": {"lat": 0, "lon": 0, "accuracy_m": -1}},
        {"payload": "abc", "location": {"lat": 0, "lon": 0, "accuracy_m": 1e-46}},
        {"payload": "abc", "location": {"lat": 0, "lon": 0, "alt": 3}},
        {"payload": "abc", "extra": True},
        {"payload": "abc", "consumer_id": "has spaces"},
        {"payload": "abc", "consumer_id": ""},
        {"payload": "abc", "consumer_id": "x" * 65},
        {"payload": "abc", "consumer_id": 7},
        {"payload": "abc", "pin": "x" * 33},
        {"payload": "abc", "pin": "<script>"},
        {"payload": "abc", "party_id": "store-sh"},
    ],
)
def test_bad_input_is_422_and_stores_nothing(
    client: TestClient, db: SyncDb, body: dict[str, Any]
) -> None:
    before = db.counts()
    response = client.post("/v1/verify", json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert db.counts() == before


def test_lone_surrogate_payload_is_422(client: TestClient, db: SyncDb) -> None:
    before = db.counts()
    raw = b'{"payload": "abc\\ud800"}'
    response = client.post("/v1/verify", content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 422, response.text
    assert db.counts() == before


def test_a_check_must_be_sent_as_json(world: World, db: SyncDb) -> None:
    """Found by a security review: a text/plain POST needs no CORS preflight, so any web page
    could make its visitors' browsers send checks, spread over their addresses."""
    [payload] = commissioned(world)
    raw = orjson.dumps({"payload": payload, "consumer_id": "drive-by"})
    before = db.counts()
    for media_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data"):
        refused = world.client.post("/v1/verify", content=raw, headers={"content-type": media_type})
        assert refused.status_code == 415, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
    assert db.counts() == before
    typed = {"content-type": "application/json; charset=utf-8"}
    assert world.client.post("/v1/verify", content=raw, headers=typed).status_code == 200


def test_an_item_that_never_left_the_plant_pays_no_points(world: World, db: SyncDb) -> None:
    """Found by a security review: any commissioned code paid, so labels taken at the line
    were worth points. A code pays once it, or a case or pallet holding it, has a custody
    scan past the plant; checking it before does not spoil its buyer's claim."""
    [loose] = commissioned(world, shipped=False)
    early = verify(world.client, loose, "line-worker")
    assert early["verdict"] == "genuine"
    assert (early["points_awarded"], early["loyalty_reason"]) == (0, "not_shipped")
    assert "has not left the factory" in early["message"]
    assert db.fetchval("SELECT count(*) FROM loyalty_claims WHERE consumer_id = 'line-worker'") == 0

    items = world.issue(2)
    [case] = world.issue(1, level="case")
    [pallet] = world.issue(1, level="pallet")
    for entry in [*items, case, pallet]:
        world.ok("line", entry["payload"], "commission")
    world.ok("line", case["payload"], "pack", children=[items[0]["payload"]])
    world.ok("line", pallet["payload"], "pack", children=[case["payload"]])
    world.ok("plant", pallet["payload"], "ship", to_party_id="dealer-sh")
    in_pallet = verify(world.client, items[0]["payload"], "buyer-1")
    assert (in_pallet["points_awarded"], in_pallet["loyalty_reason"]) == (10, None)
    # Taken out of its case at the very instant the case ships: the shipment did not carry it.
    [opened_item] = world.issue(1)
    [opened] = world.issue(1, level="case")
    for entry in (opened_item, opened):
        world.ok("line", entry["payload"], "commission", now() - timedelta(hours=3))
    at = now() - timedelta(hours=1)
    world.ok(
        "line",
        opened["payload"],
        "pack",
        at - timedelta(hours=1),
        children=[opened_item["payload"]],
    )
    world.ok("line", opened["payload"], "pack", at, unpack=True)
    world.ok("plant", opened["payload"], "ship", at, to_party_id="dealer-sh")
    assert (
        verify(world.client, opened_item["payload"], "buyer-4")["loyalty_reason"] == "not_shipped"
    )
    # Packed after the pallet left: the shipment did not carry it.
    world.ok("line", case["payload"], "pack", children=[items[1]["payload"]])
    left_behind = verify(world.client, items[1]["payload"], "buyer-2")
    assert left_behind["loyalty_reason"] == "not_shipped"
    # The loose item ships; its buyer is paid although the line worker checked it first.
    world.ok("plant", loose, "ship", to_party_id="dealer-sh")
    bought = verify(world.client, loose, "buyer-3")
    assert (bought["points_awarded"], bought["loyalty_reason"]) == (10, None)
    assert bought["verification_count"] == 2


def test_racing_first_checks_pay_once(world: World, db: SyncDb) -> None:
    [item] = world.issue(1)
    world.ok("line", item["payload"], "commission")
    world.ok("plant", item["payload"], "ship", to_party_id="dealer-sh")
    consumers = [f"racer-{i}" for i in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(
            pool.map(lambda c: verify(world.client, item["payload"], c, loc=None), consumers)
        )
    assert sum(r["points_awarded"] for r in results) == 10
    assert sorted(r["verification_count"] for r in results) == list(range(1, 9))
    assert db.fetchval("SELECT count(*) FROM loyalty_claims WHERE code = $1", item["code"]) == 1
    assert len(consumer_events(db, item["code"])) == 8


def test_racing_claims_of_one_consumer_respect_the_daily_limit(world: World, db: SyncDb) -> None:
    payloads = commissioned(world, 6)
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda p: verify(world.client, p, "swarm", loc=None), payloads))
    assert sum(r["points_awarded"] for r in results) == 30  # 3 claims a day in this module
    assert db.fetchval("SELECT count(*) FROM loyalty_claims WHERE consumer_id = 'swarm'") == 3


def test_verify_needs_no_token_and_ignores_one(world: World) -> None:
    [payload] = commissioned(world)
    response = world.client.post(
        "/v1/verify", json={"payload": payload}, headers=world.tokens["store-sh"]
    )
    assert response.status_code == 200
    assert response.json()["verdict"] == "genuine"
    assert isinstance(datetime.fromisoformat(response.json()["first_verified_at"]), datetime)
    assert datetime.fromisoformat(response.json()["first_verified_at"]).tzinfo is not None
    assert datetime.fromisoformat(response.json()["first_verified_at"]) <= datetime.now(UTC)
