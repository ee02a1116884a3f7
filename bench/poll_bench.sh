#!/usr/bin/env bash
# Polling benchmark: GET /coaching/pending-hints through nginx -> FastCGI -> MariaDB with 1,000,000
# hint rows, next to nginx answering a static string (/static-probe) in the same run.
#
#   bash bench/poll_bench.sh
#
# Starts the private bench stack (scripts/stack.sh up bench), seeds bench/seed_hints.sql once,
# enables coaching, mints one token per agent for AGENTS agents and runs wrk RUNS times against each
# target (alternating static / poll), reporting the median. Stops the stack at the end unless KEEP=1.
#
# Environment (defaults in brackets):
#   RUNS [3]  DURATION [10s]  CONNECTIONS [64]  THREADS [2]  AGENTS [64]  POLL_SECONDS [30]
#   WARMUP [3s]   wrk warm-up per target before measuring (not counted); 0 to skip
#   QUIET_PCT [10] QUIET_WAIT [300]  before each run, wait up to QUIET_WAIT s for the machine to be
#                 at most QUIET_PCT % busy (other work on 2 cores skews the figures)
#   DISTURBED_PCT [5] DISTURBED_RETRIES [2]  repeat a run in which other processes used more than
#                 DISTURBED_PCT % of the machine, at most DISTURBED_RETRIES times
#   DIAG [1]      also run two diagnostic targets, one run each (no token -> 401; a token on a
#                 route that does not query the database); DIAG=0 skips them
#   KEEP=1        leave the stack running afterwards
#   RESEED=1      reseed even if the data set is already there
# Raw wrk outputs and a summary go to .runtime/bench/results/<UTC timestamp>/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

RUNS="${RUNS:-3}"
DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"
AGENTS="${AGENTS:-64}"
POLL_SECONDS="${POLL_SECONDS:-30}"
WARMUP="${WARMUP:-3s}"
KEEP="${KEEP:-0}"
RESEED="${RESEED:-0}"

# Targets (issue acceptance).
TARGET_RATIO_PCT=30
TARGET_P99_MS=10

log() { echo "[bench] $*" >&2; }
die() { echo "[bench] FAILED: $*" >&2; exit 1; }
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

[ "$AGENTS" -ge 1 ] && [ "$AGENTS" -le "$POLL_TOTAL_AGENTS" ] || die "AGENTS must be 1..$POLL_TOTAL_AGENTS"

# --- prerequisites -------------------------------------------------------------------------------
if ! command -v wrk >/dev/null 2>&1; then
    log "installing wrk"
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq wrk >/dev/null \
        || { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq wrk >/dev/null; }
fi
for tool in wrk curl python3 mariadb; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is required (scripts/stack.sh deps installs it)"
done
BIN="${COACHING_BIN:-$ROOT/.build/release/coaching}"
if [ ! -x "$BIN" ]; then
    log "building the release binary (swift build -c release)"
    swift build -c release
fi

# --- stack ---------------------------------------------------------------------------------------
stop_stack() {
    local status=$?
    if [ "$KEEP" = "1" ]; then
        log "KEEP=1: bench stack left running (scripts/stack.sh down bench stops it)"
    else
        scripts/stack.sh down bench >/dev/null 2>&1 || true
    fi
    exit "$status"
}
trap stop_stack EXIT
trap 'exit 130' INT TERM

RT="$ROOT/.runtime/bench"
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# The bench profile listens on 28080 unless COACHING_BENCH_PORT says otherwise. If something else
# already holds that port (and it is not this stack's own nginx), take the next free one.
if [ -z "${COACHING_BENCH_PORT:-}" ]; then
    port=28080
    if ! { [ -f "$RT/nginx.pid" ] && kill -0 "$(cat "$RT/nginx.pid")" 2>/dev/null; } && port_in_use "$port"; then
        for candidate in $(seq 28081 28180); do
            port_in_use "$candidate" || { port="$candidate"; break; }
        done
        log "port 28080 is taken by another process; using $port"
    elif [ -f "$RT/stack.env" ] && [ -f "$RT/nginx.pid" ] && kill -0 "$(cat "$RT/nginx.pid")" 2>/dev/null; then
        port="$(sed -n 's#^COACHING_BASE_URL=http://127.0.0.1:##p' "$RT/stack.env")"
    fi
    export COACHING_BENCH_PORT="$port"
fi

log "starting the bench stack (http://127.0.0.1:$COACHING_BENCH_PORT)"
scripts/stack.sh up bench
# A running app left by an earlier KEEP=1 run may predate the current binary: restart it then.
if [ "$BIN" -nt "$RT/app.pid" ]; then
    log "the binary is newer than the running app; restarting the app"
    scripts/stack.sh restart-app bench
