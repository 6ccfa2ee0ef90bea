#!/usr/bin/env python3
"""Boot a stage in QEMU in test mode and judge the run.

Each run boots the kernel once, from a GRUB 2 ISO, with `qemu -kernel`, or
under v86 (the emulator the HTML edition runs in the reader's browser,
driven by node) - three loaders that hand over different machine state -
with a memory size, a command line and optional multiboot modules.  The
runs of stage N are listed in tests/boot/stage-N.conf:

    # name   loaders          memory  command line, modules and options
    basic    grub,kernel,v86  32M     test
    cpu486   grub,kernel      32M     test cpu=486
    mod30m   grub,kernel      64M     test module=random:30M checksums

Without that file a stage gets one run, `basic` as above.  The words after
the memory size are split as a shell splits them (quote a word holding
spaces or `#`); these are options, the others the kernel's command line:
    module=FILE      load FILE as a multiboot module (v86 loads no modules:
                     such runs skip it); module=random:SIZE (30M, 300M) loads
                     SIZE deterministic pseudo-random bytes, made at test time
                     in build/modules/ (never committed)
    cpu=MODEL        QEMU's -cpu MODEL (486, pentium, ...); v86 is skipped
    expect=OUTCOME   how the run must end: pass (the default), failed (the
                     kernel reported a failure: a failed check or a panic),
                     triple fault, hang
    says=REGEX       some serial line must match REGEX (a refusal's message)
    checksums        the kernel prints each module's checksum ("module I: ...
                     checksum 0x..."), FNV-1a over 32-bit words: it must be
                     the checksum of the file, and be printed for every module
    echo             the kernel's "command line: ..." line must show the
                     command line as given (under GRUB, with the backslashes
                     GRUB's multiboot loader puts before \\, ' and ")

A run ends in one of these ways, told apart by QEMU's exit status:
    33        the kernel's tests all passed (isa-debug-exit, value 0x10)
    35        the kernel reported a failure (value 0x11): a failed check or a panic
    0         the CPU reset: a triple fault (QEMU runs with -no-reboot)
    timeout   the kernel hung: it used --timeout seconds of CPU, or ran --timeout
              seconds times the machine's load per CPU (1 to 4)
Each in-kernel test line ("ktest: NAME ... ok") is recorded as a check of
its own in $RESULTS (lines "PASS name" / "FAIL name"), and so is each run.
On failure the serial lines around the first problem are printed.

Boots run in parallel, --jobs at a time (default: $JOBS, else the number of
CPUs).  Under `make test`, tools/run-tests.sh hands out its job slots
through a FIFO named by $SARRUS_JOBSERVER (the protocol of make's
jobserver): this process may run one boot on the slot it was started with
and takes a token from the FIFO for each further boot, so that every boot
of the suite shares one pool the size of the machine.  Boots of 1 GiB or
more of guest memory run one at a time in a process (QEMU touches every
page the frame allocator's tests hand out).
"""
import argparse
import concurrent.futures
import errno
import fcntl
import hashlib
import os
import random
import re
import select
import shlex
import struct
import subprocess
import sys
import threading
import time

