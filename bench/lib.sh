# Shared steps of the bench scripts (sourced; ROOT and a log function must be defined).

# The release binary, rebuilt when a source is newer; sets BIN.
ensure_release_binary() {
    BIN="${COACHING_BIN:-$ROOT/.build/release/coaching}"
    if [ "${NO_BUILD:-0}" = "1" ]; then
        [ -x "$BIN" ] || { log "NO_BUILD=1 but $BIN does not exist"; exit 1; }
        if [ -n "$(find "$ROOT/Sources" "$ROOT/Package.swift" -newer "$BIN" -print -quit 2>/dev/null)" ]; then
            log "NO_BUILD=1: using $BIN although a source is newer"
        fi
        return 0
    fi
    if [ ! -x "$BIN" ] || [ -n "$(find "$ROOT/Sources" "$ROOT/Package.swift" -newer "$BIN" -print -quit 2>/dev/null)" ]; then
        log "building the release binary (swift build -c release --product coaching)"
        swift build -c release --product coaching >&2
    fi
}

# Python with PyMySQL: the project's test virtualenv (created as scripts/test.sh does); sets VENV.
ensure_bench_python() {
    VENV="$ROOT/.runtime/venv"
    if ! "$VENV/bin/python" -c "import pymysql" >/dev/null 2>&1; then
        log "preparing $VENV (tests/requirements.txt)"
        python3 -m venv "$VENV" >/dev/null
        "$VENV/bin/pip" install -q -r "$ROOT/tests/requirements.txt"
    fi
}

# On exit: stop the Python run in PY_PID (it stops what it started, deletes its rows and restores
# the settings), then the bench stack unless it was already up before or KEEP=1. Reads RT, KEEP.
stop_bench_on_exit() {
    was_up=0
    if [ -f "$RT/app.pid" ] && kill -0 "$(cat "$RT/app.pid")" 2>/dev/null \
        && [ -f "$RT/nginx.pid" ] && kill -0 "$(cat "$RT/nginx.pid")" 2>/dev/null; then
        was_up=1
    fi
    PY_PID=""
    trap finish_bench_run EXIT
    trap 'exit 130' INT TERM
}

finish_bench_run() {
    local status=$?
    if [ -n "$PY_PID" ] && kill -0 "$PY_PID" 2>/dev/null; then
        kill -TERM "$PY_PID" 2>/dev/null || true
        for _ in $(seq 1 240); do kill -0 "$PY_PID" 2>/dev/null || break; sleep 0.5; done
        kill -0 "$PY_PID" 2>/dev/null && kill -KILL "$PY_PID" 2>/dev/null
    fi
    if [ "$KEEP" = "1" ] || [ "$was_up" = "1" ]; then
        log "bench stack left running (it was already up or KEEP=1; scripts/stack.sh down bench stops it)"
    else
        scripts/stack.sh down bench >/dev/null 2>&1 || true
    fi
    exit "$status"
}

# --- polling data set (bench/seed_hints.sql) and machine quietness; used by poll_bench.sh and
# capacity_bench.sh. They need the stack's env (stack.env) exported, and BIN and RT set.

# Layout fixed by bench/seed_hints.sql: agent a owns conversations a, a+200, ..., a+19800; the
# 15,000 hints from id 985001 on are the "recent" ones (3 in each of 25 conversations per agent).
POLL_TOTAL_AGENTS=200
POLL_TOTAL_CONVERSATIONS=20000
POLL_TOTAL_HINTS=1000000
POLL_RECENT_FIRST_ID=985001
POLL_RECENT_HINTS=15000

bench_sql() {
    mariadb --no-defaults --default-character-set=utf8mb4 --socket="$COACHING_DB_SOCKET" \
        -u"$COACHING_DB_USER" -p"$COACHING_DB_PASSWORD" "$COACHING_DB_NAME" "$@"
}
bench_sql_value() { bench_sql -N -B -e "$1"; }

poll_data_seeded() {
    local counts
    counts="$(bench_sql_value "SELECT (SELECT COUNT(*) FROM realtime_coaching_hints),
                                (SELECT COUNT(*) FROM realtime_coaching_hints WHERE id >= $POLL_RECENT_FIRST_ID),
                                (SELECT COUNT(*) FROM conversations),
                                (SELECT COUNT(*) FROM users WHERE email LIKE 'bench-agent-%')")"
    [ "$counts" = "$(printf '%s\t%s\t%s\t%s' $POLL_TOTAL_HINTS $POLL_RECENT_HINTS $POLL_TOTAL_CONVERSATIONS $POLL_TOTAL_AGENTS)" ]
}

