"""Staff mode offline: scans are kept in IndexedDB and uploaded once when the connection
returns; an upload cut off after the server stored it is retried without duplicates."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest

from tests.browser.browser_support import PHONE, LiveServer, screenshot, secret
from tests.pg import SyncDb
from tests.world import World, now

pytestmark = pytest.mark.browser

HERE = {"latitude": 31.2301, "longitude": 121.4702, "accuracy": 30}


def stored(db: SyncDb, codes: list[str]) -> int:
    """dealer_receive events of these codes in the database (asyncio.run needs its own
    thread: Playwright's loop runs on this one)."""
    with ThreadPoolExecutor(1) as pool:
        n = pool.submit(
            db.fetchval,
            """SELECT count(*) FROM scan_events
               WHERE checkpoint = 'dealer_receive' AND party_id = 'dealer-sh'
                 AND code = ANY($1::text[])""",
            codes,
        ).result()
    return int(n)


def test_offline_scans_upload_once_even_when_the_upload_is_cut_off(
    live: LiveServer, world: World, browser: Any, db: SyncDb
) -> None:
    items = world.issue(3, lot="OFF1")
    t = now() - timedelta(hours=2)
    for item in items:
        world.ok("line", item["payload"], "commission", t)
        world.ok("plant", item["payload"], "ship", t + timedelta(hours=1), to_party_id="dealer-sh")
    codes = [i["code"] for i in items]

    context = browser.new_context(viewport=PHONE, geolocation=HERE, permissions=["geolocation"])
    page = context.new_page()
    page.goto(f"{live.base}/app#staff")
    page.get_by_label("Access token").fill(secret(world.tokens["dealer-sh"]))
    page.get_by_role("button", name="Save token").click()
    page.get_by_text("SH dealer").wait_for()
    page.locator("#gps").filter(has_text="±30 m").wait_for()

    context.set_offline(True)
    page.get_by_text("Offline — scans are kept on this phone").wait_for()
    field = page.get_by_label("Code to record")
    for item in items:
        field.fill(item["payload"])
        page.get_by_role("button", name="Record scan").click()
    waiting = page.locator('#scan-list li[data-state="pending"]')
    waiting.nth(2).wait_for()
    page.get_by_text("3 scan(s) waiting to upload").wait_for()
    screenshot(page, "app-staff-offline-queue")
    assert stored(db, codes) == 0

    # The first upload reaches the server (which stores the scans) but the answer is lost.
    uploads: list[str] = []

    def cut_off_first(route: Any) -> None:
        uploads.append(route.request.post_data or "")
        if len(uploads) == 1:
            route.fetch()
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/v1/scans/batch", cut_off_first)
    context.set_offline(False)  # the page's "online" handler uploads at once
    for _ in range(50):
        if uploads:
            break
        page.wait_for_timeout(100)
    assert len(uploads) == 1, "coming back online starts the upload"
    page.wait_for_timeout(300)
    assert stored(db, codes) == 3
    assert waiting.count() == 3, "no answer arrived, so the phone keeps all three"

    page.get_by_role("button", name="Upload now").click()
    page.get_by_text("All scans uploaded").wait_for()
    done = page.locator('#scan-list li[data-state="done"]')
    assert done.count() == 3
    texts = done.all_inner_texts()
    assert all("Already stored · genuine" in text for text in texts), (texts, uploads)
    assert len(uploads) == 2
    for item in items:  # the retry sent the same event ids as the first upload
        assert item["payload"] in uploads[1]
    assert uploads[0] == uploads[1]
    assert stored(db, codes) == 3
    screenshot(page, "app-staff-uploaded")
    context.close()


def test_pack_container_mode_and_ship_picker(live: LiveServer, world: World, browser: Any) -> None:
    items = world.issue(2, lot="PK1")
    [case] = world.issue(1, level="case", lot="PK1")
    for item in [*items, case]:
        world.ok("line", item["payload"], "commission")
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(f"{live.base}/app#staff")
    page.get_by_label("Access token").fill(secret(world.tokens["line"]))
    page.get_by_role("button", name="Save token").click()
    page.get_by_label("Pack — items into a case or pallet").check()
    field = page.get_by_label("Code to record")
    for entry in [case, *items]:
        field.fill(entry["payload"])
        field.press("Enter")
    page.get_by_text("2 item(s)").wait_for()
    page.get_by_role("button", name="Finish pack").click()
    page.locator('#scan-list li[data-state="done"]').filter(has_text="(2 inside)").wait_for()

    page.get_by_role("button", name="Change token").click()
    page.get_by_label("Access token").fill(secret(world.tokens["plant"]))
    page.get_by_role("button", name="Save token").click()
    page.get_by_label("Ship — leaves the plant").check()
    page.get_by_label("Ship to").select_option("dealer-sh")
    field.fill(case["payload"])
    page.get_by_role("button", name="Record scan").click()
    page.locator('#scan-list li[data-state="done"]').filter(has_text="→ dealer-sh").wait_for()
    screenshot(page, "app-staff-pack-ship")
    context.close()

    trace = world.client.get(
        f"/v1/codes/{items[0]['code']}/trace", headers=world.tokens["compliance"]
    ).json()
    assert trace["parent"] == case["code"]
    assert trace["custodians"] == ["plant", "dealer-sh"]
