"""loadgate's stub upstream: a small HTTP/1.1 server on asyncio, standard library only.

Behaviour (JSON, from the environment variable STUB_BEHAVIOUR at start, replaced at run time by
PUT /__loadgate/behaviour):

  {"routes": [{"path": "/quote", "prefix": false, "method": "GET" | null, "status": 200,
               "headers": {"Content-Type": "application/json"}, "body": "{...}"}],
   "latency": {"kind": "fixed", "ms": 120}
            | {"kind": "uniform", "minMs": 50, "maxMs": 150}
            | {"kind": "lognormal", "p50Ms": 100, "p99Ms": 400},
   "errors": [{"status": 503, "rate": 0.02}]}

The first route whose method and path match answers (a prefix route matches every path that
starts with its path); none: 404. Every answer waits a latency drawn from the distribution.
Errors are spread evenly rather than drawn at random: each status keeps a running sum of its
rate and fails the request that carries the sum past a whole number, so over any n requests
rate*n of them fail, give or take one (a random start keeps runs from lining up).

Control, on the same port: GET /__loadgate/health (readiness), PUT /__loadgate/behaviour,
GET /__loadgate/stats (requests and failures answered so far).
"""

import asyncio
import json
import math
import os
import random
import signal
import sys

PORT = int(os.environ.get("STUB_PORT", "8080"))
CONTROL = "/__loadgate/"
Z99 = 2.3263478740408408  # the standard normal's 99th percentile
MAX_HEADER_BYTES = 64 * 1024
MAX_BODY_BYTES = 16 * 1024 * 1024
REASONS = {200: "OK", 201: "Created", 204: "No Content", 400: "Bad Request", 404: "Not Found",
           405: "Method Not Allowed", 411: "Length Required", 413: "Payload Too Large",
           429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway",
           503: "Service Unavailable", 504: "Gateway Timeout"}

rng = random.Random()


class BadBehaviour(ValueError):
    pass


def _number(value, what, minimum=0.0):
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value) or value < minimum:
        raise BadBehaviour(f"{what}: expected a number of at least {minimum}, got {value!r}")
    return float(value)


def check_behaviour(data):
    """The behaviour as the server uses it, or BadBehaviour saying what is wrong."""
    if not isinstance(data, dict):
        raise BadBehaviour("expected a JSON object")
    routes = []
    for i, route in enumerate(data.get("routes") or []):
        if not isinstance(route, dict) or not isinstance(route.get("path"), str):
            raise BadBehaviour(f"routes[{i}]: expected an object with a path")
        headers = route.get("headers") or {}
        if not isinstance(headers, dict):
            raise BadBehaviour(f"routes[{i}].headers: expected an object")
        body = route.get("body", "")
        routes.append({
            "path": route["path"],
            "prefix": bool(route.get("prefix", False)),
            "method": route.get("method"),
            "status": int(_number(route.get("status", 200), f"routes[{i}].status", 100)),
            "headers": {str(k): str(v) for k, v in headers.items()},
            "body": (body if isinstance(body, str) else json.dumps(body)).encode(),
        })
    latency = data.get("latency") or {"kind": "fixed", "ms": 0}
    kind = latency.get("kind") if isinstance(latency, dict) else None
    if kind == "fixed":
        _number(latency.get("ms", 0), "latency.ms")
    elif kind == "uniform":
        if _number(latency.get("minMs"), "latency.minMs") > _number(latency.get("maxMs"), "latency.maxMs"):
            raise BadBehaviour("latency: minMs is above maxMs")
    elif kind == "lognormal":
        if _number(latency.get("p50Ms"), "latency.p50Ms") > _number(latency.get("p99Ms"), "latency.p99Ms"):
            raise BadBehaviour("latency: p50Ms is above p99Ms")
    else:
        raise BadBehaviour(f"latency.kind: expected fixed, uniform or lognormal, got {kind!r}")
    errors = []
    for i, entry in enumerate(data.get("errors") or []):
        if not isinstance(entry, dict):
            raise BadBehaviour(f"errors[{i}]: expected an object")
        rate = _number(entry.get("rate"), f"errors[{i}].rate")
        if rate > 1:
            raise BadBehaviour(f"errors[{i}].rate: at most 1")
        errors.append({"status": int(_number(entry.get("status"), f"errors[{i}].status", 100)), "rate": rate,
                       "sum": rng.random()})
    if sum(e["rate"] for e in errors) > 1 + 1e-9:
        raise BadBehaviour("errors: the rates add up to more than 1")
    return {"routes": routes, "latency": latency, "errors": errors}