# Loads bench/seed_hints.sql unless the data set is already there ($1 = 1 reloads it anyway).
seed_poll_data() {
    if [ "${1:-0}" = "1" ] || ! poll_data_seeded; then
        log "seeding 200 agents, 20,000 conversations, 60,000 messages, 1,000,000 hints"
        local seed_start
        seed_start=$(date +%s)
        bench_sql <"$ROOT/bench/seed_hints.sql" >/dev/null
        log "seeded in $(( $(date +%s) - seed_start )) s"
        poll_data_seeded || { log "seed did not produce the expected row counts"; return 1; }
    else
        log "data set already present (RESEED=1 to rebuild)"
    fi
}

enable_coaching() {
    log "enabling coaching"
    bench_sql -e "INSERT INTO settings (\`key\`, \`value\`, \`type\`, \`group\`, label)
        VALUES ('conversation_settings', '{\"realtime_coaching\":{\"enabled\":true}}', 'json', 'conversations', 'Conversation settings')
        ON DUPLICATE KEY UPDATE \`type\` = 'json',
            \`value\` = JSON_SET(IF(JSON_VALID(\`value\`), \`value\`, '{}'), '\$.realtime_coaching.enabled', true);"
}

# Mints one token per agent 1..$2 into the array TOKENS and writes the (token, conversation) pairs
# bench/poll.lua rotates over to $1, agents interleaved so consecutive requests go to different
# agents and conversations.
mint_poll_pairs() {
    local pairs="$1" agents="$2" agent j
    log "minting tokens for $agents agents"
    TOKENS=()
    for agent in $(seq 1 "$agents"); do
        TOKENS[agent]="$(COACHING_ENV_FILE="$RT/coaching.env" "$BIN" token --user "$agent" --role agent --ttl 21600)"
        [ -n "${TOKENS[$agent]}" ] || { log "could not mint a token for agent $agent"; return 1; }
    done
    : >"$pairs"
    for j in $(seq 0 $(( POLL_TOTAL_CONVERSATIONS / POLL_TOTAL_AGENTS - 1 ))); do
        for agent in $(seq 1 "$agents"); do
            echo "${TOKENS[$agent]} $(( agent + POLL_TOTAL_AGENTS * j ))" >>"$pairs"
        done
    done
    chmod 600 "$pairs"
    log "$(wc -l <"$pairs") (token, conversation) pairs"
}

# Makes the recent hints new again: right before every polling run they get fresh ids above every
# existing one (as newly saved hints do) and creation times in the last few seconds, so they stay
# inside the `seconds` window for the whole run. New ids are what the service's poll cache watches,
# so every run starts from answers read from the database, never from a previous run's.
refresh_recent_hints() {
    bench_sql -e "UPDATE realtime_coaching_hints
            SET id = id + $POLL_RECENT_HINTS,
                created_at = NOW() - INTERVAL ((id - $POLL_RECENT_FIRST_ID) % 3) * 3 + 1 SECOND
            WHERE id >= $POLL_RECENT_FIRST_ID
            ORDER BY id DESC;"
}

machine_busy_pct() { # busy % of all cores over one second
    local a b
    a="$(awk '/^cpu /{print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat)"
    sleep 1
    b="$(awk '/^cpu /{print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat)"
    echo "$a $b" | awk '{d=$4-$2; print (d > 0) ? int(100 * ($3 - $1) / d) : 0}'
}

# Other work on the machine skews a 2-core measurement: waits (up to QUIET_WAIT seconds) until the
# machine is at most QUIET_PCT % busy. CPU used by others during a run is reported as "other".
wait_quiet() {
    local waited=0 busy
    while :; do
        busy="$(machine_busy_pct)"
        [ "$busy" -le "${QUIET_PCT:-10}" ] && return 0
        if [ "$waited" -ge "${QUIET_WAIT:-300}" ]; then
            log "machine still ${busy}% busy after ${waited}s; measuring anyway (see the 'other' CPU column)"
            return 0
        fi
        [ "$waited" -eq 0 ] && log "machine is ${busy}% busy with other work; waiting for it to settle"
        sleep 4
        waited=$(( waited + 5 ))
    done
}
