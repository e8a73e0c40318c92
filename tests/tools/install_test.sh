#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Installs promc into a temporary prefix, moves the prefix elsewhere (the
# pkg-config files and the CMake package must follow), and builds consumers
# of the core, libpromc-http and libpromc-push:
#   - with pkg-config, shared, run from the non-system prefix through their
#     own -Wl,-rpath (installed libraries carry no RUNPATH);
#   - with pkg-config --static, against a copy of the prefix without the .so
#     files, so that only Libs.private / Requires.private can make them link;
#   - with find_package(promc): every exported target, shared and static.
# Every consumer checks that the component and the core share one copy of
# the core (see tests/consumer/).
# Usage: install_test.sh SOURCE_DIR BUILD_DIR
set -eu
src=$1 build=$2
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
unset LD_LIBRARY_PATH PKG_CONFIG_PATH

# the components this build has (a configuration with -DPROMC_BUILD_HTTP=OFF
# installs no libpromc-http, and says so here)
libs=promc pcs=promc:consumer comps=""
for comp in http push; do
  if grep -q "^PROMC_BUILD_$(echo $comp | tr a-z A-Z):BOOL=ON" "$build/CMakeCache.txt"; then
    libs="$libs promc-$comp" pcs="$pcs promc-$comp:consumer_$comp" comps="$comps;$comp"
  else
    echo "install test: libpromc-$comp is not built in $build: not checked"
  fi
