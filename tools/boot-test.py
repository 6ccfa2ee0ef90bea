#!/usr/bin/env python3
"""Boot a stage in QEMU in test mode and judge the run.

Each run boots the kernel once, from a GRUB 2 ISO, with `qemu -kernel`, or
under v86 (the emulator the HTML edition runs in the reader's browser,
driven by node) - three loaders that hand over different machine state -
with a memory size, a command line and optional multiboot modules.  The
runs of stage N are listed in tests/boot/stage-N.conf:

    # name   loaders          memory  command line (module=FILE loads a module)
    basic    grub,kernel,v86  32M     test

Without that file a stage gets one run, `basic` as above.  (v86 loads no
modules: runs with modules skip it.)

A run ends in one of these ways, told apart by QEMU's exit status:
    33        the kernel's tests all passed (isa-debug-exit, value 0x10)
    35        the kernel reported a failure (value 0x11): a failed check or a panic
    0         the CPU reset: a triple fault (QEMU runs with -no-reboot)
    timeout   the kernel hung
Each in-kernel test line ("ktest: NAME ... ok") is recorded as a check of
its own in $RESULTS (lines "PASS name" / "FAIL name"), and so is each run.
On failure the serial lines around the first problem are printed.
"""
import argparse
import concurrent.futures
import hashlib
import os
import re
import shlex
import subprocess
import sys
import time

QEMU = os.environ.get("QEMU", "qemu-system-i386")
QEMU_COMMON = ["-M", "pc", "-display", "none", "-no-reboot", "-nic", "none",
               "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
EXIT_PASS, EXIT_FAIL = 33, 35
KTEST_LINE = re.compile(r"^ktest: (\S+) \.\.\. (ok|FAILED)\s*$")
KTEST_SUMMARY = re.compile(r"^ktest: (\d+) tests, (\d+) failures\s*$")


def read_config(stage):
    """The runs of STAGE: a list of dicts (name, loader, mem, cmdline, modules)."""
    path = f"tests/boot/stage-{stage}.conf"
    lines = open(path).read().splitlines() if os.path.exists(path) else ["basic grub,kernel,v86 32M test"]
    runs = []
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, loaders, mem, *rest = line.split()
        modules = [w[len("module="):] for w in rest if w.startswith("module=")]
        cmdline = " ".join(w for w in rest if not w.startswith("module="))
        for loader in loaders.split(","):
            if loader == "v86" and modules:
                continue
            runs.append(dict(name=f"{name}-{loader}-{mem}", loader=loader, mem=mem,
                             cmdline=cmdline, modules=modules))
    return runs


def iso_for(build, run):
    """A GRUB ISO with RUN's command line and modules (cached by content)."""
    key = hashlib.sha1(repr((run["cmdline"], run["modules"])).encode()).hexdigest()[:10]
    iso = os.path.join(build, "iso", key + ".iso")
    kernel = os.path.join(build, "kernel.elf")
    deps = [kernel] + run["modules"]
    if not os.path.exists(iso) or any(os.path.getmtime(d) > os.path.getmtime(iso) for d in deps):
        os.makedirs(os.path.dirname(iso), exist_ok=True)
        subprocess.run(["tools/mkiso.sh", kernel, iso, run["cmdline"]] + run["modules"], check=True)
    return iso


def mebibytes(mem):
    """'32M' -> 32, '3G' -> 3072."""
    return int(mem[:-1]) * (1024 if mem[-1] in "Gg" else 1)


def qemu_command(build, run, timeout=60):
    if run["loader"] == "v86":
        return ["node", "tests/v86/boot.mjs", os.path.join(build, "kernel.elf"),
                "--cmdline", run["cmdline"], "--mem", str(mebibytes(run["mem"])),
                "--timeout", str(int(timeout))]
    cmd = [QEMU] + QEMU_COMMON + ["-m", run["mem"], "-serial", "stdio"]
    if run["loader"] == "grub":
        cmd += ["-cdrom", iso_for(build, run)]
    else:
        cmd += ["-kernel", os.path.join(build, "kernel.elf"), "-append", run["cmdline"]]
        if run["modules"]:
            cmd += ["-initrd", ",".join(f"{m} {os.path.basename(m)}" for m in run["modules"])]
    return cmd


def boot(build, run, timeout):
    """Run QEMU; return (outcome, serial lines, seconds)."""
    cmd = qemu_command(build, run, timeout)
    start = time.monotonic()
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=timeout + (15 if run["loader"] == "v86" else 0))
        status, out, err = p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        status, out, err = "timeout", e.stdout or b"", e.stderr or b""
    seconds = time.monotonic() - start
    lines = out.decode("utf-8", "replace").replace("\r", "").split("\n")
    if run["loader"] == "v86":     # boot.mjs: 0 passed, 1 failed, 2 timed out
        status = {0: EXIT_PASS, 1: EXIT_FAIL, 2: "timeout"}.get(status, status)
    outcome = {EXIT_PASS: "passed", EXIT_FAIL: "failed", 0: "triple fault",
               "timeout": "hang"}.get(status, f"emulator error {status}: {err.decode(errors='replace').strip()}")
    return outcome, lines, seconds


