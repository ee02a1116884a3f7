#!/usr/bin/env bash
# Push fan-out (1,000 EventSource subscribers) and end-to-end browser latency (message -> card) on
# the private `bench` stack (nginx 127.0.0.1:28080, MariaDB .runtime/bench/mysql.sock).
#   bash bench/push_e2e_bench.sh            both
#   bash bench/push_e2e_bench.sh push       fan-out only
#   bash bench/push_e2e_bench.sh e2e        browser only
# Env: SUBSCRIBERS (1000), RATE (500 msg/s), MESSAGES (100), LATENCY_MS (1000), DELAY (0.5).
# If the bench stack is not already up it is started and, at the end, stopped again. Results (JSON)
# go to .runtime/bench/results/push-e2e-<UTC time>/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
WHAT="${1:-all}"
PY="${PYTHON:-$ROOT/.runtime/venv/bin/python}"
ENV_FILE="$ROOT/.runtime/bench/stack.env"
OUT="$ROOT/.runtime/bench/results/push-e2e-$(date -u +%Y%m%dT%H%M%SZ)"
SUBSCRIBERS="${SUBSCRIBERS:-1000}"
RATE="${RATE:-500}"
MESSAGES="${MESSAGES:-100}"
LATENCY_MS="${LATENCY_MS:-1000}"
DELAY="${DELAY:-0.5}"

# 1,000 client sockets here plus 2 per subscriber inside nginx (client + auth subrequest briefly):
# raise the soft open-files limit as far as the hard limit allows, before nginx is started, so the
# stack inherits it too.
hard="$(ulimit -Hn)"
want=65536
if [ "$hard" != "unlimited" ] && [ "$hard" -lt "$want" ]; then want="$hard"; fi
ulimit -n "$want" || true
echo "ulimit -n: $(ulimit -n) (hard $hard)"

if pgrep -f 'bench/pipeline_bench.py' >/dev/null; then
    echo "bench/pipeline_bench.py is running on the bench profile; wait for it to finish" >&2
    exit 3
fi

[ -x .build/release/coaching ] || swift build -c release --product coaching

started=0
if ! curl -fsS -o /dev/null --max-time 3 http://127.0.0.1:28080/coaching/health 2>/dev/null; then
    timeout 300 bash scripts/stack.sh up bench
    started=1
fi
cleanup() {
    if [ "$started" = 1 ]; then timeout 120 bash scripts/stack.sh down bench || true; fi
}
trap cleanup EXIT

mkdir -p "$OUT"
echo "machine: $(nproc) cores, $(free -m | awk '/^Mem:/{print $2}') MiB RAM, $(uname -sr)" | tee "$OUT/machine.txt"
status=0
if [ "$WHAT" = all ] || [ "$WHAT" = push ]; then
    timeout 300 "$PY" bench/push_bench.py --env "$ENV_FILE" --subscribers "$SUBSCRIBERS" --rate "$RATE" \
        --out "$OUT/push.json" >"$OUT/push.log" 2>&1 || status=1
    tail -1 "$OUT/push.log"
    # Burst: 3 messages per subscriber, published back to back.
    timeout 300 "$PY" bench/push_bench.py --env "$ENV_FILE" --subscribers "$SUBSCRIBERS" --rate 100000 \
        --rounds 3 --out "$OUT/push-burst.json" >"$OUT/push-burst.log" 2>&1 || status=1
    tail -1 "$OUT/push-burst.log"
fi
if [ "$WHAT" = all ] || [ "$WHAT" = e2e ]; then
    timeout 900 "$PY" bench/e2e_bench.py --env "$ENV_FILE" --messages "$MESSAGES" --latency-ms "$LATENCY_MS" \
        --delay "$DELAY" --out "$OUT/e2e.json" >"$OUT/e2e.log" 2>&1 || status=1
    tail -1 "$OUT/e2e.log"
fi
echo "results: $OUT"
exit "$status"
