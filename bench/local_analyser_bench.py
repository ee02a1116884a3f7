#!/usr/bin/env python3
"""Local analyser throughput and per-message latency with embeddings off and on.

Run through bench/local_analyser_bench.sh (which starts the bench stack):

    python bench/local_analyser_bench.py --out DIR [--runs 3]

Provider `local`, no debounce, rate limits open, cache off. The 152 + 242 messages of
eval/local-analyser-holdout.jsonl and eval/local-analyser-holdout-2.jsonl are posted through
POST /coaching/messages (bulk arrays, service token), each in its own conversation with an assigned
agent, once with `embeddings_base_url` empty and once with it set to the bench stack's embeddings
server, alternating (off, on, off, on, ...). Per run: analyses/s (messages / time from the first
post to the last outcome) and latency per message from the queue row's available_at (enqueued_at,
added_at when unset) to finished_at. Uses the helpers of bench/pipeline_bench.py: its id ranges,
settings snapshot, cleanup and state file (an interrupted run is repaired by the next one).
"""
from __future__ import annotations

import argparse
import http.client
import json
import re
import signal
import statistics
import sys
import time
from pathlib import Path

import pipeline_bench as pb
from pipeline_bench import DB, log, percentile

HOLDOUTS = [pb.ROOT / "eval" / "local-analyser-holdout.jsonl", pb.ROOT / "eval" / "local-analyser-holdout-2.jsonl"]
CONV_BASE = 9090001  # inside pipeline_bench's range (deleted by its cleanup); 1,000 per run
TARGET_ADDED_P99_MS = 50.0
HIST = "coaching_embeddings_request_duration_seconds"