QEMU = os.environ.get("QEMU", "qemu-system-i386")
QEMU_COMMON = ["-M", "pc", "-display", "none", "-no-reboot", "-nic", "none",
               "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
EXIT_PASS, EXIT_FAIL = 33, 35
KTEST_LINE = re.compile(r"^ktest: (\S+) \.\.\. (ok|FAILED)(?:\s.*)?$")
KTEST_SUMMARY = re.compile(r"^ktest: (\d+) tests, (\d+) failures\s*$")
MODULE_SUM = re.compile(r"^\s*module (\d+): .*checksum (0x[0-9a-fA-F]+)")
CMDLINE_ECHO = re.compile(r"^command line: (.*)$")
# A line that only a failing test prints: a check that failed, or a test's
# FAILED verdict.  A run that prints one can no longer pass.
FAILURE_LINE = re.compile(r"^\s*check failed at |^ktest: \S+ \.\.\. FAILED")
FLAGS = ("checksums", "echo")
OPTIONS = ("module", "cpu", "expect", "says")


class Slots:
    """Job slots shared by every boot of the suite (see the docstring)."""

    def __init__(self):
        self.own = threading.Lock()          # the slot this process was started with
        self.big = threading.Lock()          # one boot of >= 1 GiB at a time
        self.fd = None
        path = os.environ.get("SARRUS_JOBSERVER")
        if path:
            try:
                self.fd = os.open(path, os.O_RDWR | os.O_NONBLOCK)
            except OSError:
                self.fd = None

    def acquire(self):
        """Wait for a slot; return the token to give back to release()."""
        while True:
            if self.own.acquire(blocking=False):
                return None
            if self.fd is None:              # no pool: the thread pool is the limit
                return b""
            select.select([self.fd], [], [], 0.2)
            try:
                token = os.read(self.fd, 1)
                if token:
                    return token
            except OSError as e:
                if e.errno != errno.EAGAIN:
                    raise

    def release(self, token):
        if token is None:
            self.own.release()
        elif token:
            os.write(self.fd, token)


SLOTS = Slots()


def read_config(stage):
    """The runs of STAGE: a list of dicts (name, loader, mem, cmdline, modules, options)."""
    path = f"tests/boot/stage-{stage}.conf"
    lines = open(path).read().splitlines() if os.path.exists(path) else ["basic grub,kernel,v86 32M test"]
    runs = []
    for line in lines:
        words = shlex.split(line, comments=True)
        if not words:
            continue
        name, loaders, mem, *rest = words
        opts = dict(modules=[], cpu=None, expect="pass", says=None, checksums=False, echo=False)
        cmdline = []
        for w in rest:
            key, eq, value = w.partition("=")
            if w in FLAGS:
                opts[w] = True
            elif eq and key == "module":
                opts["modules"].append(value)
            elif eq and key in OPTIONS:
                opts[key] = value
            else:
                cmdline.append(w)
        for loader in loaders.split(","):
            if loader == "v86" and (opts["modules"] or opts["cpu"]):
                continue
            runs.append(dict(name=f"{name}-{loader}-{mem}", loader=loader, mem=mem,
                             cmdline=" ".join(cmdline), **opts))
    return runs


def module_file(spec):
    """The file of a module= option: FILE, or random:SIZE made under build/modules/."""
    if not spec.startswith("random:"):
        return spec
    size = mebibytes(spec[len("random:"):]) << 20
    path = os.path.join("build", "modules", f"random-{spec[len('random:'):]}.bin")
    if not os.path.exists(path) or os.path.getsize(path) != size:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        rng = random.Random(f"sarrus module {size}")
        # (Boots of several stages, and their threads, may make the same file at
        # once: each writes its own temporary file, and the rename is atomic.)
        tmp = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
        with open(tmp, "wb") as f:
            for _ in range(0, size, 1 << 20):
                f.write(rng.randbytes(1 << 20))
        os.replace(tmp, path)
    return path


def fnv1a_words(path):
    """The kernel's module checksum: FNV-1a over little-endian 32-bit words,
    then the trailing bytes (cached next to a generated file)."""
    cache = path + ".fnv"
    if os.path.exists(cache) and os.path.getmtime(cache) >= os.path.getmtime(path):
        return int(open(cache).read(), 16)
    data = open(path, "rb").read()
    h, n = 2166136261, len(data) // 4
    for (w,) in struct.iter_unpack("<I", data[:4 * n]):
        h = ((h ^ w) * 16777619) & 0xFFFFFFFF
    for b in data[4 * n:]:
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    if path.startswith(os.path.join("build", "")):
        tmp = f"{cache}.{os.getpid()}.{threading.get_ident()}.tmp"
        open(tmp, "w").write(f"{h:08x}")
        os.replace(tmp, cache)
    return h


def iso_for(build, run):
    """A GRUB ISO with RUN's command line and modules (cached by content)."""
    modules = [module_file(m) for m in run["modules"]]
    key = hashlib.sha1(repr((run["cmdline"], modules)).encode()).hexdigest()[:10]
    iso = os.path.join(build, "iso", key + ".iso")
    kernel = os.path.join(build, "kernel.elf")
    deps = [kernel, "tools/mkiso.sh"] + modules
    with ISO_LOCK:
        if not os.path.exists(iso) or any(os.path.getmtime(d) > os.path.getmtime(iso) for d in deps):
            os.makedirs(os.path.dirname(iso), exist_ok=True)
            subprocess.run(["tools/mkiso.sh", kernel, iso + ".tmp", run["cmdline"]] + modules, check=True)
            os.replace(iso + ".tmp", iso)
    return iso


ISO_LOCK = threading.Lock()


def mebibytes(mem):
    """'32M' -> 32, '3G' -> 3072."""
    return int(mem[:-1]) * (1024 if mem[-1] in "Gg" else 1)


def qemu_command(build, run, timeout=60):
    if run["loader"] == "v86":
        return ["node", "tests/v86/boot.mjs", os.path.join(build, "kernel.elf"),
                "--cmdline", run["cmdline"], "--mem", str(mebibytes(run["mem"])),
                "--timeout", str(int(timeout))]
    cmd = [QEMU] + QEMU_COMMON + ["-m", run["mem"], "-serial", "stdio"]
    if run.get("cpu"):
        cmd += ["-cpu", run["cpu"]]
    if run["loader"] == "grub":
        # The CD is on an AHCI (SATA) controller, not the default IDE one:
        # GRUB reads it through the BIOS, which then moves the data by DMA
        # instead of one emulated port read per 2 bytes (a 30 MiB module
        # loads in 1.4 s instead of 3.2).  The kernel does not look at disks.
        cmd += ["-device", "ahci,id=ahci", "-drive", f"id=cd,file={iso_for(build, run)},media=cdrom,if=none,format=raw",
                "-device", "ide-cd,drive=cd,bus=ahci.0"]
    else:
        cmd += ["-kernel", os.path.join(build, "kernel.elf"), "-append", run["cmdline"]]
        if run["modules"]:
            cmd += ["-initrd", ",".join(f"{module_file(m)} {os.path.basename(module_file(m))}"
                                        for m in run["modules"])]
    return cmd


def load_factor():
    """How many times over the machine's CPUs are busy (1 to 4): a boot's time
    limit stretches by it, so that a boot starved of CPU by other work on a
    shared machine is not taken for a hang."""
    try:
        return min(4.0, max(1.0, os.getloadavg()[0] / (os.cpu_count() or 1)))
    except OSError:
        return 1.0


def cpu_of(pid):
    """CPU seconds (user + system) that process PID has used so far, or None."""
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def run_measured(cmd, timeout, stop=None, pass_fds=()):
    """Run CMD; return (its exit status, or "timeout" or "stopped"; stdout;
    stderr; the CPU seconds it used, user + system).  It counts as hung once
    it has used TIMEOUT seconds of CPU, or run TIMEOUT seconds times
    load_factor().  STOP: a pattern; the first line of output that matches
    it ends the run ("stopped").  PASS_FDS: descriptors CMD inherits."""
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         pass_fds=pass_fds)
    outs, seen = {}, threading.Event()

    def read_lines(f):
        lines = []
        for line in iter(f.readline, b""):
            lines.append(line)
            if stop and not seen.is_set() and stop.search(line.decode("utf-8", "replace")):
                seen.set()
        outs["out"] = b"".join(lines)
    readers = [threading.Thread(target=read_lines, args=(p.stdout,)),
               threading.Thread(target=lambda f: outs.__setitem__("err", f.read()), args=(p.stderr,))]
    for t in readers:
        t.start()
    start, killed = time.monotonic(), None
    while True:
        pid, wstatus, usage = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        cpu = cpu_of(p.pid)
        if not killed and seen.is_set():
            p.kill()
            killed = "stopped"
        elif not killed and (time.monotonic() - start > timeout * load_factor()
                             or (cpu is not None and cpu > timeout)):
            p.kill()
            killed = "timeout"
        seen.wait(0.05)                          # (wakes at once at the STOP line)
    p.returncode = os.waitstatus_to_exitcode(wstatus)
    for t in readers:
        t.join()
    return killed or p.returncode, outs.get("out", b""), outs.get("err", b""), \
        usage.ru_utime + usage.ru_stime


