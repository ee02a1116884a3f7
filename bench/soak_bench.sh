#!/usr/bin/env bash
# Soak benchmark on the private bench stack (nginx -> FastCGI -> coaching -> MariaDB, fake LLM):
# steady polling and message intake for DURATION seconds; the RSS and open file descriptors of the
# app, nginx and MariaDB are sampled every INTERVAL seconds and reported as start / end / max and
# slope per 10 minutes (bench/soak_bench.py).
#
#   bash bench/soak_bench.sh                 (10 minutes after a 60 s warm-up)
#   DURATION=120 bash bench/soak_bench.sh    (a short run)
#
# Environment (defaults in brackets): DURATION [600] INTERVAL [10] WARMUP [60] POLL_RATE [200]
# (requests/s) MESSAGE_RATE [20] (customer messages/s, bulk posts of 5) LLM_LATENCY_MS [300]
# KEEP=1 leaves the stack running. Samples and figures go to .runtime/bench/results/soak-<UTC time>/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
RT="$ROOT/.runtime/bench"
KEEP="${KEEP:-0}"
DURATION="${DURATION:-600}"

log() { echo "[soak] $*" >&2; }

# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
ensure_release_binary
ensure_bench_python
export COACHING_BIN="$BIN"

stop_bench_on_exit

scripts/stack.sh up bench
if [ "$BIN" -nt "$RT/app.pid" ]; then scripts/stack.sh restart-app bench; fi
OUT="$RT/results/soak-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$OUT"
log "commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown); results in ${OUT#$ROOT/}"
"$VENV/bin/python" "$ROOT/bench/soak_bench.py" --out "$OUT" --duration "$DURATION" \
    --interval "${INTERVAL:-10}" --warmup "${WARMUP:-60}" --poll-rate "${POLL_RATE:-200}" \
    --message-rate "${MESSAGE_RATE:-20}" --llm-latency-ms "${LLM_LATENCY_MS:-300}" &
PY_PID=$!
status=0
wait "$PY_PID" || status=$?
PY_PID=""
exit "$status"
