"""Risk engine end to end: scans raise alerts that name the source; the case workflow."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson
import pytest
from starlette.testclient import TestClient

from tests.pg import SyncDb
from tests.world import World, build_world, now, scan_body, tamper


@pytest.fixture(scope="module")
def world(
    client: TestClient, admin_headers: dict[str, str], make_token: Callable[..., dict[str, str]]
) -> World:
    w = build_world(client, admin_headers, make_token)
    sub = {
        "kind": "dealer",
        "name": "SH sub-dealer",
        "parent_id": "dealer-sh",
        "location": {"lat": 31.10, "lon": 121.30},
    }
    assert client.put("/v1/parties/sub-sh", json=sub, headers=admin_headers).is_success
    w.tokens["sub-sh"] = make_token("logistics", "sub-sh")
    return w


HOUR = timedelta(hours=1)


def alert(world: World, alert_id: str) -> dict[str, Any]:
    response = world.client.get(f"/v1/alerts/{alert_id}", headers=world.tokens["compliance"])
    assert response.status_code == 200
    result: dict[str, Any] = response.json()
    return result


def _hours_ago(hours: float) -> datetime:
    return now() - timedelta(hours=hours)


def into_dealer(world: World, payload: str, dealer: str = "dealer-sh") -> None:
    t = now() - timedelta(hours=6)
    world.ok("line", payload, "commission", t)
    world.ok("plant", payload, "ship", t + timedelta(hours=1), to_party_id=dealer)
    world.ok(dealer, payload, "dealer_receive", t + timedelta(hours=2))


def medium_or_high(world: World) -> list[dict[str, Any]]:
    items = world.client.get("/v1/alerts?limit=1000", headers=world.tokens["compliance"]).json()
    return [a for a in items["items"] if a["severity"] in ("medium", "high")]


def test_honest_traffic_raises_nothing_worth_reading(world: World) -> None:
    for entry in world.issue(3):
        world.deliver(entry["payload"])
    assert medium_or_high(world) == []


def test_dealer_shipping_out_of_territory_is_caught_and_named(world: World) -> None:
    [item] = world.issue(1)
    into_dealer(world, item["payload"])
    shipped = world.ok(
        "dealer-sh", item["payload"], "dealer_ship", _hours_ago(3), to_party_id="store-hz"
    )
    assert shipped["alert_ids"], "the scan's own answer names the alert"
    found = alert(world, shipped["alert_ids"][0])
    assert found["type"] == "diversion"
    assert found["severity"] in ("medium", "high")
    assert found["source_party_id"] == "dealer-sh"
    assert found["observed_party_id"] == "store-hz"
    assert found["expected_territory_ids"] == ["sh"]
    assert item["code"] in found["codes"]
    assert shipped["event_id"] in found["evidence_event_ids"]
    # The store receiving it is more evidence for the same incident, not a second alert.
    received = world.ok("store-hz", item["payload"], "retail_receive")
    assert received["alert_ids"] == shipped["alert_ids"]
    assert received["event_id"] in alert(world, shipped["alert_ids"][0])["evidence_event_ids"]


def test_a_sale_uploaded_before_the_shipment_that_explains_it_is_judged_again(
    world: World,
) -> None:
    """Uploads come late and out of order (found by a review): a store in Hangzhou sold an
    item before dealer-sh's receipt of it was uploaded, so the sale was judged with no
    custody and named nobody. The late custody scans bring the sale back for judging."""
    [item] = world.issue(1)
    day = timedelta(days=1)
    t = now()
    world.ok("line", item["payload"], "commission", t - 10 * day)
    sold = world.ok("store-hz", item["payload"], "retail_sell", t - 3 * day)
    diversions = [a for a in sold["alert_ids"] if alert(world, a)["type"] == "diversion"]
    assert diversions == []  # no custody yet: nobody to name
    world.ok("plant", item["payload"], "ship", t - 9 * day, to_party_id="dealer-sh")
    received = world.ok("dealer-sh", item["payload"], "dealer_receive", t - 8 * day)
    assert received["alert_ids"] == []  # the receipt itself is at home: its answer is clean
    listed = world.client.get(
        "/v1/alerts", params={"code": item["code"]}, headers=world.tokens["compliance"]
    ).json()["items"]
    [found] = [a for a in listed if a["type"] == "diversion"]
    assert (found["source_party_id"], found["observed_party_id"]) == ("dealer-sh", "store-hz")
    assert sold["event_id"] in found["evidence_event_ids"]


def test_sub_dealer_diversion_names_the_sub_dealer(world: World) -> None:
    [item] = world.issue(1)
    into_dealer(world, item["payload"])
    world.ok("dealer-sh", item["payload"], "dealer_ship", to_party_id="sub-sh")
    world.ok("sub-sh", item["payload"], "dealer_receive")
    shipped = world.ok("sub-sh", item["payload"], "dealer_ship", to_party_id="store-hz")
    [alert_id] = shipped["alert_ids"]
    assert alert(world, alert_id)["source_party_id"] == "sub-sh"


def test_a_dealers_shipment_to_its_sub_dealer_where_the_brand_authorized_it_is_no_alert(
    world: World, admin_headers: dict[str, str], make_token: Callable[..., dict[str, str]]
) -> None:
    """Found by a review: a high `ship_outside_territory`, then a `receive_outside_territory`,
    for goods a dealer sent to its own sub-dealer in the sub-dealer's authorized territory."""
    sub = {
        "kind": "dealer",
        "name": "SH dealer's Hangzhou sub-dealer",
        "parent_id": "dealer-sh",
        "location": {"lat": 30.26, "lon": 120.16},
    }
    client = world.client
    assert client.put("/v1/parties/sub-sh-hz", json=sub, headers=admin_headers).is_success
    granted = client.put("/v1/parties/sub-sh-hz/territories/hz", json={}, headers=admin_headers)
    assert granted.is_success
    world.tokens["sub-sh-hz"] = make_token("logistics", "sub-sh-hz")
    [item] = world.issue(1)
    into_dealer(world, item["payload"])
    shipped = world.ok(
        "dealer-sh", item["payload"], "dealer_ship", _hours_ago(3), to_party_id="sub-sh-hz"
    )
    assert shipped["alert_ids"] == []
    assert world.ok("sub-sh-hz", item["payload"], "dealer_receive")["alert_ids"] == []
    # The same shipment to the dealer whose territory it is stays a diversion.
    [other] = world.issue(1)
    into_dealer(world, other["payload"])
    [alert_id] = world.ok("dealer-sh", other["payload"], "dealer_ship", to_party_id="dealer-hz")[
        "alert_ids"
    ]
    assert alert(world, alert_id)["reason"] == "ship_outside_territory"


