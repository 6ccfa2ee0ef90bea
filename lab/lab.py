#!/usr/bin/env python3
"""lab.py: the allocator lab's driver (bench/lab.mk calls it).

  lab.py measure --replayers "R..." --traces "T..." --json OUT --curve DAT
      replay every trace through every replayer (build/lab/replay-NAME),
      write the figures as book/measured/lab.json (strings, as the book
      cites them: {{fact:lab.KEY}}) and the footprint curve of one trace as
      a data file; print the table.
  lab.py check --replayers "R..." --traces "T..."
      replay a prefix of each trace through each replayer with --check; all
      must succeed and agree on the trace's counts.
  lab.py plot throughput|footprint JSON-or-DAT OUT.svg
      draw a figure with gnuplot (every book build does, from the committed
      measurements).
"""
import argparse, json, math, os, re, subprocess, sys

CURVE_TRACE = "gcc"             # the trace whose footprint over time is plotted
NAMES = {"firstfit": "first fit (ch. 1)", "bestfit": "best fit (ex. ch1-best-fit)",
         "slab": "slab caches (ch. 4)", "glibc": "glibc"}


def run(replayer, trace, *extra, env=None):
    out = subprocess.run([replayer, trace, *extra], capture_output=True, text=True,
                         env=dict(os.environ, **(env or {})))
    line = next((l for l in out.stdout.splitlines() if l.startswith("lab ")), None)
    if line is None:
        sys.exit(f"lab: {replayer} {trace}: no result (exit {out.returncode})\n{out.stdout[-2000:]}{out.stderr[-2000:]}")
    fig = dict(re.findall(r'(\w+)=("[^"]*"|\S+)', line))
    fig = {k: v.strip('"') for k, v in fig.items()}
    fig["status"] = out.returncode
    return fig


def fixed(x, digits=2):
    """X with DIGITS significant digits, never in exponent form (0.000078)."""
    if x == 0 or x >= 10 ** (digits - 1):
        return f"{x:.0f}"
    return f"{x:.{max(0, digits - 1 - math.floor(math.log10(abs(x))))}f}"


def short(replayer):
    return os.path.basename(replayer).replace("replay-", "")


def measure(a):
    reps, traces = a.replayers.split(), a.traces.split()
    facts = {"_command": "make lab"}
    rows = []
    curves = {}
    for t in traces:
        tname = os.path.basename(t).split(".")[0]
        res = {}
        for r in reps:
            name = short(r)
            extra = ["--runs", "auto"]
            if tname == CURVE_TRACE:
                extra += ["--curve", f"build/lab/curve-{name}.dat"]
            res[name] = run(r, t, *extra)
            print(f"  {tname:8} {NAMES.get(name, name):28} {float(res[name]['mops']):9.3f} Mcalls/s "
                  f"utilization {float(res[name]['utilization']):.3f}", file=sys.stderr)
        g = res.get("glibc")
        first = next(iter(res.values()))
        facts[f"{tname}_calls"] = f"{int(first['calls']):,}"
        facts[f"{tname}_peak_live_kib"] = f"{int(first['peak_live']) // 1024:,}"
        for name, f in res.items():
            facts[f"{tname}_{name}_mops"] = fixed(float(f['mops']), 3)
            facts[f"{tname}_{name}_util"] = f"{100 * float(f['utilization']):.0f}%"
            if g:
                facts[f"{tname}_{name}_ratio"] = fixed(float(f['mops']) / float(g['mops']))
                facts[f"{tname}_{name}_util_ratio"] = f"{float(f['utilization']) / float(g['utilization']):.2f}"
            rows.append((tname, name, f))
        if tname == CURVE_TRACE:
            for name in res:
                curves[name] = [l.split() for l in open(f"build/lab/curve-{name}.dat") if not l.startswith("#")]
    facts["allocators"] = ", ".join(NAMES.get(short(r), short(r)) for r in reps)
    with open(a.json, "w") as f:
        json.dump(facts, f, indent=2)
        f.write("\n")
    if curves:
        names = list(curves)
        with open(a.curve, "w") as f:
            f.write(f"# make lab: footprint over the calls of the {CURVE_TRACE} trace, in KiB\n")
            f.write("# call live " + " ".join(names) + "\n")
            for i, row in enumerate(curves[names[0]]):
                f.write(f"{row[0]} {int(row[1]) / 1024:.1f} " +
                        " ".join(f"{int(curves[n][i][2]) / 1024:.1f}" for n in names) + "\n")
    print(f"{'trace':8} {'allocator':28} {'Mcalls/s':>9} {'x glibc':>8} {'utilization':>11} {'x glibc':>8}")
    for tname, name, f in rows:
        print(f"{tname:8} {NAMES.get(name, name):28} {float(f['mops']):9.3f} "
              f"{facts.get(f'{tname}_{name}_ratio', '-'):>8} {float(f['utilization']):11.3f} "
              f"{facts.get(f'{tname}_{name}_util_ratio', '-'):>8}")
    print(f"lab: {a.json}, {a.curve}")


