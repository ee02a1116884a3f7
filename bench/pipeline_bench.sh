#!/usr/bin/env bash
# Analysis-pipeline benchmarks on the private bench stack (nginx -> FastCGI -> coaching -> MariaDB).
#
#   bash bench/pipeline_bench.sh [ingest|analysis|efficiency|all]      (default: all)
#
#   ingest      customer messages/s accepted through bulk POST /coaching/messages (arrays of 500,
#               concurrent clients) and queued by the messages-table watcher from direct INSERTs;
#               zero loss checked in the database
#   analysis    fake LLM at 1 s, limits open, no debounce, no cache: sustained analyses/s (ledger calls
#               settled per second) and the added latency per analysed message, for several worker
#               thread counts and with an extra `coaching worker` process; CPU split and app RSS
#   efficiency  the evaluation set replayed as conversations: LLM calls per 1,000 customer messages
#               with filters, cache and pre-filter on, against all off
#
# Writes bench/results-pipeline.md (plus bench/pipeline_observations.md, if present, as its
# observations) and raw figures under .runtime/bench/results/pipeline-<UTC timestamp>/.
# Everything the benchmark creates in the bench database is deleted at the end and the settings it
# changes are restored. The stack is stopped at the end if this script started it (KEEP=1 keeps it).
#
# Environment (defaults in brackets):
#   INGEST_MESSAGES [50000] INGEST_BATCH [500] INGEST_CLIENTS ["4 8"]  API door, one run per client count
#   INGEST_IDLE_CLIENTS [4]   diagnostic API run with the workers idle (nothing due for an hour)
#   INGEST_WATCHER_CLIENTS [4]   API run with the messages-table watcher on (its cost under load; 0 skips)
#   WATCH_MESSAGES [20000] WATCH_CLIENTS [4] WATCH_TIMEOUT [150]     watcher door
#   WATCH_EXTRA_WORKERS [1]   repeat the watcher run with this many extra `coaching worker` processes
#   FEED_RATE [250] WARMUP_SECONDS [10] MEASURE_SECONDS [60] LLM_LATENCY_MS [1000]
#   ANALYSIS_CONFIGS ["2:0:0 4:0:0 8:0:0 2:1:2 4:0:0@400 2:0:0+h20000 2:0:0+h200000"]
#             one run each: serve worker threads : extra `coaching worker` processes : their threads,
#             optional @RATE (messages/s fed, default FEED_RATE) and +hROWS (finished rows put in
#             coaching_queue first, as a production queue's history)
#   EFFICIENCY_DEBOUNCE [2]   queue_processing_delay of the "on" variant
#   QUIET_PCT [15] QUIET_WAIT [180]   wait (bounded) for the machine to be idle before each measurement
#   TIME_LIMIT [2700]         the whole run is stopped (and cleaned up) after this many seconds
#   NO_BUILD [0]              1: use the existing release binary even if a source is newer (no rebuild)
#   EFFICIENCY_EMBEDDINGS [1] 0: skip the "embeddings" efficiency variant (needs COACHING_EMBEDDINGS_URL)
#   EFFICIENCY_LOCAL_ANSWER_MIN_CONFIDENCE [0.8] the "local_answers" variant's local_answer_min_confidence (0: skip it)
#   EFFICIENCY_SET [eval]     eval: replay eval/local-analyser.jsonl (the classifier's training data);
#                             holdout: replay the two holdout files (out of sample)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
RT="$ROOT/.runtime/bench"
MODE="${1:-all}"
KEEP="${KEEP:-0}"
TIME_LIMIT="${TIME_LIMIT:-2700}"

log() { echo "[pipeline] $*" >&2; }
die() { echo "[pipeline] FAILED: $*" >&2; exit 1; }

case "$MODE" in
    all) PHASES=(ingest analysis efficiency) ;;
    ingest|analysis|efficiency) PHASES=("$MODE") ;;
    *) sed -n '2,38p' "$0"; exit 2 ;;
esac

for tool in curl python3 mariadb top; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is required (scripts/stack.sh deps installs it)"
done

# The other benchmarks (polling, end-to-end) use the same bench stack, restart its app, change its
# settings or stop it when they end: never run alongside them.
OTHERS='bench/(poll_bench\.sh|e2e_bench|capacity_bench\.sh)'
if pgrep -f "$OTHERS" >/dev/null 2>&1; then
    log "another benchmark is using the bench stack ($(pgrep -af "$OTHERS" | head -1 | cut -c1-80)); waiting for it to finish"
    for _ in $(seq 1 360); do
        pgrep -f "$OTHERS" >/dev/null 2>&1 || break
        sleep 5
    done
    pgrep -f "$OTHERS" >/dev/null 2>&1 && die "another benchmark is still running after 30 min"
fi

# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
ensure_release_binary
ensure_bench_python

# --- stack ---------------------------------------------------------------------------------------
stop_bench_on_exit

log "starting the bench stack"
scripts/stack.sh up bench
if [ "$BIN" -nt "$RT/app.pid" ]; then
    log "the binary is newer than the running app; restarting the app"
    scripts/stack.sh restart-app bench
fi
set -a
# shellcheck disable=SC1091
. "$RT/stack.env"
set +a

OUT="$RT/results/pipeline-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$OUT"
MACHINE="$(nproc) cores ($(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)), $(awk '/MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo) RAM, $(. /etc/os-release && echo "$PRETTY_NAME"), MariaDB $(mariadb --version | sed -n 's/.*Distrib \([^,-]*\).*/\1/p'), nginx $(nginx -v 2>&1 | sed 's#.*/##')"
BUILD="commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- Sources 2>/dev/null || echo ' (uncommitted source changes)'), release binary built $(date -u -r "$BIN" '+%Y-%m-%d %H:%M UTC')"

log "phases: ${PHASES[*]}; raw figures in ${OUT#$ROOT/}"
"$VENV/bin/python" "$ROOT/bench/pipeline_bench.py" "${PHASES[@]}" --out "$OUT" \
    --command "bash bench/pipeline_bench.sh $MODE" --machine "$MACHINE" --build "$BUILD" \
    --time-limit "$TIME_LIMIT" &
PY_PID=$!
status=0
wait "$PY_PID" || status=$?
PY_PID=""
[ "$status" -eq 0 ] || die "the benchmark ended with status $status (see above)"
log "done: bench/results-pipeline.md"