def test_a_diverted_case_is_one_alert_listing_every_item(world: World) -> None:
    items = world.issue(4)
    [case] = world.issue(1, level="case")
    for entry in [*items, case]:
        world.ok("line", entry["payload"], "commission", now() - timedelta(hours=8))
    world.ok(
        "line",
        case["payload"],
        "pack",
        now() - timedelta(hours=7),
        children=[i["payload"] for i in items],
    )
    world.ok("plant", case["payload"], "ship", now() - timedelta(hours=6), to_party_id="dealer-sh")
    world.ok("dealer-sh", case["payload"], "dealer_receive", now() - timedelta(hours=5))
    shipped = world.ok("dealer-sh", case["payload"], "dealer_ship", to_party_id="store-hz")
    [alert_id] = shipped["alert_ids"]
    found = alert(world, alert_id)
    assert {i["code"] for i in items} <= set(found["codes"])


def test_counterfeit_and_leaked_codes_raise_their_alerts(world: World) -> None:
    [item, leaked] = world.issue(2)
    fake = world.ok("store-sh", tamper(item["payload"]), "retail_sell")
    assert fake["verdict"] == "counterfeit"
    [fake_alert] = fake["alert_ids"]
    sighting = alert(world, fake_alert)
    assert sighting["type"] == "counterfeit"
    assert sighting["observed_party_id"] == "store-sh"  # who found it (was null: a review)
    assert "scanned by store-sh" in sighting["summary"]
    for junk in ("https://evil.example/01/05901234123457", tamper(item["payload"]) + "x"):
        [found] = world.ok("store-sh", junk, "retail_receive")["alert_ids"]
        assert alert(world, found)["observed_party_id"] == "store-sh", junk
    sold = world.ok("store-sh", leaked["payload"], "retail_sell")
    found = {alert(world, a)["type"]: alert(world, a) for a in sold["alert_ids"]}
    assert "leaked_code" in found
    # PRODUCT.md: name the plant/line that issued it (the line token that asked for the batch)
    me = world.client.get("/v1/me", headers=world.tokens["line"]).json()
    assert found["leaked_code"]["source_party_id"] == "plant"
    assert f"line {me['name']} " in found["leaked_code"]["summary"]
    listed = world.client.get(
        "/v1/alerts?type=counterfeit", headers=world.tokens["compliance"]
    ).json()["items"]
    assert fake_alert in [a["id"] for a in listed]
    by_code = world.client.get(
        f"/v1/alerts?code={leaked['code']}", headers=world.tokens["compliance"]
    ).json()["items"]
    assert {a["type"] for a in by_code} >= {"leaked_code"}


