#!/usr/bin/env python3
"""Boot a stage the way a reader does (`make chapter-N`) in a pseudo-terminal,
type `help` at the monitor, then Ctrl-A X, and check that QEMU quits cleanly.

Usage: interactive-test.py STAGE [MAKE TARGET]
"""
import os
import pty
import select
import sys
import time


def expect(fd, text, timeout):
    """Read from FD until TEXT appears; return everything read (or None on timeout)."""
    seen, deadline = b"", time.monotonic() + timeout
    while time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
            if text.encode() in seen:
                return seen.decode("utf-8", "replace")
    return None


def main():
    stage = sys.argv[1]
    target = sys.argv[2] if len(sys.argv) > 2 else f"chapter-{stage}"
    name = f"interactive/make-{target}"
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp("make", ["make", "-s", "--no-print-directory", target])
    problems = []
    if expect(fd, "K> ", 60) is None:
        problems.append("no monitor prompt within 60 s")
    else:
        os.write(fd, b"help\r")
        if expect(fd, "quit", 10) is None:
            problems.append("'help' did not list the commands")
        os.write(fd, b"\x01x")                  # Ctrl-A X: QEMU's "quit"
    deadline, status = time.monotonic() + 10, None
    while time.monotonic() < deadline and status is None:
        expect(fd, "\0", 0.2)                   # drain the terminal
        done, st = os.waitpid(pid, os.WNOHANG)
        status = st if done else None
    if status is None:
        os.kill(pid, 9)
        problems.append("QEMU did not quit on Ctrl-A X")
    elif os.waitstatus_to_exitcode(status) != 0:
        problems.append(f"make exited with status {os.waitstatus_to_exitcode(status)}")
    ok = not problems
    print(f"{'ok  ' if ok else 'FAIL'} {name}{': ' + '; '.join(problems) if problems else ''}")
    results = os.environ.get("RESULTS")
    if results:
        with open(results, "a") as f:
            f.write(f"{'PASS' if ok else 'FAIL'} {name}\n")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
