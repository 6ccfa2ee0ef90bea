#!/usr/bin/env python3
"""bug-report.py > exercises/BUGS.md: what a student sees for each seeded bug.

Builds every tests/bugs/*.patch (make chapter-N-test BUG=ID), boots it once
with qemu -kernel in test mode, and writes the mistake, the outcome and the
kernel's own failure lines as Markdown."""
import glob
import os
import re
import subprocess

print("# Seeded bugs: what a student sees\n")
print("Each bug is a typical mistake, kept as a patch in `tests/bugs/`; `make test` checks that the tests catch")
print("every one, and `make chapter-N-test BUG=ID` builds and boots one. Below, for each: the mistake, and the")
print("lines the kernel prints when it is booted in test mode (`qemu -kernel`, 32 MiB unless noted).")
print("Regenerate this file with `python3 tools/bug-report.py > exercises/BUGS.md`.\n")
for patch in sorted(glob.glob("tests/bugs/*.patch")):
    bug = os.path.basename(patch)[:-6]
    head = [l[2:] for l in open(patch).read().split("\n") if l.startswith("# ")]
    stage = int(head[0].split()[1])
    expect = next((l.split(": ", 1)[1] for l in head if l.startswith("expect:")), "failure")
    only = next((l.split(": ", 1)[1] for l in head if l.startswith("only:")), None)
    host = [l.split(": ", 1)[1] for l in head if l.startswith("host:")]
    text = [l for l in head[1:] if not l.startswith(("expect:", "only:", "host:"))]
    subprocess.run(["make", "-s", f"build/bug-{bug}/src/.patched", f"BUG={bug}"], capture_output=True)
    subprocess.run(["make", "-s", f"build/bug-{bug}/kernel.elf", f"BUG={bug}"], capture_output=True)
    conf = {"m4g": ("4G", [], "test"), "module": ("32M", ["-initrd", "tests/boot/module.txt module.txt"], "test"),
            "m5": ("5M", [], "test"),
            "crash-nested": ("32M", [], "test=crash_fault_in_fault_handler"),
            "crash-overflow": ("32M", [], "test=crash_stack_overflow")}
    mem, extra, cmdline = conf.get(only, ("32M", [], "test"))
    try:
        out = subprocess.run(["qemu-system-i386", "-M", "pc", "-display", "none", "-no-reboot", "-nic", "none",
                              "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-m", mem, "-serial", "stdio",
                              "-kernel", f"build/bug-{bug}/kernel.elf", "-append", cmdline] + extra,
                             stdin=subprocess.DEVNULL, capture_output=True, timeout=20)
        lines, status = out.stdout.decode(errors="replace").replace("\r", "").split("\n"), out.returncode
    except subprocess.TimeoutExpired as e:
        lines, status = (e.stdout or b"").decode(errors="replace").replace("\r", "").split("\n"), "hang"
    outcome = {33: "all tests passed (not caught on this path)", 35: "tests failed", 0: "triple fault",
               "hang": "the kernel hung (killed after 20 s)"}.get(status, f"exit {status}")
    shown = [l for l in lines if re.search(r"FAILED|check failed|panic|\*\*\* CPU|ktest: \d+ tests", l)][:12]
    print(f"## `{bug}` (stage {stage}{', run ' + only if only else ''})\n")
    print("\n".join(text) + "\n")
    print(f"Outcome: **{outcome}**; the harness expects: {expect}."
          + (f" Also caught on the host by the {', '.join(host)} unit tests." if host else "") + "\n")
    if shown:
        print("```\n" + "\n".join(shown) + "\n```\n")
