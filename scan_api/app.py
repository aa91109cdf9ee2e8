"""Application factory: settings, database and routers are wired here and nowhere else."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from fastapi import FastAPI

from codegen.issuing import make_signing_pool
from codegen.keystore import KeyStore, ensure_base_keys
from codegen.masterkey import load_master_key
from codegen.router import router as codes_router
from mini_app_stub.router import STATIC_PREFIX, static_files
from mini_app_stub.router import router as ui_router
from risk_engine.router import router as alerts_router
from risk_engine.service import RiskEngine
from risk_engine.territories import TerritoryCache
from risk_engine.thresholds import RiskThresholds
from scan_api import health
from scan_api.http.hot import HotPathApp
from scan_api.http.limits import BodySizeLimitMiddleware
from scan_api.http.logging import RequestIdMiddleware, configure_logging
from scan_api.http.problems import install_problem_handlers
from scan_api.me.router import router as me_router
from scan_api.runtime import tune_garbage_collector
from scan_api.scans.batcher import scan_batcher
from scan_api.scans.router import hot as scans_hot_router
from scan_api.scans.router import router as scans_router
from scan_api.stats.router import router as stats_router
from scan_api.trace.router import router as trace_router
from scan_api.verify.router import close as close_verify
from scan_api.verify.router import router as verify_router
from traceability.auth.cache import PrincipalCache
from traceability.auth.router import router as tokens_router
from traceability.config import Settings, load_settings
from traceability.db.embedded import KeepAlive, resolve_database_url, stop_embedded
from traceability.db.migrate import apply_migrations
from traceability.db.pool import connection, create_pool
from traceability.masterdata.router import router as masterdata_router

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024


async def _prepare_database(pool: asyncpg.Pool, settings: Settings) -> KeyStore:
    """Migrations, then the signing keys (created on first start) loaded into memory."""
    store = KeyStore(load_master_key(settings.master_key, settings.data_dir))
    async with connection(pool) as conn:
        await apply_migrations(conn)
        async with conn.transaction():
            await ensure_base_keys(conn, store.master_key)
        await store.refresh(conn, force=True)
    return store


def create_app(settings: Settings | None = None, dsn: str | None = None) -> FastAPI:
    """Build the app; the pool and settings are created in the lifespan, never at import."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = active = settings or load_settings()
        server: Any = None
        keep: KeepAlive | None = None
        url = dsn
        if url is None:
            url, server = resolve_database_url(
                active.database_url, active.pg_data_dir, active.embedded_shared_buffers
            )
        app.state.pool = pool = await create_pool(
            url, active.db_pool_min, active.db_pool_max, active.db_statement_timeout_s
        )
        try:
            app.state.keystore = await _prepare_database(pool, active)
            app.state.signing_pool = make_signing_pool()
            app.state.risk = RiskEngine(
                RiskThresholds(), TerritoryCache(), enabled=active.risk_enabled
            )
            app.state.principals = PrincipalCache(active.token_cache_s)
            app.state.scan_batcher = scan_batcher(
                pool, app.state.keystore, app.state.risk, app.state.principals
            )
            tune_garbage_collector(active.gc_gen0_threshold)
            if server is not None:
                keep = KeepAlive(server, active.embedded_watch_s)
                keep.start()
            yield
        finally:
            if keep is not None:
                keep.stop()
            if getattr(app.state, "scan_batcher", None) is not None:
                await app.state.scan_batcher.close()
            await close_verify(app)
            if getattr(app.state, "signing_pool", None) is not None:
                app.state.signing_pool.shutdown(cancel_futures=True)
            await pool.close()
            if server is not None:
                stop_embedded(server)

    if settings is not None:
        configure_logging(settings.log_level, settings.log_json)
    app = HotPathApp(
        title="Sealtrace",
        version="1",
        description="Anti-diversion and anti-counterfeit traceability API.",
        lifespan=lifespan,
    )
    install_problem_handlers(app)
    # Hot paths first: FastAPI matches included routers in order.
    app.include_router(health.router)
    app.include_router(scans_hot_router)
    app.include_router(scans_router)
    app.include_router(verify_router)
    app.include_router(tokens_router)
    app.include_router(masterdata_router)
    app.include_router(codes_router)
    app.include_router(trace_router)
    app.include_router(alerts_router)
    app.include_router(me_router)
    app.include_router(stats_router)
    app.include_router(ui_router)
    app.mount(STATIC_PREFIX, static_files(), name="ui")
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=MAX_BODY_BYTES)
    app.add_middleware(RequestIdMiddleware)
    # The lean routes are answered at the door (scan_api/http/hot.py), inside the same two.
    app.serve_hot(
        [scans_hot_router, verify_router],
        lambda lane: RequestIdMiddleware(BodySizeLimitMiddleware(lane, max_bytes=MAX_BODY_BYTES)),
    )
    return app
