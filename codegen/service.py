"""Use cases of code issuing: batches, streaming, online verification, revocation."""

from __future__ import annotations

import asyncio
import uuid
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg
import orjson

from codegen import repository
from codegen.identity import IdentityError, parse_code, validate_lot
from codegen.inner_codes import keyed_hash, pin_matches, pin_problem
from codegen.issuing import CHUNK, INLINE_LIMIT, RawKeys, sign_containers, sign_items
from codegen.keystore import KeyStore, ensure_key
from codegen.models import MAX_BATCH, Batch, Level
from codegen.payload import Layer, MalformedPayload, parse_payload
from codegen.verify import VerificationResult, verify_issued
from traceability.auth.models import Principal, Role
from traceability.config import Settings
from traceability.errors import Conflict, Forbidden, InvalidInput, NotFound
from traceability.masterdata.service import gtin_at

Progress = Callable[[int], None]
STREAM_PAGE = 5_000
MAX_SERIAL_RETRIES = 5


@dataclass(frozen=True, slots=True)
class BatchRequest:
    gtin: str
    lot: str
    level: Level
    count: int
    expiry: date | None
    plant_id: str | None


def _batch(row: asyncpg.Record) -> Batch:
    return Batch(
        id=row["id"],
        gtin=row["gtin"],
        lot=row["lot"],
        level=Level(row["level"]),
        count=row["count"],
        expiry=row["expiry"],
        plant_id=row["plant_id"],
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
    )


def _invalid(field: str, msg: str) -> InvalidInput:
    return InvalidInput(f"{field}: {msg}", errors=[{"loc": ["body", field], "msg": msg}])


async def _issuing_plant(
    conn: asyncpg.Connection, principal: Principal, plant_id: str | None
) -> str:
    """A line token issues for its own plant only; an admin names the plant."""
    if principal.role is Role.LINE:
        if plant_id is not None and plant_id != principal.party_id:
            raise Forbidden("a line token may only issue codes for its own plant")
        if principal.party_kind != "plant":  # its party was made a dealer, say, since
            raise Forbidden(f"this line token's party {principal.party_id!r} is not a plant")
        assert principal.party_id is not None
        return principal.party_id
    if plant_id is None:
        raise _invalid("plant_id", "required for an admin token")
    if await repository.party_kind(conn, plant_id) != "plant":
        raise _invalid("plant_id", f"{plant_id!r} is not a plant")
    return plant_id


async def _validated(conn: asyncpg.Connection, req: BatchRequest) -> tuple[str, str]:
    if not 1 <= req.count <= MAX_BATCH:
        raise _invalid("count", f"must be between 1 and {MAX_BATCH}")
    try:
        lot = validate_lot(req.lot)
    except IdentityError as exc:
        raise _invalid("lot", str(exc)) from exc
    gtin = gtin_at(req.gtin, ["body", "gtin"])
    if not await repository.product_exists(conn, gtin):
        raise _invalid("gtin", f"product {gtin} is not registered")
    return gtin, lot


async def issue_batch(
    conn: asyncpg.Connection,
    store: KeyStore,
    settings: Settings,
    principal: Principal,
    req: BatchRequest,
    executor: Executor | None = None,
    progress: Progress | None = None,
) -> Batch:
    gtin, lot = await _validated(conn, req)
    plant_id = await _issuing_plant(conn, principal, req.plant_id)
    await store.refresh(conn)
    if not store.has_active(Layer.LINE, plant_id):
        await ensure_key(conn, store.master_key, Layer.LINE, plant_id)
        await store.refresh(conn, force=True)
    keys = store.signing_keys(plant_id)
    batch_id = uuid.uuid4()
    kids = (keys.brand_kid, keys.service_kid, keys.line_kid)
    row = await repository.insert_batch(
        conn,
        batch_id,
        gtin,
        lot,
        req.level.value,
        req.count,
        req.expiry,
        plant_id,
        kids,
        principal.actor,
    )
    raw = RawKeys.of(keys)
    host = settings.resolver_host
    if req.level is Level.ITEM:
        make = _item_chunks(host, raw, gtin, lot)
    else:
        make = _container_chunks(host, raw, settings)
    await _sign_and_store(conn, batch_id, req.count, make, executor, progress)
    return _batch(row)


# A chunk maker: size -> (function, args) that signs that many fresh codes, run inline or on
# a worker. Every draw is random (serials, SSCC references): nothing depends on the offset.
ChunkMaker = Callable[[int], tuple[Callable[..., list[tuple[str, str, str]]], tuple[Any, ...]]]


def _item_chunks(host: str, raw: RawKeys, gtin: str, lot: str) -> ChunkMaker:
    return lambda size: (sign_items, (host, raw, gtin, lot, size))


