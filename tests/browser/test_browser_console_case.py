"""Compliance console: sign in, open a diversion alert, see its map, investigate and confirm
it; the penalty and both history lines are shown."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.browser.browser_support import DESKTOP, LiveServer, screenshot, secret
from tests.world import World, now, tamper

pytestmark = pytest.mark.browser


def diversion(world: World) -> tuple[str, str]:
    """dealer-sh ships an item into Hangzhou (store-hz): a diversion naming dealer-sh."""
    [item] = world.issue(1, lot="DIV1")
    t = now() - timedelta(hours=6)
    world.ok("line", item["payload"], "commission", t)
    world.ok("plant", item["payload"], "ship", t + timedelta(hours=1), to_party_id="dealer-sh")
    world.ok("dealer-sh", item["payload"], "dealer_receive", t + timedelta(hours=2))
    shipped = world.ok(
        "dealer-sh",
        item["payload"],
        "dealer_ship",
        t + timedelta(hours=3),
        loc=(31.21, 121.46),
        to_party_id="store-hz",
    )
    world.ok("store-hz", item["payload"], "retail_receive", loc=(30.25, 120.17))
    [alert_id] = shipped["alert_ids"]
    return alert_id, item["code"]


def sign_in(page: Any, live: LiveServer, world: World) -> None:
    page.goto(f"{live.base}/console")
    page.get_by_label("Compliance token").fill(secret(world.tokens["compliance"]))
    page.get_by_role("button", name="Sign in").click()


def test_console_works_a_diversion_case(live: LiveServer, world: World, browser: Any) -> None:
    alert_id, code = diversion(world)
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    sign_in(page, live, world)
    row = page.locator(f'tr[data-alert-id="{alert_id}"]')
    row.wait_for()
    assert "diversion" in row.inner_text()
    page.get_by_label("Type").select_option("diversion")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**/console#/alerts?type=diversion")
    row.wait_for()
    screenshot(page, "console-alerts")

    row.locator(f'a[href="#/alerts/{alert_id}"]').click()
    page.get_by_role("heading", name="Evidence timeline").wait_for()
    svg = page.locator("svg.map")
    assert svg.locator("path.territory").count() == 2
    assert svg.locator('path.territory.expected[data-territory="sh"]').count() == 1
    assert svg.locator("g.point").count() >= 2
    assert svg.locator("circle.accuracy").count() >= 2
    assert svg.locator("polyline.custody").count() == 1
    assert page.locator("table.timeline tr.evidence").count() >= 1
    assert code in page.locator("section", has_text="Codes (1)").inner_text()

    page.get_by_label("Action", exact=True).select_option("investigate")
    page.get_by_label("Note (required: what you did or found)").fill("Asked dealer-sh for records.")
    page.get_by_role("button", name="Record action").click()
    page.locator("#alert-status").filter(has_text="investigating").wait_for()
    offered = page.locator("#action option")  # what the server says the state allows
    assert offered.evaluate_all("os => os.map(o => o.value)") == [
        "escalate",
        "confirm",
        "dismiss",
        "comment",
    ]

    page.get_by_label("Action", exact=True).select_option("confirm")
    page.get_by_label("Note (required: what you did or found)").fill("Invoice shows the sale.")
    page.get_by_role("button", name="Record action").click()
    page.locator("#alert-status").filter(has_text="confirmed").wait_for()
    assert page.locator("#penalty").inner_text() == "37.50 CNY"  # 3 x 12.50 x 1 item
    assert offered.evaluate_all("os => os.map(o => o.value)") == ["comment"]
    history = page.locator("#history li")
    actions = history.evaluate_all("els => els.map(e => e.dataset.action)")
    assert actions[-2:] == ["investigate", "confirm"]  # after the engine's own "raise" line
    assert "Invoice shows the sale." in page.locator("#history").inner_text()
    screenshot(page, "console-alert-confirmed")

    # A refused action is explained in words (problem+json detail), not swallowed.
    page.get_by_label("Note (required: what you did or found)").fill("")
    page.get_by_role("button", name="Record action").click()
    page.get_by_text("Write a note: every step of a case needs one.").wait_for()

    # The source party: suspend it (circuit breaker).
    page.get_by_role("link", name="open dealer-sh").click()
    page.get_by_role("heading", name="SH dealer").wait_for()
    page.get_by_label("Reason").fill("Confirmed diversion into Hangzhou")
    page.get_by_role("button", name="Suspend (circuit breaker)").click()
    page.locator("#suspended").filter(has_text="Confirmed diversion").wait_for()
    screenshot(page, "console-party")
    page.get_by_role("button", name="Lift suspension").click()
    page.locator("#suspended").filter(has_text="no").wait_for()

    # The heat map of consumer verifications over the territories.
    for lat, lon in ((31.23, 121.47), (31.23, 121.47), (30.26, 120.16)):
        body = {
            "payload": world.issue(1, lot="HEAT")[0]["payload"],
            "location": {"lat": lat, "lon": lon},
        }
        assert world.client.post("/v1/verify", json=body).status_code == 200
    page.get_by_role("link", name="Verification map").click()
    page.get_by_role("heading", name="Consumer verifications").wait_for()
    cells = page.locator("svg.map rect.cell")
    assert sorted(cells.evaluate_all("els => els.map(e => Number(e.dataset.count))")) == [1, 2]
    screenshot(page, "console-heatmap")
    assert errors == []
    context.close()


def test_console_links_keep_their_filters_and_the_skip_link_stays(
    live: LiveServer, world: World, browser: Any
) -> None:
    """Found by a review: "Alerts naming this code" listed every alert (the code filter was
    dropped), the skip link sent the console to the alert list, and a malformed trace link
    threw before the page could say anything."""
    alert_id, code = diversion(world)
    [other] = world.issue(1, lot="FAKE1")  # an alert that does not name the code
    assert world.ok("store-sh", tamper(other["payload"]), "retail_sell")["alert_ids"]
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, live, world)
    page.locator(f'tr[data-alert-id="{alert_id}"]').wait_for()

    naming = world.client.get(
        "/v1/alerts", params={"code": code}, headers=world.tokens["compliance"]
    ).json()["items"]
    everything = world.client.get("/v1/alerts", headers=world.tokens["compliance"]).json()
    assert len(everything["items"]) > len(naming)  # else the filter would prove nothing
    page.goto(f"{live.base}/console#/parties")
    page.locator("tr").filter(has_text="dealer-sh").first.wait_for()  # the list is gone
    page.goto(f"{live.base}/console#/alerts?code={code}")
    page.locator(f'tr[data-alert-id="{alert_id}"]').wait_for()
    assert page.locator("tr[data-alert-id]").count() == len(naming)

    page.goto(f"{live.base}/console#/parties/dealer-sh")
    page.get_by_role("heading", name="SH dealer").wait_for()
    page.get_by_role("link", name="Skip to content").focus()
    page.keyboard.press("Enter")
    assert page.url.endswith("#/parties/dealer-sh")
    assert page.evaluate("document.activeElement.id") == "view"

    page.goto(f"{live.base}/console#/trace/%E0%A4%A")
    page.wait_for_timeout(500)
    assert errors == []
    context.close()