def warm_ram(run, cmd):
    """For a big boot under QEMU, the suite's warm guest RAM (SARRUS_RAM, from
    tools/ram-keeper.py), if there is one and it is large enough: wait for it
    (one boot at a time), and return (its locked descriptor, CMD using it);
    otherwise (None, CMD)."""
    path = os.environ.get("SARRUS_RAM")
    size = mebibytes(run["mem"]) << 20
    if not path or run["loader"] == "v86":
        return None, cmd
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return None, cmd
    if os.fstat(fd).st_size < size:
        os.close(fd)
        return None, cmd
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd, cmd + ["-object", f"memory-backend-file,id=ram,size={size},mem-path={path},share=on",
                      "-machine", "memory-backend=ram"]


def boot(build, run, timeout, stop=None):
    """Run QEMU (on a job slot); return (outcome, serial lines, seconds).
    STOP: a pattern; the first serial line that matches it ends the run,
    whose outcome is then "failed" (for a seeded bug: FAILURE_LINE)."""
    cmd = qemu_command(build, run, timeout)       # (makes the ISO first, outside the slot)
    big = mebibytes(run["mem"]) >= 1024
    ram = None
    if big:
        SLOTS.big.acquire()
        ram, cmd = warm_ram(run, cmd)
    token = SLOTS.acquire()
    start = time.monotonic()
    try:
        # (QEMU inherits the shared RAM's locked descriptor: the lock lasts as long as it runs.)
        status, out, err, cpu = run_measured(cmd, timeout + (15 if run["loader"] == "v86" else 0), stop,
                                             () if ram is None else (ram,))
    finally:
        SLOTS.release(token)
        if ram is not None:
            os.close(ram)                        # (and with it the lock)
        if big:
            SLOTS.big.release()
    run["cpu_seconds"] = cpu
    seconds = time.monotonic() - start
    lines = out.decode("utf-8", "replace").replace("\r", "").split("\n")
    if run["loader"] == "v86":     # boot.mjs: 0 passed, 1 failed, 2 timed out
        status = {0: EXIT_PASS, 1: EXIT_FAIL, 2: "timeout"}.get(status, status)
    outcome = {EXIT_PASS: "passed", EXIT_FAIL: "failed", "stopped": "failed", 0: "triple fault",
               "timeout": "hang"}.get(status, f"emulator error {status}: "
                                                + (err.decode(errors='replace').strip().split("\n") or [""])[0])
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


