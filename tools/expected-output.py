#!/usr/bin/env python3
"""Check the serial output that the chapters show against real boots.

A chapter shows what a stage prints in a fenced block:

    ```{.serial stage=1 mem=32M}
    Sarrus memory manager, stage 1
    ...
    K> heap
    ...
    K> quit
    ```

The block is replayed: stage N is booted with `qemu -kernel` in monitor
mode (plus `cmdline="..."` if the block gives one); each line starting with
`K> ` is a command, typed when the kernel shows its prompt.  The real output
must match the block line by line, where a line `...` matches any run of
lines (also none) and `...` inside a line matches any text.  So the book
cannot drift from the code: if a chapter changes what the kernel prints,
this test fails until the text is updated too.
"""
import argparse
import glob
import os
import re
import select
import subprocess
import sys
import time

QEMU = os.environ.get("QEMU", "qemu-system-i386")
FENCE = re.compile(r"^```\{\.serial([^}]*)\}\s*$")
PROMPT = "K> "


def blocks(stages):
    """Yield (file, line number, attributes, lines) of every serial block."""
    for path in sorted(glob.glob("chapters/[0-9][0-9]-*.nw")):
        lines = open(path).read().split("\n")
        i = 0
        while i < len(lines):
            m = FENCE.match(lines[i])
            if m:
                attrs = dict(re.findall(r'(\w+)=("[^"]*"|\S+)', m.group(1)))
                attrs = {k: v.strip('"') for k, v in attrs.items()}
                end = lines.index("```", i + 1)
                if int(attrs.get("stage", 0)) in stages:
                    yield path, i + 1, attrs, lines[i + 1:end]
                i = end
            i += 1


def replay(stage, attrs, expected, timeout=30):
    """Boot STAGE, type the block's commands at each prompt, return the output lines."""
    commands = [l[len(PROMPT):] for l in expected if l.startswith(PROMPT)]
    cmd = [QEMU, "-M", "pc", "-display", "none", "-no-reboot", "-nic", "none",
           "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-m", attrs.get("mem", "32M"),
           "-kernel", f"build/chapter-{stage}/kernel.elf", "-serial", "stdio"]
    if attrs.get("cmdline"):
        cmd += ["-append", attrs["cmdline"]]
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out, deadline = b"", time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([p.stdout], [], [], 0.2)
        if ready:
            chunk = os.read(p.stdout.fileno(), 4096)
            if not chunk:
                break
            out += chunk
            if out.endswith(PROMPT.encode()) and commands:
                p.stdin.write((commands.pop(0) + "\r").encode())
                p.stdin.flush()
        elif p.poll() is not None:
            break
    try:
        p.wait(timeout=max(1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        out += b"\n[expected-output: timed out]\n"
    text = out.decode("utf-8", "replace").replace("\r", "")
    return [l.rstrip() for l in text.rstrip("\n").split("\n")]


def line_matches(pattern, line):
    if "..." not in pattern:
        return pattern.rstrip() == line
    parts = [re.escape(p) for p in pattern.rstrip().split("...")]
    return re.fullmatch(".*".join(parts), line) is not None


def match(expected, actual):
    """Return the index of the first expected line that could not be matched, or None."""
    best = [0]

    def go(i, j):
        best[0] = max(best[0], i)
        if i == len(expected):
            return j == len(actual)
        if expected[i].strip() == "...":
            return any(go(i + 1, k) for k in range(j, len(actual) + 1))
        return j < len(actual) and line_matches(expected[i], actual[j]) and go(i + 1, j + 1)

    sys.setrecursionlimit(10000)
    return None if go(0, 0) else best[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stages", required=True, help='e.g. "1 2 3"')
    args = ap.parse_args()
    stages = [int(s) for s in args.stages.split()]
    results = os.environ.get("RESULTS")
    failures = count = 0
    for stage in stages:
        subprocess.run(["make", "-s", f"build-{stage}"], check=True)
    for path, lineno, attrs, expected in blocks(stages):
        count += 1
        stage = int(attrs["stage"])
        actual = replay(stage, attrs, expected)
        bad = match(expected, actual)
        name = f"expected-output/{os.path.basename(path)}:{lineno}"
        if results:
            with open(results, "a") as f:
                f.write(f"{'PASS' if bad is None else 'FAIL'} {name}\n")
        if bad is None:
            print(f"ok   {name} (stage {stage}, {len(expected)} lines shown, {len(actual)} printed)")
            continue
        failures += 1
        print(f"FAIL {name}: the book's line {lineno + 1 + bad} does not match the kernel's output")
        print(f"     book says:   {expected[bad] if bad < len(expected) else '(end of block)'}")
        print("     kernel printed:")
        for l in actual:
            print(f"     | {l}")
    if count == 0:
        print("expected-output: no serial blocks in the chapters yet")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
