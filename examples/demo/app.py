"""loadgate's demo service: a small FastAPI app with the failure modes loadgate should catch.

GET /items checks out a DB connection, runs a small query and, while still holding that
connection, calls an upstream over HTTP: the shape that turns a slow upstream into a drained
pool. Switches (see README.md) add a blocking call on the event loop, remove the upstream
timeout, or leak the connection on the error path. Metrics at /metrics show the pool from
the inside, so a test can tell pool starvation from plain slowness.
"""

import asyncio
import logging
import os
import random
import time
from dataclasses import dataclass
from typing import Mapping, Optional

import httpx
from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

# Uvicorn's own logger, so our lines read like its lines and land on the same stream.
log = logging.getLogger("uvicorn.error")


class ConfigError(ValueError):
    """An environment variable that cannot be used as given."""


class StartupError(RuntimeError):
    """Start-up cannot go on; its message is the one line that says why."""


@dataclass(frozen=True)
class Settings:
    database_url: str
    pool_size: int
    pool_timeout_s: float
    upstream_url: Optional[str]
    upstream_timeout_ms: int  # 0 = no timeout at all (the failure mode)
    blocking: bool
    blocking_ms: int
    leak: bool
    db_wait_s: float


def _number(env: Mapping[str, str], name: str, default: str, kind=int, minimum=0):
    raw = env.get(name, "").strip() or default
    try:
        value = kind(raw)
    except ValueError:
        raise ConfigError(f"{name}: expected a number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name}: must be at least {minimum}, got {raw!r}")
    return value


def _flag(env: Mapping[str, str], name: str) -> bool:
    return env.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def load_settings(env: Mapping[str, str]) -> Settings:
    """Reads the DEMO_* switches and DATABASE_URL; raises ConfigError naming the bad variable."""
    url = env.get("DATABASE_URL", "").strip()
    if not url:
        raise ConfigError("DATABASE_URL: required, e.g. postgresql+asyncpg://app:app@db:5432/app")
    # Accept the plain libpq spelling too; this service only speaks asyncpg.
    for plain in ("postgres://", "postgresql://"):
        if url.startswith(plain):
            url = "postgresql+asyncpg://" + url[len(plain):]
    return Settings(
        database_url=url,
        pool_size=_number(env, "DEMO_POOL_SIZE", "10", minimum=1),
        pool_timeout_s=_number(env, "DEMO_POOL_TIMEOUT_S", "5", kind=float),
        upstream_url=env.get("DEMO_UPSTREAM_URL", "").strip() or None,
        upstream_timeout_ms=_number(env, "DEMO_UPSTREAM_TIMEOUT_MS", "300"),
        blocking=_flag(env, "DEMO_BLOCKING"),
        blocking_ms=_number(env, "DEMO_BLOCKING_MS", "20"),
        leak=_flag(env, "DEMO_LEAK"),
        db_wait_s=_number(env, "DEMO_DB_WAIT_S", "30", kind=float),
    )


# --- Metrics (names are read by loadgate: keep them stable) ---------------------------------
_FINE_BUCKETS_S = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)

POOL_CHECKOUT_WAIT = Histogram(
    "demo_pool_checkout_wait_seconds",
    "Time spent waiting to check out a DB connection from the pool (timed-out waits included).",
    buckets=_FINE_BUCKETS_S,
)
POOL_CHECKOUT_TIMEOUTS = Counter(
    "demo_pool_checkout_timeouts_total",
    "Checkouts that waited longer than DEMO_POOL_TIMEOUT_S and failed the request with 503.",
)
POOL_SIZE = Gauge("demo_pool_size", "Configured pool size (a hard limit: max_overflow=0).")
POOL_CHECKED_OUT = Gauge("demo_pool_checked_out", "DB connections currently checked out, leaked ones included.")
POOL_LEAKED = Gauge("demo_pool_leaked_connections", "DB connections never returned (DEMO_LEAK=1).")
REQUEST_DURATION = Histogram(
    "demo_request_duration_seconds",
    "Time from the app receiving a request to its response being sent, by endpoint.",
    ["endpoint"],
    buckets=_FINE_BUCKETS_S + (30.0,),
)
REQUESTS = Counter("demo_requests_total", "Responses sent, by endpoint and HTTP status.", ["endpoint", "status"])
UPSTREAM_ERRORS = Counter(
    "demo_upstream_errors_total", "Failed upstream calls, by kind (timeout|error).", ["kind"]
)
DB_ERRORS = Counter("demo_db_errors_total", "DB failures other than pool timeouts (503).")

