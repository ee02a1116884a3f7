# Sourced by stack.sh: a MariaDB read replica of the stack's database, as a deployment with a
# primary and a replica runs it. The primary gets a binary log (restarted once to turn it on); the
# replica, under .runtime/PROFILE/replica/ on the stack's port + 100, is seeded from a consistent
# dump of the primary and then follows it. Its `coaching` account may only SELECT, so a write that
# went to the replica by mistake would fail loudly. The apps read the poll route from it.

REPLICA_RT="$RT/replica"
REPLICA_PORT="$((DB_PORT + 100))"
# Present while the primary must keep its binary log, and while the apps should use the replica.
BINLOG_MARK="$RT/db-binlog"
REPLICA_MARK="$RT/db-replica"

db_root() { mariadb --no-defaults --socket="$RT/mysql.sock" -uroot "$@"; }
replica_root() { mariadb --no-defaults --socket="$REPLICA_RT/mysql.sock" -uroot "$@"; }

# The primary's options while it keeps a binary log: the deployment's file, with this stack's paths.
db_binlog_options() {
    [ -f "$BINLOG_MARK" ] || return 0
    echo "--defaults-file=$ROOT/deploy/mariadb/60-coaching-primary.cnf --log-bin=$RT/mysql/binlog"
}

# The apps' settings for the replica (appended to coaching.env files while it is in use).
replica_env_lines() {
    [ -f "$REPLICA_MARK" ] || return 0
    echo "COACHING_DB_REPLICA_SOCKET=$REPLICA_RT/mysql.sock"
    echo "COACHING_DB_REPLICA_MAX_LAG_SECONDS=${COACHING_REPLICA_MAX_LAG_SECONDS:-10}"
}

replica_start() {
    mariadb_start "$REPLICA_RT" "$REPLICA_PORT" --defaults-file="$ROOT/deploy/mariadb/60-coaching-replica.cnf" \
        --relay-log="$REPLICA_RT/mysql/relay" --innodb-buffer-pool-size=256M --max-connections=500
}

replica_stop() { stop_pid_file "$REPLICA_RT/mariadb.pid" 120; }

replica_running() {
    replica_root -e "SHOW SLAVE STATUS\G" 2>/dev/null | grep -q "Slave_SQL_Running: Yes"
}

# Seeds the replica from a consistent dump of the primary and starts replication at the dump's
# binary-log position. The statements that set up accounts are kept out of the binary log, so
# the replica keeps its own read-only account.
replica_seed() {
    local password repl_password
    password="$(cat "$RT/db-password")"
    [ -s "$RT/replication-password" ] || openssl rand -hex 16 >"$RT/replication-password"
    chmod 600 "$RT/replication-password"
    repl_password="$(cat "$RT/replication-password")"
    db_root <<SQL
SET sql_log_bin = 0;
CREATE USER IF NOT EXISTS 'replication'@'127.0.0.1' IDENTIFIED BY '$repl_password';
ALTER USER 'replication'@'127.0.0.1' IDENTIFIED BY '$repl_password';
GRANT REPLICATION SLAVE ON *.* TO 'replication'@'127.0.0.1';
SQL
    replica_root <<SQL
STOP SLAVE;
RESET SLAVE ALL;
DROP DATABASE IF EXISTS \`$DB_NAME\`;
CREATE DATABASE \`$DB_NAME\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS '$DB_USER'@'localhost' IDENTIFIED BY '$password';
ALTER USER '$DB_USER'@'localhost' IDENTIFIED BY '$password';
GRANT SELECT ON \`$DB_NAME\`.* TO '$DB_USER'@'localhost';
CHANGE MASTER TO MASTER_HOST = '127.0.0.1', MASTER_PORT = $DB_PORT, MASTER_USER = 'replication',
    MASTER_PASSWORD = '$repl_password', MASTER_CONNECT_RETRY = 1;
SQL
    mariadb-dump --no-defaults --socket="$RT/mysql.sock" -uroot --single-transaction --master-data=1 \
        --routines --triggers "$DB_NAME" | replica_root "$DB_NAME"
    replica_root -e "START SLAVE"
    for _ in $(seq 1 120); do replica_running && return 0; sleep 0.25; done
    log "replication did not start; see $REPLICA_RT/mariadb.log"
    replica_root -e "SHOW SLAVE STATUS\G" >&2 || true
    return 1
}

# Rewrites the replica lines of this host's (or, with `as_peer`, the peer's) coaching.env and
# restarts the app that reads it.
replica_apply_to_app() {
    [ -f "$RT/coaching.env" ] || return 0
    sed -i '/^COACHING_DB_REPLICA_/d' "$RT/coaching.env"
    replica_env_lines >>"$RT/coaching.env"
    if [ -f "$RT/app.pid" ]; then app_stop; app_start; fi
}

replica_apply_to_peers() {
    local n
    for n in "${PEER_INDEXES[@]}"; do
        (peer_select "$n"; [ ! -d "$PEER_DIR" ] || as_peer replica_apply_to_app)
    done
}

replica_up() {
    [ -f "$RT/coaching.env" ] || { log "start the stack first (up $PROFILE)"; return 1; }
    touch "$BINLOG_MARK"
    if [ "$(db_root -N -e 'SELECT @@log_bin')" != 1 ]; then
        log "restarting MariaDB with its binary log on"
        db_stop
        db_start
    fi
    replica_start
    replica_running || replica_seed
    touch "$REPLICA_MARK"
    replica_apply_to_app
    replica_apply_to_peers
    log "replica up on port $REPLICA_PORT; polls read from it"
}

replica_down() {
    rm -f "$REPLICA_MARK"
    replica_apply_to_app
    replica_apply_to_peers
    replica_stop
    log "replica stopped; every read on the primary"
}
