"""loadgate's second service: a small articles API (Flask under gunicorn, Postgres through a
psycopg2 pool). Not the demo on purpose: synchronous worker threads instead of an event loop,
a fast list endpoint (a few milliseconds) instead of a 60 ms one, users and tokens that a k6
script creates in setup(). Switches (ARTICLES_*, see README.md) add the regressions and faults
loadgate must tell apart: one extra query, CPU burnt per request, a blocking call, a small
pool, a slow upstream, bursts of errors.
"""

import hashlib
import logging
import os
import random
import secrets
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Mapping, Optional

import psycopg2
import psycopg2.extras
import psycopg2.pool
from flask import Flask, Response, g, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import multiprocess

log = logging.getLogger("gunicorn.error")


class ConfigError(ValueError):
    """An environment variable that cannot be used as given."""


@dataclass(frozen=True)
class Settings:
    database_url: str
    pool_size: int
    pool_timeout_s: float
    extra_query: bool
    cpu_burn_us: int
    blocking_ms: int
    upstream_url: Optional[str]
    upstream_timeout_ms: int
    burst_every_s: float
    burst_ms: int
    seed_articles: int
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


def load_settings(env: Mapping[str, str]) -> Settings:
    """Reads DATABASE_URL and the ARTICLES_* switches; raises ConfigError naming the bad one."""
    url = env.get("DATABASE_URL", "").strip()
    if not url:
        raise ConfigError("DATABASE_URL: required, e.g. postgresql://app:app@db:5432/app")
    return Settings(
        database_url=url,
        pool_size=_number(env, "ARTICLES_POOL_SIZE", "4", minimum=1),
        pool_timeout_s=_number(env, "ARTICLES_POOL_TIMEOUT_S", "5", kind=float),
        extra_query=env.get("ARTICLES_EXTRA_QUERY", "").strip().lower() in ("1", "true", "yes", "on"),
        cpu_burn_us=_number(env, "ARTICLES_CPU_BURN_US", "0"),
        blocking_ms=_number(env, "ARTICLES_BLOCKING_MS", "0"),
        upstream_url=env.get("ARTICLES_UPSTREAM_URL", "").strip() or None,
        upstream_timeout_ms=_number(env, "ARTICLES_UPSTREAM_TIMEOUT_MS", "1000", minimum=1),
        burst_every_s=_number(env, "ARTICLES_BURST_EVERY_S", "0", kind=float),
        burst_ms=_number(env, "ARTICLES_BURST_MS", "300"),
        seed_articles=_number(env, "ARTICLES_SEED", "300"),
        db_wait_s=_number(env, "ARTICLES_DB_WAIT_S", "30", kind=float),
    )


SETTINGS = load_settings(os.environ)

# --- Metrics (gunicorn runs several processes: prometheus_client's multiprocess mode) ------
_BUCKETS_S = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0)
POOL_WAIT = Histogram(
    "articles_pool_wait_seconds", "Time spent waiting for a DB connection (timed-out waits included).",
    buckets=_BUCKETS_S,
)
POOL_TIMEOUTS = Counter("articles_pool_timeouts_total", "Checkouts that gave up waiting (answered 503).")
POOL_IN_USE = Gauge("articles_pool_in_use", "DB connections checked out.", multiprocess_mode="livesum")
REQUESTS = Counter("articles_requests_total", "Responses sent, by endpoint and status.", ["endpoint", "status"])

# --- The database ---------------------------------------------------------------------------
SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
  id serial PRIMARY KEY, username text UNIQUE NOT NULL, password_hash text NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
  token text PRIMARY KEY, user_id integer NOT NULL REFERENCES users(id));
