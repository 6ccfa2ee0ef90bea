#!/usr/bin/env python3
"""ram-keeper.py SIZE PID: hold SIZE bytes of guest RAM for the suite's big boots.

A boot of 4 GiB touches every frame of the 3 GiB below the PCI hole, and a
fresh QEMU must get all of that memory from the host first: on the virtual machines the suite runs
on, where free memory goes back to the hypervisor within seconds, that
costs about 1.5 s of CPU per GiB, as long as the emulation itself.  This
program keeps one memory file (memfd) of SIZE bytes alive and prints its
path (/proc/PID/fd/N); tools/boot-test.py gives it to each big boot as the
guest's RAM (SARRUS_RAM), one boot at a time (a lock on the file), so only
the first pays.  The guest then starts with what the last boot left in its
RAM, as a real machine does after a reset: no kernel here may count on
zeroed memory.  The file goes when this program ends: when process PID (the
suite) has ended, or at SIGTERM.
"""
import os
import signal
import sys
import time

size, pid = int(sys.argv[1]), int(sys.argv[2])
fd = os.memfd_create("sarrus-ram")
os.ftruncate(fd, size)
print(f"/proc/{os.getpid()}/fd/{fd}", flush=True)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
while True:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        break
    time.sleep(1)
