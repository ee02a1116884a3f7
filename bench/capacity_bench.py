#!/usr/bin/env python3
"""Measuring steps of bench/capacity_bench.sh, which starts the stacks and calls these in turn.

    capacity_bench.py wrk    --runtime RT --out DIR --name NAME --url URL [--url URL2] ...
        one wrk per URL at the same time (threads and connections split between them), with the
        CPU time of each stack process read from /proc before and after; writes DIR/NAME.json
    capacity_bench.py idle   --runtime RT --out DIR --name NAME --seconds S
        the same CPU reading over S idle seconds; writes DIR/NAME.json
    capacity_bench.py report --out DIR --md FILE [--command ... --started ... --build ... --machine ...]
        the markdown summary of every JSON file in DIR (polls, push runs, idle windows); exit
        status 3 when a run had wrk errors or a push run did not deliver every message once

CPU is read per process group: nginx1 and nginx2 (master and workers of each host's nginx), app1
and app2 (`coaching serve` of each host), mariadbd, redis; each only when its pid file names a
running process. Everything runs on the same cores, so "other" is what the rest of the machine
(the load generator excepted) used meanwhile.
"""

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")
CORES = os.cpu_count() or 1
STACK_GROUPS = ("nginx1", "nginx2", "app1", "app2", "mariadbd", "redis")


# ---------------------------------------------------------------------------------------------
# /proc
# ---------------------------------------------------------------------------------------------

