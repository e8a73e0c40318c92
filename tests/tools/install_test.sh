#!/bin/sh
# Installs promc into a temporary prefix and builds a consumer twice: with
# pkg-config and with CMake's find_package(promc). Both must run.
# Usage: install_test.sh SOURCE_DIR BUILD_DIR
set -eu
src=$1 build=$2
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
cmake --install "$build" --prefix "$d/prefix" > "$d/install.log"
lib=$(ls -d "$d"/prefix/lib*/ | head -1)
test -f "$d/prefix/include/promc/promc.h"
ls "$lib" | grep -q '^libpromc\.so\.0' || { echo "FAIL: no versioned libpromc.so.0 in $lib"; exit 1; }
ls "$lib" | grep -q '^libpromc\.a$' || { echo "FAIL: no static libpromc.a"; exit 1; }
# only the public API is exported
if nm -D --defined-only "$lib/libpromc.so" | awk '{print $3}' | grep -v '^promc_' | grep -v '^PROMC_' | grep -q .; then
  echo "FAIL: symbols outside the promc_ prefix are exported:"; nm -D --defined-only "$lib/libpromc.so" | grep -v ' promc_' | grep -v ' PROMC_'; exit 1
fi
export PKG_CONFIG_PATH="$lib/pkgconfig"
cc -std=c11 -Wall -Wextra -Werror -o "$d/consumer_pc" "$src/tests/consumer/consumer.c" $(pkg-config --cflags --libs promc) -Wl,-rpath,"$lib"
"$d/consumer_pc"
# static link through pkg-config too
cc -std=c11 -o "$d/consumer_static" "$src/tests/consumer/consumer.c" $(pkg-config --cflags promc) "$lib/libpromc.a" $(pkg-config --libs-only-other --static promc) -lpthread -lm
"$d/consumer_static"
cmake -S "$src/tests/consumer" -B "$d/cm" -DCMAKE_PREFIX_PATH="$d/prefix" > "$d/cmake.log"
cmake --build "$d/cm" > "$d/build.log"
LD_LIBRARY_PATH="$lib" "$d/cm/consumer"
echo "install test: pkg-config, static and find_package consumers ran"