done
comps=${comps#;}

cmake --install "$build" --prefix "$d/first" > "$d/install.log"
mv "$d/first" "$d/prefix"
p=$d/prefix
lib=$(ls -d "$p"/lib*/ | head -1); lib=${lib%/}

# ---- the files
for h in promc http push multiprocess; do test -f "$p/include/promc/$h.h" || fail "no include/promc/$h.h"; done
for l in $libs; do
  test -f "$lib/lib$l.a" || fail "no static lib$l.a in $lib"
  test -L "$lib/lib$l.so" || fail "no lib$l.so link in $lib"
  ls "$lib" | grep -q "^lib$l\.so\.0\." || fail "no versioned lib$l.so.0.* in $lib"
  test -f "$lib/pkgconfig/$l.pc" || fail "no $l.pc"
  readelf -d "$lib/lib$l.so" | grep -q "SONAME.*\[lib$l\.so\.0\]" || fail "lib$l.so: SONAME is not lib$l.so.0"
  # no RUNPATH in what is installed: the program decides where libraries come from
  if readelf -d "$lib/lib$l.so" | grep -Eq 'RUNPATH|RPATH'; then fail "lib$l.so carries a RUNPATH"; fi
  # only the public API is exported, each symbol with a version node
  bad=$(nm -D --defined-only --with-symbol-versions "$lib/lib$l.so" | awk '{print $3}' |
        grep -Ev '^(promc_[a-z0-9_]+|PROMC_[A-Z0-9_]+)@@PROMC_[A-Z_]*0$|^PROMC_[A-Z_]*0$' || true)
  [ -z "$bad" ] || fail "lib$l.so exports symbols outside promc_*@@PROMC_*: $bad"
done
test -f "$lib/cmake/promc/promcConfig.cmake" || fail "no CMake package"
test -f "$p/share/man/man7/promc.7" || fail "no man7/promc.7"
n3=$(ls "$p/share/man/man3" | grep -c '\.3$' || true)
[ "$n3" -ge 12 ] || fail "only $n3 man3 pages installed"
# `man promc_counter_inc` finds its page: every public function has a link
for fn in $(sed -n 's/.*PROMC_API[^;(]*[ *]\(promc_[a-z0-9_]*\)(.*/\1/p' "$p"/include/promc/*.h); do
  test -e "$p/share/man/man3/$fn.3" || fail "no man page found as $fn(3)"
done
test "$(readlink "$p/share/man/man3/promc_counter_inc.3")" = promc_counter.3 || fail "promc_counter_inc.3 is not a link to promc_counter.3"

# ---- pkg-config: relocated, nothing from the configure-time prefix
# -I and -L paths with their ../ resolved (the prefix is found as ${pcfiledir}/../..)
norm() {
  for f; do
    case $f in -I*|-L*) printf '%s%s ' "$(echo "$f" | cut -c1-2)" "$(realpath -m "${f#-?}")" ;; *) printf '%s ' "$f" ;; esac
  done
}
export PKG_CONFIG_PATH="$lib/pkgconfig"
for pc in $libs; do
  for mode in "" --static; do
    flags=$(norm $(pkg-config $mode --cflags --libs "$pc"))
    case " $flags " in
      *" -I$p/include "*"-L$lib "*) ;;
      *) fail "pkg-config $mode $pc does not point into the moved prefix: $flags" ;;
    esac
    echo "$flags" | grep -q /usr/local && fail "pkg-config $mode $pc names /usr/local: $flags"
  done
done
case " $libs " in *" promc-http "*)
  pkg-config --static --libs promc-http | grep -q -- '-lmicrohttpd' || fail "promc-http --static lacks -lmicrohttpd" ;;
esac
case " $libs " in *" promc-push "*)
  pkg-config --static --libs promc-push | grep -q -- '-lcurl' || fail "promc-push --static lacks -lcurl" ;;
esac

needs_core() { readelf -d "$1" | grep -q 'NEEDED.*\[libpromc\.so\.0\]'; }
# the libpromc.so.0 a program loads comes from the prefix, not from the system
loads_from_prefix() {
  ldd "$1" | grep 'libpromc' | grep -v "=> $lib/" && fail "$1 loads promc from outside $lib" || :
}

# ---- pkg-config consumers, shared, run through their RUNPATH
for c in $pcs; do
  pc=${c%%:*} exe=${c#*:}
  # shellcheck disable=SC2046
  cc -std=c11 -Wall -Wextra -Werror -o "$d/$exe" "$src/tests/consumer/$exe.c" \
    $(pkg-config --cflags --libs "$pc") -Wl,-rpath,"$lib"
  needs_core "$d/$exe" || fail "$exe (shared) does not need libpromc.so.0"
  loads_from_prefix "$d/$exe"
  "$d/$exe"
done

# ---- pkg-config --static consumers, against a prefix holding only the .a files
cp -a "$p" "$d/static"
slib=$d/static/${lib#"$p"/}
rm -f "$slib"/*.so "$slib"/*.so.*
for c in $pcs; do
  pc=${c%%:*} exe=${c#*:}
  # shellcheck disable=SC2046
  PKG_CONFIG_PATH="$slib/pkgconfig" cc -std=c11 -Wall -Wextra -Werror -o "$d/${exe}_static" \
    "$src/tests/consumer/$exe.c" $(PKG_CONFIG_PATH="$slib/pkgconfig" pkg-config --static --cflags --libs "$pc")
  needs_core "$d/${exe}_static" && fail "${exe} (static) still needs libpromc.so.0"
  "$d/${exe}_static"
done

# ---- find_package(promc): every target; CMake gives the build its RUNPATH
cmake -S "$src/tests/consumer" -B "$d/cm" -DCMAKE_PREFIX_PATH="$p" -DPROMC_CONSUMER_COMPONENTS="$comps" \
    > "$d/cmake.log" ||
  { cat "$d/cmake.log"; fail "find_package(promc COMPONENTS $comps)"; }
cmake --build "$d/cm" > "$d/build.log" || { cat "$d/build.log"; fail "CMake consumers did not build"; }
for c in $pcs; do
  exe=${c#*:}
  needs_core "$d/cm/$exe" || fail "$exe (promc::*) does not need libpromc.so.0"
  loads_from_prefix "$d/cm/$exe"
  "$d/cm/$exe"
  needs_core "$d/cm/${exe}_static" && fail "${exe}_static (promc::*_static) needs libpromc.so.0"
  "$d/cm/${exe}_static"
done
# the two kinds of the core in one program are refused
if cmake -S "$src/tests/consumer" -B "$d/cm3" -DCMAKE_PREFIX_PATH="$p" -DPROMC_CONSUMER_COMPONENTS="$comps" \
     -DPROMC_CONSUMER_MIX=ON > "$d/cmake3.log" 2>&1; then
  fail "a program linking promc::promc_static and promc::http (shared) was accepted"
fi
grep -q 'INTERFACE_PROMC_STATIC' "$d/cmake3.log" || { cat "$d/cmake3.log"; fail "mixing kinds failed for another reason"; }
# a component that was not built is refused
if cmake -S "$src/tests/consumer" -B "$d/cm2" -DCMAKE_PREFIX_PATH="$p" -DPROMC_CONSUMER_COMPONENTS="$comps;nosuch" \
     > "$d/cmake2.log" 2>&1; then
  fail "find_package(promc COMPONENTS nosuch) succeeded"
fi
echo "install test: $libs: .pc files relocated; shared, --static and CMake-target consumers (shared and static) ran"