def _container_chunks(host: str, raw: RawKeys, settings: Settings) -> ChunkMaker:
    ext, prefix = settings.sscc_extension_digit, settings.gs1_company_prefix
    return lambda size: (sign_containers, (host, raw, ext, prefix, size))


async def _sign_and_store(
    conn: asyncpg.Connection,
    batch_id: uuid.UUID,
    count: int,
    make: ChunkMaker,
    executor: Executor | None,
    progress: Progress | None,
) -> None:
    """Sign chunks on workers (a bounded window in flight) while COPYing finished ones."""
    loop = asyncio.get_running_loop()
    use_pool = executor is not None and count > INLINE_LIMIT

    def submit(size: int) -> Awaitable[list[tuple[str, str, str]]]:
        fn, args = make(size)
        if use_pool and size > INLINE_LIMIT:  # a few redrawn codes are signed right here
            return loop.run_in_executor(executor, fn, *args)
        return asyncio.to_thread(fn, *args)

    starts = deque(range(0, count, CHUNK))
    window: deque[tuple[int, Awaitable[list[tuple[str, str, str]]]]] = deque()
    done = 0
    while starts or window:
        while starts and len(window) < 4:
            start = starts.popleft()
            window.append((start, asyncio.ensure_future(submit(min(CHUNK, count - start)))))
        start, pending = window.popleft()
        await _store_chunk(conn, batch_id, start, await pending, submit)
        done += min(CHUNK, count - start)
        if progress is not None:
            progress(done)


async def _store_chunk(
    conn: asyncpg.Connection,
    batch_id: uuid.UUID,
    start: int,
    signed: list[tuple[str, str, str]],
    redraw: Callable[[int], Awaitable[list[tuple[str, str, str]]]],
) -> None:
    """COPY one chunk in a savepoint. A code that is taken (a serial drawn twice) is drawn
    again, never reused: only those, so a chunk of SSCCs (whose space is far smaller than
    item serials') gets through when a few of its draws collide."""
    for _ in range(MAX_SERIAL_RETRIES):
        rows = [(c, batch_id, start + i, s, p) for i, (c, s, p) in enumerate(signed)]
        try:
            async with conn.transaction():
                await repository.copy_codes(conn, rows)
            return
        except asyncpg.UniqueViolationError:
            taken = _taken(signed, set(await repository.existing_serials(conn, signed)))
            fresh = iter(await redraw(len(taken)))
            signed = [next(fresh) if i in taken else one for i, one in enumerate(signed)]
    raise RuntimeError("serial collisions kept recurring; is the random source broken?")


def _taken(signed: Sequence[tuple[str, str, str]], stored: set[str]) -> set[int]:
    """Positions whose serial is stored already, or repeats one earlier in the chunk."""
    seen: set[str] = set()
    taken = set()
    for i, (_, serial, _) in enumerate(signed):
        if serial in stored or serial in seen:
            taken.add(i)
        seen.add(serial)
    return taken


async def visible_batch(
    conn: asyncpg.Connection, principal: Principal, batch_id: uuid.UUID
) -> Batch:
    row = await repository.get_batch(conn, batch_id)
    if row is None or (principal.role is Role.LINE and row["plant_id"] != principal.party_id):
        raise NotFound(f"batch {batch_id} does not exist")
    return _batch(row)


async def stream_codes(pool: asyncpg.Pool, batch_id: uuid.UUID) -> AsyncIterator[bytes]:
    """NDJSON lines, page by page (keyset on seq): memory stays flat for a million codes."""
    after = -1
    while True:
        rows = await repository.codes_page(pool, batch_id, after, STREAM_PAGE)
        if not rows:
            return
        yield b"".join(
            orjson.dumps({"code": r["code"], "payload": r["payload"]}) + b"\n" for r in rows
        )
        after = rows[-1]["seq"]


def _is_payload(reference: str) -> bool:
    return reference.startswith(("https://", "http://"))


def code_from_reference(reference: str) -> str:
    """`{code}` path values: a canonical code, or the (URL-decoded) payload itself."""
    if _is_payload(reference):
        try:
            return parse_payload(reference).code
        except MalformedPayload as exc:
            raise NotFound("no such code") from exc
    try:
        return parse_code(reference).code
    except IdentityError as exc:
        raise NotFound("no such code") from exc


async def payload_of(conn: asyncpg.Connection, principal: Principal, reference: str) -> str:
    row = await repository.code_with_batch(conn, code_from_reference(reference))
    if row is None or (principal.role is Role.LINE and row["plant_id"] != principal.party_id):
        raise NotFound("no such code")
    return str(row["payload"])


