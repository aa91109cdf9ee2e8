"""A database that stops answering (a network partition, a hung server) is a 503 within the
configured timeouts, not a request that hangs for a minute (found by a review: `/readyz`
took 62 s, API calls 60 s). The database is reached through a proxy that can freeze."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit, urlunsplit

import pytest
from starlette.testclient import TestClient

from scan_api.app import create_app
from traceability.auth import service as auth
from traceability.auth.models import Role
from traceability.config import Settings
from traceability.db.pool import connection


class FreezingProxy:
    """TCP on 127.0.0.1 to the database; while frozen, nothing is passed either way."""

    def __init__(self, dsn: str) -> None:
        parts = urlsplit(dsn)
        socket_dir = parse_qs(parts.query).get("host", [""])[0]
        self.unix = f"{socket_dir}/.s.PGSQL.{parts.port or 5432}" if socket_dir else None
        self.target = (parts.hostname or "127.0.0.1", parts.port or 5432)
        self.loop = asyncio.new_event_loop()
        self.flowing = asyncio.Event()  # the proxy loop's own; set and cleared from there
        self.port = 0
        ready = threading.Event()
        threading.Thread(target=self._run, args=(ready,), daemon=True).start()
        ready.wait(5)
        netloc = f"{parts.username or 'postgres'}@127.0.0.1:{self.port}"
        self.dsn = urlunsplit((parts.scheme, netloc, parts.path, "", ""))

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(asyncio.start_server(self._client, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self.flowing.set()
        ready.set()
        self.loop.run_forever()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.unix:
            up_reader, up_writer = await asyncio.open_unix_connection(self.unix)
        else:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def _pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        while data := await source.read(65536):
            await self.flowing.wait()
            sink.write(data)
            await sink.drain()
        sink.close()

    def freeze(self) -> None:
        self.loop.call_soon_threadsafe(self.flowing.clear)

    def thaw(self) -> None:
        self.loop.call_soon_threadsafe(self.flowing.set)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)


@pytest.fixture
def proxy(module_dsn: str) -> Iterator[FreezingProxy]:
    running = FreezingProxy(module_dsn)
    yield running
    running.close()


def test_a_silent_database_is_a_503_within_the_timeouts(
    proxy: FreezingProxy, settings: Settings, tmp_path: Path
) -> None:
    quick = settings.model_copy(
        update={"db_statement_timeout_s": 1.0, "db_acquire_timeout_s": 1.0, "data_dir": tmp_path}
    )
    app = create_app(quick, dsn=proxy.dsn)
    with TestClient(app, raise_server_exceptions=False) as client:

        async def admin() -> str:
            async with connection(app.state.pool) as conn:
                issued = await auth.create_token(conn, Role.ADMIN, "silent", None)
                return issued.token

        headers = {"Authorization": f"Bearer {client.portal.call(admin)}"}
        assert client.get("/v1/parties", headers=headers).status_code == 200
        proxy.freeze()
        try:
            for path in ("/readyz", "/v1/parties"):
                started = time.monotonic()
                answer = client.get(path, headers=headers)
                took = time.monotonic() - started
                assert answer.status_code == 503, (path, answer.text)
                assert answer.headers["retry-after"]
                assert took < 5, f"{path} took {took:.1f} s"
        finally:
            proxy.thaw()
        for _ in range(50):  # the connections that timed out were closed; new ones come
            if client.get("/v1/parties", headers=headers).status_code == 200:
                break
            time.sleep(0.1)
        else:
            pytest.fail("did not recover after the database answered again")
