#!/usr/bin/env bash
# Fuzzes request parsing for a bounded time (default 60 s; `fuzz/run.sh SECONDS`). Starts from the
# seed corpus in fuzz/corpus/request-parsing and the kept inputs in fuzz/regressions; inputs found
# on the way go to .runtime/fuzz/corpus (not the repository). A crashing input is written to
# .runtime/fuzz/crashes/ and the run fails: copy it into fuzz/regressions/ (the unit test
# RequestParsingRegressionTests replays every file there) and fix the parser.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SECONDS_TO_RUN="${1:-${FUZZ_SECONDS:-60}}"
RT="$ROOT/.runtime/fuzz"
mkdir -p "$RT/corpus" "$RT/crashes"
binary="$(bash "$ROOT/fuzz/build.sh" | tail -1)"
status=0
"$binary" -max_total_time="$SECONDS_TO_RUN" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$RT/crashes/" \
    "$RT/corpus" "$ROOT/fuzz/corpus/request-parsing" "$ROOT/fuzz/regressions" >"$RT/fuzz.log" 2>&1 || status=$?
grep -E "^(stat::|Done|INFO: Running with)" "$RT/fuzz.log" || true
if [ "$status" -ne 0 ]; then
    tail -60 "$RT/fuzz.log" >&2
    echo "request-parsing fuzzer failed (exit $status); crash inputs: $(ls "$RT/crashes")" >&2
fi
exit "$status"
