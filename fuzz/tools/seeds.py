#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the hand-made seeds of fuzz/corpus/<target>/ (seed-*), in the input
encoding of fuzz_util.c: a string is a header byte (mode << 6 | length) then
its bytes (mode 0, raw) or a word of the reader's list (mode 2); a double is
one byte indexing the reader's table of edge values. The fuzzer grows the
rest of each corpus from these."""
import os
import sys

WORDS = ["le", "quantile", "__name__", "__x", "_total", "_count", "_sum", "_bucket", "_created", "_info",
         "_gcount", "_gsum", "x", "x_total", "x_count", "x_bucket", "x_sum", "x_created", "x_info", "ns:state",
         "a:b", "seconds", "bytes", "info", "\\", "\"", "\n", "\\n", "\\\"", "# EOF", "}", "{", "=", ",", " ",
         "\t", "\r", "#", "\xff", "\xfe", "\xc3", "\xc3\xa9", "caf\xe9", "\xed\xa0\x80", "\xf4\x90\x80\x80",
         "\xc0\x80", "\xe0\x80\xaf", "\xf0\x9f\x98\x80", "\xef\xbf\xbd", "NaN", "+Inf", "1e+06", "0.0", "-1"]
# indexes into fz_double's table
D = {"0": 0, "-0": 1, "1": 2, "-1": 3, "0.5": 4, "2": 5, "10": 6, "0.1": 7, "1e21": 10, "1e300": 13,
     "5e-324": 15, "9.3e18": 18, "1e15": 20, "1.7e9": 22, "-0.5": 25, "100": 26, "NaN": 32, "Inf": 40,
     "-Inf": 44}


def s(text):
    """A raw string (at most 63 bytes)."""
    b = text.encode("latin-1") if isinstance(text, str) else text
    assert len(b) < 64
    return bytes([len(b)]) + b


def w(word):
    return bytes([0x80 | WORDS.index(word)])


def d(*names):
    return bytes(D[n] for n in names)


def render_seeds():
    C, G, H, S, I, E = range(6)

    def create(t, flags, name, help_, labels=(), consts=(), buckets=(), states=(), unit=None):
        out = bytes([0, t, flags]) + name + help_
        if flags & 1:
            out += unit
        out += bytes([len(labels), len(consts), len(buckets), len(states)])
        for l in labels:
            out += l
        for n, v in consts:
            out += n + v
        out += d(*buckets)
        for st in states:
            out += st
        return out

    def child(fam, values, ops):
        out = bytes([3, fam, 0]) + b"".join(values) + bytes([len(ops) - 1])
        for op in ops:
            out += op
        return out

    seeds = {}
    seeds["counter"] = (b"\x01" + create(C, 0, s("http_requests"), s("Requests \\ served\n"), [s("code"), s("path")],
                                         [(s("env"), s("prod"))])
                        + child(0, [s("200"), s("/a\"b\\c\nd")], [b"\x01" + d("0.5"), b"\x02" + d("0") + b"\x07" * 8,
                                                                 b"\x00" + d("0")]))
    seeds["gauge"] = (b"\x00" + create(G, 1, s("temp_celsius"), s("T\xc3\xa9"), [s("room")], unit=s("celsius"))
                      + child(0, [s("")], [b"\x00" + d("NaN"), b"\x01" + d("-Inf"), b"\x00" + d("-0")]))
    seeds["histogram"] = (b"\x00" + create(H, 0, s("lat_seconds"), s(""), [s("m")], buckets=["-1", "0", "0.1", "1e21"])
                          + child(0, [s("GET")], [b"\x00" + d("NaN"), b"\x00" + d("-0"), b"\x00" + d("Inf"),
                                                  b"\x00" + d("0.1")]))
    seeds["histogram-default"] = (b"\x01" + create(H, 2, s("h"), s("default buckets"))
                                  + child(0, [], [b"\x00" + d("0.5"), b"\x00" + d("100")]))
    seeds["summary"] = (b"\x01" + create(S, 0, s("size_bytes"), s("s"), [s("k")])
                        + child(0, [s("v")], [b"\x00" + d("2"), b"\x00" + d("0.5")]))
    seeds["info"] = (b"\x00" + create(I, 0, s("build"), s("b"), [s("host")])
                     + bytes([3, 0, 0]) + s("h1") + b"\x00\x00\x00\x02" + s("version") + s("1.0") + s("rev") + s("\"x\""))
    seeds["enum"] = (b"\x00" + create(E, 0, s("state"), s("e"), [s("t")], states=[s("idle"), s("run"), s("a b")])
                     + bytes([3, 0, 0]) + s("x") + b"\x01" + b"\x01\x00\x01" + b"\x00\x00" + s("run"))
    seeds["words"] = (b"\x00" + create(C, 0, w("x"), w("\\n"), [w("quantile"), w("x")], [(w("_total"), w("\""))])
                      + create(G, 0, w("x_total"), w("# EOF")) + create(H, 0, w("x"), w("{"), [w("le")])
                      + child(0, [w("}"), w("=")], [b"\x00" + d("1")]))
    seeds["register"] = (b"\x00" + create(C, 4, s("c"), s("c")) + create(G, 0, s("c_total"), s("g"))
                         + b"\x08\x00\x00" + b"\x09" + b"\x08\x00\x00" + b"\x08\x01\x01")
    seeds["remove"] = (b"\x00" + create(G, 0, s("g"), s("g"), [s("a")])
                       + child(0, [s("1")], [b"\x00" + d("1")]) + bytes([3, 0, 7]) + s("1")
                       + child(0, [s("2")], [b"\x00" + d("2")]) + bytes([3, 0, 6]) + b"\x09")
    return seeds


def collector_seeds():
    def fam(flags, name, help_, t, samples, unit=None):
        out = bytes([flags]) + name + help_ + (unit if flags & 1 else b"") + bytes([t, len(samples)])
        return out + b"".join(samples)

    def labels(*pairs):
        return bytes([len(pairs), 0]) + b"".join(n + v for n, v in pairs)

    def sample(lab, value):
        return lab + b"\x00" + d(value)

    def hist(lab, bounds, steps, total):
        return lab + b"\x01" + bytes([len(bounds)]) + d(*bounds) + bytes(steps) + d(total)

    def summ(lab, qs, count, total):
        out = lab + b"\x02" + bytes([len(qs)])
        for q, v in qs:
            out += d(q, v)
        return out + bytes([1, count]) + d(total)

    seeds = {}
    seeds["all-types"] = (b"\x01" + s("reg") + bytes([6])
                          + fam(0, s("c_total"), s("c"), 1, [sample(labels((s("a"), s("x"))), "1")])
                          + fam(1, s("g_bytes"), s("g\n"), 2, [sample(labels(), "-0")], unit=s("bytes"))
                          + fam(0, s("h"), s(""), 3, [hist(labels((s("a"), s("b"))), ["0.1", "1"], [1, 2, 3], "2")])
                          + fam(0, s("s"), s("s"), 4, [summ(labels(), [("0.5", "1"), ("1", "2")], 4, "10")])
                          + fam(0, s("i"), s("i"), 5, [sample(labels((s("v"), s("1.0"))), "1")])
                          + fam(0, s("gh"), s("gh"), 7, [sample(labels(), "NaN")])
                          + b"\x00")
    seeds["bad-calls"] = (b"\x00" + bytes([4])
                          + fam(0, s("9bad"), s("x"), 2, [sample(labels(), "1")])
                          + fam(0, s("st"), s("x"), 6, [sample(labels(), "1")])
                          + fam(0, s("ok"), s("x"), 2, [sample(labels((s("__x"), s("1"))), "1"),
                                                        sample(labels((s("a"), s("1"))), "2")])
                          + fam(0, s("h2"), s("x"), 3, [hist(labels(), ["1", "0.5"], [1, 1, 1], "1"),
                                                        hist(labels((s("q"), s("1"))), ["1"], [5, 0xff], "1")])
                          + b"\xff")
    seeds["null-bounds"] = (b"\x00" + bytes([1])
                            + fam(0, s("h"), s("h"), 3, [hist(labels((s("a"), s("1"))), [], [2], "1"),
                                                        hist(labels((s("a"), s("2"))), [], [3], "1")])
                            + b"\x00")
    return seeds


def exemplar_seeds():
    def op(kind, child, labels, value, ts=None, nulls=0):
        o = kind | (child << 7) | (8 if ts else 0)
        out = bytes([o, len(labels), nulls])
        for n, v in labels:
            out += n + v
        out += d(value)
        if ts:
            out += d(ts)
        return out

    seeds = {}
    seeds["counter"] = (b"\x00" + op(0, 0, [(s("trace_id"), s("4bf92f35"))], "0")
                        + op(1, 1, [(s("a"), s("\"\\\n")), (s("b"), s(""))], "0.5", "1.7e9")
                        + op(1, 0, [], "2", "1.7e9"))
    seeds["histogram"] = (b"\x03" + d("-1", "0", "1")
                          + op(2, 0, [(s("span"), s("x"))], "-0.5", "1.7e9")
                          + op(2, 1, [(s("span"), s("y"))], "NaN")
                          + op(2, 0, [(s("s"), s("\xc3\xa9"))], "1", "1.7e9"))
    seeds["refused"] = (b"\x00" + op(0, 0, [(s("le"), s("1")), (s("le"), s("2"))], "0")
                        + op(1, 0, [(s("a"), s("\xff"))], "1")
                        + op(1, 0, [(s("a"), s("x" * 63)), (s("b"), s("y" * 63)), (s("c"), s("z" * 10))], "1")
                        + op(1, 0, [(s("a"), s("1"))], "-1")
                        + op(1, 0, [(s("a"), s("1"))], "1", "-1")
                        + op(0, 0, [(s("a"), s("1"))], "1", nulls=0x81))
    return seeds


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "corpus")
    sets = {"render": render_seeds(), "collector": collector_seeds(), "exemplar": exemplar_seeds(),
            "negotiate": {
                "protobuf": b"\x00application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;"
                            b"encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3,*/*;q=0.1\x00gzip, deflate",
                "openmetrics": b"\x03application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
                               b"version=0.0.1;q=0.75,text/plain;q=0.5\x00x-gzip;q=0.5, *;q=0",
                "quoted": b"\x07text/plain; version=\"0.0.4\"; q=\"1\", application/json\x00gzip;q=0,*",
                "bad-q": b"\x05application/openmetrics-text;q=1.0001, text/plain;q=.5;;=,\x00identity;q=",
            },
            "query": {
                "plain": b"\x05\x40name[]=a&name[]=b_total&x=1",
                "escaped": b"\x09\xffmetrics?name%5B%5D=c%5ftotal&name%5b%5d=h_bucket+x&name[]=#name[]=s",
                "blank": b"\x02\x03?name[]=&name[]&=x&name[]=%zz%4&&name[]=i_info",
            }}
    only = sys.argv[1:]
    for target, seeds in sets.items():
        if only and target not in only:
            continue
        os.makedirs(os.path.join(root, target), exist_ok=True)
        for name, data in seeds.items():
            with open(os.path.join(root, target, "seed-" + name), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
