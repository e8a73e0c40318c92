#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Reads an exposition with client_python's parser and compares it with the
expected samples roundtrip_gen wrote: same names, labels and values, exactly.
Usage: roundtrip_check.py text|openmetrics EXPOSITION EXPECTED"""
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from promharness import same  # noqa: E402


def load_expected(path):
    out = {}
    for line in open(path, encoding="utf-8"):
        name, labels, value = line.rstrip("\n").split("\t")
        pairs = {}
        if labels:
            for kv in labels.split(","):
                k, v = kv.split("=", 1)
                pairs[k] = bytes.fromhex(v).decode("utf-8")
        val = math.nan if value == "nan" else float.fromhex(value)
        out[(name, tuple(sorted(pairs.items())))] = val
    return out


def main():
    fmt, expo, expected = sys.argv[1:4]
    text = open(expo, encoding="utf-8").read()
    if fmt == "openmetrics":
        from prometheus_client.openmetrics.parser import text_string_to_metric_families
    else:
        from prometheus_client.parser import text_string_to_metric_families
    want = load_expected(expected)
    got = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            if s.name.endswith("_created"):
                continue
            key = (s.name, tuple(sorted(s.labels.items())))
            if key in got:
                print("duplicate sample", key)
                return 1
            got[key] = s.value
    bad = 0
    for key, val in want.items():
        if key not in got:
            print("MISSING", key)
            bad += 1
        elif not same(got[key], val):
            print("VALUE", key, "got", repr(got[key]), "want", repr(val))
            bad += 1
    for key in got:
        if key not in want:
            print("UNEXPECTED", key, got[key])
            bad += 1
    print(f"{len(want)} expected samples, {len(got)} parsed, {bad} problems")
    return 1 if bad else 0


sys.exit(main())
