#!/usr/bin/env python3
"""Soak benchmark: steady polling and message intake through nginx for DURATION seconds, sampling
the resident memory (VmRSS) and open file descriptors of the app, nginx (master and workers) and
MariaDB every INTERVAL seconds. Reports start / end / max and the least-squares slope per 10
minutes of each series, after a warm-up. Run through bench/soak_bench.sh (bench stack).

It uses the pipeline benchmark's fixtures and clean-up (bench/pipeline_bench.py): the 200 bench
agents and their conversations, the fake LLM, the settings snapshot that is put back at the end.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pipeline_bench as pb

TEXTS = ["Achei muito caro, o concorrente cobra menos.", "Quero comprar hoje, como faço para pagar?",
         "Vocês têm garantia estendida?", "Isso é um absurdo, ninguém me responde!",
         "Ok, vou pensar e te retorno.", "Can we sign the contract today?", "Do you offer a discount for 12 months?"]


def open_fds(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


def agent_token(agent_id: int) -> str:
    return subprocess.run([pb.BIN, "token", "--role", "agent", "--user", str(agent_id), "--ttl", "21600"],
                          env=dict(os.environ, COACHING_ENV_FILE=pb.ENV_FILE), capture_output=True, text=True,
                          check=True).stdout.strip()


class Load:
    """Fixed-rate traffic on kept-alive connections, as browsers and a chat application send it."""

    def __init__(self, poll_rate: float, message_rate: float, service_token: str, pollers: list, conversations: list):
        self.poll_rate, self.message_rate = poll_rate, message_rate
        self.service_token, self.pollers, self.conversations = service_token, pollers, conversations
        self.stop = threading.Event()
        self.statuses: Counter = Counter()
        self.errors = 0
        self.messages_sent = 0
        self.lock = threading.Lock()

    def _count(self, key) -> None:
        with self.lock:
            self.statuses[key] += 1

    def _paced(self, rate: float, send) -> None:
        conn, interval, next_at = None, 1.0 / rate, time.monotonic()
        n = 0
        while not self.stop.is_set():
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(pb.HTTP_HOST, int(pb.HTTP_PORT), timeout=30)
                status = send(conn, n)
                self._count(status)
            except (OSError, http.client.HTTPException):
                with self.lock:
                    self.errors += 1
                conn = None
            n += 1
            next_at += interval
            delay = next_at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            elif delay < -5:
                next_at = time.monotonic()  # fell behind: do not burst to catch up

    def _poll(self, conn, n) -> str:
        token, conversation = self.pollers[n % len(self.pollers)]
        conn.request("GET", f"/coaching/pending-hints?conversation_id={conversation}&seconds=30",
                     headers={"Authorization": "Bearer " + token})
        resp = conn.getresponse()
        resp.read()
        return f"GET {resp.status}"

    def _post(self, conn, n) -> str:
        batch = [{"conversation_id": self.conversations[(n * 5 + k) % len(self.conversations)], "sender_type": "contact",
                  "content": "%s #%d" % (TEXTS[(n + k) % len(TEXTS)], n % 50)} for k in range(5)]
        conn.request("POST", "/coaching/messages", body=json.dumps(batch),
                     headers={"Authorization": "Bearer " + self.service_token, "Content-Type": "application/json"})
        resp = conn.getresponse()
        resp.read()
        with self.lock:
            self.messages_sent += len(batch)
        return f"POST {resp.status}"

    def start(self, poll_threads: int = 4) -> None:
        for _ in range(poll_threads):
            threading.Thread(target=self._paced, args=(self.poll_rate / poll_threads, self._poll), daemon=True).start()
        threading.Thread(target=self._paced, args=(self.message_rate / 5, self._post), daemon=True).start()


def slope_per_10_min(points: list) -> float:
    """Least-squares slope of (seconds, value) points, scaled to 10 minutes."""
    if len(points) < 2:
        return 0.0
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_v = sum(v for _, v in points) / n
    var = sum((t - mean_t) ** 2 for t, _ in points)
    if var == 0:
        return 0.0
    return sum((t - mean_t) * (v - mean_v) for t, v in points) / var * 600


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=600)
    parser.add_argument("--interval", type=float, default=10)
    parser.add_argument("--warmup", type=int, default=60)
    parser.add_argument("--poll-rate", type=float, default=200)
    parser.add_argument("--message-rate", type=float, default=20)
    parser.add_argument("--llm-latency-ms", type=int, default=300)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    pb.install_stop_handlers(args.duration + args.warmup + 600)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    db = pb.DB()
    state = pb.snapshot_state(db)
    fake = None
    samples = []
    load = None
    try:
        pb.create_fixtures(db)
        fake = pb.FakeLLM(args.llm_latency_ms, out)
        coaching = {"enabled": True, "model": "gpt-4o-mini", "queue_processing_delay": 0.5, "min_message_length": 10,
                    "min_interval_between_analyses": 0, "max_analyses_per_minute": 100000, "max_queue_size": 100000,
                    "use_cache": True, "cost_limit_per_hour": 1000, "cost_limit_per_day": 10000,
                    "skip_if_agent_typing": True}
        service = {"provider": "openai", "base_url": fake.base_url, "max_tokens": 300, "prefilter": False}
        pb.apply_settings(db, coaching, service)
        conversations = list(range(pb.CONV_EFFICIENCY, pb.CONV_EFFICIENCY + 1000))
        pollers = [(agent_token(pb.AGENT_FIRST + (c % pb.AGENTS)), c) for c in conversations[:50]]
        load = Load(args.poll_rate, args.message_rate, pb.mint_token(), pollers, conversations)
        load.start()
        groups = {"app": lambda: [p for p in [pb.read_pid("app.pid")] if p],
                  "nginx": lambda: ([n] + pb.children(n)) if (n := pb.read_pid("nginx.pid")) else [],
                  "mariadb": lambda: [p for p in [pb.read_pid("mariadb.pid")] if p]}
        started = time.monotonic()
        end = started + args.warmup + args.duration
        pb.log(f"soak: {args.warmup} s warm-up, then {args.duration} s; polls {args.poll_rate}/s, "
               f"messages {args.message_rate}/s; samples every {args.interval} s")
        with open(out / "samples.csv", "w") as csv:
            csv.write("seconds,process,rss_mb,rss_shmem_mb,open_fds\n")
            while time.monotonic() < end:
                t = time.monotonic() - started
                for name, pids in groups.items():
                    current = pids()
                    rss = sum(pb.rss_mb(p) for p in current)
                    fds = sum(open_fds(p) for p in current)
                    # Shared pages are counted once per process that touched them: report the largest.
                    shmem = max((pb.rss_mb(p, "RssShmem") for p in current), default=0.0)
                    samples.append((t, name, rss, fds))
                    csv.write(f"{t:.1f},{name},{rss:.1f},{shmem:.1f},{fds}\n")
                csv.flush()
                time.sleep(max(0.0, args.interval - (time.monotonic() - started - t)))
        load.stop.set()
        time.sleep(1)
        results = {"duration_s": args.duration, "warmup_s": args.warmup, "interval_s": args.interval,
                   "poll_rate": args.poll_rate, "message_rate": args.message_rate,
                   "requests": dict(load.statuses), "transport_errors": load.errors,
                   "messages_sent": load.messages_sent, "processes": {}}
        for name in groups:
            series = [(t, rss, fds) for t, n, rss, fds in samples if n == name and t >= args.warmup]
            if not series:
                continue
            results["processes"][name] = {
                "rss_mb": {"start": series[0][1], "end": series[-1][1], "max": max(s[1] for s in series),
                           "slope_per_10_min": round(slope_per_10_min([(s[0], s[1]) for s in series]), 2)},
                "open_fds": {"start": series[0][2], "end": series[-1][2], "max": max(s[2] for s in series),
                             "slope_per_10_min": round(slope_per_10_min([(s[0], s[2]) for s in series]), 2)},
            }
        outcomes = db.rows(f"SELECT COALESCE(outcome, 'open'), COUNT(*) FROM coaching_queue "
                           f"WHERE conversation_id BETWEEN {pb.CONV_EFFICIENCY} AND {pb.CONV_EFFICIENCY + 999} GROUP BY 1")
        results["queue_outcomes"] = {k: int(v) for k, v in outcomes}
        (out / "soak.json").write_text(json.dumps(results, indent=1))
        print(json.dumps(results, indent=1))
        print(table(results))
    except pb.Stop as reason:
        pb.log(f"stopping early: {reason}")
        return 1
    finally:
        if load:
            load.stop.set()
        if fake:
            fake.stop()
        pb.cleanup(db, state)
    return 0


def table(results: dict) -> str:
    lines = ["| process | RSS start / end / max (MB) | RSS slope per 10 min | fds start / end / max | fds slope per 10 min |",
             "|---|---|---|---|---|"]
    for name, p in results["processes"].items():
        r, f = p["rss_mb"], p["open_fds"]
        lines.append(f"| {name} | {r['start']:.1f} / {r['end']:.1f} / {r['max']:.1f} | {r['slope_per_10_min']:+.2f} MB "
                     f"| {f['start']} / {f['end']} / {f['max']} | {f['slope_per_10_min']:+.2f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
