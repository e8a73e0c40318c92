#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Installs the Debian packages promc needs for a purpose, if any are missing.
# Usage: scripts/deps.sh build|demo|test
# As root it runs apt-get; otherwise it prints the exact command and fails.
set -eu
BUILD="gcc make cmake pkg-config libc6-dev libcmocka-dev libmicrohttpd-dev libgnutls28-dev zlib1g-dev libcrypt-dev libcurl4-openssl-dev"
DEMO="prometheus curl"
TEST="g++ clang libclang-rt-14-dev valgrind curl openssl wrk python3 python3-prometheus-client prometheus \
prometheus-pushgateway prometheus-node-exporter protobuf-compiler golang-github-prometheus-client-model-dev \
graphite-carbon python3-whisper victoria-metrics \
golang-github-golang-protobuf-1-3-dev \
mandoc abigail-tools dpkg-dev debhelper lintian \
libunistring-dev libnghttp2-dev libpsl-dev librtmp-dev libssh2-1-dev libkrb5-dev libldap-dev libzstd-dev libbrotli-dev"
# The line with mandoc: man page lint, the ABI check, the Debian package build.
# The last: what `pkg-config --static` lists for GnuTLS and libcurl, for the
# install test's static links.
case "${1:-build}" in
  build) want="$BUILD" ;;
  demo) want="$BUILD $DEMO" ;;
  test) want="$BUILD $DEMO $TEST" ;;
  *) echo "usage: $0 build|demo|test" >&2; exit 2 ;;
esac
missing=""
for p in $want; do
  case " $missing " in *" $p "*) continue ;; esac
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done
[ -z "$missing" ] && exit 0
echo "promc: missing Debian packages:$missing" >&2
if [ "$(id -u)" = 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing
else
  echo "promc: run this as root, then try again:" >&2
  echo "  sudo apt-get install -y --no-install-recommends$missing" >&2
  exit 1
fi
