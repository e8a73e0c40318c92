#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The man pages: mandoc -T lint clean at warning level, every promc page they
# refer to present, and every public function, and every field of every public
# struct, of include/promc/*.h named in a page.
# Usage: man_lint.sh SOURCE_DIR
set -eu
src=$1
cd "$src/man"
ls ./*.3 ./*.7 > /dev/null
out=$(mandoc -T lint -W warning ./*.3 ./*.7 2>&1) || { echo "FAIL: mandoc -T lint:"; echo "$out"; exit 1; }
[ -z "$out" ] || { echo "FAIL: mandoc -T lint:"; echo "$out"; exit 1; }
exec python3 - "$src" <<'PY'
import glob, os, re, sys
src = sys.argv[1]
pages = {os.path.basename(p): open(p).read() for p in glob.glob(os.path.join(src, "man", "*.[37]"))}
bad = []
for name, text in pages.items():
    for ref, sec in re.findall(r"^\.BR (promc\w*) \((\d)\)", text, re.M):
        if f"{ref}.{sec}" not in pages:
            bad.append(f"{name}: refers to {ref}({sec}), which is not in man/")
# roff escapes out of the way, so that "\-" and "\fB" do not hide names
plain = {n: re.sub(r"\\f[BIRP]|\\", "", t) for n, t in pages.items()}
alltext = "\n".join(plain.values())
for h in sorted(glob.glob(os.path.join(src, "include", "promc", "*.h"))):
    code = open(h).read()
    code = re.sub(r"/\*.*?\*/", "", code, flags=re.S)
    hn = os.path.relpath(h, src)
    for fn in re.findall(r"PROMC_API[^;(]*?\b(promc_\w+)\s*\(", code):
        if not re.search(r"\b%s\(" % fn, alltext):
            bad.append(f"{hn}: {fn}() is in no man page's synopsis")
    for body, tname in re.findall(r"typedef struct \w+ \{(.*?)\} (\w+);", code, re.S):
        home = [n for n, t in plain.items() if re.search(r"\}\s*%s;" % tname, t)]
        if not home:
            bad.append(f"{hn}: struct {tname} is in no man page's synopsis")
            continue
        for decl in body.split(";"):
            decl = decl.strip()
            if not decl:
                continue
            m = re.search(r"\(\s*\*\s*(\w+)\s*\)", decl)  # function pointer
            fields = [m.group(1)] if m else [re.sub(r"\[.*", "", f.strip().split()[-1].lstrip("*"))
                                             for f in decl.split(",")]
            for f in fields:
                if not re.search(r"\b%s\b" % re.escape(f), plain[home[0]]):
                    bad.append(f"{hn}: {tname}.{f} is not described in {home[0]}")
if bad:
    print("FAIL: the man pages are not in step with the headers:")
    print("\n".join(bad))
    sys.exit(1)
print(f"man pages: {len(pages)} pages lint clean; every function and struct field of include/promc documented")
PY