def _leak_of(world: World, answer: dict[str, Any]) -> str:
    [found] = [a for a in answer["alert_ids"] if alert(world, a)["type"] == "leaked_code"]
    return str(found)


def _issued_days_ago(db: SyncDb, code: str, days: int = 1) -> None:
    """Codes are issued before the line prints them: these scans are dated hours back."""
    db.execute(
        "UPDATE code_batches SET created_at = created_at - make_interval(days => $2)"
        " WHERE id = (SELECT batch_id FROM codes WHERE code = $1)",
        code,
        days,
    )


def test_a_late_commission_takes_back_the_leak_it_explains(world: World, db: SyncDb) -> None:
    """Found by a review: a store's receipt stored before the line's commission upload raised
    `leaked_code`, which stayed open after the commission (dated earlier) arrived."""
    a, b = world.issue(2)  # one batch: one incident
    _issued_days_ago(db, a["code"])
    t = now() - timedelta(hours=6)
    alert_id = _leak_of(world, world.ok("store-sh", a["payload"], "retail_receive", t + HOUR * 2))
    world.ok("store-sh", b["payload"], "retail_receive", t + HOUR * 3)
    assert {a["code"], b["code"]} <= set(alert(world, alert_id)["codes"])
    world.ok("line", a["payload"], "commission", t + HOUR)  # before a was seen: no leak
    found = alert(world, alert_id)
    assert found["status"] == "open"
    last = found["history"][-1]
    assert (last["action"], last["actor"]) == ("comment", "risk-engine")
    assert a["code"] in last["note"] and b["code"] not in last["note"]
    world.ok("line", b["payload"], "commission", t + HOUR * 4)  # after b was seen: it leaked
    assert alert(world, alert_id)["history"] == found["history"]

    [c] = world.issue(1)
    _issued_days_ago(db, c["code"])
    alone = _leak_of(world, world.ok("store-sh", c["payload"], "retail_receive", t + HOUR * 2))
    world.ok("line", c["payload"], "commission", t + HOUR)
    withdrawn = alert(world, alone)
    assert withdrawn["status"] == "dismissed"
    assert withdrawn["history"][-1]["actor"] == "risk-engine"
    assert "no code of this alert is left unexplained" in withdrawn["history"][-1]["note"]


def test_a_back_dated_second_commission_does_not_whitewash_a_leak(world: World) -> None:
    """Found by a review: a code seen in the market, then commissioned after the sighting
    (a leak, confirmed), was cleared by a second commission scan dated before the sighting."""
    [c] = world.issue(1)
    t = now() - timedelta(hours=6)
    leak = _leak_of(world, world.ok("store-sh", c["payload"], "retail_receive", t + HOUR * 2))
    world.ok("line", c["payload"], "commission", t + HOUR * 3)  # made after it was sold
    before = alert(world, leak)
    world.ok("line", c["payload"], "commission", t + HOUR)  # back-dated: explains nothing
    after = alert(world, leak)
    assert after["status"] == "open"
    assert after["history"] == before["history"]


def test_a_sale_dated_before_its_commission_is_a_leak_whatever_came_first(world: World) -> None:
    """Found by a review: uploaded after a commission dated later, such a sale raised only
    `sequence` (no source); uploaded before it, `leaked_code` naming the plant."""
    [c] = world.issue(1)
    t = now() - timedelta(hours=6)
    world.ok("line", c["payload"], "commission", t + HOUR * 3)
    found = alert(world, _leak_of(world, world.ok("store-sh", c["payload"], "retail_sell", t)))
    assert (found["reason"], found["severity"], found["source_party_id"]) == (
        "seen_before_commission",
        "high",
        "plant",
    )


