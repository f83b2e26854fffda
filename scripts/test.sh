#!/usr/bin/env bash
# The project's test command (README): type-check, then every *.test.ts under src/ and test/.
# Node 20's --test does not discover .ts files itself, so the list is expanded here.
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc --noEmit -p .
# bin/carpd and bin/carpctl run the build (dist/): the lab tests run what users run. Unit tests
# import the sources through tsx; esbuild only strips types and bundles them, so both are the same code.
node scripts/build.mjs
# The benchmarks' short forms (test/bench/) run first, one at a time: their timing checks (fast
# mode's 117 ms master-down, no false failover under load) must not share the two CPUs with
# other namespace labs.
mapfile -t smoke < <(find test/bench -name '*.test.ts' | sort)
mapfile -t files < <(find src test -name '*.test.ts' -not -path 'test/bench/*' | sort)
node --import tsx --test --test-concurrency=1 "${smoke[@]}"
exec node --import tsx --test --test-concurrency=2 "${files[@]}"
