"""GET /v1/me, /v1/me/ship-targets, /v1/stats/verifications; the pages and the GS1 resolver."""

from __future__ import annotations

import html
import re

from starlette.testclient import TestClient

from tests.world import World, tamper
from traceability.config import Settings


def test_me_names_party_and_checkpoints(world: World) -> None:
    expected = {
        "line": ("plant", ["commission", "pack"]),
        "plant": ("plant", ["warehouse_in", "ship"]),
        "dealer-sh": ("dealer-sh", ["dealer_receive", "dealer_ship"]),
        "store-hz": ("store-hz", ["retail_receive", "retail_sell"]),
    }
    for who, (party, checkpoints) in expected.items():
        me = world.client.get("/v1/me", headers=world.tokens[who]).json()
        assert me["party"]["id"] == party
        assert me["checkpoints"] == checkpoints
    me = world.client.get("/v1/me", headers=world.tokens["compliance"]).json()
    assert me == {"role": "compliance", "name": me["name"], "party": None, "checkpoints": []}
    assert world.client.get("/v1/me").status_code == 401


def test_ship_targets_leave_out_self_plants_and_suspended(world: World) -> None:
    def ids(who: str, query: str = "") -> list[str]:
        r = world.client.get(f"/v1/me/ship-targets{query}", headers=world.tokens[who])
        assert r.status_code == 200, r.text
        return [p["id"] for p in r.json()["items"]]

    assert ids("dealer-sh") == ["dealer-hz", "store-hz", "store-sh"]
    assert ids("plant") == ["dealer-hz", "dealer-sh", "store-hz", "store-sh"]
    assert ids("plant", "?q=HZ") == ["dealer-hz", "store-hz"]
    page = world.client.get("/v1/me/ship-targets?limit=2", headers=world.tokens["plant"]).json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    body = {"reason": "test"}
    suspend = "/v1/parties/dealer-hz/suspension"
    assert world.client.post(suspend, json=body, headers=world.admin).is_success
    try:
        assert "dealer-hz" not in ids("plant")
    finally:
        assert world.client.delete(suspend, headers=world.admin).is_success
    assert world.client.get("/v1/me/ship-targets", headers=world.tokens["line"]).status_code == 403


def test_verification_stats_count_per_cell(world: World) -> None:
    items = world.issue(3, lot="ST1")
    spots = [(31.231, 121.471), (31.239, 121.479), (30.25, 120.17)]
    for item, (lat, lon) in zip(items, spots, strict=True):
        body = {"payload": item["payload"], "location": {"lat": lat, "lon": lon}}
        assert world.client.post("/v1/verify", json=body).status_code == 200
    assert world.client.post("/v1/verify", json={"payload": items[0]["payload"]}).is_success
    stats = world.client.get("/v1/stats/verifications", headers=world.tokens["compliance"]).json()
    assert stats["cell_deg"] == 0.1
    assert stats["total"] == 3 and stats["without_location"] == 1
    cells = {(c["lat"], c["lon"]): c["count"] for c in stats["cells"]}
    assert cells == {(31.25, 121.45): 2, (30.25, 120.15): 1}
    later = world.client.get(
        "/v1/stats/verifications?since=2999-01-01T00:00:00Z", headers=world.tokens["compliance"]
    ).json()
    assert later["cells"] == [] and later["total"] == 0
    bad = world.client.get("/v1/stats/verifications?cell=0", headers=world.admin)
    assert bad.status_code == 422


def test_pages_and_static_files_are_served_with_a_strict_policy(client: TestClient) -> None:
    for path in ("/app", "/console"):
        r = client.get(path)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        assert "default-src 'self'" in r.headers["content-security-policy"]
        for src in re.findall(r'(?:src|href)="([^"]+)"', r.text):
            if src.startswith("#"):
                continue
            assert src.startswith("/ui/"), f"{path} loads {src} from elsewhere"
            assert client.get(src).status_code == 200, src
    js = client.get("/ui/vendor/jsQR.js")
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]
    assert client.get("/ui/nope.js").status_code == 404
    # The pages' own files are reachable under /ui/ too: the same policy there (a review
    # loaded /ui/console/index.html, fully working, without any of these headers).
    for path in ("/ui/console/index.html", "/ui/app/index.html", "/ui/vendor/jsQR.js"):
        r = client.get(path)
        assert r.status_code == 200, path
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"], path
        assert r.headers["x-content-type-options"] == "nosniff", path


def test_resolver_rebuilds_the_printed_payload_byte_for_byte(
    world: World, settings: Settings
) -> None:
    [item] = world.issue(1, lot="RES1")
    payload = item["payload"]
    prefix = f"https://{settings.resolver_host}"
    for text in (payload, tamper(payload), payload.replace("&s=", "&s=%41", 1)):
        page = world.client.get(text.removeprefix(prefix))
        assert page.status_code == 200
        meta = re.search(r'<meta name="sealtrace-payload" content="([^"]*)">', page.text)
        assert meta is not None
        assert html.unescape(meta.group(1)) == text
    [case] = world.issue(1, level="case", lot="RES2")
    page = world.client.get(case["payload"].removeprefix(prefix))
    assert page.status_code == 200 and html.escape(case["payload"]) in page.text
