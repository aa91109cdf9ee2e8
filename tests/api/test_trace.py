"""GET /v1/codes/{code}/trace: inherited container scans, custody, and who may see what."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest

from tests.world import World, now


@pytest.fixture(scope="module")
def chain(world: World) -> dict[str, Any]:
    """item → case → pallet; pallet shipped to dealer-sh and opened there; case shipped to
    store-sh and opened there; item sold; later someone at dealer-hz scans the empty case."""
    [item, other] = world.issue(2)
    [case, case_2] = world.issue(2, level="case")
    [pallet] = world.issue(1, level="pallet")
    t = now() - timedelta(hours=10)
    ids: dict[str, str] = {}

    def at(hours: float) -> Any:
        return t + timedelta(hours=hours)

    for code in (item, other, case, case_2, pallet):
        world.ok("line", code["payload"], "commission", at(0))
    ids["pack_case"] = world.ok("line", case["payload"], "pack", at(1), children=[item["payload"]])[
        "event_id"
    ]
    world.ok("line", case_2["payload"], "pack", at(1), children=[other["payload"]])
    ids["pack_pallet"] = world.ok(
        "line", pallet["payload"], "pack", at(2), children=[case["payload"]]
    )["event_id"]
    ids["ship"] = world.ok(
        "plant", pallet["payload"], "ship", at(3), loc=(31.3, 120.6), to_party_id="dealer-sh"
    )["event_id"]
    ids["open_pallet"] = world.ok(
        "dealer-sh", pallet["payload"], "dealer_receive", at(4), loc=(31.23, 121.47), unpack=True
    )["event_id"]
    ids["ship_case"] = world.ok(
        "dealer-sh", case["payload"], "dealer_ship", at(5), to_party_id="store-sh"
    )["event_id"]
    ids["open_case"] = world.ok("store-sh", case["payload"], "retail_receive", at(6), unpack=True)[
        "event_id"
    ]
    ids["sell"] = world.ok("store-sh", item["payload"], "retail_sell", at(7))["event_id"]
    ids["after"] = world.ok("dealer-hz", case["payload"], "dealer_receive", at(8))["event_id"]
    return {"item": item, "other": other, "case": case, "case_2": case_2, "pallet": pallet, **ids}


def get_trace(world: World, ref: str, who: str = "compliance") -> Any:
    headers = world.admin if who == "admin" else world.tokens[who]
    return world.client.get(f"/v1/codes/{ref}/trace", headers=headers)


def test_item_trace_inherits_case_and_pallet_scans(world: World, chain: dict[str, Any]) -> None:
    response = get_trace(world, chain["item"]["code"])
    assert response.status_code == 200, response.text
    body = response.json()
    case, pallet = chain["case"]["code"], chain["pallet"]["code"]
    assert body["code"] == chain["item"]["code"]
    assert (body["level"], body["gtin"], body["lot"], body["status"]) == (
        "item",
        "05901234123457",
        "LOT1",
        "commissioned",
    )
    assert "parent" not in body  # the case was opened: the item is loose now
    assert body["children_count"] == 0
    assert body["custodians"] == ["plant", "dealer-sh", "store-sh"]
    steps = [(e["checkpoint"], e["party_id"], e.get("via")) for e in body["events"]]
    assert steps == [
        ("commission", "plant", None),
        ("pack", "plant", case),
        ("pack", "plant", pallet),
        ("ship", "plant", pallet),
        ("dealer_receive", "dealer-sh", pallet),
        ("dealer_ship", "dealer-sh", case),
        ("retail_receive", "store-sh", case),
        ("retail_sell", "store-sh", None),
    ]
    # After the case was opened its scans no longer count for the item.
    assert chain["after"] not in {e["event_id"] for e in body["events"]}
    ship = body["events"][3]
    assert ship["event_id"] == chain["ship"]
    assert ship["to_party_id"] == "dealer-sh"
    assert ship["location"] == {"lat": 31.3, "lon": 120.6, "accuracy_m": 20}
    assert ship["verdict"] == "genuine"
    commission = body["events"][0]
    assert commission["location"] is None
    assert "to_party_id" not in commission and "via" not in commission
    assert set(commission) == {
        "event_id",
        "checkpoint",
        "party_id",
        "location",
        "scanned_at",
        "recorded_at",
        "verdict",
    }
    times = [e["scanned_at"] for e in body["events"]]
    assert times == sorted(times)


def test_container_traces_and_current_parent(world: World, chain: dict[str, Any]) -> None:
    case = get_trace(world, chain["case"]["code"]).json()
    assert case["level"] == "case" and case["children_count"] == 0 and "parent" not in case
    assert [e["event_id"] for e in case["events"]][-1] == chain["after"]
    assert case["custodians"] == ["plant", "dealer-sh", "store-sh", "dealer-hz"]
    pallet = get_trace(world, chain["pallet"]["code"]).json()
    assert pallet["level"] == "pallet" and pallet["children_count"] == 0
    assert all("via" not in e for e in pallet["events"])
    packed = get_trace(world, chain["other"]["code"]).json()
    assert packed["parent"] == chain["case_2"]["code"]
    case_2 = get_trace(world, chain["case_2"]["code"]).json()
    assert case_2["children_count"] == 1


def test_url_encoded_payload_is_accepted(world: World, chain: dict[str, Any]) -> None:
    by_code = get_trace(world, chain["item"]["code"]).json()
    response = get_trace(world, quote(chain["item"]["payload"], safe=""))
    assert response.status_code == 200, response.text
    assert response.json() == by_code


def test_who_may_see_the_trace(world: World, chain: dict[str, Any]) -> None:
    item = chain["item"]["code"]
    for who in ("admin", "compliance", "plant", "dealer-sh", "store-sh"):
        assert get_trace(world, item, who).status_code == 200, who
    for who in ("dealer-hz", "store-hz"):
        response = get_trace(world, item, who)
        assert response.status_code == 404, who
        assert response.headers["content-type"].startswith("application/problem+json")
    # dealer-hz scanned the (empty) case, so it may see the case but not what was in it before.
    assert get_trace(world, chain["case"]["code"], "dealer-hz").status_code == 200
    # A line token issues and commissions; where the goods went is not among its rights.
    refused = get_trace(world, item, "line")
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert world.client.get(f"/v1/codes/{item}/trace").status_code == 401


def test_unknown_codes_are_404(world: World, chain: dict[str, Any]) -> None:
    code = chain["item"]["code"]
    unknown = code[:-3] + ("AAA" if not code.endswith("AAA") else "BBB")
    for ref in (unknown, "nonsense", quote("https://evil.example/01/123", safe="")):
        assert get_trace(world, ref).status_code == 404, ref


def test_issued_only_codes_show_status_issued(world: World) -> None:
    [fresh] = world.issue(1)
    body = get_trace(world, fresh["code"]).json()
    assert body["status"] == "issued"
    assert body["events"] == [] and body["custodians"] == []


def test_a_dealer_sees_where_consumers_checked_only_to_a_tenth_of_a_degree(world: World) -> None:
    """Consumers are anonymous (PRODUCT.md): compliance sees a check's exact fix, the dealer
    that held the item only the ~10 km around it (found by a review: it saw the exact one)."""
    [item] = world.issue(1)
    world.deliver(item["payload"])
    fix = {"lat": 31.123456, "lon": 121.654321, "accuracy_m": 15}
    body = {"payload": item["payload"], "consumer_id": "anna", "location": fix}
    assert world.client.post("/v1/verify", json=body).status_code == 200

    def check_location(who: str) -> Any:
        response = get_trace(world, item["code"], who)
        assert response.status_code == 200, response.text
        events = response.json()["events"]
        [check] = [e for e in events if e["checkpoint"] == "consumer_verify"]
        staff = [e for e in events if e["checkpoint"] != "consumer_verify"]
        return check["location"], staff

    exact, staff = check_location("compliance")
    assert exact == fix
    coarse, dealer_staff = check_location("dealer-sh")
    assert coarse == {"lat": 31.1, "lon": 121.7, "accuracy_m": 15 + 8_000}
    assert dealer_staff == staff  # the staff scans are shown as they were