fi

[ -f "$RT/stack.env" ] || die "missing $RT/stack.env"
set -a
# shellcheck disable=SC1091
. "$RT/stack.env"
set +a
BASE="$COACHING_BASE_URL"

sql() { bench_sql "$@"; }
sql_value() { bench_sql_value "$1"; }

# --- data ----------------------------------------------------------------------------------------
seed_poll_data "$RESEED" || die "seeding failed"
enable_coaching

# --- tokens and pairs ----------------------------------------------------------------------------
OUT="$RT/results/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$OUT"
PAIRS="$OUT/pairs.txt"
mint_poll_pairs "$PAIRS" "$AGENTS" || die "could not mint the tokens"

# --- verification --------------------------------------------------------------------------------
refresh_recent_hints
sleep 1.2 # the service re-reads settings at most every second
curl -fsS -o /dev/null "$BASE/static-probe" || die "/static-probe does not answer"

check_poll() { # agent conversation expect(nonempty|empty)
    local agent="$1" conversation="$2" expect="$3" body status
    body="$OUT/check-$agent-$conversation.json"
    status="$(curl -sS -o "$body" -w '%{http_code}' -H "Authorization: Bearer ${TOKENS[$agent]}" \
        "$BASE/coaching/pending-hints?conversation_id=$conversation&seconds=$POLL_SECONDS")"
    [ "$status" = "200" ] || { cat "$body" >&2; die "pending-hints for agent $agent, conversation $conversation answered $status"; }
    python3 - "$body" "$agent" "$conversation" "$expect" <<'PY' || exit 1
import json, sys
path, agent, conversation, expect = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
doc = json.load(open(path, encoding="utf-8"))
hints = doc.get("hints")
problems = []
if doc.get("success") is not True or doc.get("enabled") is not True:
    problems.append("success/enabled not true (is coaching enabled?)")
if not isinstance(hints, list):
    problems.append("hints is not an array")
else:
    if expect == "nonempty" and not hints:
        problems.append("hints array is empty, expected the seeded recent hints")
    if expect == "empty" and hints:
        problems.append("expected no hints in the window, got %d" % len(hints))
    for h in hints:
        if h.get("agent_id") != agent or h.get("conversation_id") != conversation:
            problems.append("hint %s belongs to agent %s / conversation %s" % (h.get("id"), h.get("agent_id"), h.get("conversation_id")))
        if not isinstance(h.get("suggestions"), list):
            problems.append("hint %s: suggestions is not an array" % h.get("id"))
if problems:
    print("[bench] FAILED: agent %d conversation %d: %s" % (agent, conversation, "; ".join(problems)), file=sys.stderr)
    sys.exit(1)
print("[bench] check agent %d conversation %d: 200, %d hint(s)" % (agent, conversation, len(hints)), file=sys.stderr)
PY
}
# Conversation c = 800 q + a carries recent hints; c = a + 200 does not.
check_poll 1 1 nonempty
check_poll "$AGENTS" "$AGENTS" nonempty
check_poll 1 201 empty
# Pairs must be allowed: the answer must never be another agent's hints.
status="$(curl -sS -o /dev/null -w '%{http_code}' "$BASE/coaching/pending-hints?conversation_id=1&seconds=30")"
[ "$status" = "401" ] || die "pending-hints without a token answered $status, expected 401"

# --- measurement ---------------------------------------------------------------------------------
CLK_TCK="$(getconf CLK_TCK)"
NGINX_MASTER="$(cat "$RT/nginx.pid")"
APP_PID="$(cat "$RT/app.pid")"
DB_PID="$(cat "$RT/mariadb.pid")"

ticks_of() { # sum of utime+stime (all threads) of the given pids
    local total=0 pid ticks
    for pid in "$@"; do
        [ -r "/proc/$pid/stat" ] || continue
        # Fields after "(comm) ": state is $1, utime $12, stime $13.
        ticks="$(awk '{sub(/^.*\) /, ""); print $12 + $13}' "/proc/$pid/stat" 2>/dev/null || echo 0)"
        total=$(( total + ${ticks:-0} ))
    done
    echo "$total"
}
cpu_snapshot() { # nginx app db system_busy system_total
    local workers busy_total
    workers="$(pgrep -P "$NGINX_MASTER" || true)"
    busy_total="$(awk '/^cpu /{busy=$2+$3+$4+$7+$8+$9; total=busy+$5+$6; print busy, total}' /proc/stat)"
    # shellcheck disable=SC2086
    echo "$(ticks_of "$NGINX_MASTER" $workers) $(ticks_of "$APP_PID") $(ticks_of "$DB_PID") $busy_total"
}
db_questions() { sql_value "SHOW GLOBAL STATUS LIKE 'Questions'" | awk '{print $2}'; }

