#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The ABI baseline of promc's shared libraries and the check against it.
#
#   abi.sh baseline SRC LIB...     write SRC/abi/<soname>.abi (abidw) and
#                                  SRC/debian/<package>.symbols for each LIB
#   abi.sh check BASEDIR HDRDIR LIB...  compare each LIB with BASEDIR/<soname>.abi
#                                  (HDRDIR: the public headers LIB was built from)
#
# LIB is a built shared library (with -g). Only the types reachable from
# include/promc/ are recorded (abidw --headers-dir).
#
# The check runs abidiff --no-added-syms, so added functions and variables
# pass, and fails on anything else it reports: a removed symbol, a changed
# signature, a changed type (a field added to an options struct included: a
# program built against the old header passes a shorter struct). A library
# whose SONAME no longer matches any baseline (libpromc.so.1 where the
# baseline is libpromc.so.0) passes with a note: the bump is what makes the
# break allowed, and `make abi-baseline` then records the new ABI.
set -eu

die() { echo "abi: $*" >&2; exit 1; }
command -v abidw >/dev/null 2>&1 || die "abidw not found (Debian package abigail-tools; make test installs it)"
command -v abidiff >/dev/null 2>&1 || die "abidiff not found (Debian package abigail-tools)"

soname() {
  s=$(readelf -d "$1" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
  [ -n "$s" ] || die "$1 has no SONAME"
  echo "$s"
}

dump() { # LIB HEADERS OUT
  readelf -S "$1" | grep -q '\.debug_info' ||
    die "$1 has no debug information: build it with -g (the default RelWithDebInfo does)"
  abidw --headers-dir "$2" --drop-private-types --no-corpus-path --out-file "$3" "$1"
}

# Debian package name for a SONAME: libpromc-http.so.0 -> libpromc-http0.
package_for() {
  n=${1%%.so.*} v=${1##*.so.}
  case $n in *[0-9]) echo "$n-$v" ;; *) echo "$n$v" ;; esac
}

# The symbols file: every defined dynamic symbol with its version node, each
# with the upstream version that introduced it (kept from the previous file;
# new symbols get the current version).
symbols_file() { # LIB SONAME OUT VERSION
  pkg=$(package_for "$2")
  old=$(mktemp); trap 'rm -f "$old"' EXIT
  [ -f "$3" ] && cp "$3" "$old" || : > "$old"
  {
    echo "$2 $pkg #MINVER#"
    echo "* Build-Depends-Package: libpromc-dev"
    nm -D --defined-only --with-symbol-versions "$1" | awk '{print $3}' |
      sed -e 's/@@/@/' -e '/@/!s/.*/&@&/' | LC_ALL=C sort -u | while read -r sym; do
        ver=$(awk -v s="$sym" '$1 == s { print $2; exit }' "$old")
        echo " $sym ${ver:-$4}"
      done
  } > "$3.new"
  mv "$3.new" "$3"
}

cmd=${1:-}; [ $# -ge 3 ] || die "usage: abi.sh baseline SRC LIB... | abi.sh check BASEDIR HDRDIR LIB..."
shift
case $cmd in
  baseline)
    src=$1; shift
    version=$(sed -n 's/^#define PROMC_VERSION_STRING "\(.*\)"/\1/p' "$src/include/promc/promc.h")
    [ -n "$version" ] || die "no PROMC_VERSION_STRING in $src/include/promc/promc.h"
    mkdir -p "$src/abi" "$src/debian"
    for lib; do
      so=$(soname "$lib")
      # a baseline of an older SONAME of the same library is replaced
      for stale in "$src/abi/${so%%.so.*}".so.*.abi; do
        [ -e "$stale" ] && [ "$stale" != "$src/abi/$so.abi" ] && rm -f "$stale"
      done
      dump "$lib" "$src/include/promc" "$src/abi/$so.abi"
      # paths relative to the tree, so that the file does not depend on where it was made
      sed -i "s|'$(cd "$src" && pwd -P)/|'|g" "$src/abi/$so.abi"
      symbols_file "$lib" "$so" "$src/debian/$(package_for "$so").symbols" "$version"
      echo "abi: wrote abi/$so.abi and debian/$(package_for "$so").symbols"
    done
    ;;
  check)
    base=$1 hdr=$2; shift 2
    tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
    fail=0
    for lib; do
      so=$(soname "$lib")
      if [ ! -f "$base/$so.abi" ]; then
        others=$(ls "$base/${so%%.so.*}".so.*.abi 2>/dev/null || true)
        if [ -n "$others" ]; then
          echo "abi: $so: SONAME bumped (baseline: $(basename "$others" .abi)); incompatible changes allowed," \
               "run 'make abi-baseline' to record the new ABI"
          continue
        fi
        echo "abi: $so: no baseline $base/$so.abi (run 'make abi-baseline')" >&2
        fail=1; continue
      fi
      dump "$lib" "$hdr" "$tmp/$so.abi"
      set +e
      abidiff --no-added-syms "$base/$so.abi" "$tmp/$so.abi" > "$tmp/$so.diff" 2>&1
      rc=$?
      set -e
      if [ "$rc" -eq 0 ]; then
        added=$(abidiff "$base/$so.abi" "$tmp/$so.abi" | sed -n 's/.* \([0-9][0-9]*\) Added .*function.*/\1/p' | head -1)
        echo "abi: $so: compatible with the baseline (${added:-0} functions added)"
      else
        echo "abi: $so: INCOMPATIBLE with abi/$so.abi (abidiff status $rc) without a SONAME bump:" >&2
        cat "$tmp/$so.diff" >&2
        echo "abi: if the change is intended, bump the SONAME (project VERSION major) or, before a" \
             "release, refresh the baseline with 'make abi-baseline' (docs/packaging.md)" >&2
        fail=1
      fi
    done
    exit $fail
    ;;
  *) die "unknown command $cmd" ;;
esac
