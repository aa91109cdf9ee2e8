"""Consumer mode: the printed link opens the verification page (GS1 Digital Link resolver),
the brand signature is checked in the browser, the service's verdict and points are shown."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.browser_support import PHONE, LiveServer, screenshot
from tests.world import World, tamper
from traceability.config import Settings

pytestmark = pytest.mark.browser

HOME = {"latitude": 31.2001, "longitude": 121.4402, "accuracy": 25}


def test_genuine_then_repeat_then_counterfeit(
    live: LiveServer, world: World, browser: Any, settings: Settings
) -> None:
    [item] = world.issue(1, lot="CON1")
    world.deliver(item["payload"])  # plant → dealer → store → sold
    payload = item["payload"]
    prefix = f"https://{settings.resolver_host}"
    assert payload.startswith(prefix)

    context = browser.new_context(viewport=PHONE, geolocation=HOME, permissions=["geolocation"])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    verifies: list[dict[str, Any]] = []
    page.on(
        "request",
        lambda r: verifies.append(r.post_data_json) if r.url.endswith("/v1/verify") else None,
    )

    # What a phone camera opens: the payload's own URL, here served by the test server.
    page.goto(live.base + payload.removeprefix(prefix))
    card = page.locator("#verdict")
    page.locator('#verdict[data-verdict="genuine"]').wait_for()
    assert verifies[0]["payload"] == payload, "the page rebuilt the printed payload byte for byte"
    assert verifies[0]["location"]["lat"] == pytest.approx(31.2001)
    text = card.inner_text()
    assert "Genuine" in text
    assert "Green tea" in text and "CON1" in text
    assert "You earned 10 points." in text
    assert "Brand signature checked on this phone: valid" in text
    assert page.locator("#verdict .disagree").count() == 0
    screenshot(page, "app-consumer-genuine")

    page.reload()
    page.locator('#verdict[data-verdict="genuine"]').wait_for()
    page.locator("#verdict .points").filter(has_text="No points").wait_for()
    text = card.inner_text()
    assert "Checked 2 times" in text
    assert "already" in text  # already claimed: the points are paid once per code
    screenshot(page, "app-consumer-repeat")

    page.goto(f"{live.base}/app")
    page.get_by_role("button", name="Check a product").click()
    page.get_by_label("Code text").fill(tamper(payload))
    page.get_by_role("button", name="Check", exact=True).click()
    page.locator('#verdict[data-verdict="counterfeit"]').wait_for()
    text = card.inner_text()
    assert "Counterfeit" in text
    assert "Brand signature checked on this phone: NOT valid" in text
    assert "Green tea" not in text, "a counterfeit answer shows no product"
    screenshot(page, "app-consumer-counterfeit")
    assert errors == []
    context.close()
