#!/usr/bin/env bash
# Capacity inputs: what one host holds and what two hosts hold, measured in one run on the private
# bench stack. A host is one nginx + nchan and one `coaching serve`; host 2 is
# `scripts/stack.sh peer-up bench` (port + 1, same MariaDB).
#
#   bash bench/capacity_bench.sh
#
#   1. polls   wrk with bench/poll.lua (the data set and tokens of bench/poll_bench.sh) against host 1
#              alone, then hosts 1 and 2 at once (two wrk, the same threads and connections split in
#              two), and nginx's /static-probe on host 1 as the same-run reference; RUNS runs
#              alternated, medians; req/s, p50/p99 and CPU per request of nginx, app and mariadbd
#   2. watcher CPU-ms per second of both apps and mariadbd at idle with `watch_messages_table`
#              (service settings row) off and on, IDLE_RUNS windows of IDLE_SECONDS each, alternated
#   3. push    bench/push_bench.py: SUBSCRIBERS EventSource subscribers on host 1; (c) channels in
#              nginx memory, published on host 1; then with Redis (redis-up bench), PUSH_RUNS times
#              alternated: (a) published on host 1, (b) published on host 2's publisher socket
#
# Environment (defaults in brackets):
#   RUNS [3] DURATION [10s] CONNECTIONS [64] THREADS [2] AGENTS [64] POLL_SECONDS [30]
#   WARMUP [3s] WARMUP_ROUNDS [4]  unmeasured wrk before each poll run, repeated (at most
#                 WARMUP_ROUNDS times) while the polls still read MariaDB: new hints empty the caches
#   IDLE_SECONDS [30] IDLE_RUNS [2] SETTLE_SECONDS [2]   watcher windows; wait after a setting change
#   SUBSCRIBERS [1000] RATE [500] PUSH_RUNS [3]          push (RATE: messages published per second)
#   PHASES ["polls watcher push"]                        which parts to run
#   QUIET_PCT [10] QUIET_WAIT [120]  before each measurement wait (bounded) for an idle machine
#   RESULTS_MD [bench/results-capacity.md]  the markdown summary (also saved beside the raw outputs)
#   COACHING_BIN, NO_BUILD=1  the binary (see bench/lib.sh); COACHING_BENCH_PORT, COACHING_PEER_PORT
#   PYTHON [python3]  runs bench/capacity_bench.py and bench/push_bench.py (standard library only)
#   KEEP=1   leave the stack, host 2 and Redis running afterwards
#   RESEED=1 reload bench/seed_hints.sql even if the data set is there
# Settings changed by the run (coaching enabled, the watcher switch) are put back at the end; host 2
# and Redis are stopped, and the stack too if this script started it. Raw outputs go to
# .runtime/bench/results/capacity-<UTC time>/.
set -Eeuo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
RT="$ROOT/.runtime/bench"

KNOBS=(RUNS DURATION WARMUP WARMUP_ROUNDS CONNECTIONS THREADS AGENTS POLL_SECONDS IDLE_SECONDS IDLE_RUNS SETTLE_SECONDS
       SUBSCRIBERS RATE PUSH_RUNS PHASES QUIET_PCT QUIET_WAIT RESULTS_MD KEEP RESEED NO_BUILD COACHING_BIN)
declare -A GIVEN=()
for knob in "${KNOBS[@]}"; do
    if printenv "$knob" >/dev/null 2>&1; then GIVEN[$knob]="$(printenv "$knob")"; fi
done
RUNS="${RUNS:-3}"
DURATION="${DURATION:-10s}"
WARMUP="${WARMUP:-3s}"
WARMUP_ROUNDS="${WARMUP_ROUNDS:-4}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"
AGENTS="${AGENTS:-64}"
POLL_SECONDS="${POLL_SECONDS:-30}"
IDLE_SECONDS="${IDLE_SECONDS:-30}"
IDLE_RUNS="${IDLE_RUNS:-2}"
SETTLE_SECONDS="${SETTLE_SECONDS:-2}"
SUBSCRIBERS="${SUBSCRIBERS:-1000}"
RATE="${RATE:-500}"
PUSH_RUNS="${PUSH_RUNS:-3}"
PHASES="${PHASES:-polls watcher push}"
export QUIET_WAIT="${QUIET_WAIT:-120}"
RESULTS_MD="${RESULTS_MD:-$ROOT/bench/results-capacity.md}"
KEEP="${KEEP:-0}"
RESEED="${RESEED:-0}"
PY="${PYTHON:-python3}"
HELPER="$ROOT/bench/capacity_bench.py"

