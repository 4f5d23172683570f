"""The demo's fake upstream: GET /quote answers a small JSON after UPSTREAM_LATENCY_MS.

Latency is an asyncio.sleep, so one process serves many slow calls at once. Faults on the
wire come from Toxiproxy; UPSTREAM_STATUS (default 200) makes every /quote answer with that
status instead, for an upstream that fails outright.
"""

import asyncio
import os

from fastapi import FastAPI
from fastapi.responses import JSONResponse


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip() or str(default)
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"upstream: {name}: expected an integer, got {raw!r}") from None


LATENCY_MS = _int_env("UPSTREAM_LATENCY_MS", 0)
STATUS = _int_env("UPSTREAM_STATUS", 200)

app = FastAPI(title="loadgate demo upstream", docs_url=None, redoc_url=None, openapi_url=None)


@app.get("/health")
async def health():
    return {"status": "ok"}


@app.get("/quote")
async def quote():
    if LATENCY_MS > 0:
        await asyncio.sleep(LATENCY_MS / 1000)
    body = {"symbol": "DEMO", "price_cents": 4217, "latency_ms": LATENCY_MS}
    if STATUS != 200:
        body = {"error": "configured failure", "status": STATUS}
    return JSONResponse(body, status_code=STATUS)
