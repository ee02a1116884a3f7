#!/usr/bin/env python3
"""Push fan-out benchmark: N concurrent EventSource subscribers through nginx + nchan.

Each subscriber is agent 1..N on its own channel (`agent-<id>`), authenticated by a bearer token
(nginx's auth_request asks the app for the channel). Once every subscriber has its `200`, one
message per channel is published through nchan's publisher (unix socket) at a steady rate. The body
carries the publish time (CLOCK_MONOTONIC ns, same host), so each subscriber measures
publish -> received. Memory (RSS) of the nginx workers and of the app is read from /proc before,
with all subscribers connected, and during publishing (peak).

    .runtime/venv/bin/python bench/push_bench.py --subscribers 1000 --rate 500 \
        --env .runtime/bench/stack.env --out .runtime/bench/results/push.json
"""

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import os
import resource
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def parse_env(path):
    values = {}
    for raw in Path(path).read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        if line.startswith("export "):
            line = line[7:]
        key, value = line.split("=", 1)
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def mint_token(secret, sub, role="agent", ttl=7200):
    now = int(time.time())
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps({"sub": str(sub), "role": role, "iat": now, "exp": now + ttl},
                             separators=(",", ":")).encode())
    signing = head + "." + body
    sig = hmac.new(secret.encode(), signing.encode(), hashlib.sha256).digest()
    return signing + "." + b64url(sig)


def percentile(values, p):
    if not values:
        return None
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, int(round(p / 100.0 * len(ordered) + 0.5)) - 1))
    return ordered[k]


# ---------------------------------------------------------------------------------------------
# memory
# ---------------------------------------------------------------------------------------------

def rss_kb(pid):
    try:
        for line in Path("/proc/%d/status" % pid).read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def nofile_limit(pid):
    try:
        for line in Path("/proc/%d/limits" % pid).read_text().splitlines():
            if line.startswith("Max open files"):
                parts = line.split()
                return int(parts[3]) if parts[3].isdigit() else parts[3]
    except OSError:
        pass
    return None


def open_fds(pid):
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return None


class Processes:
    def __init__(self, runtime):
        self.master = int(Path(runtime, "nginx.pid").read_text().strip())
        self.app = int(Path(runtime, "app.pid").read_text().strip())
        self.workers = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    stat = Path("/proc/%s/stat" % entry).read_text()
                except OSError:
                    continue
                ppid = int(stat.rsplit(")", 1)[1].split()[1])
                if ppid == self.master:
                    self.workers.append(int(entry))
        self.workers.sort()

    def snapshot(self):
        workers = {pid: rss_kb(pid) for pid in self.workers}
        return {
            "nginx_master_kb": rss_kb(self.master),
            "nginx_workers_kb": workers,
            "nginx_workers_total_kb": sum(v for v in workers.values() if v),
            "app_kb": rss_kb(self.app),
        }


# ---------------------------------------------------------------------------------------------
# subscribers
# ---------------------------------------------------------------------------------------------

class Subscriber:
    def __init__(self, agent_id, token, run_id):
        self.agent_id = agent_id
        self.token = token
        self.run_id = run_id
        self.status = None
        self.received = {}  # round -> latency ms
        self.foreign = 0  # messages of other runs (nchan hands the newest buffered one on connect)
        self.duplicates = 0
        self.error = None
        self.closed = False
        self.writer = None
        self.task = None

    async def connect(self, host, port):
        reader, writer = await asyncio.open_connection(host, port)
        self.writer = writer
        writer.write((
            "GET /coaching/events HTTP/1.1\r\nHost: %s:%d\r\nAccept: text/event-stream\r\n"
            "Authorization: Bearer %s\r\nCache-Control: no-cache\r\n\r\n" % (host, port, self.token)).encode())
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        self.chunked = headers.get("transfer-encoding", "").lower() == "chunked"
        self.content_type = headers.get("content-type", "")
        return reader

    async def read_events(self, reader):
        """Reads the SSE stream (chunked or not); every complete `data:` event is handled at once."""
        buf = b""
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                now = time.monotonic_ns()
                buf += data
                # Chunk-size lines are harmless to the parser below when we only look at
                # `data:` lines, because nchan writes each event in one chunk.
                while b"\n\n" in buf:
                    event, buf = buf.split(b"\n\n", 1)
                    self.handle(event, now)
        except (ConnectionError, asyncio.IncompleteReadError) as exc:
            self.error = repr(exc)
        except asyncio.CancelledError:
            pass
        finally:
            self.closed = True

    def handle(self, event, now):
        payload = []
        for line in event.split(b"\n"):
            line = line.rstrip(b"\r")
            if line.startswith(b"data:"):
                payload.append(line[5:].lstrip())
        if not payload:
            return
        try:
            body = json.loads(b"\n".join(payload))
        except ValueError:
            self.foreign += 1
            return
        if not isinstance(body, dict) or body.get("run") != self.run_id or body.get("agent") != self.agent_id:
            self.foreign += 1
            return
        rnd = body.get("round", 0)
        if rnd in self.received:
            self.duplicates += 1
            return
        self.received[rnd] = (now - body["t_ns"]) / 1e6