async def know_keys_of(
    conn: asyncpg.Connection, store: KeyStore, rows: Iterable[asyncpg.Record | None]
) -> None:
    """Reload the keyring at once if a code *we issued* uses a key this process has not seen.

    Another process (a worker, the CLI) may have created or rotated a key moments ago; waiting
    for the periodic refresh would call that genuine code counterfeit. Only registry payloads
    can trigger this, so a forged kid cannot make every request reload the keys.
    """
    seen: set[tuple[str, str, str]] = set()  # a print run shares its kids: check them once
    for row in rows:
        if row is None:
            continue
        parsed = parse_payload(row["payload"])
        kids = (parsed.brand_kid, parsed.service_kid, parsed.line_kid)
        if kids in seen:
            continue
        seen.add(kids)
        for layer in (Layer.BRAND, Layer.SERVICE, Layer.LINE):
            if store.keyring.resolve(layer, parsed.kid(layer)) is None:
                await store.refresh(conn, max_age_s=0)
                return


def verify_known(store: KeyStore, payload: str, row: asyncpg.Record | None) -> VerificationResult:
    """Verify against the registry row of the payload's code (None when never issued)."""
    if row is None:
        return verify_issued(payload, None, store.keyring, batch_id=None, batch_revoked=False)
    return verify_issued(
        payload,
        row["payload"],
        store.keyring,
        batch_id=str(row["batch_id"]),
        batch_revoked=row["batch_revoked_at"] is not None,
    )


async def revoke_batch(conn: asyncpg.Connection, batch_id: uuid.UUID, reason: str) -> None:
    revoked_now = await repository.revoke_batch(conn, batch_id, reason)
    if not revoked_now and await repository.get_batch(conn, batch_id) is None:
        raise NotFound(f"batch {batch_id} does not exist")


def keys_document(store: KeyStore) -> dict[str, Any]:
    """The public brand keys for offline verification (keys.json)."""
    from codegen.keys_crypto import public_key_b64

    keys = []
    for key in store.keys:
        if key.layer is not Layer.BRAND or key.public_raw is None:
            continue
        entry: dict[str, Any] = {
            "kid": key.kid,
            "alg": "Ed25519",
            "public_key": public_key_b64(key.public_raw),
            "status": key.status.value,
            "not_before": key.not_before.isoformat(),
        }
        if key.not_after is not None:
            entry["not_after"] = key.not_after.isoformat()
        keys.append(entry)
    return {"keys": keys}


async def load_inner_codes(
    conn: asyncpg.Connection,
    store: KeyStore,
    principal: Principal,
    batch_id: uuid.UUID,
    entries: Sequence[tuple[str, str]],
) -> tuple[int, int]:
    """Store the (code, pin) pairs of an item batch as keyed hashes, all or nothing; returns
    (stored, unchanged). Written once: a code's inner code is never replaced, so nobody with
    a line token can swap the pins of goods already out; sending the same pin again for a
    plain SHA-256 stored before keying stores it keyed (counted as stored)."""
    batch = await visible_batch(conn, principal, batch_id)
    if batch.level is not Level.ITEM:
        raise _invalid("batch_id", "inner codes are printed inside items, not cases or pallets")
    codes = [_code_of_batch_entry(i, reference) for i, (reference, _) in enumerate(entries)]
    for i, (_, pin) in enumerate(entries):
        if (problem := pin_problem(pin)) is not None:
            raise _invalid_entry(i, "pin", problem)
    if len(set(codes)) < len(codes):
        raise _invalid("inner_codes", "lists a code twice")
    rows = await repository.lock_inner_codes(conn, batch_id, codes)
    if missing := [c for c in codes if c not in rows]:
        raise _invalid("inner_codes", f"not codes of this batch: {', '.join(missing[:5])}")
    for i, (reference, _) in enumerate(entries):
        if _is_payload(reference) and reference != rows[codes[i]]["payload"]:
            raise _invalid_entry(i, "code", "is not the payload printed for this code")
    new: list[tuple[str, bytes]] = []
    for code, (_, pin) in zip(codes, entries, strict=True):
        row = rows[code]
        stored, keyed = row["inner_code_hash"], row["inner_code_keyed"]
        if stored is not None and not pin_matches(pin, stored, keyed, store.pin_key):
            raise Conflict(f"{code} has another inner code already; inner codes are written once")
        if stored is None or not keyed:  # a plain SHA-256 from before keying is stored anew
            new.append((code, keyed_hash(store.pin_key, pin)))
    await repository.store_inner_codes(conn, [c for c, _ in new], [h for _, h in new])
    return len(new), len(codes) - len(new)


def _code_of_batch_entry(index: int, reference: str) -> str:
    try:
        return code_from_reference(reference)
    except NotFound:
        raise _invalid_entry(index, "code", "is neither a code nor a payload") from None


def _invalid_entry(index: int, field: str, msg: str) -> InvalidInput:
    return InvalidInput(
        f"inner_codes[{index}].{field}: {msg}",
        errors=[{"loc": ["body", "inner_codes", index, field], "msg": msg}],
    )