def test_a_commission_dated_before_its_code_was_issued_explains_no_leak(world: World) -> None:
    """Found by a live review: a line token's commission dated two years back (before the
    code existed) dismissed a high leaked_code alert raised by a consumer's check."""
    [c] = world.issue(1)
    answer = world.client.post("/v1/verify", json={"payload": c["payload"]})
    assert answer.json()["reason"] == "never_commissioned"
    [leak] = [a for a in world_alerts(world) if c["code"] in a["codes"]]
    before = alert(world, leak["id"])
    world.ok("line", c["payload"], "commission", now() - timedelta(days=730))
    found = alert(world, leak["id"])
    assert found["status"] == "open" and found["history"] == before["history"]
    # Nor with a twin in the same upload dated after the sighting (review): the back-dated
    # one wins the code, the twin did not commission it.
    [d] = world.issue(1)
    world.client.post("/v1/verify", json={"payload": d["payload"]})
    [leak_d] = [a for a in world_alerts(world) if d["code"] in a["codes"]]
    twins = [
        scan_body(d["payload"], "commission", now() - timedelta(days=730)),
        scan_body(d["payload"], "commission", now()),
    ]
    stored = world.client.post(
        "/v1/scans/batch", json={"scans": twins}, headers=world.tokens["line"]
    )
    assert [r["status"] for r in stored.json()["results"]] == ["created", "created"]
    assert alert(world, leak_d["id"])["status"] == "open"