# ---------------------------------------------------------------------------------------------
# publisher (keep-alive HTTP/1.1 over nchan's unix socket)
# ---------------------------------------------------------------------------------------------

class Publisher:
    def __init__(self, path):
        self.path = path
        self.reader = None
        self.writer = None
        self.statuses = {}
        self.publish_ms = []

    async def open(self):
        self.reader, self.writer = await asyncio.open_unix_connection(self.path)

    async def publish(self, agent_id, body_obj):
        body = json.dumps(body_obj, separators=(",", ":")).encode()
        request = (b"POST /publish/agent-%d HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                   b"Accept: application/json\r\nContent-Length: %d\r\n\r\n" % (agent_id, len(body))) + body
        started = time.monotonic_ns()
        self.writer.write(request)
        await self.writer.drain()
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        length, chunked = 0, False
        for line in lines[1:]:
            k, _, v = line.partition(":")
            if k.strip().lower() == "content-length":
                length = int(v.strip())
            if k.strip().lower() == "transfer-encoding" and "chunked" in v.lower():
                chunked = True
        if chunked:
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
                await self.reader.readexactly(size + 2)
                if size == 0:
                    break
        elif length:
            await self.reader.readexactly(length)
        self.publish_ms.append((time.monotonic_ns() - started) / 1e6)
        self.statuses[status] = self.statuses.get(status, 0) + 1
        return status

    def close(self):
        if self.writer:
            self.writer.close()


# ---------------------------------------------------------------------------------------------

async def run(args):
    env = parse_env(args.env)
    runtime = env.get("COACHING_RUNTIME") or str(Path(args.env).parent)
    base = env["COACHING_BASE_URL"].rstrip("/")
    host_port = base.split("://", 1)[1]
    host, port = host_port.rsplit(":", 1)
    port = int(port)
    publish_socket = args.publish_socket or env["COACHING_NCHAN_PUBLISH_SOCKET"]
    secret = env["COACHING_JWT_SECRET"]
    run_id = uuid.uuid4().hex[:12]
    procs = Processes(runtime)
    result = {
        "run_id": run_id,
        "subscribers": args.subscribers,
        "rate_per_s": args.rate,
        "rounds": args.rounds,
        "publish_socket": publish_socket,
        "client_nofile": resource.getrlimit(resource.RLIMIT_NOFILE),
        "nginx_worker_nofile": {pid: nofile_limit(pid) for pid in procs.workers},
        "app_nofile": nofile_limit(procs.app),
        "nginx_worker_connections": 8192,
        "memory_before": procs.snapshot(),
    }
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < args.subscribers + 100:
        raise SystemExit("ulimit -n is %d; need at least %d (raise it, e.g. ulimit -n 65536)"
                         % (soft, args.subscribers + 100))

    subs = [Subscriber(i, mint_token(secret, i), run_id) for i in range(args.first_agent, args.first_agent + args.subscribers)]
    gate = asyncio.Semaphore(args.connect_concurrency)

    async def start(sub):
        async with gate:
            try:
                reader = await asyncio.wait_for(sub.connect(host, port), timeout=20)
            except Exception as exc:  # noqa: BLE001 - recorded
                sub.error = "connect: %r" % (exc,)
                return
        if sub.status == 200:
            sub.task = asyncio.ensure_future(sub.read_events(reader))

    t0 = time.monotonic()
    await asyncio.gather(*(start(s) for s in subs))
    connect_s = time.monotonic() - t0
    statuses = {}
    for s in subs:
        statuses[str(s.status)] = statuses.get(str(s.status), 0) + 1
    result["connect"] = {"seconds": round(connect_s, 3), "statuses": statuses,
                         "errors": [s.error for s in subs if s.error][:5],
                         "content_types": sorted({s.content_type for s in subs if s.status == 200})}
    ok = [s for s in subs if s.status == 200]
    print("connected %d/%d subscribers in %.2f s (statuses %s)" % (len(ok), len(subs), connect_s, statuses),
          flush=True)
    # Let nchan finish attaching subscribers and deliver any buffered "newest" message.
    await asyncio.sleep(args.settle)
    result["memory_connected"] = procs.snapshot()
    result["fds_connected"] = {"nginx_workers": {pid: open_fds(pid) for pid in procs.workers},
                               "app": open_fds(procs.app)}
    foreign_before = sum(s.foreign for s in subs)

    peak = {"nginx_workers_total_kb": 0, "app_kb": 0}
    sampling = True

    async def sampler():
        while sampling:
            snap = procs.snapshot()
            if snap["nginx_workers_total_kb"] > peak["nginx_workers_total_kb"]:
                peak["nginx_workers_total_kb"] = snap["nginx_workers_total_kb"]
                peak["nginx_workers_kb"] = snap["nginx_workers_kb"]
            if (snap["app_kb"] or 0) > peak["app_kb"]:
                peak["app_kb"] = snap["app_kb"]
            await asyncio.sleep(0.1)

    sampler_task = asyncio.ensure_future(sampler())
    publisher = Publisher(publish_socket)
    await publisher.open()
    interval_ns = int(1e9 / args.rate)
    publish_started = time.monotonic()
    for rnd in range(args.rounds):
        next_at = time.monotonic_ns()
        for sub in ok:
            delay = (next_at - time.monotonic_ns()) / 1e9
            if delay > 0:
                await asyncio.sleep(delay)
            next_at += interval_ns
            await publisher.publish(sub.agent_id, {"event": "bench", "run": run_id, "round": rnd,
                                                   "agent": sub.agent_id, "t_ns": time.monotonic_ns()})
    publish_s = time.monotonic() - publish_started
    # Wait for stragglers.
    deadline = time.monotonic() + args.drain
    while time.monotonic() < deadline:
        if all(len(s.received) >= args.rounds for s in ok):
            break
        await asyncio.sleep(0.05)
    sampling = False
    await sampler_task
    publisher.close()
    result["memory_during_peak"] = peak
    result["memory_after"] = procs.snapshot()

    latencies = [ms for s in ok for ms in s.received.values()]
    expected = len(ok) * args.rounds
    result["publish"] = {
        "seconds": round(publish_s, 3),
        "achieved_rate_per_s": round(expected / publish_s, 1) if publish_s else None,
        "statuses": {str(k): v for k, v in publisher.statuses.items()},
        "publish_request_ms_p50": round(percentile(publisher.publish_ms, 50), 3),
        "publish_request_ms_p99": round(percentile(publisher.publish_ms, 99), 3),
    }
    result["latency_ms"] = {
        "count": len(latencies),
        "p50": round(percentile(latencies, 50), 3) if latencies else None,
        "p95": round(percentile(latencies, 95), 3) if latencies else None,
        "p99": round(percentile(latencies, 99), 3) if latencies else None,
        "max": round(max(latencies), 3) if latencies else None,
        "mean": round(statistics.mean(latencies), 3) if latencies else None,
    }
    result["expected"] = expected
    result["lost"] = expected - len(latencies)
    result["duplicates"] = sum(s.duplicates for s in subs)
    result["foreign_messages"] = {"on_connect": foreign_before, "total": sum(s.foreign for s in subs)}
    result["streams_closed_early"] = sum(1 for s in ok if s.closed)
    result["target_p99_ms"] = 50
    result["target_met"] = bool(latencies) and result["lost"] == 0 and result["latency_ms"]["p99"] <= 50 \
        and len(ok) == args.subscribers

    for s in subs:
        if s.task:
            s.task.cancel()
        if s.writer:
            s.writer.close()
    await asyncio.sleep(0.2)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--env", default=str(ROOT / ".runtime" / "bench" / "stack.env"))
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--first-agent", type=int, default=1)
    parser.add_argument("--rate", type=float, default=500.0, help="messages published per second")
    parser.add_argument("--rounds", type=int, default=1, help="messages per subscriber")
    parser.add_argument("--connect-concurrency", type=int, default=64)
    parser.add_argument("--settle", type=float, default=1.0)
    parser.add_argument("--drain", type=float, default=10.0)
    parser.add_argument("--publish-socket",
                        help="nchan publisher socket to publish through (default: the --env stack's own); "
                             "another host's socket, with channels in Redis, measures push across hosts")
    parser.add_argument("--out", help="write the JSON result here")
    args = parser.parse_args()
    result = asyncio.run(asyncio.wait_for(run(args), timeout=300))
    text = json.dumps(result, indent=2, default=str)
    print(text)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text + "\n")
    lat = result["latency_ms"]
    print("SUMMARY push: subscribers=%d connected=%s p50=%s p95=%s p99=%s max=%s lost=%d target(p99<=50ms)=%s"
          % (args.subscribers, result["connect"]["statuses"].get("200", 0), lat["p50"], lat["p95"], lat["p99"],
             lat["max"], result["lost"], "MET" if result["target_met"] else "NOT MET"), flush=True)
    return 0 if result["target_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