def check(a):
    bad = 0
    for t in a.traces.split():
        counts = set()
        for r in a.replayers.split():
            f = run(r, t, "--check", "--max-calls", "20000", "--runs", "0", env={"LAB_HEAP_MIB": "16"})
            ok = f["status"] == 0 and f["failed"] == "0" and f["bad_checks"] == "0"
            counts.add((f["calls"], f["peak_live"]))
            print(f"{'ok  ' if ok else 'FAIL'} lab-check {os.path.basename(t)} {short(r)}: calls={f['calls']} "
                  f"peak_live={f['peak_live']} failed={f['failed']} bad_checks={f['bad_checks']}")
            bad += not ok
        if len(counts) != 1:
            print(f"FAIL lab-check {t}: the replayers disagree on the trace's counts: {counts}")
            bad += 1
    sys.exit(1 if bad else 0)


def gnuplot(script):
    subprocess.run(["gnuplot"], input=script, text=True, check=True)


def describe(out, lines):
    """The figure's content as text, one item a line (build/figures/NAME.txt):
    the HTML edition shows it beside the drawing as its text alternative."""
    os.makedirs("build/figures", exist_ok=True)
    with open(os.path.join("build/figures", os.path.basename(out)[:-len(".svg")] + ".txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


def plot(a):
    style = ('set terminal svg size 640,400 font "sans,12" background rgb "white"\n'
             f'set output "{a.out}"\nset key outside right top\nset grid\n')
    if a.kind == "throughput":
        facts = json.load(open(a.data))
        allocs = [k for k in NAMES if any(re.match(rf"\w+_{k}_mops$", x) for x in facts)]
        traces = sorted({m.group(1) for x in facts for m in [re.match(r"(\w+?)_glibc_mops$", x)] if m})
        tmp = a.out + ".dat"
        with open(tmp, "w") as f:
            for al in allocs:
                for t in traces:
                    if f"{t}_{al}_mops" in facts:
                        f.write(f'{facts[f"{t}_{al}_util"].rstrip("%")} {facts[f"{t}_{al}_mops"]} "{t}"\n')
                f.write("\n\n")
        plots = ", ".join(f'"{tmp}" index {i} using 1:2 with points pt {i + 5} ps 1.5 title "{NAMES[al]}", '
                          f'"{tmp}" index {i} using 1:2:3 with labels left offset 1.2,0 font ",9" notitle'
                          for i, al in enumerate(allocs))
        gnuplot(style + 'set logscale y\nset xlabel "utilization: peak live bytes / peak footprint (%)"\n'
                'set ylabel "million calls per second (log scale)"\nset xrange [50:105]\n'
                'set yrange [0.001:1000]\nset format y "%g"\nset key below\n'
                f"plot {plots}\n")
        os.remove(tmp)
        describe(a.out, [f"{t}, {NAMES[al]}: {facts[f'{t}_{al}_mops']} million calls per second, "
                         f"utilization {facts[f'{t}_{al}_util']}"
                         for t in traces for al in allocs if f"{t}_{al}_mops" in facts])
    else:
        head = open(a.data).read().split("\n")[1].split()[3:]
        plots = ['"{0}" using 1:2 with lines lw 2 dt 2 title "live bytes"'.format(a.data)]
        plots += [f'"{a.data}" using 1:{i + 3} with lines lw 2 title "{NAMES.get(n, n)}"' for i, n in enumerate(head)]
        gnuplot(style + f'set xlabel "calls of the {CURVE_TRACE} trace"\nset ylabel "KiB"\n'
                'set key inside right bottom\nset yrange [0:*]\n' f"plot {', '.join(plots)}\n")
        rows = [l.split() for l in open(a.data) if l.strip() and not l.startswith("#")]
        describe(a.out, [f"at the end of the {CURVE_TRACE} trace ({rows[-1][0]} calls): live bytes {rows[-1][1]} KiB"]
                 + [f"{NAMES.get(n, n)}: peak footprint {max(float(r[i + 2]) for r in rows):.0f} KiB"
                    for i, n in enumerate(head)])


ap = argparse.ArgumentParser()
sub = ap.add_subparsers(dest="cmd", required=True)
m = sub.add_parser("measure"); m.add_argument("--replayers"); m.add_argument("--traces")
m.add_argument("--json"); m.add_argument("--curve")
c = sub.add_parser("check"); c.add_argument("--replayers"); c.add_argument("--traces")
p = sub.add_parser("plot"); p.add_argument("kind"); p.add_argument("data"); p.add_argument("out")
a = ap.parse_args()
{"measure": measure, "check": check, "plot": plot}[a.cmd](a)
