"""The one settings class. Every knob is an environment variable with the SEALTRACE_ prefix."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Runtime configuration, read once in the app's lifespan or a CLI command."""

    model_config = SettingsConfigDict(env_prefix="SEALTRACE_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    data_dir: Path = Path(".sealtrace")
    # An external PostgreSQL; when empty, an embedded server is started under data_dir.
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "SEALTRACE_DATABASE_URL")
    )
    db_pool_min: int = Field(default=2, ge=1)
    db_pool_max: int = Field(default=20, ge=1)
    # A database that stops answering (a partition, a hung server) is a 503 within these,
    # not a request that hangs: the longest a statement may run, and a request may wait
    # for a connection from the pool.
    db_statement_timeout_s: float = Field(default=15.0, gt=0)
    db_acquire_timeout_s: float = Field(default=10.0, gt=0)
    # The embedded PostgreSQL is looked at this often; if it died (killed, out of memory)
    # the API starts it again (traceability/db/embedded.py). 0: never. A server stopped on
    # purpose (pg_ctl stop) is left stopped.
    embedded_watch_s: float = Field(default=1.0, ge=0)
    # The embedded PostgreSQL's buffer cache (PostgreSQL's own default is 128MB); taken at
    # the server's next start. Ignored with DATABASE_URL: tune that server yourself.
    embedded_shared_buffers: str = Field(default="512MB", pattern=r"^[1-9][0-9]{0,6}(kB|MB|GB)$")
    # API worker processes (uvicorn); each has its own pool and group-commit batcher.
    workers: int = Field(default=1, ge=1, le=64)
    # Garbage collector: first-generation threshold once the app has started (0 leaves
    # Python's default). Startup objects are frozen out of collection; see scan_api/runtime.py.
    gc_gen0_threshold: int = Field(default=50_000, ge=0)
    # Scan groups reuse an accepted bearer token for this long (traceability/auth/cache.py):
    # a revocation reaches other processes within it. 0 checks every group.
    token_cache_s: float = Field(default=1.0, ge=0, le=60)
    log_level: str = "INFO"
    log_json: bool = True
    # Public base URL printed at start and used in links.
    public_url: str | None = None

    # Risk engine: judge scans in their own transaction (off only for comparisons).
    risk_enabled: bool = True
    # Evidence deadlines count the brand's working days, in its time zone (IANA name). Holidays
    # are not working days; `workdays` are weekend days that are (调休). Dates as YYYY-MM-DD
    # in a JSON list, e.g. SEALTRACE_HOLIDAYS='["2026-10-01","2026-10-02"]'.
    timezone: str = "Asia/Shanghai"
    holidays: list[date] = Field(default_factory=list)
    workdays: list[date] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown time zone {value!r} (an IANA name, e.g. Asia/Shanghai)"
            ) from exc
        return value

    # Codes.
    resolver_host: str = "id.sealtrace.example"
    gs1_company_prefix: str = "0614141"
    sscc_extension_digit: int = Field(default=0, ge=0, le=9)
    master_key: str | None = None  # base64url 32 bytes; else a 0600 key file in data_dir

    # Consumer verification (POST /v1/verify; docs/consumer-verification.md).
    # Token buckets per client address and per consumer_id: this many requests a minute,
    # bursts up to the same number; 0 switches a limit off (load tests).
    verify_rate_per_address_per_min: int = Field(default=30, ge=0)
    verify_rate_per_consumer_per_min: int = Field(default=20, ge=0)
    # Points for the first genuine verification of an item code (once per code).
    loyalty_points_per_item: int = Field(default=10, ge=1)
    # A household opens a few items a day; harvested code lists claim hundreds.
    loyalty_max_claims_per_day: int = Field(default=20, ge=1)
    # ... and from one network (client address, IPv6 by /64) over all its consumer ids,
    # so that one machine making ids up stops earning; high enough for a carrier's shared
    # address. 0 switches it off.
    loyalty_max_claims_per_network_per_day: int = Field(default=100, ge=0)
    # Distinct regions (territory, else a ~50 km cell) one consumer may claim from ...
    loyalty_max_regions: int = Field(default=3, ge=1)
    # ... within this many days (home, work, a trip).
    loyalty_region_window_days: int = Field(default=30, ge=1)
    # Wrong inner codes (pins) accepted per code before every further pin counts as wrong ...
    verify_max_pin_failures: int = Field(default=10, ge=1)
    # ... within this many hours: a code locked by guessing (or by a shelf reader out to
    # spite its buyer) opens again once its wrong pins are this old.
    verify_pin_failure_window_h: float = Field(default=24.0, gt=0)

    @property
    def pg_data_dir(self) -> Path:
        return self.data_dir.resolve() / "pg"

    @property
    def base_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"


def load_settings() -> Settings:
    return Settings()
