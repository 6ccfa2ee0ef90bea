#!/usr/bin/env python3
"""bench-boot.py: how long each stage takes to boot to the monitor prompt
under `qemu -kernel` (TCG, no KVM), and how the frame allocator's start-up
grows with memory: stage 2 at 3 GiB against stage 2 at 32 MiB, measured in
the same run.  Prints figures and ratios; asserts nothing."""
import glob
import os
import subprocess
import time

QEMU = ["qemu-system-i386", "-M", "pc", "-display", "none", "-no-reboot", "-nic", "none",
        "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-serial", "stdio"]


def to_prompt(stage, mem, reps=3):
    """Best-of-REPS seconds from starting QEMU to the first "K> "."""
    best = None
    for _ in range(reps):
        p = subprocess.Popen(QEMU + ["-m", mem, "-kernel", f"build/chapter-{stage}/kernel.elf"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        t, out = time.monotonic(), b""
        while b"K> " not in out:
            chunk = os.read(p.stdout.fileno(), 4096)
            if not chunk:
                break
            out += chunk
        t = time.monotonic() - t
        p.kill()
        p.wait()
        best = t if best is None else min(best, t)
    return best


stages = sorted(int(d.split("-")[-1]) for d in glob.glob("build/chapter-[0-9]"))
print("boot to the monitor prompt, qemu -kernel, best of 3:")
for s in stages:
    print(f"  stage {s}, 32 MiB: {to_prompt(s, '32M') * 1000:7.1f} ms")
if 2 in stages:
    small, big = to_prompt(2, "32M"), to_prompt(2, "3G")
    print(f"  stage 2, 3 GiB:  {big * 1000:7.1f} ms  ({big / small:.2f}x the 32 MiB boot: "
          f"the frame allocator pushes ~786,000 frames)")
