"""Staff mode with a (fake) camera: the QR the codegen rendered is decoded in the page and a
dealer_receive scan with the browser's GPS fix is stored."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from codegen.qr import render_png
from tests.browser.browser_support import PHONE, LiveServer, launch, screenshot, secret
from tests.world import World, now

pytestmark = pytest.mark.browser

HERE = {"latitude": 31.2304, "longitude": 121.4737, "accuracy": 12}


def write_y4m(png: bytes, path: Path, frames: int = 3) -> None:
    """A YUV4MPEG2 clip (640x480, 4:2:0) of the QR image centred on white, for Chromium's
    fake camera (--use-file-for-fake-video-capture)."""
    qr = Image.open(io.BytesIO(png)).convert("L")
    if qr.width > 460:
        qr = qr.resize((460, 460), Image.Resampling.NEAREST)
    frame = Image.new("L", (640, 480), 255)
    frame.paste(qr, ((640 - qr.width) // 2, (480 - qr.height) // 2))
    y, cb, cr = frame.convert("RGB").convert("YCbCr").split()
    planes = (
        y.tobytes()
        + cb.resize((320, 240), Image.Resampling.BILINEAR).tobytes()
        + cr.resize((320, 240), Image.Resampling.BILINEAR).tobytes()
    )
    with path.open("wb") as out:
        out.write(b"YUV4MPEG2 W640 H480 F30:1 Ip A1:1 C420jpeg\n")
        for _ in range(frames):
            out.write(b"FRAME\n" + planes)


def test_camera_decodes_the_code_and_stores_a_scan_with_gps(
    live: LiveServer, world: World, playwright_instance: Any, tmp_path: Path
) -> None:
    [item] = world.issue(1, lot="CAM1")
    t = now() - timedelta(hours=2)
    world.ok("line", item["payload"], "commission", t)
    world.ok("plant", item["payload"], "ship", t + timedelta(hours=1), to_party_id="dealer-sh")

    clip = tmp_path / "qr.y4m"
    write_y4m(render_png(item["payload"], scale=7), clip)
    browser = launch(
        playwright_instance,
        [
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={clip}",
        ],
    )
    try:
        context = browser.new_context(
            viewport=PHONE, geolocation=HERE, permissions=["geolocation", "camera"]
        )
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{live.base}/app#staff")
        page.get_by_label("Access token").fill(secret(world.tokens["dealer-sh"]))
        page.get_by_role("button", name="Save token").click()
        page.get_by_text("SH dealer").wait_for()
        # Only the dealer's checkpoints are offered.
        offered = page.locator("#checkpoints input[type=radio]").evaluate_all(
            "els => els.map(e => e.value)"
        )
        assert offered == ["dealer_receive", "dealer_ship"]
        page.get_by_label("Receive — arrived at the dealer").check()
        page.locator("#gps").filter(has_text="31.23040, 121.47370 ±12 m").wait_for()

        page.get_by_role("button", name="Scan with camera").click()
        stored = page.locator('#scan-list li[data-state="done"]')
        stored.first.wait_for(timeout=15_000)
        assert "Stored · genuine" in stored.first.inner_text()
        screenshot(page, "app-staff-camera-scan")
        page.get_by_role("button", name="Stop camera").click()
        assert errors == []
    finally:
        browser.close()

    trace = world.client.get(
        f"/v1/codes/{item['code']}/trace", headers=world.tokens["compliance"]
    ).json()
    receives = [e for e in trace["events"] if e["checkpoint"] == "dealer_receive"]
    assert len(receives) == 1, "the looping camera frame is one scan, not many"
    assert receives[0]["party_id"] == "dealer-sh"
    assert receives[0]["location"] == {"lat": 31.2304, "lon": 121.4737, "accuracy_m": 12.0}
