#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# promc/inline.h refuses what it cannot serve: a program that does not define
# PROMC_STATIC_LINKING_ONLY does not compile, one linked against libpromc.so
# does not link (the promc__inline<N>_ functions are hidden there), and one
# linked against libpromc.a links and runs.
# Usage: inline_link.sh CC INCLUDE_DIR LIBPROMC_SO LIBPROMC_A
set -eu
cc=$1 inc=$2 so=$3 a=$4
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
cat > "$t/p.c" <<'C'
#include <promc/inline.h>
int main(void) {
  promc_counter *c;
  if (promc_counter_new(&c, &(promc_opts){.name = "x", .help = "h"}) != 0) return 1;
  promc_counter_inc_inline(c);
  return promc_counter_get(c) == 1 && promc_counter_inc_inline(NULL) == PROMC_EINVAL ? 0 : 1;
}
C
if "$cc" -std=c11 -I"$inc" -c "$t/p.c" -o "$t/p.o" > "$t/out" 2>&1; then
  echo "FAIL: inline.h compiled without PROMC_STATIC_LINKING_ONLY"; exit 1
fi
grep -q 'define PROMC_STATIC_LINKING_ONLY' "$t/out" || { echo "FAIL: no clear message:"; cat "$t/out"; exit 1; }
echo "ok: without PROMC_STATIC_LINKING_ONLY: $(grep -m1 error "$t/out")"
"$cc" -std=c11 -DPROMC_STATIC_LINKING_ONLY -I"$inc" -c "$t/p.c" -o "$t/p.o"
if "$cc" "$t/p.o" "$so" -o "$t/dyn" > "$t/out" 2>&1; then
  echo "FAIL: a program using inline.h linked against $so"; exit 1
fi
grep -q 'promc__inline1_' "$t/out" || { echo "FAIL: the shared link failed for another reason:"; cat "$t/out"; exit 1; }
echo "ok: against libpromc.so: $(grep -m1 'promc__inline1_' "$t/out")"
"$cc" "$t/p.o" "$a" -lpthread -lm -o "$t/static"
"$t/static" || { echo "FAIL: the statically linked program failed"; exit 1; }
echo "ok: against libpromc.a: links and counts"
