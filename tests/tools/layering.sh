#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The layers of docs/design.md, checked on the sources and on a build's
# object files. Fails (exit 1) and lists every violation when
#   - a file under src/core/ includes a header of src/expose/,
#     src/multiprocess/ or src/collectors/;
#   - an object built from src/core/ references a symbol defined by an object
#     built from one of those folders, except the two hooks the core owns:
#     the default collectors' registration and the storage backend pointer
#     (names in HOOKS below);
#   - an object built from src/multiprocess/ references a symbol defined by
#     an object built from src/expose/ (multi-process storage never calls a
#     writer), or a source file there names the writers' interface (WRITER
#     below: calls through the writer table are not link references);
#   - an object built from src/http/ or src/push/ references a symbol of
#     libpromc that is not public (not PROMC_API: hidden visibility).
# Exit 0 when clean, 2 on a usage error or when no object file is found
# (nothing checked is not a pass).
# Usage: tests/tools/layering.sh BUILD_DIR SRC_DIR
# Needs nm and readelf (binutils).
set -eu
[ $# -eq 2 ] || { echo "usage: $0 BUILD_DIR SRC_DIR" >&2; exit 2; }
build=$1
src=$2
[ -d "$src/src/core" ] || { echo "layering: $src/src/core is not a directory" >&2; exit 2; }
[ -d "$build" ] || { echo "layering: $build is not a directory" >&2; exit 2; }
command -v nm >/dev/null && command -v readelf >/dev/null ||
  { echo "layering: nm and readelf are needed (apt-get install binutils)" >&2; exit 2; }
HOOKS="promc__default_collectors_hook promc__store_backend"
WRITER="promc_writer_ops promc_render_ctx promc__out_[a-z0-9_]*"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/promc-layering-XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
: >"$tmp/violations"

# 1. includes: every #include "..." of src/core/*, resolved the way the
# compiler would (the file's own folder, then src/ and include/, the build's
# include paths); a path naming one of the folders counts even if missing.
find "$src/src/core" -type f \( -name '*.c' -o -name '*.h' \) | sort | while read -r f; do
  rel=${f#"$src"/}
  sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]\([^>"]*\)[>"].*/\1/p' "$f" | while read -r inc; do
    hit=""
    case $inc in expose/* | multiprocess/* | collectors/* | */expose/* | */multiprocess/* | */collectors/*) hit=$inc ;; esac
    for base in "$(dirname "$f")" "$src/src" "$src/include"; do
      [ -n "$hit" ] && break
      [ -f "$base/$inc" ] || continue
      real=$(cd "$(dirname "$base/$inc")" && pwd -P)/$(basename "$inc")
      case $real in
        "$(cd "$src" && pwd -P)"/src/expose/* | "$(cd "$src" && pwd -P)"/src/multiprocess/* | \
          "$(cd "$src" && pwd -P)"/src/collectors/*) hit=${real#"$(cd "$src" && pwd -P)"/} ;;
      esac
      break
    done
    [ -z "$hit" ] || echo "include: $rel includes \"$inc\" ($hit)" >>"$tmp/violations"
  done
done

# multi-process sources that use the writers' interface
pat=$(echo "$WRITER" | sed 's/ /\\|/g')
find "$src/src/multiprocess" -type f \( -name '*.c' -o -name '*.h' \) 2>/dev/null | sort | while read -r f; do
  grep -no "\\<\\($pat\\)\\>" "$f" | awk -F: -v f="${f#"$src"/}" '!seen[$2]++ {
    printf "multiprocess -> expose: %s:%s names the writer interface %s\n", f, $1, $2 }'
done >>"$tmp/violations"

# 2. objects: the source folder of each object from its path in the build
# (CMake puts src/F/x.c of a top-level target at CMakeFiles/T.dir/src/F/x.c.o
# and of a target in src/F/ at src/F/CMakeFiles/T.dir/x.c.o).
find "$build" -type f -name '*.o' | sort | while read -r o; do
  rel=$(echo "${o#"$build"/}" | sed 's#CMakeFiles/[^/]*\.dir/##')
  # an object whose source is gone (moved since this build dir was made) is
  # left over, not linked: skip it
  case $rel in src/*/*.o) [ -f "$src/${rel%.o}" ] && echo "$o ${rel%.o}" ;; esac
done >"$tmp/objects"
[ -s "$tmp/objects" ] || { echo "layering: no object file under $build/ built from src/ (build it first)" >&2; exit 2; }

# symbols each object defines (with visibility) and references
while read -r o s; do
  readelf -sW "$o" | awk -v s="$s" '$1 ~ /^[0-9]+:$/ && $7 != "UND" && ($5 == "GLOBAL" || $5 == "WEAK") && $8 != "" {
      print $8, s, $6 }' >>"$tmp/defs"
  nm -u "$o" | awk -v s="$s" '{ print $NF, s }' >>"$tmp/refs"
done <"$tmp/objects"
touch "$tmp/defs" "$tmp/refs"

awk -v hooks="$HOOKS" '
  function folder(s) { split(s, p, "/"); return p[2] }
  BEGIN { n = split(hooks, h, " "); for (i = 1; i <= n; i++) hook[h[i]] = 1 }
  FNR == NR { # defs: symbol source visibility
    f = folder($2)
    if (f == "http" || f == "push") { own[f, $1] = 1; next }
    lib[$1] = 1
    if ($3 != "DEFAULT") hidden[$1] = 1
    if (!($1 in where)) where[$1] = $2
    if (f == "expose" || f == "multiprocess" || f == "collectors") upper[$1] = f
    if (f == "expose") writer[$1] = $2
    next
  }
  { # refs: symbol source
    sym = $1; s = $2; f = folder(s)
    if (seen[sym, s]++) next
    if (f == "core" && (sym in upper) && !(sym in hook))
      printf "core -> %s: %s uses %s (defined in %s)\n", upper[sym], s, sym, where[sym]
    else if (f == "multiprocess" && (sym in writer))
      printf "multiprocess -> expose: %s uses %s (defined in %s)\n", s, sym, writer[sym]
    else if ((f == "http" || f == "push") && (sym in lib) && (sym in hidden) && !((f, sym) in own))
      printf "%s -> private core: %s uses %s (defined in %s, not PROMC_API)\n", f, s, sym, where[sym]
  }' "$tmp/defs" "$tmp/refs" | sort >>"$tmp/violations"

if [ -s "$tmp/violations" ]; then
  echo "layering: $(wc -l <"$tmp/violations") violations (docs/design.md, layers):"
  cat "$tmp/violations"
  exit 1
fi
echo "layering: clean ($(wc -l <"$tmp/objects") objects, src/core includes checked)"
