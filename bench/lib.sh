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
