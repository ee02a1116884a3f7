#!/usr/bin/env bash
# Builds the libFuzzer target for request parsing with `swiftc -sanitize=fuzzer,address`: the
# service's own parsing sources (FastCGI params copy, query/form decoding, JSON parser and writer,
# typed body fields) compiled as one module together with fuzz/RequestParsingFuzz.swift. The
# package's module imports are dropped from the copies because everything is one module here.
# Output: .build/fuzz/request-parsing
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/.build/fuzz"
SOURCES=(
    Sources/JSON/JSONParser.swift
    Sources/JSON/JSONValue.swift
    Sources/JSON/JSONWriter.swift
    Sources/Coaching/Settings/FieldProblem.swift
    Sources/Coaching/Reports/StatsPeriod.swift
    Sources/FCGIApp/HTTP/APIError.swift
    Sources/FCGIApp/HTTP/BodyFields.swift
    Sources/FCGIApp/HTTP/CGIParams.swift
    Sources/FCGIApp/HTTP/FormFields.swift
    Sources/FCGIApp/HTTP/HTTPRequest.swift
    Sources/FCGIApp/HTTP/HTTPResponse.swift
    Sources/FCGIApp/HTTP/RequestParsingExercise.swift
    Sources/FCGIApp/Transport/FastCGIParams.swift
)
rm -rf "$OUT/src"
mkdir -p "$OUT/src"
for source in "${SOURCES[@]}"; do
    sed -E '/^import (Coaching|MariaDB|JSON)$/d' "$ROOT/$source" >"$OUT/src/$(basename "$source")"
done
# ld.gold warns about every ASan helper symbol it cannot export; keep that out of the output.
if ! swiftc -sanitize=fuzzer,address -parse-as-library -O -g -module-name RequestParsingFuzz \
        "$OUT"/src/*.swift "$ROOT/fuzz/RequestParsingFuzz.swift" -o "$OUT/request-parsing" >"$OUT/build.log" 2>&1; then
    grep -v "Cannot export local symbol '__asan" "$OUT/build.log" >&2
    exit 1
fi
echo "$OUT/request-parsing"
