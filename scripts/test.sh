#!/usr/bin/env bash
# `make test`: install what is missing, build, start a private test stack on its own ports, run the
# Swift unit tests, fuzz request parsing for FUZZ_SECONDS (default 60), run the integration suite
# through nginx, stop the stack.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
RT="$ROOT/.runtime/test"

bash scripts/stack.sh deps || exit 1
swift build --build-tests || exit 1
export COACHING_BIN="$ROOT/.build/debug/coaching"

python3 -m venv "$ROOT/.runtime/venv" >/dev/null 2>&1 || { echo "python3 -m venv failed" >&2; exit 1; }
"$ROOT/.runtime/venv/bin/pip" install -q -r tests/requirements.txt || exit 1

cleanup() { bash scripts/stack.sh down test; }
trap cleanup EXIT
bash scripts/stack.sh down test >/dev/null 2>&1
bash scripts/stack.sh up test || exit 1

status=0
swift test --skip-build || status=1
bash fuzz/run.sh "${FUZZ_SECONDS:-60}" || status=1
COACHING_STACK_ENV="$RT/stack.env" "$ROOT/.runtime/venv/bin/python" -m pytest -q tests/fakellm tests/integration || status=1
exit $status