def messages_of(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def messages() -> list[dict]:
    return [m for path in HOLDOUTS for m in messages_of(path)]


def metrics_text() -> str:
    try:
        conn = http.client.HTTPConnection(pb.HTTP_HOST, int(pb.HTTP_PORT), timeout=5)
        conn.request("GET", "/coaching/metrics")
        response = conn.getresponse()
        return response.read().decode("utf-8", "replace") if response.status == 200 else ""
    except OSError:
        return ""


def histogram(text: str) -> dict:
    """Buckets (le -> cumulative count), sum and count of the embeddings request histogram."""
    result = {"buckets": {}, "sum": 0.0, "count": 0.0, "summary": {}}
    for line in text.splitlines():
        if not line.startswith(HIST):
            continue
        name_labels, _, value = line.rpartition(" ")
        try:
            number = float(value)
        except ValueError:
            continue
        le = re.search(r'le="([^"]+)"', name_labels)
        q = re.search(r'quantile="([^"]+)"', name_labels)
        if name_labels.startswith(HIST + "_bucket") and le:
            result["buckets"][le.group(1)] = number
        elif name_labels.startswith(HIST + "_sum"):
            result["sum"] = number
        elif name_labels.startswith(HIST + "_count"):
            result["count"] = number
        elif q:
            result["summary"][q.group(1)] = number
    return result


def histogram_delta(before: dict, after: dict) -> dict:
    count = after["count"] - before["count"]
    buckets = {le: after["buckets"][le] - before["buckets"].get(le, 0) for le in after["buckets"]}
    delta = {"requests": count, "mean_ms": 1000 * (after["sum"] - before["sum"]) / count if count else None}

    def quantile(p: float):
        if not count or not buckets:
            return None
        for le, n in sorted(((float(k), v) for k, v in buckets.items()), key=lambda kv: kv[0]):
            if n >= p * count:
                return None if le == float("inf") else 1000 * le
        return None

    delta.update(p50_le_ms=quantile(0.5), p99_le_ms=quantile(0.99), buckets=buckets, summary_after=after["summary"])
    return delta


def run_once(db: DB, token: str, items: list[dict], index: int, embeddings_url: str, label: str,
             rate: float | None = None, conv_offset: int = 0) -> dict:
    """One run; `rate` set: one message per request at that many per second (paced, below capacity, so
    the latency is the time one message takes rather than its wait behind a burst)."""
    # A fresh process per run: the app keeps recent embeddings in memory, and these texts repeat across runs.
    pb.restart_app(None)
    first_conv = CONV_BASE + index * 1000 + conv_offset
    last_conv = first_conv + len(items) - 1
    pb.create_conversations(db, first_conv, len(items))
    coaching = {"enabled": True, "queue_processing_delay": pb.env_float("DEBOUNCE", 0.5), "max_analyses_per_minute": 100000,
                "min_interval_between_analyses": 0, "max_queue_size": 10000000, "min_message_length": 0,
                "use_cache": False, "skip_if_agent_typing": False, "cost_limit_per_hour": 1000000,
                "cost_limit_per_day": 1000000}
    service = {"provider": "local", "prefilter": False, "watch_messages_table": False,
               "max_message_age_seconds": 600, "embeddings_base_url": embeddings_url,
               "similarity_cache": False, "embeddings_timeout_ms": pb.env_int("EMBEDDINGS_TIMEOUT_MS", 500)}
    pb.apply_settings(db, coaching, service)
    marker = db.value("SELECT COALESCE(MAX(id), 0) FROM coaching_queue")
    before = histogram(metrics_text())
    batch = pb.env_int("POST_BATCH", 100)
    poster = pb.Poster(token)
    payload = [{"conversation_id": first_conv + i, "sender_type": "contact", "content": m["text"]}
               for i, m in enumerate(items)]
    accepted, statuses = 0, []
    start = time.time()
    start_db = db.now()
    step = 1 if rate else batch
    for n, offset in enumerate(range(0, len(payload), step)):
        if rate:
            delay = start + n / rate - time.time()
            if delay > 0:
                time.sleep(delay)
        status, body = poster.post(payload[offset:offset + step])
        statuses.append(status)
        accepted += int(body.get("accepted", 0)) if isinstance(body, dict) else 0
    posted_s = time.time() - start
    where = f"conversation_id BETWEEN {first_conv} AND {last_conv} AND id > {marker}"
    done, waited = pb.wait_outcomes(db, where, pb.env_float("RUN_TIMEOUT", 120))
    last = db.value(f"SELECT UNIX_TIMESTAMP(MAX(finished_at)) FROM coaching_queue WHERE {where}")
    after = histogram(metrics_text())
    lat = [float(r[0]) for r in db.rows(
        f"""SELECT TIMESTAMPDIFF(MICROSECOND, COALESCE(available_at, enqueued_at, added_at), finished_at) / 1000
            FROM coaching_queue WHERE {where} AND finished_at IS NOT NULL""")]
    rows = db.value(f"SELECT COUNT(*) FROM coaching_queue WHERE {where}")
    models = {m or "(none)": n for m, n in db.rows(
        f"SELECT model_used, COUNT(*) FROM realtime_coaching_hints WHERE conversation_id BETWEEN {first_conv} "
        f"AND {last_conv} GROUP BY model_used")}
    elapsed = (float(last) - start_db) if last is not None else None
    result = {"label": label, "index": index, "paced_rate": rate, "messages": len(items), "accepted": accepted, "queue_rows": rows,
              "http_statuses": sorted(set(statuses)), "all_outcomes": done, "post_seconds": posted_s,
              "first_post_to_last_outcome_s": elapsed,
              "analyses_per_s": (rows / elapsed) if elapsed else None,
              "latency_ms": {p: percentile(lat, p) for p in (50, 95, 99)}, "latency_max_ms": max(lat) if lat else None,
              "latency_samples": len(lat), "outcomes": pb.outcome_counts(db, where), "hint_model_used": models,
              "embeddings_histogram": histogram_delta(before, after) if embeddings_url else None}
    log(f"[{label} #{index}] {rows} rows, {result['analyses_per_s'] or 0:.1f} analyses/s, latency p50/p95/p99 "
        f"{result['latency_ms'][50]:.1f}/{result['latency_ms'][95]:.1f}/{result['latency_ms'][99]:.1f} ms; "
        f"outcomes {result['outcomes']}; hints by model {models}")
    return result


def summarise(runs: list[dict]) -> dict:
    out = {"burst": summarise_labels(runs, ("off", "on"))}
    paced = [dict(r, label=r["label"].split("-")[-1]) for r in runs if r["label"].startswith("paced-")]
    if paced:
        out["paced"] = summarise_labels(paced, ("off", "on"))
    return out


def summarise_labels(runs: list[dict], labels) -> dict:
    out = {}
    for label in labels:
        rs = [r for r in runs if r["label"] == label]
        if not rs:
            continue
        out[label] = {
            "runs": len(rs),
            "analyses_per_s_median": statistics.median(r["analyses_per_s"] or 0 for r in rs),
            "analyses_per_s_each": [r["analyses_per_s"] for r in rs],
            **{f"p{p}_median_ms": statistics.median(r["latency_ms"][p] for r in rs) for p in (50, 95, 99)},
            **{f"p{p}_each_ms": [r["latency_ms"][p] for r in rs] for p in (50, 95, 99)},
        }
    if "off" in out and "on" in out:
        off, on = out["off"], out["on"]
        out["added_ms"] = {f"p{p}": on[f"p{p}_median_ms"] - off[f"p{p}_median_ms"] for p in (50, 95, 99)}
        out["ratio_of_medians"] = {f"p{p}": (on[f"p{p}_median_ms"] / off[f"p{p}_median_ms"]
                                             if off[f"p{p}_median_ms"] else None) for p in (50, 95, 99)}
        out["throughput_ratio"] = (on["analyses_per_s_median"] / off["analyses_per_s_median"]
                                   if off["analyses_per_s_median"] else None)
        out["target_added_p99_met"] = out["added_ms"]["p99"] <= TARGET_ADDED_P99_MS
        hist = [r["embeddings_histogram"] for r in runs if r["label"] == "on" and r.get("embeddings_histogram")]
        if hist:
            out["embeddings_request_mean_ms_each"] = [h["mean_ms"] for h in hist]
            out["embeddings_request_p50_le_ms_each"] = [h["p50_le_ms"] for h in hist]
            out["embeddings_request_p99_le_ms_each"] = [h["p99_le_ms"] for h in hist]
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--time-limit", type=int, default=1200)
    parser.add_argument("--no-burst", dest="burst", action="store_false", help="skip the burst runs")
    parser.add_argument("--paced-messages", type=int, default=0, help="messages per paced run (0: none)")
    parser.add_argument("--paced-rate", type=float, default=4.0, help="messages per second in paced runs")
    args = parser.parse_args()
    pb.install_stop_handlers(args.time_limit)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    embeddings_url = pb.STACK.get("COACHING_EMBEDDINGS_URL", "")
    if not embeddings_url:
        raise SystemExit("COACHING_EMBEDDINGS_URL is not in the bench stack.env")
    db = DB()
    state_path = pb.RT / "pipeline-bench-state.json"
    if state_path.exists():
        log("an earlier run was interrupted: restoring what it changed first")
        state = json.loads(state_path.read_text())
        pb.restart_app(0)
        pb.cleanup(db, state)
        pb.restart_app(None)
    state = pb.snapshot_state(db)
    state_path.write_text(json.dumps(state, default=str))
    items = messages()
    runs: list = []
    stopped = False
    try:
        db.run(f"""INSERT IGNORE INTO users (id, name, email, password, role, status)
                   SELECT seq, CONCAT('Pipeline Bench Agent ', seq), CONCAT('pipeline-bench-agent-', seq, '@example.com'),
                          NULL, 'agent', 'active'
                   FROM seq_{pb.AGENT_FIRST}_to_{pb.AGENT_FIRST + pb.AGENTS - 1}""")
        token = pb.mint_token()
        pb.restart_app(None)
        # Warm-up (not counted): the embeddings server and the app's connections.
        warm = items[:20]
        run_once(db, token, warm, 9, embeddings_url, "warm-up")
        if args.burst:
            for i in range(args.runs * 2):
                label = "off" if i % 2 == 0 else "on"
                runs.append(run_once(db, token, items, i, embeddings_url if label == "on" else "", label))
                (out / "runs.json").write_text(json.dumps(runs, indent=1, default=str))
        if args.paced_messages > 0:
            # Paced: the first N/2 messages of each holdout file, one per request at --paced-rate per second.
            half = args.paced_messages // 2
            by_file = [messages_of(path) for path in HOLDOUTS]
            subset = by_file[0][:half] + by_file[1][:args.paced_messages - half]
            for i in range(args.runs * 2):
                label = "paced-off" if i % 2 == 0 else "paced-on"
                # Conversation blocks 6 and 7 (the burst runs use 0-5, the warm-up 9), 300 apart.
                runs.append(run_once(db, token, subset, 6 + i // 3, embeddings_url if label == "paced-on" else "",
                                     label, rate=args.paced_rate, conv_offset=(i % 3) * 300))
                (out / "runs.json").write_text(json.dumps(runs, indent=1, default=str))
    except pb.Stop as reason:
        log(f"stopping early: {reason}")
        stopped = True
    finally:
        signal.alarm(0)
        try:
            pb.restart_app(0)
        except (Exception, SystemExit):  # noqa: BLE001
            pass
        try:
            pb.cleanup(DB(), state)
            state_path.unlink(missing_ok=True)
        except Exception as error:  # noqa: BLE001
            log(f"cleanup failed: {error}; the next run restores from {state_path}")
        try:
            pb.restart_app(None)
        except (Exception, SystemExit):  # noqa: BLE001
            log("could not restart the app; scripts/stack.sh restart-app bench does")
    summary = summarise(runs)
    (out / "results.json").write_text(json.dumps({"messages": len(items), "runs": runs, "summary": summary},
                                                 indent=1, default=str))
    print(json.dumps(summary, indent=1, default=str))
    return 130 if stopped else 0


if __name__ == "__main__":
    sys.exit(main())