def draw_latency_s(latency):
    kind = latency["kind"]
    if kind == "fixed":
        return latency.get("ms", 0) / 1000
    if kind == "uniform":
        return rng.uniform(latency["minMs"], latency["maxMs"]) / 1000
    p50, p99 = latency["p50Ms"], latency["p99Ms"]
    if p50 <= 0:
        return 0.0
    sigma = (math.log(max(p99, p50)) - math.log(p50)) / Z99
    return min(rng.lognormvariate(math.log(p50), sigma), 600_000) / 1000


def failure_status(errors):
    """The status this request fails with, or None: each status's running sum decides."""
    chosen = None
    for entry in errors:
        entry["sum"] += entry["rate"]
        if chosen is None and entry["sum"] >= 1:
            entry["sum"] -= 1
            chosen = entry["status"]
    return chosen


behaviour = check_behaviour(json.loads(os.environ.get("STUB_BEHAVIOUR") or "{}"))
stats = {"requests": 0, "failures": {}}


def response(status, body, headers=None, keep_alive=True):
    head = [f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}"]
    names = set()
    for name, value in (headers or {}).items():
        head.append(f"{name}: {value}")
        names.add(name.lower())
    if "content-type" not in names:
        head.append("Content-Type: application/json")
    head.append(f"Content-Length: {len(body)}")
    head.append("Connection: keep-alive" if keep_alive else "Connection: close")
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


def json_body(value):
    return json.dumps(value).encode()


async def answer(method, target, body):
    """status, body, headers for one request."""
    global behaviour
    path = target.split("?", 1)[0]
    if path.startswith(CONTROL):
        action = path[len(CONTROL):]
        if action == "health":
            return 200, b'{"status":"ok"}', None
        if action == "stats" and method == "GET":
            return 200, json_body(stats), None
        if action == "behaviour" and method == "PUT":
            try:
                behaviour = check_behaviour(json.loads(body or b"{}"))
            except (ValueError, BadBehaviour) as error:
                return 400, json_body({"error": str(error)}), None
            return 200, b'{"status":"ok"}', None
        return 404, b'{"error":"unknown control path"}', None
    current = behaviour
    route = next((r for r in current["routes"]
                  if (r["method"] is None or r["method"] == method)
                  and (path.startswith(r["path"]) if r["prefix"] else path == r["path"])), None)
    stats["requests"] += 1
    failed = failure_status(current["errors"]) if route is not None else None
    delay = draw_latency_s(current["latency"])
    if delay > 0:
        await asyncio.sleep(delay)
    if route is None:
        return 404, json_body({"error": "no stub route", "path": path}), None
    if failed is not None:
        key = str(failed)
        stats["failures"][key] = stats["failures"].get(key, 0) + 1
        return failed, json_body({"error": "stub failure", "status": failed}), None
    return route["status"], route["body"], route["headers"]


async def read_body(reader, headers):
    if headers.get("transfer-encoding", "").lower() == "chunked":
        chunks = []
        total = 0
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while (await reader.readuntil(b"\r\n")) != b"\r\n":
                    pass
                return b"".join(chunks)
            total += size
            if total > MAX_BODY_BYTES:
                raise ValueError("body too large")
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)
    length = int(headers.get("content-length", "0") or "0")
    if length > MAX_BODY_BYTES:
        raise ValueError("body too large")
    return await reader.readexactly(length) if length > 0 else b""


async def serve(reader, writer):
    try:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                return
            lines = head.decode("latin-1").split("\r\n")
            parts = lines[0].split(" ")
            if len(parts) != 3:
                writer.write(response(400, b'{"error":"bad request line"}', keep_alive=False))
                await writer.drain()
                return
            method, target, version = parts
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    name, value = line.split(":", 1)
                    headers[name.strip().lower()] = value.strip()
            try:
                body = await read_body(reader, headers)
            except (ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                writer.write(response(400, b'{"error":"bad body"}', keep_alive=False))
                await writer.drain()
                return
            connection = headers.get("connection", "").lower()
            keep_alive = connection != "close" and (version == "HTTP/1.1" or connection == "keep-alive")
            status, payload, extra = await answer(method.upper(), target, body)
            if method.upper() == "HEAD":
                payload = b""
            writer.write(response(status, payload, extra, keep_alive))
            await writer.drain()
            if not keep_alive:
                return
    except ConnectionError:
        return
    finally:
        try:
            writer.close()
        except Exception:
            pass


async def main():
    server = await asyncio.start_server(serve, "0.0.0.0", PORT, limit=MAX_HEADER_BYTES, backlog=1024)
    print(f"stub upstream listening on {PORT}: {len(behaviour['routes'])} routes, "
          f"latency {behaviour['latency']['kind']}, {len(behaviour['errors'])} error statuses", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    # As a container's first process, SIGTERM would be ignored: stop at once instead of waiting
    # for the engine's SIGKILL.
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