# Runs wrk once; writes the raw output to $1.txt and a line of figures to $1.metrics:
# rps p50_ms p99_ms requests errors cpu_nginx% cpu_app% cpu_db% cpu_wrk% cpu_other% queries
run_wrk() {
    local name="$1" url="$2" lua="${3:-}" q0 q1 before after wrk_cpu
    local args=(-t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency)
    [ -n "$lua" ] && args+=(-s "$lua")
    q0="$(db_questions)"
    before="$(cpu_snapshot)"
    local TIMEFORMAT='%U %S'
    { time env POLL_PAIRS="$PAIRS" POLL_SECONDS="$POLL_SECONDS" wrk "${args[@]}" "$url" >"$OUT/$name.txt" 2>&1; } 2>"$OUT/$name.time"
    after="$(cpu_snapshot)"
    q1="$(db_questions)"
    wrk_cpu="$(cat "$OUT/$name.time")"
    python3 - "$OUT/$name.txt" "$before" "$after" "$wrk_cpu" "$q0" "$q1" "$CLK_TCK" >"$OUT/$name.metrics" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
before = [int(x) for x in sys.argv[2].split()]
after = [int(x) for x in sys.argv[3].split()]
wrk_user, wrk_sys = (float(x) for x in sys.argv[4].split())
q0, q1, clk = int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
def ms(value, unit):
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
pct = {p: ms(v, u) for p, v, u in re.findall(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.M)}
requests = int(re.search(r"(\d+) requests in", text).group(1))
non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
errors = (int(non2xx.group(1)) if non2xx else 0) + (sum(int(x) for x in sock.groups()) if sock else 0)
delta = [a - b for a, b in zip(after, before)]
nginx, app, db, busy, total = delta
total = max(total, 1)
ncpu = total  # jiffies summed over all CPUs; express per-process figures as % of the whole machine
wrk_ticks = (wrk_user + wrk_sys) * clk
other = max(busy - nginx - app - db - wrk_ticks, 0)
share = lambda t: 100.0 * t / ncpu
print("%.2f %.3f %.3f %d %d %.1f %.1f %.1f %.1f %.1f %.1f %d" % (
    rps, pct["50"], pct["99"], requests, errors,
    share(nginx), share(app), share(db), share(wrk_ticks), share(other), 100.0 - share(busy), q1 - q0))
PY
}

STATIC_URL="$BASE/static-probe"
POLL_URL="$BASE/coaching/pending-hints"
LUA="$ROOT/bench/poll.lua"

if [ "$WARMUP" != "0" ]; then
    log "warm-up ($WARMUP per target, not counted)"
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" "$STATIC_URL" >/dev/null 2>&1 || true
    refresh_recent_hints
    POLL_PAIRS="$PAIRS" POLL_SECONDS="$POLL_SECONDS" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" -s "$LUA" "$POLL_URL" >/dev/null 2>&1 || true
fi

log "measuring: wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency, $RUNS runs per target, alternating"
invalid=0
# One measured run of one target; repeated (up to DISTURBED_RETRIES times) when other processes
# took more than DISTURBED_PCT % of the machine during it.
measure() { # name url [lua] [errors-expected]
    local name="$1" attempt=0 rps p50 p99 n errors other
    while :; do
        wait_quiet
        if [ -n "${3:-}" ]; then
            # Fresh hints invalidate every cached answer: the first seconds after them read the
            # database for each (agent, conversation). They are run (and reported apart) but not
            # counted, so the measured run is steady-state polling.
            refresh_recent_hints
            if [ "$WARMUP" != "0" ]; then
                POLL_PAIRS="$PAIRS" POLL_SECONDS="$POLL_SECONDS" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" \
                    --latency -s "$3" "$2" >"$OUT/$name.after-new-hints.txt" 2>&1 || true
            fi
        fi
        run_wrk "$name" "$2" "${3:-}"
        read -r rps p50 p99 n errors _ _ _ _ other _ <"$OUT/$name.metrics"
        log "$name: $rps req/s, p50 $p50 ms, p99 $p99 ms, $n requests, $errors errors, other load ${other}%"
        if awk -v o="$other" -v m="${DISTURBED_PCT:-5}" 'BEGIN{exit !(o > m)}'             && [ "$attempt" -lt "${DISTURBED_RETRIES:-2}" ]; then
            attempt=$(( attempt + 1 ))
            mv "$OUT/$name.txt" "$OUT/$name.disturbed-$attempt.txt"
            log "$name: other processes used ${other}% of the machine; repeating"
            continue
        fi
        break
    done
    [ "$errors" -eq 0 ] || [ "${4:-}" = "errors-expected" ] \
        || { log "$name: INVALID ($errors non-2xx or socket errors; see $OUT/$name.txt)"; invalid=1; }
}