log() { echo "[capacity] $*" >&2; }
die() { echo "[capacity] FAILED: $*" >&2; exit 1; }
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

[ "$AGENTS" -ge 1 ] && [ "$AGENTS" -le "$POLL_TOTAL_AGENTS" ] || die "AGENTS must be 1..$POLL_TOTAL_AGENTS"

phase_selected() { [[ " $PHASES " == *" $1 "* ]]; }

# The command as run, with the settings given in the environment, for the report.
command_line() {
    local knob words=()
    for knob in "${KNOBS[@]}"; do
        if [ -n "${GIVEN[$knob]+set}" ]; then words+=("$knob=${GIVEN[$knob]}"); fi
    done
    echo "${words[*]:+${words[*]} }bash bench/capacity_bench.sh"
}

check_tools() {
    local tool
    for tool in wrk curl "$PY" mariadb redis-server redis-cli; do
        command -v "$tool" >/dev/null 2>&1 || die "$tool is required (scripts/stack.sh deps installs it)"
    done
}

# The other benchmarks restart the bench stack's app, change its settings or stop it: never together.
wait_for_other_benchmarks() {
    local others='bench/(poll_bench\.sh|pipeline_bench|push_e2e_bench|e2e_bench\.py|soak_bench|local_analyser_bench)'
    pgrep -f "$others" >/dev/null 2>&1 || return 0
    log "another benchmark uses the bench stack ($(pgrep -af "$others" | head -1 | cut -c1-80)); waiting for it"
    for _ in $(seq 1 360); do
        pgrep -f "$others" >/dev/null 2>&1 || return 0
        sleep 5
    done
    die "another benchmark is still running after 30 min"
}