def world_alerts(world: World) -> list[dict[str, Any]]:
    response = world.client.get(
        "/v1/alerts", params={"type": "leaked_code"}, headers=world.tokens["compliance"]
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_two_commissions_of_one_code_in_one_batch_keep_the_earliest(
    world: World, db: SyncDb
) -> None:
    [c] = world.issue(1)
    t = now() - timedelta(hours=6)
    late, early = (
        scan_body(c["payload"], "commission", t + HOUR),
        scan_body(c["payload"], "commission", t),
    )
    answer = world.client.post(
        "/v1/scans/batch", json={"scans": [late, early]}, headers=world.tokens["line"]
    )
    assert answer.status_code == 200, answer.text
    [stored] = db.fetch(
        "SELECT commissioned_at, commission_event_id FROM codes WHERE code = $1", c["code"]
    )
    assert stored["commissioned_at"] == t
    assert str(stored["commission_event_id"]) == early["event_id"]


def test_alerts_since_a_time_and_times_out_of_range_are_refused(world: World) -> None:
    [item] = world.issue(1)
    [raised] = world.ok("store-sh", tamper(item["payload"]), "retail_sell")["alert_ids"]
    head = world.tokens["compliance"]

    def listed(since: str) -> list[str]:
        response = world.client.get("/v1/alerts", params={"since": since}, headers=head)
        assert response.status_code == 200, response.text
        return [a["id"] for a in response.json()["items"]]

    an_hour_ago = now() - timedelta(hours=1)
    assert raised in listed(an_hour_ago.isoformat())
    assert raised in listed(an_hour_ago.replace(tzinfo=None).isoformat())  # naive: UTC
    assert listed((now() + timedelta(hours=1)).isoformat()) == []
    # No UTC equivalent: PostgreSQL refused them with a 500 (found by a review).
    for since in ("9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59", "yesterday"):
        for path in ("/v1/alerts", "/v1/stats/verifications"):
            bad = world.client.get(path, params={"since": since}, headers=head)
            assert bad.status_code == 422, (path, since, bad.text)
            assert bad.headers["content-type"] == "application/problem+json"


def test_consumer_junk_is_a_low_counterfeit_and_a_forgery_a_medium_one(world: World) -> None:
    """Any QR code a consumer points the page at is stored as a sighting; only a forged one of
    ours is worth a compliance officer's time (PRODUCT.md: alerts must be worth reading)."""
    [item] = world.issue(1)
    checks = [  # far apart, so that they are two incidents
        (f"https://evil.example/01/{uuid.uuid4()}", {"lat": 31.2304, "lon": 121.4737}),
        (tamper(item["payload"]), {"lat": 39.9042, "lon": 116.4074}),
    ]
    for payload, where in checks:
        answer = world.client.post("/v1/verify", json={"payload": payload, "location": where})
        assert answer.status_code == 200 and answer.json()["verdict"] == "counterfeit"
    listed = world.client.get(
        "/v1/alerts?type=counterfeit", headers=world.tokens["compliance"]
    ).json()["items"]
    mine = [
        a
        for a in listed
        if "by a consumer at 31.230" in a["summary"] or "at 39.904" in a["summary"]
    ]
    assert sorted((a["reason"], a["severity"]) for a in mine) == [
        ("bad_signature", "medium"),
        ("malformed", "low"),
    ]


def test_a_plant_scan_after_a_sale_proves_the_sale_came_first(world: World) -> None:
    """Plant scans are judged once their code was seen past the plant: the item is still in
    the plant's warehouse, yet a store already sold its code."""
    [item, fresh] = world.issue(2)
    t = now() - timedelta(hours=5)
    world.ok("line", item["payload"], "commission", t)
    world.ok("store-sh", item["payload"], "retail_sell", t + timedelta(hours=1))
    later = world.ok("plant", item["payload"], "warehouse_in", t + timedelta(hours=3))
    found = [alert(world, a) for a in later["alert_ids"]]
    assert [(a["type"], a["reason"], a["severity"]) for a in found] == [
        ("sequence", "sold_before_leaving_plant", "high")
    ]
    world.ok("line", fresh["payload"], "commission", t)  # a code never seen past the plant
    assert (
        world.ok("plant", fresh["payload"], "warehouse_in", t + timedelta(hours=3))["alert_ids"]
        == []
    )


def test_items_sold_before_their_case_was_packed_at_the_plant(world: World) -> None:
    """Plant scans are mostly of cases: a case packed (and later stored) at the plant holding
    an item a store already sold proves the sale came first, item by item."""
    [sold, unsold] = world.issue(2)
    [case] = world.issue(1, level="case")
    t = now() - timedelta(hours=5)
    for entry in (sold, unsold, case):
        world.ok("line", entry["payload"], "commission", t)
    world.ok("store-sh", sold["payload"], "retail_sell", t + timedelta(hours=1))
    children = [sold["payload"], unsold["payload"]]
    packed = world.ok("line", case["payload"], "pack", t + timedelta(hours=2), children=children)
    found = [alert(world, a) for a in packed["alert_ids"]]
    assert [(a["type"], a["reason"], a["codes"]) for a in found] == [
        ("sequence", "sold_before_leaving_plant", [sold["code"]])
    ]
    stored = world.ok("plant", case["payload"], "warehouse_in", t + timedelta(hours=3))
    assert stored["alert_ids"] == packed["alert_ids"]  # the same incident, one more piece


def test_case_workflow_with_penalty_and_history(world: World, db: SyncDb) -> None:
    items = world.issue(2)
    alert_ids: set[str] = set()
    for entry in items:
        into_dealer(world, entry["payload"])
        alert_ids |= set(
            world.ok("dealer-sh", entry["payload"], "dealer_ship", to_party_id="store-hz")[
                "alert_ids"
            ]
        )
    [alert_id] = alert_ids  # both items: one incident
    officer = world.tokens["compliance"]

    def act(action: str, note: str = "checked") -> Any:
        return world.client.post(
            f"/v1/alerts/{alert_id}/actions",
            json={"action": action, "note": note},
            headers=officer,
        )

    assert act("confirm").status_code == 409  # must be investigated first
    for unstorable in ("a\\u0000b", "\\ud800"):  # PostgreSQL text holds neither: was a 500
        refused = world.client.post(
            f"/v1/alerts/{alert_id}/actions",
            content=f'{{"action": "comment", "note": "{unstorable}"}}',
            headers={**officer, "content-type": "application/json"},
        )
        assert refused.status_code == 422, refused.text
    investigating = act("investigate", "opening secondary verification")
    assert investigating.status_code == 200
    body = investigating.json()
    assert body["status"] == "investigating" and body["evidence_due_at"]
    assert act("comment", "called the dealer").json()["status"] == "investigating"
    assert act("escalate", "regional manager").json()["escalation_level"] == "regional"
    at_the_top = act("escalate", "headquarters").json()
    assert at_the_top["escalation_level"] == "headquarters"
    assert at_the_top["allowed_actions"] == ["confirm", "dismiss", "comment"]  # no 3rd level
    confirmed = act("confirm", "shipment records match")
    assert confirmed.status_code == 200
    final = confirmed.json()
    assert final["status"] == "confirmed"
    diverted = len([c for c in final["codes"] if c.startswith("sgtin:")])
    expected = Decimal("3") * Decimal("12.50") * diverted
    assert final["penalty"] == {"amount": f"{expected:.2f}", "currency": "CNY"}
    actions = [h["action"] for h in final["history"]]
    assert actions == ["raise", "investigate", "comment", "escalate", "escalate", "confirm"]
    levels = [(h["to_status"], h["to_level"]) for h in final["history"][3:5]]
    assert levels == [("escalated", "regional"), ("escalated", "headquarters")]
    assert all(h["actor"].startswith(("compliance:", "risk-engine")) for h in final["history"])
    # Each line names the token too (names are not unique); the engine has none.
    officer_id = db.fetchval(
        "SELECT actor_token_id FROM alert_history WHERE alert_id = $1 AND action = 'confirm'",
        uuid.UUID(alert_id),
    )
    assert officer_id is not None
    assert [h["actor_token_id"] for h in final["history"]] == [None] + [str(officer_id)] * 5
    assert act("dismiss").status_code == 409  # closed
    assert act("investigate", " ").status_code in (409, 422)
    # The history is append-only, even for the database owner.
    with pytest.raises(Exception, match="append-only"):
        db.execute("UPDATE alert_history SET note = 'x'")
    with pytest.raises(Exception, match="append-only"):
        db.execute("DELETE FROM alert_history")


def test_a_diversion_of_goods_in_two_currencies_is_fined_in_each(world: World) -> None:
    """Confirming refused (409) when the items were priced in two currencies, so such a case
    could never be confirmed (found by a review). Now the penalty is given per currency."""
    store = {"kind": "retailer", "name": "GZ store", "location": {"lat": 23.13, "lon": 113.26}}
    assert world.client.put("/v1/parties/store-gz", json=store, headers=world.admin).is_success
    usd = {"name": "Imported tea", "unit_value": "4.00", "currency": "USD"}
    assert world.client.put("/v1/products/96385074", json=usd, headers=world.admin).is_success
    body = {"gtin": "96385074", "lot": "USD1", "count": 2}
    batch = world.client.post("/v1/code-batches", json=body, headers=world.tokens["line"])
    listed = world.client.get(
        f"/v1/code-batches/{batch.json()['batch_id']}/codes", headers=world.tokens["line"]
    )
    imported = [orjson.loads(line) for line in listed.content.splitlines()]
    alert_ids: set[str] = set()
    for entry in [*world.issue(1), *imported]:  # one tea at 12.50 CNY, two at 4.00 USD
        into_dealer(world, entry["payload"])
        shipped = world.ok("dealer-sh", entry["payload"], "dealer_ship", to_party_id="store-gz")
        alert_ids |= set(shipped["alert_ids"])
    [alert_id] = alert_ids
    officer = world.tokens["compliance"]
    for action in ("investigate", "confirm"):
        done = world.client.post(
            f"/v1/alerts/{alert_id}/actions",
            json={"action": action, "note": "records checked"},
            headers=officer,
        )
        assert done.status_code == 200, done.text
    confirmed = done.json()
    assert confirmed["penalties"] == [
        {"amount": "37.50", "currency": "CNY"},
        {"amount": "24.00", "currency": "USD"},
    ]
    assert confirmed.get("penalty") is None  # one amount cannot stand for two currencies


def test_overdue_cases_are_listed(world: World, db: SyncDb) -> None:
    [item] = world.issue(1)
    into_dealer(world, item["payload"])
    [alert_id] = world.ok("dealer-sh", item["payload"], "dealer_ship", to_party_id="store-hz")[
        "alert_ids"
    ]
    world.client.post(
        f"/v1/alerts/{alert_id}/actions",
        json={"action": "investigate", "note": "go"},
        headers=world.tokens["compliance"],
    )
    overdue = world.client.get("/v1/alerts?overdue=true", headers=world.tokens["compliance"])
    assert alert_id not in [a["id"] for a in overdue.json()["items"]]
    db.execute(
        "UPDATE alerts SET evidence_due_at = now() - interval '1 day' WHERE id = $1::uuid",
        alert_id,
    )
    overdue = world.client.get("/v1/alerts?overdue=true", headers=world.tokens["compliance"])
    assert alert_id in [a["id"] for a in overdue.json()["items"]]
    counts = world.client.get("/v1/alerts/counts", headers=world.tokens["compliance"]).json()
    assert counts["overdue"] >= 1


def test_alerts_are_for_compliance_and_admin_only(world: World) -> None:
    for who in ("line", "plant", "store-sh"):
        assert world.client.get("/v1/alerts", headers=world.tokens[who]).status_code == 403
    assert world.client.get("/v1/alerts").status_code == 401
    assert world.client.get("/v1/alerts", headers=world.admin).status_code == 200
    missing = "00000000-0000-0000-0000-000000000000"
    assert world.client.get(f"/v1/alerts/{missing}", headers=world.admin).status_code == 404