for run in $(seq 1 "$RUNS"); do
    measure "static-$run" "$STATIC_URL"
    measure "poll-$run" "$POLL_URL" "$LUA"
done

# Diagnostics (DIAG=0 skips them), one run each, not part of the targets: where the time goes on the
# way to the database.
#   diag-noauth    /coaching/pending-hints without a token: nginx -> FastCGI -> app -> 401, no JWT, no DB
#   diag-settings  /api/coaching/settings with a token: JWT check + cached settings + JSON, no DB
if [ "${DIAG:-1}" = "1" ]; then
    printf '%s\n' "init = function(args) wrk.headers['Authorization'] = 'Bearer ${TOKENS[1]}' end" >"$OUT/diag-token.lua"
    measure "diag-noauth" "$POLL_URL?conversation_id=1&seconds=$POLL_SECONDS" "" errors-expected
    measure "diag-settings" "$BASE/api/coaching/settings" "$OUT/diag-token.lua"
    # MariaDB alone (mariadb-slap, 16 clients, text protocol): the poll statement vs SELECT 1.
    if command -v mariadb-slap >/dev/null 2>&1; then
        poll_sql="SELECT h.id, h.conversation_id, h.agent_id, h.message_id, h.hint_type, h.hint_text, h.suggestions, h.model_used, h.tokens_used, h.cost, h.viewed_at, h.feedback, h.created_at, m.content FROM realtime_coaching_hints h LEFT JOIN messages m ON m.id = h.message_id WHERE h.conversation_id = 201 AND h.agent_id = 1 AND h.created_at >= NOW() - INTERVAL 30 SECOND ORDER BY h.created_at DESC, h.id DESC LIMIT 100"
        : >"$OUT/diag-slap.txt"
        for label in select1 poll-statement; do
            query="SELECT 1"; [ "$label" = "poll-statement" ] && query="$poll_sql"
            wait_quiet
            seconds_taken="$(mariadb-slap --no-defaults --socket="$COACHING_DB_SOCKET" -u"$COACHING_DB_USER" \
                -p"$COACHING_DB_PASSWORD" --create-schema="$COACHING_DB_NAME" --concurrency=16 \
                --number-of-queries=40000 --iterations=1 --query="$query;" 2>/dev/null \
                | awk '/Average number of seconds/{print $(NF-1)}')"
            [ -n "$seconds_taken" ] && echo "$label $(awk -v s="$seconds_taken" 'BEGIN{printf "%.0f", 40000 / s}')" >>"$OUT/diag-slap.txt"
        done
    fi
fi

# Still answering correctly after the load.
refresh_recent_hints
check_poll 1 1 nonempty

# --- summary -------------------------------------------------------------------------------------
{
    echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)'), binary built $(date -u -r "$BIN" '+%Y-%m-%d %H:%M UTC'), COACHING_THREADS=${COACHING_THREADS:-?}"
    echo "machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo) RAM, $(date -u '+%Y-%m-%d %H:%M UTC')"
} >"$OUT/build.txt"
python3 - "$OUT" "$RUNS" "$TARGET_RATIO_PCT" "$TARGET_P99_MS" "$invalid" \
    "$THREADS" "$CONNECTIONS" "$DURATION" "$AGENTS" "$POLL_SECONDS" <<'PY' | tee "$OUT/summary.txt"
import os, statistics, sys
out, runs, target_ratio, target_p99, invalid = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5] == "1"
threads, connections, duration, agents, seconds = sys.argv[6:11]
cols = ["rps", "p50", "p99", "requests", "errors", "nginx", "app", "db", "wrk", "other", "idle", "queries"]
def load(target):
    rows = []
    for run in range(1, runs + 1):
        values = open("%s/%s-%d.metrics" % (out, target, run)).read().split()
        rows.append(dict(zip(cols, map(float, values))))
    return rows
def med(rows, key):
    return statistics.median(r[key] for r in rows)
