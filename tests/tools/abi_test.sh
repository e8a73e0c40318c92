#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The ABI of the libraries just built against the baseline in abi/, their
# exports against the headers' PROMC_API declarations, then the check itself: it must pass an added function and a SONAME bump, and fail a
# removed symbol (on the real libpromc, relinked without promc_counter_inc), a
# changed signature and an options struct that grew.
# Usage: abi_test.sh SRC CC OBJECT_LIST LIB...
#   OBJECT_LIST  a file naming libpromc's object files, one a line
set -eu
src=$1 cc=$2 objs=$3; shift 3
abi="sh $src/scripts/abi.sh"
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT

echo "== the built libraries against abi/"
$abi check "$src/abi" "$src/include/promc" "$@"

echo "== each library exports exactly the PROMC_API declarations of its headers"
declared() {
  sed -n -e 's/.*PROMC_API[^;(]*[ *]\(promc_[a-z0-9_]*\)(.*/\1/p' \
         -e 's/.*PROMC_API extern[^;]*[ *]\([A-Za-z_][A-Za-z0-9_]*\)\[.*/\1/p' "$@" | LC_ALL=C sort -u
}
for lib; do
  so=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
  case $so in
    libpromc.so.*) hdrs="promc.h multiprocess.h" ;;
    libpromc-http.so.*) hdrs="http.h" ;;
    libpromc-push.so.*) hdrs="push.h" ;;
    *) echo "FAIL: $lib: unknown library $so"; exit 1 ;;
  esac
  (cd "$src/include/promc" && declared $hdrs) > "$t/declared"
  nm -D --defined-only "$lib" | awk '{print $3}' | sed 's/@.*//' | grep -Ev '^PROMC_[A-Z_]*0$' |
    LC_ALL=C sort -u > "$t/exported"
  if ! cmp -s "$t/declared" "$t/exported"; then
    echo "FAIL: $so: exported symbols (+) differ from the PROMC_API declarations of $hdrs (-):"
    diff "$t/declared" "$t/exported" | grep '^[<>]' | sed 's/^</-/; s/^>/+/'
    exit 1
  fi
  echo "ok: $so exports the $(wc -l < "$t/declared") declarations of $hdrs"
done

# expect pass|fail NAME CHECK-ARGS...: runs the check, which must end as said
expect() {
  want=$1 name=$2; shift 2
  if $abi check "$@" > "$t/out" 2>&1; then got=pass; else got=fail; fi
  if [ "$got" != "$want" ]; then
    echo "FAIL: $name: the ABI check should $want, it did $got:"; cat "$t/out"; exit 1
  fi
  # a failure must be abidiff's verdict, not a broken run
  if [ "$got" = fail ] && ! grep -q INCOMPATIBLE "$t/out"; then
    echo "FAIL: $name: the check failed without an ABI verdict:"; cat "$t/out"; exit 1
  fi
  echo "ok: $name: check did $got: $(head -1 "$t/out")"
}

echo "== a libpromc.so.0 without promc_counter_inc"
mkdir -p "$t/removed"
sed 's/^\( *local:\)$/\1 promc_counter_inc;/' "$src/abi/libpromc.map" > "$t/removed.map"
grep -q 'local: promc_counter_inc;' "$t/removed.map" || { echo "FAIL: could not doctor the map"; exit 1; }
# shellcheck disable=SC2046
"$cc" -shared -o "$t/removed/libpromc.so.0" -Wl,-soname,libpromc.so.0 \
  -Wl,--version-script="$t/removed.map" $(cat "$objs") -lpthread -lm
expect fail "libpromc without promc_counter_inc" "$src/abi" "$src/include/promc" "$t/removed/libpromc.so.0"
grep -q "promc_counter_inc" "$t/out" || { echo "FAIL: the report does not name promc_counter_inc:"; cat "$t/out"; exit 1; }

echo "== fixture library variants"
fx=$src/tests/abi
mkdir -p "$t/fx/base/abi" "$t/fx/base/include/promc"
build() { # DIR SONAME CFLAGS...
  d=$1 so=$2; shift 2
  mkdir -p "$t/fx/$d"
  "$cc" -g -O0 -shared -fPIC -fvisibility=hidden "$@" -o "$t/fx/$d/$so" -Wl,-soname,"$so" "$fx/fixture.c"
}
build base libfx.so.1
# the baseline, made as `make abi-baseline` makes promc's
abidw --headers-dir "$fx" --drop-private-types --no-corpus-path \
  --out-file "$t/fx/base/abi/libfx.so.1.abi" "$t/fx/base/libfx.so.1"
build same libfx.so.1
build added libfx.so.1 -DFX_ADDED
build removed libfx.so.1 -DFX_REMOVED
build changed libfx.so.1 -DFX_CHANGED
build grown libfx.so.1 -DFX_GROWN
build bumped libfx.so.2 -DFX_REMOVED -DFX_GROWN
expect pass "unchanged library" "$t/fx/base/abi" "$fx" "$t/fx/same/libfx.so.1"
expect pass "function added" "$t/fx/base/abi" "$fx" "$t/fx/added/libfx.so.1"
expect fail "function removed" "$t/fx/base/abi" "$fx" "$t/fx/removed/libfx.so.1"
expect fail "parameter type changed" "$t/fx/base/abi" "$fx" "$t/fx/changed/libfx.so.1"
expect fail "options struct grew" "$t/fx/base/abi" "$fx" "$t/fx/grown/libfx.so.1"
expect pass "incompatible, SONAME bumped" "$t/fx/base/abi" "$fx" "$t/fx/bumped/libfx.so.2"
echo "abi test: baseline matched; the check passes additions and bumps, fails removals and changes"
