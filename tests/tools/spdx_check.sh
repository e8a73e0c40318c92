#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every source, build and script file of the tree names its licence in an
# SPDX line within its first three lines.
set -euo pipefail
cd "${1:?usage: spdx_check.sh SOURCE_DIR}"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  files=$(git ls-files)
else
  files=$(find . -type f -not -path './.git/*' | sed 's|^\./||')
fi
missing=0
checked=0
for f in $files; do
  case "$f" in
    fuzz/corpus/*|abi/*|*.md|*.xml|*.json|*.pem|LICENSE|debian/*) continue;;
    *.c|*.h|*.cpp|*.hpp|*.go|*.py|*.sh|*.cmake|*CMakeLists.txt|Makefile|*.in|.ci/run|*.yml|*.yaml) ;;
    *) continue;;
  esac
  [ -f "$f" ] || continue
  checked=$((checked + 1))
  if ! head -3 "$f" | grep -q 'SPDX-License-Identifier: Apache-2.0'; then
    echo "spdx_check: $f has no SPDX-License-Identifier line" >&2
    missing=$((missing + 1))
  fi
done
if [ "$checked" -eq 0 ]; then echo "spdx_check: no file checked in $PWD" >&2; exit 1; fi
if [ "$missing" -ne 0 ]; then echo "spdx_check: $missing of $checked files lack the line" >&2; exit 1; fi
echo "spdx_check: $checked files, each with its SPDX line"