def expected_echo(run):
    """The command line as the kernel must receive it under RUN's loader."""
    if run["loader"] == "grub":          # GRUB's multiboot loader escapes these
        return re.sub(r"""([\\'"])""", r"\\\1", run["cmdline"])
    return run["cmdline"]


def judge_run(run, outcome, lines):
    """judge() for a run of the configuration, with its options; also return
    the extra checks its options ask for as [(check name, ok, detail)]."""
    ok, checks, msg = judge(run, outcome, lines, run.get("expect", "pass"))
    extra = []
    if run.get("says"):
        said = any(re.search(run["says"], l) for l in lines)
        extra.append(("says", said, "" if said else f"no line matches {run['says']!r}"))
    if run.get("checksums"):
        printed = {int(m.group(1)): int(m.group(2), 16) for m in map(MODULE_SUM.match, lines) if m}
        for i, spec in enumerate(run["modules"]):
            want = fnv1a_words(module_file(spec))
            got = printed.get(i)
            good = got == want
            extra.append((f"module{i}-checksum", good, "" if good else
                          f"{spec}: the file's checksum is 0x{want:08x}, the kernel printed "
                          + (f"0x{got:08x}" if got is not None else "none")))
    if run.get("echo"):
        echoed = [m.group(1) for m in map(CMDLINE_ECHO.match, lines) if m]
        want = expected_echo(run)
        # (qemu -kernel puts the kernel's file name first, GRUB does not)
        good = bool(echoed) and (echoed[0] == want or echoed[0].endswith(" " + want))
        extra.append(("command-line", good, "" if good else
                      f"expected the command line to end with {want!r}, the kernel printed "
                      + (repr(echoed[0]) if echoed else "none")))
    bad = [f"{n}: {d}" for n, good, d in extra if not good]
    if bad:
        ok, msg = False, "; ".join([msg] + bad)
    return ok, checks, msg, extra


def cost(run):
    """A rough order of a run's length, to start the long ones first."""
    return mebibytes(run["mem"]) + (2000 if run["loader"] == "v86" else 0) + \
        sum(mebibytes(m.split(":", 1)[1]) for m in run["modules"] if m.startswith("random:"))