static, poll = load("static"), load("poll")
s_rps, p_rps = med(static, "rps"), med(poll, "rps")
ratio = 100.0 * p_rps / s_rps
p99 = med(poll, "p99")
print()
print(open(out + "/build.txt").read().strip())
print("wrk -t%s -c%s -d%s --latency, median of %d runs (each column's median), %s agents, seconds=%s"
      % (threads, connections, duration, runs, agents, seconds))
print("%-30s %12s %9s %9s" % ("target", "req/s", "p50 ms", "p99 ms"))
for name, rows in (("static  /static-probe", static), ("poll    /coaching/pending-hints", poll)):
    print("%-30s %12.0f %9.2f %9.2f" % (name, med(rows, "rps"), med(rows, "p50"), med(rows, "p99")))
print("per-run req/s static: %s" % ", ".join("%.0f" % r["rps"] for r in static))
print("per-run req/s poll:   %s" % ", ".join("%.0f" % r["rps"] for r in poll))
print("ratio poll/static: %.1f %%   (target >= %.0f %%: %s)" % (ratio, target_ratio, "met" if ratio >= target_ratio else "NOT met"))
print("poll p99: %.2f ms           (target <= %.0f ms: %s)" % (p99, target_p99, "met" if p99 <= target_p99 else "NOT met"))
print("errors (non-2xx + socket): static %d, poll %d" % (sum(r["errors"] for r in static), sum(r["errors"] for r in poll)))
print("CPU share of the machine during the runs (median, % of all cores): "
      "nginx / app / MariaDB / wrk / other / idle")
for name, rows in (("static", static), ("poll", poll)):
    print("  %-6s %5.1f / %5.1f / %5.1f / %5.1f / %5.1f / %5.1f" % (
        name, med(rows, "nginx"), med(rows, "app"), med(rows, "db"), med(rows, "wrk"), med(rows, "other"), med(rows, "idle")))
# CPU time per request (microseconds, all cores): share of the machine x cores x 1e6 / req/s.
cores = os.cpu_count() or 2
def per_request(r, key):
    return r[key] / 100.0 * cores * 1e6 / max(r["rps"], 1)
print("CPU time per request (us), nginx / app / MariaDB, from the median run of each target:")
for name, rows in (("static", static), ("poll", poll)):
    r = sorted(rows, key=lambda x: x["rps"])[len(rows) // 2]
    print("  %-6s %6.1f / %6.1f / %6.1f" % (name, per_request(r, "nginx"), per_request(r, "app"), per_request(r, "db")))
print("MariaDB statements per poll request: %.2f" % statistics.median(r["queries"] / max(r["requests"], 1) for r in poll))
disturbed = [("%s-%d" % (name, i + 1), r["other"]) for name, rows in (("static", static), ("poll", poll))
             for i, r in enumerate(rows) if r["other"] > 5.0]
if disturbed:
    print("note: other processes used > 5 %% of the machine during: %s"
          % ", ".join("%s (%.0f %%)" % d for d in disturbed))
if invalid:
    print("INVALID: at least one run had errors; see the raw wrk outputs")
import os
for name, what in (("diag-noauth", "no token -> 401 (nginx+FastCGI+app, no JWT, no DB)"),
                   ("diag-settings", "/api/coaching/settings (JWT, no DB)")):
    path = "%s/%s.metrics" % (out, name)
    if os.path.exists(path):
        r = dict(zip(cols, map(float, open(path).read().split())))
        print("diagnostic %-52s %8.0f req/s (%4.1f %% of static), p50 %.2f ms, p99 %.2f ms; "
              "CPU us/request nginx/app/db %.0f/%.0f/%.0f"
              % (what, r["rps"], 100.0 * r["rps"] / s_rps, r["p50"], r["p99"],
                 per_request(r, "nginx"), per_request(r, "app"), per_request(r, "db")))
if os.path.exists(out + "/diag-slap.txt"):
    slap = dict(line.split() for line in open(out + "/diag-slap.txt") if line.strip())
    if slap:
        print("diagnostic MariaDB alone (mariadb-slap, 16 clients): %s" % ", ".join(
            "%s %s statements/s" % (k, v) for k, v in slap.items()))
import glob, re
for path in sorted(glob.glob(out + "/poll-*.after-new-hints.txt")):
    text = open(path).read()
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    if rps and p99:
        value = float(p99.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
        print("not counted: first %s after 15,000 new hints (%s): %.0f req/s, p99 %.2f ms"
              % (text.split(" test @")[0].split()[-1] if " test @" in text else "seconds",
                 path.rsplit("/", 1)[1].split(".")[0], float(rps.group(1)), value))
print("raw outputs: %s" % out)
PY

[ "$invalid" -eq 0 ] || die "runs with errors: the measurement is invalid"