# SUBSCRIBERS client sockets here and one per subscriber in nginx: the soft open-files limit is
# raised as far as the hard one allows before the stack starts, so nginx inherits it.
raise_open_files_limit() {
    local hard want=65536
    hard="$(ulimit -Hn)"
    if [ "$hard" != "unlimited" ] && [ "$hard" -lt "$want" ]; then want="$hard"; fi
    ulimit -n "$want" 2>/dev/null || true
    [ "$(ulimit -n)" -ge $(( SUBSCRIBERS + 200 )) ] || die "ulimit -n is $(ulimit -n); SUBSCRIBERS=$SUBSCRIBERS needs more"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
stack_running() { [ -f "$RT/nginx.pid" ] && kill -0 "$(cat "$RT/nginx.pid")" 2>/dev/null; }

# Host 1 on COACHING_BENCH_PORT and host 2 on the next port: a free pair unless either is given or
# the stack already runs.
choose_ports() {
    [ -z "${COACHING_BENCH_PORT:-}" ] || return 0
    local port
    if stack_running && [ -f "$RT/stack.env" ]; then
        port="$(sed -n 's#^COACHING_BASE_URL=http://127.0.0.1:##p' "$RT/stack.env")"
    else
        for port in $(seq 28080 2 28180); do
            port_in_use "$port" || port_in_use $(( port + 1 )) || break
        done
        [ "$port" = 28080 ] || log "port 28080 or 28081 is taken by another process; using $port and $(( port + 1 ))"
    fi
    export COACHING_BENCH_PORT="$port"
}

# --- settings ------------------------------------------------------------------------------------
SAVED_SETTINGS=()

# Keeps the statement that puts settings row $1 back as it is now (or deletes it, if absent).
save_setting() {
    local key="$1" file="$OUT/restore-$1.sql" statement
    statement="$(bench_sql -N -B -r -e "SELECT CONCAT(
        'INSERT INTO settings (\`key\`, \`value\`, \`type\`, \`group\`, label) VALUES (',
        QUOTE(\`key\`), ', ', QUOTE(\`value\`), ', ', QUOTE(\`type\`), ', ', QUOTE(\`group\`), ', ', QUOTE(label),
        ') ON DUPLICATE KEY UPDATE \`value\` = VALUES(\`value\`), \`type\` = VALUES(\`type\`),',
        ' \`group\` = VALUES(\`group\`), label = VALUES(label);')
        FROM settings WHERE \`key\` = '$key'")"
    [ -n "$statement" ] || statement="DELETE FROM settings WHERE \`key\` = '$key';"
    printf '%s\n' "$statement" >"$file"
    SAVED_SETTINGS+=("$key")
}

restore_settings() {
    local key
    for key in "${SAVED_SETTINGS[@]}"; do
        if bench_sql <"$OUT/restore-$key.sql"; then
            log "settings row $key restored"
        else
            log "could not restore settings row $key"
        fi
    done
    SAVED_SETTINGS=()
}

# Sets `watch_messages_table` in the service settings row to $1 (true or false), keeping its other
# keys, and waits for every process to re-read the settings.
set_watch_messages_table() {
    bench_sql -e "INSERT INTO settings (\`key\`, \`value\`, \`type\`, \`group\`, label)
        VALUES ('realtime_coaching_service', JSON_OBJECT('watch_messages_table', JSON_EXTRACT('$1', '\$')),
                'json', 'coaching', 'Realtime coaching service')
        ON DUPLICATE KEY UPDATE \`type\` = 'json', \`value\` = JSON_SET(IF(JSON_VALID(\`value\`), \`value\`, '{}'),
            '\$.watch_messages_table', JSON_EXTRACT('$1', '\$'));"
    [ "$(bench_sql_value "SELECT JSON_EXTRACT(\`value\`, '\$.watch_messages_table') FROM settings
                          WHERE \`key\` = 'realtime_coaching_service'")" = "$1" ] || die "watch_messages_table was not set to $1"
    sleep "$SETTLE_SECONDS"
}

# --- stack ---------------------------------------------------------------------------------------
STARTED_STACK=0
OUT=""

finish() {
    local status=$?
    trap - EXIT
    if [ -n "$OUT" ] && [ "${#SAVED_SETTINGS[@]}" -gt 0 ]; then restore_settings; fi
    if [ "$KEEP" = "1" ]; then
        log "KEEP=1: bench stack, host 2 and Redis left running (scripts/stack.sh down bench stops them)"
    elif [ "$STARTED_STACK" = "1" ]; then
        scripts/stack.sh down bench >/dev/null 2>&1 || log "scripts/stack.sh down bench failed"
    else
        scripts/stack.sh peer-down bench >/dev/null 2>&1 || log "scripts/stack.sh peer-down bench failed"
        if [ -f "$RT/nchan-redis" ] || [ -f "$RT/redis.pid" ]; then
            scripts/stack.sh redis-down bench >/dev/null 2>&1 || log "scripts/stack.sh redis-down bench failed"
        fi
        log "bench stack left running (it was up before); host 2 and Redis stopped"
    fi
    exit "$status"
}

start_stack() {
    stack_running || STARTED_STACK=1
    log "starting the bench stack (http://127.0.0.1:$COACHING_BENCH_PORT)"
    scripts/stack.sh up bench
    if [ "$BIN" -nt "$RT/app.pid" ]; then
        log "the binary is newer than the running app; restarting the app"
        scripts/stack.sh restart-app bench
    fi
    load_stack_env
}

# The stack's settings this script needs, as shell variables: exported, host 1's COACHING_SOCKET
# and the like would override host 2's own env file when peer-up starts its app.
load_stack_env() {
    local key
    for key in COACHING_BASE_URL COACHING_DB_SOCKET COACHING_DB_USER COACHING_DB_PASSWORD COACHING_DB_NAME \
               COACHING_THREADS; do
        printf -v "$key" '%s' "$(sed -n "s#^$key=##p" "$RT/stack.env" | tail -1)"
    done
    [ -n "$COACHING_BASE_URL" ] && [ -n "$COACHING_DB_SOCKET" ] || die "incomplete $RT/stack.env"
}

start_host2() {
    log "starting host 2 (scripts/stack.sh peer-up bench)"
    scripts/stack.sh peer-up bench
    HOST2_BASE="$(sed -n 's#^COACHING_BASE_URL=##p' "$RT/peer/stack.env")"
    [ -n "$HOST2_BASE" ] || die "no COACHING_BASE_URL in $RT/peer/stack.env"
}

# nchan's channels in nginx's memory, with new nginx workers on both hosts: stack.sh restarts an
# nginx whose channels were in Redis and reloads one whose were not.
channels_in_memory() { scripts/stack.sh redis-down bench; }

# nchan's channels in Redis, with both hosts' nginx restarted (stack.sh always restarts an nginx
# whose channels are in Redis, even when they already were).
channels_in_redis() { scripts/stack.sh redis-up bench; }

record_build_and_machine() {
    BUILD="commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)'), binary $BIN built $(date -u -r "$BIN" '+%Y-%m-%d %H:%M UTC'), COACHING_THREADS=${COACHING_THREADS:-?}"
    MACHINE="$(nproc) cores ($(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)), $(awk '/MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo) RAM, $(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r); nginx $(nginx -v 2>&1 | sed 's#.*/##'), MariaDB $(mariadb --version | sed -n 's/.*Distrib \([^,-]*\).*/\1/p'), Redis $(redis-server --version | sed -n 's/.* v=\([^ ]*\).*/\1/p'), wrk $({ wrk -v 2>&1 || true; } | sed -n '1s/^wrk \([^ ]*\).*/\1/p')"
    printf 'command: %s\nbuild: %s\nmachine: %s\n' "$COMMAND" "$BUILD" "$MACHINE" >"$OUT/build.txt"
}

# --- polls ---------------------------------------------------------------------------------------
# A 200 with this agent's recent hints from both hosts, before any load.
check_polls_answer() {
    local base status
    refresh_recent_hints
    for base in "$COACHING_BASE_URL" "$HOST2_BASE"; do
        status="$(curl -sS -o "$OUT/check-poll.json" -w '%{http_code}' -H "Authorization: Bearer ${TOKENS[1]}" \
            "$base/coaching/pending-hints?conversation_id=1&seconds=$POLL_SECONDS")"
        [ "$status" = "200" ] || die "pending-hints on $base answered $status"
        grep -q '"hints":\[{' "$OUT/check-poll.json" || die "pending-hints on $base has no recent hints (is coaching enabled?)"
    done
    curl -fsS -o /dev/null "$COACHING_BASE_URL/static-probe" || die "/static-probe does not answer"
}

measure_wrk() { # name warmup [--lua FILE] --url URL ...
    local name="$1" warmup="$2"
    shift 2
    POLL_PAIRS="$PAIRS" POLL_SECONDS="$POLL_SECONDS" "$PY" "$HELPER" wrk --runtime "$RT" --out "$OUT" --name "$name" \
        --threads "$THREADS" --connections "$CONNECTIONS" --duration "$DURATION" --warmup "$warmup" "$@"
}

# Fresh hints invalidate every cached answer; the warm-up after them (not counted) reads them from
# the database again, so the measured seconds are steady-state polling, as in poll_bench.sh.
measure_polls() { # name URL...
    local name="$1" url args=()
    shift
    for url in "$@"; do args+=(--url "$url/coaching/pending-hints"); done
    wait_quiet
    refresh_recent_hints
    measure_wrk "$name" "$WARMUP" --warmup-rounds "$WARMUP_ROUNDS" --lua "$ROOT/bench/poll.lua" "${args[@]}"
}

run_polls() {
    log "polls: wrk -t$THREADS -c$CONNECTIONS -d$DURATION, $RUNS runs alternated (static, host 1, hosts 1 + 2)"
    check_polls_answer
    local run static_warmup
    for run in $(seq 1 "$RUNS"); do
        static_warmup=0
        [ "$run" = 1 ] && static_warmup="$WARMUP"
        wait_quiet
        measure_wrk "static-$run" "$static_warmup" --url "$COACHING_BASE_URL/static-probe"
        measure_polls "poll1-$run" "$COACHING_BASE_URL"
        measure_polls "poll2-$run" "$COACHING_BASE_URL" "$HOST2_BASE"
    done
}

# --- watcher -------------------------------------------------------------------------------------
run_watcher() {
    log "watcher: $IDLE_RUNS idle windows of ${IDLE_SECONDS}s each with watch_messages_table off and on"
    local run state
    for run in $(seq 1 "$IDLE_RUNS"); do
        for state in false true; do
            wait_quiet
            set_watch_messages_table "$state"
            "$PY" "$HELPER" idle --runtime "$RT" --out "$OUT" --seconds "$IDLE_SECONDS" \
                --name "idle-watch-$([ "$state" = true ] && echo on || echo off)-$run"
        done
    done
}

# --- push ----------------------------------------------------------------------------------------
# Every run starts on new nginx workers, so that their RSS with all subscribers connected, less
# their RSS before, is this run's own (workers keep memory an earlier run's subscribers used).
measure_push() { # name publisher-socket memory|redis
    if [ "$3" = redis ]; then channels_in_redis; else channels_in_memory; fi
    sleep "$SETTLE_SECONDS"
    wait_quiet
    "$PY" "$ROOT/bench/push_bench.py" --env "$RT/stack.env" --subscribers "$SUBSCRIBERS" --rate "$RATE" \
        --publish-socket "$2" --out "$OUT/$1.json" >"$OUT/$1.log" 2>&1 || true
    [ -s "$OUT/$1.json" ] || { tail -20 "$OUT/$1.log" >&2; die "$1: bench/push_bench.py wrote no result"; }
    log "$1: $(tail -1 "$OUT/$1.log")"
}

run_push() {
    local host1_socket="$RT/publish/nchan-publish.sock" host2_socket="$RT/peer/publish/nchan-publish.sock" run
    log "push: $SUBSCRIBERS subscribers on host 1; channels in nginx memory, then in Redis ($PUSH_RUNS runs)"
    measure_push push-c-1 "$host1_socket" memory
    for run in $(seq 1 "$PUSH_RUNS"); do
        measure_push "push-a-$run" "$host1_socket" redis
        measure_push "push-b-$run" "$host2_socket" redis
    done
}

# --- main ----------------------------------------------------------------------------------------
main() {
    check_tools
    ensure_release_binary
    export COACHING_BIN="$BIN"
    wait_for_other_benchmarks
    raise_open_files_limit
    choose_ports
    trap finish EXIT
    trap 'log "stopped by a failing command (line $LINENO): $BASH_COMMAND"' ERR
    trap 'exit 130' INT TERM
    local started
    started="$(date -u '+%Y-%m-%d %H:%M UTC')"
    COMMAND="$(command_line)"
    start_stack
    OUT="$RT/results/capacity-$(date -u +%Y%m%dT%H%M%SZ)"
    mkdir -p "$OUT"
    record_build_and_machine
    seed_poll_data "$RESEED" || die "seeding failed"
    save_setting conversation_settings
    save_setting realtime_coaching_service
    enable_coaching
    PAIRS="$OUT/pairs.txt"
    mint_poll_pairs "$PAIRS" "$AGENTS" || die "could not mint the tokens"
    if [ -f "$RT/nchan-redis" ]; then channels_in_memory; fi
    start_host2
    sleep "$SETTLE_SECONDS"
    log "raw outputs: ${OUT#"$ROOT"/}"
    if phase_selected polls; then run_polls; fi
    if phase_selected watcher; then run_watcher; fi
    if phase_selected push; then run_push; fi
    restore_settings
    local report_status=0
    "$PY" "$HELPER" report --out "$OUT" --md "$RESULTS_MD" --command "$COMMAND" --started "$started" \
        --build "$BUILD" --machine "$MACHINE" >/dev/null || report_status=$?
    case "$report_status" in 0|3) ;; *) die "bench/capacity_bench.py report failed" ;; esac
    log "summary: $RESULTS_MD"
    cat "$RESULTS_MD"
    [ "$report_status" -eq 0 ] || die "some runs had errors or lost push messages (see the summary)"
}

main "$@"
