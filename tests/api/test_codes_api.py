"""Code batches end to end: issue, stream, QR decode, keys.json, rotation, revocation."""

from __future__ import annotations

import hashlib
import io
import itertools
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
import pytest
import zxingcpp
from PIL import Image
from starlette.testclient import TestClient

from codegen import identity
from codegen.verify import Keyring, verify_offline
from tests.pg import SyncDb
from tests.world import tamper

GTIN = "5901234123457"
PLANT = "plant-a"


@pytest.fixture(scope="module")
def world(client: TestClient, admin_headers: dict[str, str]) -> None:
    for path, body in (
        (f"/v1/products/{GTIN}", {"name": "Tea", "unit_value": "12.50", "currency": "CNY"}),
        (
            f"/v1/parties/{PLANT}",
            {"kind": "plant", "name": "A", "location": {"lat": 31, "lon": 121}},
        ),
        (
            "/v1/parties/plant-b",
            {"kind": "plant", "name": "B", "location": {"lat": 30, "lon": 120}},
        ),
        (
            "/v1/parties/dealer-x",
            {"kind": "dealer", "name": "X", "location": {"lat": 30, "lon": 120}},
        ),
    ):
        assert client.put(path, json=body, headers=admin_headers).status_code in (200, 201)


@pytest.fixture(scope="module")
def line_headers(world: None, make_token: Callable[..., dict[str, str]]) -> dict[str, str]:
    return make_token("line", PLANT)


