#!/usr/bin/env python3
"""slab-measure.py RELEASE-BENCH DEBUG-BENCH: run stage 4's kmalloc benchmark
in its release and debug builds (bench/bench_slab.c), print their tables,
and record the figures they mark ("fact KEY VALUE" lines) in
book/measured/slab.json, where the book cites them as {{fact:slab.KEY}}.

Each build runs three times; for every figure the run with the fastest
kmalloc is kept whole, so that a pair's kmalloc and glibc figures (and their
ratio) always come from the same run.  `make measure-slab` runs this."""
import json
import os
import subprocess
import sys

OUT = "book/measured/slab.json"


def run(program):
    facts, table = {}, []
    for line in subprocess.run([program], check=True, capture_output=True, text=True).stdout.splitlines():
        if line.startswith("fact "):
            _, key, value = line.split(None, 2)
            facts[key] = value
        else:
            table.append(line)
    return facts, table


def best_of(program, runs=3):
    best, table = None, None
    for _ in range(runs):
        facts, lines = run(program)
        if best is None:
            best, table = facts, lines
            continue
        for key in facts:               # per configuration: keep the faster kmalloc
            if key.endswith("_ns") and not key.startswith(("glibc_", "firstfit_")):
                stem = key[:-3]
                if float(facts[key]) < float(best[key]):
                    for k in (key, "glibc_" + key, stem + "_speedup"):
                        if k in facts:
                            best[k] = facts[k]
    return best, table


def main():
    facts = {}
    for program in sys.argv[1:]:
        f, table = best_of(program)
        print("\n".join(table))
        facts.update(f)
    for build in ("release", "debug"):      # flatness from the kept figures
        for size in ("16", "64", "256", "512"):
            a, b = facts.get(f"{build}_{size}_10_ns"), facts.get(f"{build}_{size}_100000_ns")
            if a and b:
                facts[f"{build}_{size}_flat"] = f"{float(b) / float(a):.2f}"
    facts["_command"] = "make measure-slab (bench/slab-measure.py over bench/bench_slab.c)"
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(dict(sorted(facts.items())), f, indent=1)
        f.write("\n")
    print(f"slab-measure: wrote {OUT} ({len(facts) - 1} figures)")


main()