CREATE TABLE IF NOT EXISTS articles (
  id serial PRIMARY KEY, slug text UNIQUE NOT NULL, title text NOT NULL, body text NOT NULL,
  author_id integer NOT NULL REFERENCES users(id), created_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX IF NOT EXISTS articles_created ON articles (created_at DESC, id DESC);
CREATE TABLE IF NOT EXISTS favorites (
  user_id integer NOT NULL REFERENCES users(id), article_id integer NOT NULL REFERENCES articles(id),
  PRIMARY KEY (user_id, article_id));
"""


def connect_with_retry(url: str, wait_s: float):
    """The database may still be starting: retry until wait_s has passed."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            return psycopg2.connect(url)
        except psycopg2.OperationalError as error:
            if time.monotonic() >= deadline:
                raise RuntimeError(f"DATABASE_URL: no connection after {wait_s:.0f} s: {error}") from None
            time.sleep(0.3)


def prepare_database(settings: Settings) -> None:
    """Creates the tables and seeds articles once (gunicorn --preload runs this in the master)."""
    conn = connect_with_retry(settings.database_url, settings.db_wait_s)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(4242)")
            cur.execute(SCHEMA)
            cur.execute("SELECT count(*) FROM articles")
            if cur.fetchone()[0] == 0 and settings.seed_articles > 0:
                cur.execute(
                    "INSERT INTO users (username, password_hash) VALUES ('seed', 'x') "
                    "ON CONFLICT (username) DO UPDATE SET username = EXCLUDED.username RETURNING id"
                )
                author = cur.fetchone()[0]
                rows = [
                    (f"seed-{i}", f"Article {i}", "lorem ipsum " * 40, author)
                    for i in range(settings.seed_articles)
                ]
                psycopg2.extras.execute_values(
                    cur, "INSERT INTO articles (slug, title, body, author_id) VALUES %s", rows
                )
            cur.execute("SELECT pg_advisory_unlock(4242)")
    finally:
        conn.close()


class WaitingPool:
    """psycopg2's pool raises at once when empty; a real service waits for a connection (with a
    timeout), which is the wait loadgate measures."""

    def __init__(self, settings: Settings):
        self._pool = psycopg2.pool.ThreadedConnectionPool(1, settings.pool_size, settings.database_url)
        self._free = threading.BoundedSemaphore(settings.pool_size)
        self._timeout_s = settings.pool_timeout_s

    @contextmanager
    def connection(self):
        started = time.perf_counter()
        acquired = self._free.acquire(timeout=self._timeout_s)
        POOL_WAIT.observe(time.perf_counter() - started)
        if not acquired:
            POOL_TIMEOUTS.inc()
            raise PoolTimeout()
        conn = self._pool.getconn()
        POOL_IN_USE.inc()
        try:
            yield conn
            conn.commit()
        except Exception:
            conn.rollback()
            raise
        finally:
            POOL_IN_USE.dec()
            self._pool.putconn(conn)
            self._free.release()


class PoolTimeout(Exception):
    pass


_pool: Optional[WaitingPool] = None
_pool_lock = threading.Lock()


def pool() -> WaitingPool:
    """One pool per worker process, opened after the fork."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = WaitingPool(SETTINGS)
        return _pool


# --- Faults ---------------------------------------------------------------------------------
class Bursts:
    """Bursts of errors: a burst of burst_ms starts on average every burst_every_s seconds."""

    def __init__(self, every_s: float, length_ms: int):
        self._every_s = every_s
        self._length_s = length_ms / 1000
        self._until = 0.0
        self._next = time.monotonic() + self._gap()

    def _gap(self) -> float:
        return random.expovariate(1 / self._every_s) if self._every_s > 0 else float("inf")

    def active(self) -> bool:
        now = time.monotonic()
        if now >= self._next:
            self._until = now + self._length_s
            self._next = self._until + self._gap()
        return now < self._until


BURSTS = Bursts(SETTINGS.burst_every_s, SETTINGS.burst_ms)


def burn_cpu(us: int) -> None:
    """Spends about `us` microseconds of CPU (a costlier serializer, say)."""
    if us <= 0:
        return
    end = time.thread_time() + us / 1e6
    x = 0
    while time.thread_time() < end:
        x = hashlib.sha256(str(x).encode()).digest()[0]


# --- The API --------------------------------------------------------------------------------
app = Flask(__name__)


@app.before_request
def started():
    g.started = time.perf_counter()


@app.after_request
def count(response):
    REQUESTS.labels(request.url_rule.rule if request.url_rule else "other", str(response.status_code)).inc()
    return response


@app.errorhandler(PoolTimeout)
def pool_timeout(_error):
    return jsonify(error="no database connection within the pool timeout"), 503


def _hash(password: str, salt: str) -> str:
    return f"{salt}${hashlib.sha256((salt + password).encode()).hexdigest()}"


def _current_user(cur) -> Optional[int]:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Token "):
        return None
    cur.execute("SELECT user_id FROM tokens WHERE token = %s", (header[6:],))
    row = cur.fetchone()
    return row[0] if row else None


def _issue_token(cur, user_id: int) -> str:
    token = secrets.token_hex(16)
    cur.execute("INSERT INTO tokens (token, user_id) VALUES (%s, %s)", (token, user_id))
    return token


@app.get("/health")
def health():
    return "ok"


@app.get("/metrics")
def metrics():
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


@app.post("/api/users")
def register():
    body = request.get_json(silent=True) or {}
    username, password = str(body.get("username", "")), str(body.get("password", ""))
    if not username or not password:
        return jsonify(error="username and password are required"), 422
    with pool().connection() as conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO users (username, password_hash) VALUES (%s, %s) ON CONFLICT DO NOTHING RETURNING id",
            (username, _hash(password, secrets.token_hex(8))),
        )
        row = cur.fetchone()
        if row is None:
            return jsonify(error=f"user {username} exists"), 409
        return jsonify(username=username, token=_issue_token(cur, row[0])), 201


@app.post("/api/login")
def login():
    body = request.get_json(silent=True) or {}
    with pool().connection() as conn, conn.cursor() as cur:
        cur.execute("SELECT id, password_hash FROM users WHERE username = %s", (str(body.get("username", "")),))
        row = cur.fetchone()
        if row is None or _hash(str(body.get("password", "")), row[1].split("$")[0]) != row[1]:
            return jsonify(error="wrong username or password"), 401
        return jsonify(token=_issue_token(cur, row[0]))


@app.post("/api/articles")
def create_article():
    body = request.get_json(silent=True) or {}
    title = str(body.get("title", "")).strip()
    if not title:
        return jsonify(error="title is required"), 422
    with pool().connection() as conn, conn.cursor() as cur:
        user = _current_user(cur)
        if user is None:
            return jsonify(error="a token is required (Authorization: Token …)"), 401
        slug = f"{'-'.join(title.lower().split())[:40]}-{secrets.token_hex(4)}"
        cur.execute(
            "INSERT INTO articles (slug, title, body, author_id) VALUES (%s, %s, %s, %s)",
            (slug, title, str(body.get("body", "")), user),
        )
        return jsonify(slug=slug), 201


@app.get("/api/articles")
def list_articles():
    """The fast endpoint (a few ms): one indexed query; ARTICLES_EXTRA_QUERY adds a second."""
    if BURSTS.active():
        return jsonify(error="burst"), 503
    limit = min(50, max(1, request.args.get("limit", 20, type=int)))
    with pool().connection() as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT a.slug, a.title, u.username, a.created_at FROM articles a "
            "JOIN users u ON u.id = a.author_id ORDER BY a.created_at DESC, a.id DESC LIMIT %s",
            (limit,),
        )
        rows = cur.fetchall()
        total = None
        if SETTINGS.extra_query:
            # the regression the benchmark plants: a total count added for pagination
            cur.execute("SELECT count(*) FROM articles")
            total = cur.fetchone()[0]
    burn_cpu(SETTINGS.cpu_burn_us)
    if SETTINGS.blocking_ms > 0:
        time.sleep(SETTINGS.blocking_ms / 1000)  # a synchronous call that holds the worker thread
    articles = [{"slug": s, "title": t, "author": a, "createdAt": c.isoformat()} for s, t, a, c in rows]
    return jsonify(articles=articles, count=len(articles), **({"total": total} if total is not None else {}))


@app.get("/api/articles/<slug>")
def get_article(slug: str):
    """One article; with ARTICLES_UPSTREAM_URL it also asks an upstream (recommendations),
    holding its worker thread, not its DB connection, while it waits."""
    with pool().connection() as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT a.slug, a.title, a.body, u.username FROM articles a JOIN users u ON u.id = a.author_id "
            "WHERE a.slug = %s",
            (slug,),
        )
        row = cur.fetchone()
    if row is None:
        return jsonify(error=f"no article {slug}"), 404
    related = None
    if SETTINGS.upstream_url:
        try:
            with urllib.request.urlopen(SETTINGS.upstream_url, timeout=SETTINGS.upstream_timeout_ms / 1000) as r:
                related = r.read(2048).decode("utf-8", "replace")
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            log.warning("upstream: %s", error)
            return jsonify(error="upstream failed"), 502
    burn_cpu(SETTINGS.cpu_burn_us)
    return jsonify(slug=row[0], title=row[1], body=row[2], author=row[3], related=related)


@app.post("/api/articles/<slug>/favorite")
def favorite(slug: str):
    with pool().connection() as conn, conn.cursor() as cur:
        user = _current_user(cur)
        if user is None:
            return jsonify(error="a token is required (Authorization: Token …)"), 401
        cur.execute("SELECT id FROM articles WHERE slug = %s", (slug,))
        row = cur.fetchone()
        if row is None:
            return jsonify(error=f"no article {slug}"), 404
        cur.execute(
            "INSERT INTO favorites (user_id, article_id) VALUES (%s, %s) ON CONFLICT DO NOTHING", (user, row[0])
        )
        cur.execute("SELECT count(*) FROM favorites WHERE article_id = %s", (row[0],))
        return jsonify(slug=slug, favorites=cur.fetchone()[0])


# Once per start: under gunicorn --preload this runs in the master, before the workers fork.
prepare_database(SETTINGS)