def issue(client: TestClient, headers: dict[str, str], **body: object) -> dict[str, object]:
    response = client.post(
        "/v1/code-batches",
        json={"gtin": GTIN, "lot": "L2026A", "count": 25, **body},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    result: dict[str, object] = response.json()
    return result


def stream(client: TestClient, headers: dict[str, str], batch_id: object) -> list[dict[str, str]]:
    response = client.get(f"/v1/code-batches/{batch_id}/codes", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    return [orjson.loads(line) for line in response.content.splitlines()]


def public_keyring(client: TestClient) -> Keyring:
    return Keyring.from_keys_json(client.get("/.well-known/sealtrace/keys.json").json())


def test_issue_stream_and_verify_offline(
    client: TestClient, line_headers: dict[str, str], db: SyncDb
) -> None:
    batch = issue(client, line_headers, expiry="2027-06-30")
    assert batch["plant_id"] == PLANT and batch["count"] == 25 and batch["level"] == "item"
    codes = stream(client, line_headers, batch["batch_id"])
    assert len(codes) == 25 and len({c["code"] for c in codes}) == 25
    keyring = public_keyring(client)
    for entry in codes:
        assert entry["code"].startswith("sgtin:05901234123457:L2026A:")
        assert verify_offline(entry["payload"], keyring).ok
    stored = db.fetchval("SELECT count(*) FROM codes WHERE batch_id = $1", batch["batch_id"])
    assert stored == 25


def test_case_and_pallet_codes_are_sscc(client: TestClient, line_headers: dict[str, str]) -> None:
    batch = issue(client, line_headers, level="case", count=5)
    codes = stream(client, line_headers, batch["batch_id"])
    assert all(c["code"].startswith("sscc:") and "/00/" in c["payload"] for c in codes)
    keyring = public_keyring(client)
    assert all(verify_offline(c["payload"], keyring).ok for c in codes)


def _references(client: TestClient, headers: dict[str, str], batch: dict[str, object]) -> list[int]:
    """The SSCCs' serial references (after the extension digit and the 7-digit prefix)."""
    return [
        int(c["code"].removeprefix("sscc:")[8:17])
        for c in stream(client, headers, batch["batch_id"])
    ]


def test_sscc_serial_references_are_random_not_counted(
    client: TestClient, line_headers: dict[str, str]
) -> None:
    """PRODUCT.md: serials must be unguessable, so nobody can walk the code space. They came
    from one counter, 4, 5, 6, … across every batch (found by a review)."""
    refs = [
        ref
        for level in ("case", "pallet")
        for ref in _references(
            client, line_headers, issue(client, line_headers, level=level, count=100)
        )
    ]
    assert len(set(refs)) == 200
    ordered = sorted(refs)
    consecutive = sum(1 for a, b in itertools.pairwise(ordered) if b - a == 1)
    assert consecutive < 5  # a counter gives 199; 200 random draws of 10^9 almost surely 0
    assert ordered[-1] - ordered[0] > 10**8  # spread over the whole range, not packed


def test_a_drawn_serial_that_is_taken_is_drawn_again(
    client: TestClient, line_headers: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Random SSCC references can collide (10^9 of them here): only the taken ones are drawn
    again, the rest of the chunk is kept."""
    draws = iter([11, 12, 13, 11, 11, 14, 15, 16])  # the second batch draws 11 twice
    monkeypatch.setattr(identity.secrets, "randbelow", lambda _n: next(draws))
    first = _references(client, line_headers, issue(client, line_headers, level="case", count=3))
    second = _references(client, line_headers, issue(client, line_headers, level="case", count=3))
    assert (sorted(first), sorted(second)) == ([11, 12, 13], [14, 15, 16])


def test_qr_png_and_svg_decode_to_the_payload(
    client: TestClient, line_headers: dict[str, str]
) -> None:
    batch = issue(client, line_headers, count=2)
    entry = stream(client, line_headers, batch["batch_id"])[0]
    for ref in (entry["code"], quote(entry["payload"], safe="")):
        png = client.get(f"/v1/codes/{ref}/qr.png", headers=line_headers)
        assert png.status_code == 200 and png.headers["content-type"] == "image/png"
        # QR codes only: a random payload's modules sometimes also read as a 1D barcode
        qr = zxingcpp.BarcodeFormat.QRCode
        decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)), formats=qr)
        assert [d.text for d in decoded] == [entry["payload"]]
    svg = client.get(f"/v1/codes/{entry['code']}/qr.svg", headers=line_headers)
    assert svg.status_code == 200 and svg.text.lstrip().startswith(("<?xml", "<svg"))
    missing = client.get("/v1/codes/sgtin:05901234123457:L2026A:nope/qr.png", headers=line_headers)
    assert missing.status_code == 404


def test_bad_batches_are_refused_and_store_nothing(
    client: TestClient,
    line_headers: dict[str, str],
    admin_headers: dict[str, str],
    make_token: Callable[..., dict[str, str]],
    db: SyncDb,
) -> None:
    outsiders = [make_token("compliance"), make_token("logistics", "dealer-x")]
    before = db.counts()
    cases = [
        ({"count": 0}, 422),
        ({"count": 1_000_001}, 422),
        ({"count": "ten"}, 422),
        ({"gtin": "5901234123458"}, 422),  # bad check digit
        ({"gtin": "96385074"}, 422),  # valid GTIN, unknown product
        ({"lot": "L" * 21}, 422),
        ({"lot": "LOT 1"}, 422),
        ({"lot": "lot/1"}, 422),
        ({"expiry": "next tuesday"}, 422),
        ({"level": "crate"}, 422),
        ({"plant_id": "plant-b"}, 403),  # a line token for another plant
    ]
    for change, status in cases:
        body = {"gtin": GTIN, "lot": "L1", "count": 3, **change}
        response = client.post("/v1/code-batches", json=body, headers=line_headers)
        assert response.status_code == status, (change, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        if "gtin" in change and status == 422:  # located like every other field's error
            assert [e["loc"] for e in response.json()["errors"]] == [["body", "gtin"]]
    # An admin must name a plant; a dealer is not one.
    for body in (
        {"gtin": GTIN, "lot": "L1", "count": 1},
        {"gtin": GTIN, "lot": "L1", "count": 1, "plant_id": "dealer-x"},
    ):
        assert client.post("/v1/code-batches", json=body, headers=admin_headers).status_code == 422
    # Other roles may not issue.
    for headers in outsiders:
        body = {"gtin": GTIN, "lot": "L1", "count": 1}
        assert client.post("/v1/code-batches", json=body, headers=headers).status_code == 403
    assert db.counts() == before


def test_a_line_token_whose_party_is_no_plant_any_more_cannot_issue(
    client: TestClient, admin_headers: dict[str, str], make_token: Callable[..., dict[str, str]]
) -> None:
    """Found by a review: a plant made a dealer kept issuing codes through its line token."""
    place = {"name": "C", "location": {"lat": 30, "lon": 120}}
    plant = {"kind": "plant", **place}
    assert client.put("/v1/parties/plant-c", json=plant, headers=admin_headers).is_success
    line = make_token("line", "plant-c")
    assert issue(client, line, count=1)["plant_id"] == "plant-c"
    made_dealer = {"kind": "dealer", **place}
    assert client.put("/v1/parties/plant-c", json=made_dealer, headers=admin_headers).is_success
    body = {"gtin": GTIN, "lot": "L1", "count": 1}
    refused = client.post("/v1/code-batches", json=body, headers=line)
    assert refused.status_code == 403 and "not a plant" in refused.json()["detail"]


def test_other_plants_batches_are_invisible(
    client: TestClient, line_headers: dict[str, str], make_token: Callable[..., dict[str, str]]
) -> None:
    batch = issue(client, line_headers, count=1)
    other = make_token("line", "plant-b")
    assert (
        client.get(f"/v1/code-batches/{batch['batch_id']}/codes", headers=other).status_code == 404
    )
    entry = stream(client, line_headers, batch["batch_id"])[0]
    assert client.get(f"/v1/codes/{entry['code']}/qr.png", headers=other).status_code == 404


def test_inner_codes_are_loaded_once_as_keyed_hashes(
    client: TestClient,
    line_headers: dict[str, str],
    admin_headers: dict[str, str],
    make_token: Callable[..., dict[str, str]],
    db: SyncDb,
) -> None:
    """Inner codes had no way in but SQL, and were plain SHA-256: a copy of the table gave
    away every short pin (security review). The printer loads them through the API; only an
    HMAC under a key derived from the master key is stored, written once."""
    batch = issue(client, line_headers, count=3)
    a, b, c = stream(client, line_headers, batch["batch_id"])
    url = f"/v1/code-batches/{batch['batch_id']}/inner-codes"

    def put(entries: list[dict[str, str]], headers: dict[str, str] = line_headers) -> Any:
        return client.put(url, json={"inner_codes": entries}, headers=headers)

    before = db.fetchval("SELECT count(*) FROM codes WHERE inner_code_hash IS NOT NULL")
    loaded = put([{"code": a["code"], "pin": "K7QX-22PM"}, {"code": b["payload"], "pin": "zz9x41"}])
    assert loaded.status_code == 200, loaded.text
    assert loaded.json() == {"stored": 2, "unchanged": 0}
    [row] = db.fetch(
        "SELECT inner_code_hash, inner_code_keyed FROM codes WHERE code = $1", a["code"]
    )
    assert row["inner_code_keyed"] is True
    assert bytes(row["inner_code_hash"]) != hashlib.sha256(b"K7QX22PM").digest()
    # A retry is harmless; another pin for a loaded code is refused, and nothing is stored.
    again = put([{"code": a["code"], "pin": "k7qx 22pm"}, {"code": c["code"], "pin": "C0DE42"}])
    assert again.json() == {"stored": 1, "unchanged": 1}
    swapped = put([{"code": a["code"], "pin": "OTHER1"}])
    assert swapped.status_code == 409 and "written once" in swapped.json()["detail"]
    refusals = [
        ([{"code": a["code"], "pin": "ab1"}], 422),  # too short to survive guessing
        ([{"code": a["code"], "pin": "AB12_CD34"}], 422),
        ([{"code": "not-a-code", "pin": "AB12CD34"}], 422),
        ([{"code": tamper(b["payload"]), "pin": "zz9x41"}], 422),  # not the printed payload
        ([{"code": a["code"], "pin": "AB12CD34"}, {"code": a["code"], "pin": "AB12CD34"}], 422),
    ]
    other_batch = stream(client, line_headers, issue(client, line_headers, count=1)["batch_id"])
    refusals.append(([{"code": other_batch[0]["code"], "pin": "AB12CD34"}], 422))
    for entries, status in refusals:
        assert put(entries).status_code == status, entries
    other_plant = make_token("line", "plant-b")
    assert put([{"code": c["code"], "pin": "AB12CD34"}], other_plant).status_code == 404
    cases = issue(client, line_headers, count=1, level="case")
    case = stream(client, line_headers, cases["batch_id"])[0]
    on_case = client.put(
        f"/v1/code-batches/{cases['batch_id']}/inner-codes",
        json={"inner_codes": [{"code": case["code"], "pin": "AB12CD34"}]},
        headers=admin_headers,
    )
    assert on_case.status_code == 422
    after = db.fetchval("SELECT count(*) FROM codes WHERE inner_code_hash IS NOT NULL")
    assert after == before + 3
    # A plain SHA-256 stored before keying: the same pin sent again stores it keyed.
    db.execute(
        "UPDATE codes SET inner_code_hash = $2, inner_code_keyed = false WHERE code = $1",
        c["code"],
        hashlib.sha256(b"C0DE42").digest(),
    )
    assert put([{"code": c["code"], "pin": "OTHER1"}]).status_code == 409
    assert put([{"code": c["code"], "pin": "c0de-42"}]).json() == {"stored": 1, "unchanged": 0}
    [upgraded] = db.fetch("SELECT inner_code_keyed FROM codes WHERE code = $1", c["code"])
    assert upgraded["inner_code_keyed"] is True


def _cli(settings_dir: Path, dsn: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"DATABASE_URL": dsn, "SEALTRACE_DATA_DIR": str(settings_dir), "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-m", "traceability.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_rotation_and_revocation_through_the_cli(
    client: TestClient,
    line_headers: dict[str, str],
    module_dsn: str,
    settings: object,
    tmp_path: Path,
) -> None:
    data_dir = settings.data_dir  # type: ignore[attr-defined]
    old = stream(client, line_headers, issue(client, line_headers, count=2)["batch_id"])[0]
    rotated = _cli(data_dir, module_dsn, "keys", "rotate", "--layer", "brand")
    assert rotated.returncode == 0, rotated.stderr
    new_kid = rotated.stdout.split()[-1]
    # The server notices the new key (keyring refresh) and issues with it.
    import time

    time.sleep(2.1)
    new = stream(client, line_headers, issue(client, line_headers, count=2)["batch_id"])[0]
    assert f"?k={new_kid}&" in new["payload"]
    keys_path = tmp_path / "keys.json"
    keys_path.write_bytes(client.get("/.well-known/sealtrace/keys.json").content)
    statuses = {k["kid"]: k["status"] for k in orjson.loads(keys_path.read_bytes())["keys"]}
    assert statuses[new_kid] == "active" and "retired" in statuses.values()
    # Old codes keep verifying after rotation, offline with keys.json alone.
    for entry in (old, new):
        assert (
            _cli(
                data_dir, module_dsn, "verify", entry["payload"], "--keys", str(keys_path)
            ).returncode
            == 0
        )
    tampered = old["payload"][:-1] + ("A" if old["payload"][-1] != "A" else "B")
    assert _cli(data_dir, module_dsn, "verify", tampered, "--keys", str(keys_path)).returncode == 1
    # Revoking the old brand key fails the old codes only.
    old_kid = old["payload"].split("?k=")[1].split("&")[0]
    assert _cli(data_dir, module_dsn, "keys", "revoke", old_kid, "--layer", "brand").returncode == 0
    keys_path.write_bytes(client.get("/.well-known/sealtrace/keys.json").content)
    result = _cli(data_dir, module_dsn, "verify", old["payload"], "--keys", str(keys_path))
    assert result.returncode == 1 and "revoked_key" in result.stdout
    assert (
        _cli(data_dir, module_dsn, "verify", new["payload"], "--keys", str(keys_path)).returncode
        == 0
    )
    listing = _cli(data_dir, module_dsn, "keys", "list")
    assert listing.returncode == 0 and "revoked" in listing.stdout


def test_the_cli_says_in_one_line_what_went_wrong(
    tmp_path: Path, module_dsn: str, db: SyncDb
) -> None:
    """Found by a review: an unreachable DATABASE_URL, a keys file that is missing or not
    JSON, printed tracebacks of 170-260 lines; an output file that could not be written
    left a batch issued and committed that nobody was given."""
    nowhere = "postgresql://u:p@127.0.0.1:1/db"
    cases = [
        (nowhere, ["token", "create", "--role", "admin", "--name", "x"], "the database"),
        ("not-a-url", ["keys", "list"], "the database"),
        (module_dsn, ["verify", "x", "--keys", str(tmp_path / "none.json")], "cannot read"),
        (module_dsn, ["verify", "x", "--keys", __file__], "cannot read"),
    ]
    for dsn, args, said in cases:
        run = _cli(tmp_path, dsn, *args)
        assert run.returncode == 2, (args, run.stdout, run.stderr)
        assert said in run.stderr and "Traceback" not in run.stderr, run.stderr
    batches = db.fetchval("SELECT count(*) FROM code_batches")
    out = tmp_path / "missing-dir" / "codes.ndjson"
    args = ["codes", "issue", "--gtin", GTIN, "--lot", "CLI9", "--count", "3", "--plant", PLANT]
    run = _cli(tmp_path, module_dsn, *args, "--out", str(out))
    assert run.returncode == 2 and "No such file or directory" in run.stderr, run.stderr
    assert db.fetchval("SELECT count(*) FROM code_batches") == batches
