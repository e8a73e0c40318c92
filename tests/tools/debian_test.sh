#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Builds the Debian packages from a copy of the tree (dpkg-buildpackage -us
# -uc -b, out of the source directory), runs lintian on them (errors fail,
# warnings are listed), unpacks them with dpkg -x into a scratch root and
# builds consumers against that root with pkg-config and find_package.
# Usage: debian_test.sh SOURCE_DIR
set -eu
src=$(cd "$1" && pwd)
fail() { echo "FAIL: $*"; exit 1; }
for tool in dpkg-buildpackage dh lintian dpkg-deb; do
  command -v "$tool" > /dev/null || fail "$tool not installed (dpkg-dev, debhelper, lintian; make test installs them)"
done
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
version=$(sed -n '1s/^promc (\([^)]*\)).*/\1/p' "$src/debian/changelog")
[ -n "$version" ] || fail "no version in debian/changelog"
tree=$t/promc-$version
mkdir "$tree"
# the sources only: no build directories, no git metadata
tar -C "$src" --exclude='./build*' --exclude=./.git --exclude='./obj-*' -cf - . | tar -C "$tree" -xf -

start=$(date +%s)
if ! (cd "$tree" && DEB_BUILD_OPTIONS="parallel=2" timeout 480 dpkg-buildpackage -us -uc -b) \
     > "$t/build.log" 2>&1; then
  tail -40 "$t/build.log"; fail "dpkg-buildpackage failed (log above)"
fi
echo "dpkg-buildpackage: $(( $(date +%s) - start )) s"
changes=$(ls "$t"/promc_"$version"_*.changes)
for p in libpromc0 libpromc-http0 libpromc-push0 libpromc-dev; do
  ls "$t/${p}_${version}_"*.deb > /dev/null 2>&1 || fail "no $p package"
done
# every library package carries its symbols file, as dpkg-gensymbols checked it
for p in libpromc0 libpromc-http0 libpromc-push0; do
  dpkg-deb -I "$t/${p}_${version}_"*.deb symbols > "$t/$p.symbols" || fail "$p has no symbols file"
  grep -q '@PROMC_' "$t/$p.symbols" || fail "$p's symbols are not versioned"
done
grep -q 'dpkg-gensymbols: warning' "$t/build.log" && { grep -A20 'dpkg-gensymbols: warning' "$t/build.log"; } || :
# dpkg-gensymbols fails on a vanished symbol only in a later version than the
# one that introduced it, so the libraries just packaged are checked as the
# next version would be: every symbol of debian/*.symbols must still be there
# (added ones pass, as in the ABI check). A symbols file naming one symbol too
# many must fail that check.
gensym() { # PACKAGE SYMBOLS-FILE
  (cd "$tree" && dpkg-gensymbols -p"$1" -P"debian/$1" -I"$2" -O"$t/$1.gen" -v"$version+next" -c1)
}
for p in libpromc0 libpromc-http0 libpromc-push0; do
  gensym "$p" "$tree/debian/$p.symbols" > "$t/gensym.log" 2>&1 ||
    { cat "$t/gensym.log"; fail "a symbol of debian/$p.symbols is gone from the library"; }
done
sed 's/^ promc_counter_inc@PROMC_0 .*/&\n promc_counter_gone@PROMC_0 0.1.0/' "$tree/debian/libpromc0.symbols" > "$t/doctored.symbols"
grep -q promc_counter_gone "$t/doctored.symbols" || fail "could not doctor the symbols file"
if gensym libpromc0 "$t/doctored.symbols" > "$t/gensym.log" 2>&1; then
  fail "dpkg-gensymbols accepted a symbols file naming a symbol the library lacks"
fi
grep -q 'MISSING.*promc_counter_gone' "$t/gensym.log" || { cat "$t/gensym.log"; fail "no MISSING verdict"; }
echo "symbols: debian/*.symbols match the libraries; a vanished symbol is caught"

start=$(date +%s)
set +e
lintian --fail-on error --info --display-level '>=warning' "$changes" > "$t/lintian.log" 2>&1
rc=$?
set -e
echo "lintian: $(( $(date +%s) - start )) s, tags at warning level and above:"
tags=$(grep -E '^[EWIPXO]: ' "$t/lintian.log" || true)
if [ -n "$tags" ]; then echo "$tags" | sed 's/^/  /'; else echo "  (none)"; fi
[ "$rc" -eq 0 ] || fail "lintian reported errors"
if grep -q '^E: ' "$t/lintian.log"; then fail "lintian reported errors"; fi

root=$t/root
for deb in "$t"/*.deb; do dpkg -x "$deb" "$root"; done
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
lib=$root/usr/lib/$ma
test -f "$root/usr/include/promc/promc.h" || fail "no headers in libpromc-dev"
test -f "$root/usr/share/man/man7/promc.7.gz" || fail "no promc(7) in libpromc-dev"
test "$(readlink "$root/usr/share/man/man3/promc_counter_inc.3.gz")" = promc_counter.3.gz ||
  fail "promc_counter_inc(3) is not a link to promc_counter(3) in libpromc-dev"
test -f "$lib/libpromc-http.a" || fail "no libpromc-http.a in libpromc-dev"

export PKG_CONFIG_PATH="$lib/pkgconfig" LD_LIBRARY_PATH="$lib"
for c in consumer:promc consumer_http:promc-http consumer_push:promc-push; do
  exe=${c%%:*} pc=${c#*:}
  pkg-config --cflags --libs "$pc" | grep -q -- "-L$root/usr/lib/pkgconfig/../../lib/$ma\|-L$lib" ||
    fail "pkg-config $pc does not point into the unpacked root: $(pkg-config --cflags --libs "$pc")"
  # shellcheck disable=SC2046
  cc -std=c11 -Wall -Wextra -Werror -o "$t/$exe" "$src/tests/consumer/$exe.c" $(pkg-config --cflags --libs "$pc")
  ldd "$t/$exe" | grep 'libpromc' | grep -v "=> $lib/" && fail "$exe loads promc from outside the root" || :
  "$t/$exe"
done
cmake -S "$src/tests/consumer" -B "$t/cm" -DCMAKE_PREFIX_PATH="$root/usr" > "$t/cmake.log" 2>&1 ||
  { cat "$t/cmake.log"; fail "find_package(promc) in the unpacked root"; }
cmake --build "$t/cm" > "$t/cmbuild.log" 2>&1 || { cat "$t/cmbuild.log"; fail "CMake consumers did not build"; }
for exe in consumer consumer_http consumer_push consumer_static consumer_http_static consumer_push_static; do
  "$t/cm/$exe"
done
echo "debian test: 4 packages built, lintian without errors, consumers built and ran against them"
