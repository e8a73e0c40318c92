#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Compiles tests/test_cxx.cpp with g++ and clang++ in C++11, C++17 and C++20
# with -Wall -Wextra -Werror -pedantic against the built libpromc, and runs
# each program (under clang++ -std=c++20 with AddressSanitizer too, which
# sees a dangling options array).  A missing compiler fails the test.
# Usage: cxx_compilers.sh TEST_CXX_SOURCE INCLUDE_DIR LIBPROMC_SO
set -eu
src=$1 inc=$2 lib=$3
libdir=$(dirname "$lib")
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
fail=0
for cxx in g++ clang++; do
  command -v $cxx >/dev/null || { echo "FAIL: $cxx not installed (make test installs g++ and clang)"; exit 1; }
  for std in 11 17 20; do
    exe="$d/test_cxx_${cxx}_$std"
    if ! $cxx -std=c++$std -Wall -Wextra -Werror -pedantic -I"$inc" "$src" -L"$libdir" -lpromc \
         -Wl,-rpath,"$libdir" -o "$exe"; then
      echo "FAIL: $cxx -std=c++$std does not compile the examples warning-free"; fail=1; continue
    fi
    "$exe" || { echo "FAIL: $cxx -std=c++$std: the examples failed"; fail=1; }
  done
done
# The C++20 designated-initialiser part keeps pointers into the options'
# arrays past the statement that made them: ASan checks they are alive.
if clang++ -std=c++20 -Wall -Wextra -Werror -pedantic -fsanitize=address,undefined -fno-sanitize-recover=all \
     -I"$inc" "$src" -L"$libdir" -lpromc -Wl,-rpath,"$libdir" -o "$d/test_cxx_asan"; then
  ASAN_OPTIONS=detect_leaks=1:detect_stack_use_after_return=1 "$d/test_cxx_asan" ||
    { echo "FAIL: clang++ -std=c++20 under ASan"; fail=1; }
else
  echo "FAIL: clang++ -std=c++20 -fsanitize=address does not compile"; fail=1
fi
# The request middleware's functions convert to libmicrohttpd's callback
# types without a cast, in C++ too.
cat > "$d/mw.cpp" <<'EOF'
#include <microhttpd.h>
#include "promc/http.h"
int main() {
  MHD_AccessHandlerCallback a = promc_http_mw_access;
  MHD_RequestCompletedCallback c = promc_http_mw_completed;
  promc_http_mw_opts o{};
  o.handler = a;
  o.completed = c;
  promc_http_mw *mw = nullptr;
  o.handler_cls = &mw;
  return promc_http_mw_new(&mw, o.handler_cls ? nullptr : &o) == PROMC_EINVAL ? 0 : 1;
}
EOF
for cxx in g++ clang++; do
  $cxx -std=c++11 -Wall -Wextra -Werror -pedantic -I"$inc" -fsyntax-only "$d/mw.cpp" ||
    { echo "FAIL: $cxx does not convert the middleware's functions to libmicrohttpd's callbacks"; fail=1; }
done
[ $fail = 0 ] && echo "cxx_compilers: g++ and clang++, C++11/17/20, warning-free and passing"
exit $fail