def read_pid(path):
    try:
        pid = int(Path(path).read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if Path("/proc/%d" % pid).exists() else None


def stat_fields(pid):
    """Fields of /proc/PID/stat after the command name (state is [0], ppid [1], utime [11])."""
    try:
        return Path("/proc/%d/stat" % pid).read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def children_of(parent):
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = stat_fields(int(entry))
            if fields and int(fields[1]) == parent:
                found.append(int(entry))
    return found


def process_groups(runtime):
    """Pids of each stack process group, from the pid files scripts/stack.sh writes."""
    rt = Path(runtime)
    groups = {}
    for name, pid_file, with_children in (
            ("nginx1", rt / "nginx.pid", True), ("nginx2", rt / "peer" / "nginx.pid", True),
            ("app1", rt / "app.pid", False), ("app2", rt / "peer" / "app.pid", False),
            ("mariadbd", rt / "mariadb.pid", False), ("redis", rt / "redis.pid", False)):
        pid = read_pid(pid_file)
        if pid is not None:
            groups[name] = [pid] + (children_of(pid) if with_children else [])
    return groups


def process_ticks(pid):
    fields = stat_fields(pid)
    return int(fields[11]) + int(fields[12]) if fields else None


def machine_ticks():
    """(busy, total) jiffies over all cores, counted as poll_bench.sh counts them."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    busy = values[0] + values[1] + values[2] + values[5] + values[6] + values[7]
    return busy, busy + values[3] + values[4]


class CpuReading:
    """CPU ticks of every stack process group between start() and stop(); a process that left
    or appeared in between is not counted (its ticks would be partial)."""

    def __init__(self, runtime):
        self.groups = process_groups(runtime)

    def _ticks(self):
        return {pid: process_ticks(pid) for pids in self.groups.values() for pid in pids}

    def start(self):
        self.before = self._ticks()
        self.machine_before = machine_ticks()
        self.children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.started = time.monotonic()

    def stop(self):
        wall = time.monotonic() - self.started
        after = self._ticks()
        busy, total = (a - b for a, b in zip(machine_ticks(), self.machine_before))
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        load_ticks = ((children.ru_utime - self.children_before.ru_utime)
                      + (children.ru_stime - self.children_before.ru_stime)) * CLK_TCK
        groups = {}
        for name, pids in self.groups.items():
            counted = [pid for pid in pids if self.before.get(pid) is not None and after.get(pid) is not None]
            groups[name] = sum(after[pid] - self.before[pid] for pid in counted)
        return {"wall_s": wall, "clk_tck": CLK_TCK, "cores": CORES, "group_ticks": groups,
                "load_generator_ticks": load_ticks, "machine_busy_ticks": busy, "machine_total_ticks": total}


def db_statements(stack_env):
    """MariaDB's global `Questions` counter (statements received), or None without a client."""
    try:
        text = subprocess.run(
            ["mariadb", "--no-defaults", "--socket=" + stack_env["COACHING_DB_SOCKET"],
             "-u" + stack_env["COACHING_DB_USER"], "-p" + stack_env["COACHING_DB_PASSWORD"],
             "-N", "-B", "-e", "SHOW GLOBAL STATUS LIKE 'Questions'"],
            capture_output=True, text=True, timeout=10, check=True).stdout
        return int(text.split()[1])
    except (OSError, subprocess.SubprocessError, IndexError, ValueError, KeyError):
        return None


def parse_env(path):
    values = {}
    for line in Path(path).read_text().splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            key, value = line.split("=", 1)
            values[key.strip()] = value.strip()
    return values


# ---------------------------------------------------------------------------------------------
# wrk
# ---------------------------------------------------------------------------------------------

def wrk_command(url, threads, connections, duration, lua):
    command = ["wrk", "-t%d" % threads, "-c%d" % connections, "-d%s" % duration, "--latency"]
    if lua:
        command += ["-s", lua]
    return command + [url]


def split_evenly(total, parts):
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def run_wrk_set(urls, threads, connections, duration, lua, outputs):
    """All wrk processes at once; each gets its share of threads and connections."""
    thread_shares = [max(1, t) for t in split_evenly(threads, len(urls))]
    connection_shares = split_evenly(connections, len(urls))
    processes = []
    for url, t, c, output in zip(urls, thread_shares, connection_shares, outputs):
        handle = open(output, "w") if output else subprocess.DEVNULL
        processes.append((subprocess.Popen(wrk_command(url, min(t, c), c, duration, lua),
                                           stdout=handle, stderr=subprocess.STDOUT), handle))
    for process, handle in processes:
        process.wait()
        if handle is not subprocess.DEVNULL:
            handle.close()
    return [{"url": url, "threads": min(t, c), "connections": c}
            for url, t, c in zip(urls, thread_shares, connection_shares)]


def to_ms(value, unit):
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def parse_wrk(text):
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    requests = re.search(r"(\d+) requests in", text)
    if not rps or not requests:
        raise SystemExit("wrk output without figures:\n" + text[-2000:])
    percentiles = {p: to_ms(v, u) for p, v, u in
                   re.findall(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.M)}
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    errors = (int(non2xx.group(1)) if non2xx else 0) + (sum(map(int, sockets.groups())) if sockets else 0)
    return {"rps": float(rps.group(1)), "requests": int(requests.group(1)), "errors": errors,
            "p50_ms": percentiles.get("50"), "p99_ms": percentiles.get("99")}


def poll_agents():
    """How many agents' tokens bench/poll.lua rotates over (the POLL_PAIRS file)."""
    path = os.environ.get("POLL_PAIRS")
    if not path or not Path(path).exists():
        return None
    return len({line.split()[0] for line in Path(path).read_text().splitlines() if line.strip()})


# A cold poll reads the database (one or two statements); a cached one none. Idle housekeeping adds
# a few hundred statements a second, a small fraction per request at any useful request rate.
COLD_STATEMENTS_PER_REQUEST = 0.1


def warm_up(args, stack_env, out):
    """Unmeasured wrk runs of --warmup each, repeated (at most --warmup-rounds) while MariaDB still
    answers more than COLD_STATEMENTS_PER_REQUEST statements per request: after new hints, every
    host's poll cache has to read each (agent, conversation) once, which takes longer with the
    machine shared by two hosts. Returns the rounds run and the last round's statements/request."""
    rounds, per_request = 0, None
    outputs = [out / ("%s.warmup.%d.txt" % (args.name, i + 1)) for i in range(len(args.url))]
    while rounds < args.warmup_rounds:
        rounds += 1
        before = db_statements(stack_env)
        run_wrk_set(args.url, args.threads, args.connections, args.warmup, args.lua, outputs)
        after = db_statements(stack_env)
        requests = sum(parse_wrk(path.read_text())["requests"] for path in outputs)
        if before is None or after is None or not args.lua:
            break
        per_request = (after - before) / max(requests, 1)
        if per_request <= COLD_STATEMENTS_PER_REQUEST:
            break
    for path in outputs:
        path.unlink()
    return rounds, per_request


def command_wrk(args):
    out = Path(args.out)
    stack_env = parse_env(Path(args.runtime) / "stack.env")
    warmup_rounds, warmup_statements = 0, None
    if args.warmup and args.warmup != "0":
        warmup_rounds, warmup_statements = warm_up(args, stack_env, out)
    outputs = [out / ("%s.%d.txt" % (args.name, i + 1)) for i in range(len(args.url))]
    reading = CpuReading(args.runtime)
    statements_before = db_statements(stack_env)
    reading.start()
    shares = run_wrk_set(args.url, args.threads, args.connections, args.duration, args.lua, outputs)
    cpu = reading.stop()
    statements_after = db_statements(stack_env)
    targets = [dict(share, **parse_wrk(path.read_text()), raw=path.name) for share, path in zip(shares, outputs)]
    result = {
        "kind": "wrk", "name": args.name, "threads": args.threads, "connections": args.connections,
        "duration": args.duration, "warmup": args.warmup, "warmup_rounds": warmup_rounds,
        "warmup_max_rounds": args.warmup_rounds,
        "warmup_statements_per_request": warmup_statements, "lua": Path(args.lua).name if args.lua else None,
        "agents": poll_agents() if args.lua else None, "poll_seconds": os.environ.get("POLL_SECONDS") if args.lua else None,
        "targets": targets,
        "rps": sum(t["rps"] for t in targets), "requests": sum(t["requests"] for t in targets),
        "errors": sum(t["errors"] for t in targets),
        "p50_ms": max(t["p50_ms"] for t in targets), "p99_ms": max(t["p99_ms"] for t in targets),
        "db_statements": (statements_after - statements_before
                          if statements_before is not None and statements_after is not None else None),
        "cpu": cpu,
    }
    (out / (args.name + ".json")).write_text(json.dumps(result, indent=2) + "\n")
    print("%s: %.0f req/s, p99 %.2f ms (worst target), %d errors, other load %.1f %%"
          % (args.name, result["rps"], result["p99_ms"], result["errors"], other_pct(cpu)), file=sys.stderr)


# ---------------------------------------------------------------------------------------------
# idle windows
# ---------------------------------------------------------------------------------------------

def command_idle(args):
    stack_env = parse_env(Path(args.runtime) / "stack.env")
    reading = CpuReading(args.runtime)
    statements_before = db_statements(stack_env)
    reading.start()
    time.sleep(args.seconds)
    cpu = reading.stop()
    statements_after = db_statements(stack_env)
    result = {"kind": "idle", "name": args.name, "cpu": cpu,
              "db_statements": (statements_after - statements_before
                                if statements_before is not None and statements_after is not None else None)}
    Path(args.out, args.name + ".json").write_text(json.dumps(result, indent=2) + "\n")
    ms = cpu_ms_per_second(cpu)
    print("%s: CPU ms/s %s, other load %.1f %%" % (
        args.name, ", ".join("%s %.2f" % (k, v) for k, v in ms.items()), other_pct(cpu)), file=sys.stderr)


# ---------------------------------------------------------------------------------------------
# figures
# ---------------------------------------------------------------------------------------------

def pct_of_machine(cpu, ticks):
    return 100.0 * ticks / max(cpu["machine_total_ticks"], 1)


def other_pct(cpu):
    known = sum(cpu["group_ticks"].values()) + cpu["load_generator_ticks"]
    return max(pct_of_machine(cpu, cpu["machine_busy_ticks"] - known), 0.0)


def idle_pct(cpu):
    return 100.0 - pct_of_machine(cpu, cpu["machine_busy_ticks"])


def cpu_ms_per_second(cpu):
    return {name: 1000.0 * ticks / cpu["clk_tck"] / max(cpu["wall_s"], 1e-9)
            for name, ticks in cpu["group_ticks"].items()}


def cpu_us_per_request(result, group):
    ticks = result["cpu"]["group_ticks"].get(group)
    if ticks is None:
        return None
    return 1e6 * ticks / result["cpu"]["clk_tck"] / max(result["requests"], 1)


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(value, digits=1, thousands=False):
    if value is None:
        return "–"
    return ("{:,.%df}" % digits).format(value) if thousands else "%.*f" % (digits, value)


def load_results(out):
    results = {}
    for path in sorted(Path(out).glob("*.json")):
        try:
            doc = json.loads(path.read_text())
        except ValueError:
            continue
        results[path.stem] = doc
    return results


def runs_of(results, prefix):
    """The runs named PREFIX-1, PREFIX-2, ... in run order (each with its name as out_name)."""
    found = [(int(name.rsplit("-", 1)[1]), dict(doc, out_name=name)) for name, doc in results.items()
             if name.startswith(prefix + "-") and name.rsplit("-", 1)[1].isdigit()]
    return [doc for _, doc in sorted(found, key=lambda item: item[0])]


# ---------------------------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------------------------

POLL_TARGETS = (
    ("static", "nginx static string `/static-probe`, host 1"),
    ("poll1", "`GET /coaching/pending-hints`, host 1 alone"),
    ("poll2", "`GET /coaching/pending-hints`, hosts 1 + 2 at once"),
)


def poll_sections(results):
    lines = []
    table = {key: runs_of(results, key) for key, _ in POLL_TARGETS}
    if not any(table.values()):
        return ["No polling runs were recorded."]
    first = next(runs[0] for runs in table.values() if runs)
    poll = next((runs[0] for key, runs in table.items() if key != "static" and runs), first)
    lines += ["`wrk -t%d -c%d -d%s --latency`; the polls with `bench/poll.lua` (%s agents' tokens over "
              "their conversations, `seconds=%s`, the data set of `bench/poll_bench.sh`), each after "
              "the hints were made new again and a %s warm-up, not counted, repeated (up to %s times) "
              "while the polls still read MariaDB, so that both hosts' poll caches are filled. Runs alternated static → host 1 → hosts 1 + 2; figures are the "
              "median of each column over the runs. The two-host run starts two wrk processes at once, "
              "one per host, with the threads and connections split between them (req/s is their sum, "
              "p50/p99 the worse of the two)." % (
                  first["threads"], first["connections"], first["duration"], poll.get("agents") or "?",
                  poll.get("poll_seconds") or "?", poll.get("warmup"), poll.get("warmup_max_rounds", "?")), ""]
    lines += ["| target | runs | req/s (median) | p50 ms | p99 ms | errors | req/s per run |",
              "|---|---:|---:|---:|---:|---:|---|"]
    for key, label in POLL_TARGETS:
        runs = table[key]
        if not runs:
            continue
        lines.append("| %s | %d | %s | %s | %s | %d | %s |" % (
            label, len(runs), fmt(median(r["rps"] for r in runs), 0, True),
            fmt(median(r["p50_ms"] for r in runs), 2), fmt(median(r["p99_ms"] for r in runs), 2),
            sum(r["errors"] for r in runs), ", ".join(fmt(r["rps"], 0, True) for r in runs)))
    lines.append("")
    two = table["poll2"]
    if two:
        per_host = [[fmt(t["rps"], 0, True) + " / p99 " + fmt(t["p99_ms"], 2) + " ms" for t in r["targets"]]
                    for r in two]
        lines.append("Two-host runs, per host (host 1; host 2): " + "; ".join("(%s)" % ", ".join(p) for p in per_host))
    ratios = []
    if table["poll1"] and table["static"]:
        ratios.append("poll on host 1 / static: **%s %%**" % fmt(
            100.0 * median(r["rps"] for r in table["poll1"]) / median(r["rps"] for r in table["static"]), 1))
    if table["poll1"] and two:
        ratios.append("two hosts / one host: **%s×**" % fmt(
            median(r["rps"] for r in two) / median(r["rps"] for r in table["poll1"]), 2))
    if ratios:
        lines += ["", "; ".join(ratios) + ".", ""]
    lines += ["CPU time per request (µs of CPU, all cores; median over the runs), read from "
              "`/proc/<pid>/stat` (master and workers for nginx), and MariaDB statements per request:", "",
              "| target | nginx 1 | nginx 2 | app 1 | app 2 | mariadbd | stack total | statements/request |",
              "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for key, label in POLL_TARGETS:
        runs = table[key]
        if not runs:
            continue
        cells = [median(cpu_us_per_request(r, g) for r in runs) for g in ("nginx1", "nginx2", "app1", "app2", "mariadbd")]
        total = median(sum(cpu_us_per_request(r, g) or 0 for g in ("nginx1", "nginx2", "app1", "app2", "mariadbd", "redis"))
                       for r in runs)
        statements = median(r["db_statements"] / max(r["requests"], 1) if r["db_statements"] is not None else None
                            for r in runs)
        lines.append("| %s | %s |" % (label, " | ".join(fmt(c, 1) for c in cells + [total]) + " | " + fmt(statements, 3)))
    lines += ["", "Share of the whole machine (%% of all %d cores, median) during the runs:" % CORES, "",
              "| target | nginx (both) | app (both) | mariadbd | wrk | other | idle |",
              "|---|---:|---:|---:|---:|---:|---:|"]
    for key, label in POLL_TARGETS:
        runs = table[key]
        if not runs:
            continue
        def share(*groups):
            return median(pct_of_machine(r["cpu"], sum(r["cpu"]["group_ticks"].get(g, 0) for g in groups)) for r in runs)
        lines.append("| %s | %s | %s | %s | %s | %s | %s |" % (
            label, fmt(share("nginx1", "nginx2")), fmt(share("app1", "app2")), fmt(share("mariadbd")),
            fmt(median(pct_of_machine(r["cpu"], r["cpu"]["load_generator_ticks"]) for r in runs)),
            fmt(median(other_pct(r["cpu"]) for r in runs)), fmt(median(idle_pct(r["cpu"]) for r in runs))))
    polls = [r for key, _ in POLL_TARGETS if key != "static" for r in table[key]]
    if polls:
        lines += ["", "Warm-up rounds per poll run (%s each): %s." % (polls[0].get("warmup"), ", ".join(
            "%s %s" % (r["name"], r.get("warmup_rounds", "?")) for r in polls))]
    cold = ["%s (%.2f)" % (r["name"], r["db_statements"] / max(r["requests"], 1)) for r in polls
            if r["db_statements"] is not None
            and r["db_statements"] / max(r["requests"], 1) > COLD_STATEMENTS_PER_REQUEST]
    if cold:
        lines += ["", "**Poll caches not filled** (more than %.1f MariaDB statements per request) during: %s. "
                  "These runs measured database reads, not steady-state polling; raise WARMUP or "
                  "WARMUP_ROUNDS." % (COLD_STATEMENTS_PER_REQUEST, ", ".join(cold))]
    disturbed = ["%s (%.0f %%)" % (r["name"], other_pct(r["cpu"])) for key, _ in POLL_TARGETS
                 for r in table[key] if other_pct(r["cpu"]) > 5.0]
    if disturbed:
        lines += ["", "Other processes used more than 5 % of the machine during: " + ", ".join(disturbed) + "."]
    if any(r["errors"] for runs in table.values() for r in runs):
        lines += ["", "**Some runs had non-2xx answers or socket errors: see the raw wrk outputs.**"]
    return lines


PUSH_VARIANTS = (
    ("push-a", "(a) Redis, published on host 1"),
    ("push-b", "(b) Redis, published on host 2"),
    ("push-c", "(c) nginx memory, published on host 1"),
)


def rss_per_subscriber_kb(doc):
    before = doc["memory_before"]["nginx_workers_total_kb"]
    connected = doc["memory_connected"]["nginx_workers_total_kb"]
    subscribers = max(int(doc["connect"]["statuses"].get("200", 0)), 1)
    return (connected - before) / subscribers


def push_problem(doc):
    """Why a push run is not a clean measurement, or None."""
    problems = []
    connected = int(doc["connect"]["statuses"].get("200", 0))
    if connected < doc["subscribers"]:
        problems.append("%d of %d subscribers connected" % (connected, doc["subscribers"]))
    refused = {k: v for k, v in doc["publish"]["statuses"].items() if k not in ("201", "202")}
    if refused:
        problems.append("publisher answered " + ", ".join("%s × %d" % item for item in sorted(refused.items())))
    if doc["lost"]:
        problems.append("%d lost" % doc["lost"])
    if doc["duplicates"]:
        problems.append("%d duplicated" % doc["duplicates"])
    return ", ".join(problems) or None


def push_sections(results):
    table = {key: runs_of(results, key) for key, _ in PUSH_VARIANTS}
    if not any(table.values()):
        return ["No push runs were recorded."]
    first = next(runs[0] for runs in table.values() if runs)
    lines = ["`bench/push_bench.py`: %d EventSource subscribers (agents 1..%d, one channel each) on host 1's "
             "nginx, then one message per subscriber at %s msg/s through the nchan publisher socket "
             "named below; publish → receive measured in the load process (same clock). Latency "
             "columns are the median over the runs, lost and duplicated their sum. RSS per "
             "subscriber: host 1's nginx workers, (all connected − before) / subscribers, each run on "
             "new nginx workers (both hosts' nginx restarted for Redis, reloaded for memory)."
             % (first["subscribers"], first["subscribers"], fmt(first["rate_per_s"], 0)), "",
             "| run | runs | subscribers connected (200) | p50 ms | p99 ms | max ms | lost | duplicated | "
             "nginx workers RSS per subscriber | publisher answers |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for key, label in PUSH_VARIANTS:
        runs = table[key]
        if not runs:
            continue
        statuses = {}
        for r in runs:
            for status, count in r["publish"]["statuses"].items():
                statuses[status] = statuses.get(status, 0) + count
        lines.append("| %s | %d | %s | %s | %s | %s | %d | %d | %s KB | %s |" % (
            label, len(runs), "/".join(str(r["connect"]["statuses"].get("200", 0)) for r in runs),
            fmt(median(r["latency_ms"]["p50"] for r in runs), 2), fmt(median(r["latency_ms"]["p99"] for r in runs), 2),
            fmt(median(r["latency_ms"]["max"] for r in runs), 2), sum(r["lost"] for r in runs),
            sum(r["duplicates"] for r in runs), fmt(median(rss_per_subscriber_kb(r) for r in runs), 1),
            ", ".join("%s × %d" % item for item in sorted(statuses.items()))))
    failed = ["%s (%s)" % (r["out_name"], problem) for key, _ in PUSH_VARIANTS for r in table[key]
              for problem in [push_problem(r)] if problem]
    if failed:
        lines += ["", "**Runs that did not deliver every message:** " + "; ".join(failed) + ". Their latency "
                  "figures cover the messages that arrived; see the run's .log and the nginx error logs."]
    lines += ["", "Publisher sockets: " + "; ".join(
        "%s `%s`" % (label.split(")")[0] + ")", table[key][0]["publish_socket"]) for key, label in PUSH_VARIANTS if table[key])
        + "."]
    return lines


def watcher_sections(results):
    off, on = runs_of(results, "idle-watch-off"), runs_of(results, "idle-watch-on")
    if not off and not on:
        return ["No idle windows were recorded."]
    groups = [g for g in ("app1", "app2", "mariadbd") if any(g in r["cpu"]["group_ticks"] for r in off + on)]
    wall = median(r["cpu"]["wall_s"] for r in off + on)
    lines = ["Both hosts up, coaching enabled, no load: CPU-ms per second of wall time (median of the "
             "windows, %s s each, alternated off → on), and MariaDB statements per second. The "
             "watcher runs once a second in every app process (intake door 3). CPU is counted in "
             "ticks of 1/%d s, so one window resolves %s ms/s; statements/s is exact."
             % (fmt(wall, 0), CLK_TCK, fmt(1000.0 / CLK_TCK / max(wall, 1e-9), 2)), "",
             "| `watch_messages_table` | windows | %s | app total | statements/s | other load %% |" % " | ".join(groups),
             "|---|---:|%s---:|---:|---:|" % ("---:|" * len(groups))]

    def row(label, runs):
        ms = [cpu_ms_per_second(r["cpu"]) for r in runs]
        cells = [median(m.get(g) for m in ms) for g in groups]
        app_total = median(sum(m.get(g, 0) for g in ("app1", "app2")) for m in ms)
        statements = median(r["db_statements"] / r["cpu"]["wall_s"] if r["db_statements"] is not None else None
                            for r in runs)
        return cells + [app_total, statements], "| %s | %d | %s | %s | %s | %s |" % (
            label, len(runs), " | ".join(fmt(c, 2) for c in cells), fmt(app_total, 2), fmt(statements, 1),
            fmt(median(other_pct(r["cpu"]) for r in runs), 1))

    rows = {}
    for label, runs in (("off", off), ("on", on)):
        if runs:
            rows[label], text = row(label, runs)
            lines.append(text)
    if "off" in rows and "on" in rows:
        diff = [(b - a) if a is not None and b is not None else None for a, b in zip(rows["off"], rows["on"])]
        lines.append("| on − off | | %s | %s | %s | |" % (
            " | ".join(fmt(d, 2) for d in diff[:len(groups)]), fmt(diff[len(groups)], 2), fmt(diff[-1], 1)))
    return lines


def command_report(args):
    results = load_results(args.out)
    lines = ["# Capacity: one host and two hosts", "",
             "Command: `%s`" % args.command, "",
             "- Run: %s – %s" % (args.started, time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())),
             "- Build: %s" % args.build,
             "- Machine: %s" % args.machine,
             "- Raw outputs: `%s`" % args.out,
             "",
             "**Everything ran on the same %d cores**: both \"hosts\" (host 1 = nginx + nchan + `coaching "
             "serve`; host 2 = the same started by `scripts/stack.sh peer-up bench`, on port + 1), the one "
             "MariaDB they share, Redis, and the load generators (wrk, Python). Two hosts here compete for "
             "the cores one host had; the two-host figures show how the work divides and what each "
             "request costs, not what two machines would hold. Multiply the CPU per request by the "
             "request rate to size real hosts." % CORES, "",
             "## Polls", ""]
    lines += poll_sections(results)
    lines += ["", "## Push across hosts", ""]
    lines += push_sections(results)
    lines += ["", "## Watcher cost at idle (`watch_messages_table`)", ""]
    lines += watcher_sections(results)
    lines.append("")
    text = "\n".join(lines)
    Path(args.md).write_text(text)
    Path(args.out, "summary.md").write_text(text)
    print(text)
    return 3 if invalid_runs(results) else 0


def invalid_runs(results):
    """Names of runs with wrk errors or push runs that did not deliver every message once."""
    bad = [name for name, doc in results.items() if doc.get("kind") == "wrk" and doc["errors"]]
    bad += [r["out_name"] for key, _ in PUSH_VARIANTS for r in runs_of(results, key) if push_problem(r)]
    return bad


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command_name", required=True)
    wrk = sub.add_parser("wrk")
    wrk.add_argument("--runtime", required=True)
    wrk.add_argument("--out", required=True)
    wrk.add_argument("--name", required=True)
    wrk.add_argument("--url", action="append", required=True)
    wrk.add_argument("--lua")
    wrk.add_argument("--threads", type=int, default=2)
    wrk.add_argument("--connections", type=int, default=64)
    wrk.add_argument("--duration", default="10s")
    wrk.add_argument("--warmup", default="0", help="unmeasured wrk run of this length first (0: none)")
    wrk.add_argument("--warmup-rounds", type=int, default=1,
                     help="with --lua, repeat the warm-up up to this many times while polls still read the database")
    wrk.set_defaults(handler=command_wrk)
    idle = sub.add_parser("idle")
    idle.add_argument("--runtime", required=True)
    idle.add_argument("--out", required=True)
    idle.add_argument("--name", required=True)
    idle.add_argument("--seconds", type=float, default=30.0)
    idle.set_defaults(handler=command_idle)
    report = sub.add_parser("report")
    report.add_argument("--out", required=True)
    report.add_argument("--md", required=True)
    report.add_argument("--command", default="bash bench/capacity_bench.sh")
    report.add_argument("--started", default="?")
    report.add_argument("--build", default="?")
    report.add_argument("--machine", default="?")
    report.set_defaults(handler=command_report)
    args = parser.parse_args()
    return args.handler(args) or 0


if __name__ == "__main__":
    sys.exit(main())
