#!/usr/bin/env bash
# The project's test command (README): type-check, then every *.test.ts under src/ and test/.
# Node 20's --test does not discover .ts files itself, so the list is expanded here.
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc --noEmit -p .
mapfile -t files < <(find src test -name '*.test.ts' | sort)
exec node --import tsx --test --test-concurrency=2 "${files[@]}"