_ENDPOINTS = ("/health", "/items", "/metrics")
for _endpoint in _ENDPOINTS:
    REQUEST_DURATION.labels(_endpoint)
for _kind in ("timeout", "error"):
    UPSTREAM_ERRORS.labels(_kind)


class RequestTimer:
    """Pure ASGI middleware timing every response (cheaper than BaseHTTPMiddleware)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        endpoint = scope["path"] if scope["path"] in _ENDPOINTS else "other"
        status = 500

        async def send_and_note_status(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_and_note_status)
        finally:
            REQUEST_DURATION.labels(endpoint).observe(time.perf_counter() - started)
            REQUESTS.labels(endpoint, str(status)).inc()


# --- State set up at startup --------------------------------------------------------------
settings: Optional[Settings] = None
engine: Optional[AsyncEngine] = None
http: Optional[httpx.AsyncClient] = None
# DEMO_LEAK=1 keeps failed requests' connections here, referenced and never closed, so the
# pool can neither reuse them nor reclaim them through garbage collection.
LEAKED: list = []

POOL_CHECKED_OUT.set_function(lambda: engine.sync_engine.pool.checkedout() if engine else 0)
POOL_LEAKED.set_function(lambda: len(LEAKED))

# Concurrent replicas may seed at once: the advisory lock makes them take turns.
_SEED_LOCK_ID = 7_250_001
_SEED = (
    text("SELECT pg_advisory_xact_lock(:id)").bindparams(id=_SEED_LOCK_ID),
    text(
        "CREATE TABLE IF NOT EXISTS demo_items ("
        " id integer PRIMARY KEY, name text NOT NULL, price_cents integer NOT NULL)"
    ),
    text(
        "INSERT INTO demo_items (id, name, price_cents)"
        " SELECT g, 'item-' || g, 100 + (g * 37) % 900 FROM generate_series(1, 100) AS g"
        " ON CONFLICT (id) DO NOTHING"
    ),
)
_ITEMS_QUERY = text(
    "SELECT id, name, price_cents FROM demo_items WHERE id BETWEEN :first AND :first + 9 ORDER BY id"
)

app = FastAPI(title="loadgate demo", docs_url=None, redoc_url=None, openapi_url=None)
app.add_middleware(RequestTimer)


async def _wait_for_db_and_seed(db: AsyncEngine, wait_s: float) -> None:
    deadline = time.monotonic() + wait_s
    attempt = 0
    while True:
        attempt += 1
        try:
            async with db.begin() as conn:
                for statement in _SEED:
                    await conn.execute(statement)
            return
        except Exception as error:  # Postgres may be absent, starting up, or refusing: retry all
            if time.monotonic() >= deadline:
                line = "demo: database %s not ready after %.0f s (%d attempts): %s: %s" % (
                    repr(db.url), wait_s, attempt, type(error).__name__, error,
                )
                log.error(line)
                # Uvicorn prints a traceback whatever we raise: "from None" keeps it short.
                raise StartupError(line) from None
            await asyncio.sleep(1.0)


@app.on_event("startup")
async def startup() -> None:
    global settings, engine, http
    try:
        settings = load_settings(os.environ)
    except ConfigError as error:
        log.error("demo: bad configuration: %s", error)
        raise StartupError(f"demo: bad configuration: {error}") from None
    engine = create_async_engine(
        make_url(settings.database_url),
        pool_size=settings.pool_size,
        max_overflow=0,
        pool_timeout=settings.pool_timeout_s,
        # asyncpg waits 60 s for a connection by default; a DB that is gone should fail faster.
        connect_args={"timeout": 5},
    )
    POOL_SIZE.set(settings.pool_size)
    await _wait_for_db_and_seed(engine, settings.db_wait_s)
    # Open every pooled connection now, so the checkout histogram measures queueing for the
    # pool rather than the first requests' connection set-up.
    warm = await asyncio.gather(*(engine.connect() for _ in range(settings.pool_size)))
    await asyncio.gather(*(conn.close() for conn in warm))

    timeout = httpx.Timeout(settings.upstream_timeout_ms / 1000) if settings.upstream_timeout_ms else None
    http = httpx.AsyncClient(timeout=timeout)
    log.info(
        "demo: db=%s pool_size=%d pool_timeout_s=%g upstream=%s upstream_timeout_ms=%s blocking=%s leak=%s",
        repr(engine.url),
        settings.pool_size,
        settings.pool_timeout_s,
        settings.upstream_url or "(none)",
        settings.upstream_timeout_ms or "0 (no timeout)",
        f"{settings.blocking_ms}ms" if settings.blocking else "off",
        "on" if settings.leak else "off",
    )


@app.on_event("shutdown")
async def shutdown() -> None:
    if http is not None:
        await http.aclose()
    if engine is not None:
        await engine.dispose()


def _error(status: int, error: str, detail: str) -> JSONResponse:
    return JSONResponse({"error": error, "detail": detail}, status_code=status)


@app.get("/health")
async def health():
    return {"status": "ok"}


@app.get("/metrics")
async def metrics():
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


@app.get("/items")
async def items():
    # Time only the pool acquisition: that is where a drained pool shows.
    wait_started = time.perf_counter()
    try:
        conn: AsyncConnection = await engine.connect()
    except sa_exc.TimeoutError:
        POOL_CHECKOUT_WAIT.observe(time.perf_counter() - wait_started)
        POOL_CHECKOUT_TIMEOUTS.inc()
        return _error(503, "pool_timeout", f"no DB connection free within {settings.pool_timeout_s:g} s")
    except (sa_exc.DBAPIError, OSError) as error:
        DB_ERRORS.inc()
        return _error(503, "db_unavailable", type(error).__name__)
    POOL_CHECKOUT_WAIT.observe(time.perf_counter() - wait_started)

    leak = False
    try:
        try:
            first = random.randint(1, 91)
            rows = (await conn.execute(_ITEMS_QUERY, {"first": first})).all()
        except sa_exc.DBAPIError as error:
            DB_ERRORS.inc()
            return _error(503, "db_error", type(error.orig or error).__name__)

        if settings.blocking:
            # The failure mode on purpose: a sync call inside an async handler stalls the loop.
            time.sleep(settings.blocking_ms / 1000)

        quote = None
        if settings.upstream_url:
            # Still holding the DB connection: a slow upstream keeps it checked out.
            try:
                response = await http.get(settings.upstream_url)
                response.raise_for_status()
                quote = response.json()
            except httpx.TimeoutException as error:
                UPSTREAM_ERRORS.labels("timeout").inc()
                leak = settings.leak
                return _error(504, "upstream_timeout", type(error).__name__)
            except (httpx.HTTPError, ValueError) as error:
                UPSTREAM_ERRORS.labels("error").inc()
                leak = settings.leak
                return _error(502, "upstream_error", type(error).__name__)

        return {
            "items": [{"id": r.id, "name": r.name, "price_cents": r.price_cents} for r in rows],
            "quote": quote,
        }
    finally:
        if leak:
            LEAKED.append(conn)
            log.warning(
                "demo: DEMO_LEAK=1 kept a DB connection after an upstream failure (%d of %d leaked)",
                len(LEAKED), settings.pool_size,
            )
        else:
            await conn.close()