def parallel_boots(build, runs, timeout, jobs):
    """Boot RUNS on JOBS threads, longest first; yield the results in RUNS' order."""
    with concurrent.futures.ThreadPoolExecutor(max(1, jobs)) as pool:
        futures = {}
        for i in sorted(range(len(runs)), key=lambda i: -cost(runs[i])):
            futures[i] = pool.submit(boot, build, runs[i], timeout)
        for i in range(len(runs)):
            yield futures[i].result()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stage", type=int, required=True)
    ap.add_argument("--build", required=True, help="directory holding kernel.elf")
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--only", help="run only the runs whose name contains this")
    ap.add_argument("--loaders", help="run only the runs of these loaders (comma-separated)")
    ap.add_argument("--max-mem", help="run only the runs with at most this much memory (512M)")
    ap.add_argument("--expect", default="pass",
                    help="pass (default), failure, failed, triple fault, hang")
    ap.add_argument("--label", default=None, help="prefix for result names")
    ap.add_argument("--jobs", type=int, default=int(os.environ.get("JOBS") or os.cpu_count() or 2),
                    help="boots at a time (default: $JOBS, else the number of CPUs)")
    args = ap.parse_args()

    label = args.label or f"stage{args.stage}"
    results = os.environ.get("RESULTS")
    runs = [r for r in read_config(args.stage) if not args.only or args.only in r["name"]]
    if args.loaders:
        runs = [r for r in runs if r["loader"] in args.loaders.split(",")]
    if args.max_mem:
        runs = [r for r in runs if mebibytes(r["mem"]) <= mebibytes(args.max_mem)]
    if args.expect != "pass" and not args.only:
        # For a seeded bug, the first plain run of each QEMU loader is enough.
        runs = [r for r in runs if r["expect"] == "pass" and not r["cpu"] and not r["modules"]]
        runs = [r for i, r in enumerate(runs)
                if r["loader"] != "v86" and r["loader"] not in {x["loader"] for x in runs[:i]}]
    failures = 0
    if args.expect != "pass":
        # A seeded bug is caught when some run ends the way the bug predicts:
        # the runs go one at a time, qemu -kernel first (no ISO to make), and
        # stop at the first that catches it (the same verdict, less work: a
        # bug that hangs the kernel spins until the time-out in each run).
        # A bug expected to make a test fail is caught at the first failed
        # check: the run stops there (the rest could only add failures, or
        # spin until the time-out when the damage hangs the kernel).
        runs.sort(key=lambda r: r["loader"] != "kernel")
        stop = FAILURE_LINE if args.expect == "failure" else None
        booted, verdicts = [], []
        for run in runs:
            booted.append(boot(args.build, run, args.timeout, stop))
            verdicts.append(judge(run, *booted[-1][:2], args.expect))
            if verdicts[-1][0]:
                break

        def first_failure(lines):
            at = next((l.strip() for l in lines if stop and stop.search(l)), None)
            return f", at: {at}" if at else ""
        caught = any(ok for ok, _, _ in verdicts)
        msg = "; ".join(f"{run['name']}: {b[0]}{first_failure(b[1])}" for run, b in zip(runs, booted))
        if len(booted) < len(runs):
            msg += "; " + ", ".join(r["name"] for r in runs[len(booted):]) + ": not needed"
        record(results, caught, label, f"expected {args.expect}: {msg}")
        print(f"{'ok  ' if caught else 'FAIL'} {label}: expected {args.expect}; {msg}")
        if not caught:
            for line in context(booted[0][1]):
                print(f"     | {line}")
        sys.exit(0 if caught else 1)
    booted = parallel_boots(args.build, runs, args.timeout, args.jobs)
    for run, (outcome, lines, seconds) in zip(runs, booted):
        ok, checks, msg, extra = judge_run(run, outcome, lines)
        name = f"{label}/{run['name']}"
        for test, test_ok in checks:
            record(results, test_ok, f"{name}/{test}")
        for check, check_ok, detail in extra:
            record(results, check_ok, f"{name}/{check}", detail)
        record(results, ok, name, msg)
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {msg} ({len(checks)} tests, {seconds:.2f} s, "
              f"CPU {run.get('cpu_seconds', 0):.2f} s)", flush=True)
        if not ok:
            failures += 1
            print(f"     command: {' '.join(shlex.quote(c) for c in qemu_command(args.build, run))}")
            for line in context(lines):
                print(f"     | {line}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