def judge(run, outcome, lines, expect):
    """Return (ok, [(check name, ok)], message) for one run."""
    checks = []
    for line in lines:
        m = KTEST_LINE.match(line)
        if m:
            checks.append((m.group(1), m.group(2) == "ok"))
    summary = next((KTEST_SUMMARY.match(l) for l in lines if KTEST_SUMMARY.match(l)), None)
    if expect == "pass":
        consistent = (summary is not None and int(summary.group(1)) == len(checks) > 0
                      and int(summary.group(2)) == sum(not ok for _, ok in checks))
        ok = outcome == "passed" and consistent
        msg = outcome if consistent or outcome != "passed" else "passed, but the test lines and the summary disagree"
    else:
        ok = outcome == expect or (expect == "failure" and outcome != "passed")
        msg = f"{outcome} (expected: {expect})"
    return ok, checks, msg


def context(lines, radius=12):
    """The serial lines around the first sign of trouble (or the last lines)."""
    marks = [i for i, l in enumerate(lines)
             if "FAILED" in l or "check failed" in l or "panic" in l or "*** CPU exception" in l]
    at = marks[0] if marks else len(lines)
    lo, hi = max(0, at - radius), min(len(lines), at + 2 * radius)
    return lines[lo:hi]


def record(results, ok, name, detail=""):
    if results:
        with open(results, "a") as f:
            f.write(f"{'PASS' if ok else 'FAIL'} {name}{'  ' + detail if detail else ''}\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stage", type=int, required=True)
    ap.add_argument("--build", required=True, help="directory holding kernel.elf")
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--only", help="run only the runs whose name contains this")
    ap.add_argument("--expect", default="pass",
                    help="pass (default), failure, failed, triple fault, hang")
    ap.add_argument("--label", default=None, help="prefix for result names")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()

    label = args.label or f"stage{args.stage}"
    results = os.environ.get("RESULTS")
    runs = [r for r in read_config(args.stage) if not args.only or args.only in r["name"]]
    if args.expect != "pass" and not args.only:
        # For a seeded bug, the first run of each QEMU loader is enough.
        runs = [r for i, r in enumerate(runs)
                if r["loader"] != "v86" and r["loader"] not in {x["loader"] for x in runs[:i]}]
    failures = 0
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        booted = list(pool.map(lambda r: boot(args.build, r, args.timeout), runs))
    if args.expect != "pass":
        # A seeded bug is caught when some run ends the way the bug predicts.
        verdicts = [judge(run, *b[:2], args.expect) for run, b in zip(runs, booted)]
        caught = any(ok for ok, _, _ in verdicts)
        msg = "; ".join(f"{run['name']}: {b[0]}" for run, b in zip(runs, booted))
        record(results, caught, label, f"expected {args.expect}: {msg}")
        print(f"{'ok  ' if caught else 'FAIL'} {label}: expected {args.expect}; {msg}")
        if not caught:
            for line in context(booted[0][1]):
                print(f"     | {line}")
        sys.exit(0 if caught else 1)
    for run, (outcome, lines, seconds) in zip(runs, booted):
        ok, checks, msg = judge(run, outcome, lines, args.expect)
        name = f"{label}/{run['name']}"
        for test, test_ok in checks:
            record(results, test_ok, f"{name}/{test}")
        record(results, ok, name, msg)
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {msg} ({len(checks)} tests, {seconds:.2f} s)")
        if not ok:
            failures += 1
            print(f"     command: {' '.join(shlex.quote(c) for c in qemu_command(args.build, run))}")
            for line in context(lines):
                print(f"     | {line}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
