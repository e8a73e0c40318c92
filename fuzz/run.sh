#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# run.sh BUILD SECONDS TARGET...: runs each libFuzzer binary BUILD/fuzz/fuzz_TARGET
# for SECONDS, growing BUILD/fuzz-corpus/TARGET from fuzz/corpus/TARGET. A
# finding stops that target and is left as BUILD/fuzz-TARGET-crash-* (or
# leak-, timeout-); the script then exits 1 after the remaining targets.
build=$1
secs=$2
shift 2
src=$(dirname "$0")
status=0
for t in "$@"; do
  bin=$build/fuzz/fuzz_$t
  [ -x "$bin" ] || { echo "run.sh: $bin missing (configure with -DPROMC_FUZZ=ON)" >&2; exit 2; }
  mkdir -p "$build/fuzz-corpus/$t"
  echo "== fuzz_$t for ${secs}s"
  if "$bin" -max_total_time="$secs" -max_len=4096 -print_final_stats=1 -artifact_prefix="$build/fuzz-$t-" \
      "$build/fuzz-corpus/$t" "$src/corpus/$t" > "$build/fuzz-$t.log" 2>&1; then
    grep -E '^stat::number_of_executed_units|^Done' "$build/fuzz-$t.log"
  else
    status=1
    echo "fuzz_$t found something: see $build/fuzz-$t.log and $build/fuzz-$t-*" >&2
    grep -a -E 'fuzz check failed|runtime error|ERROR: ' "$build/fuzz-$t.log" | head -3 >&2
  fi
done
exit $status
