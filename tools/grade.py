#!/usr/bin/env python3
"""Start, grade and hand out the exercises (format: exercises/FORMAT.md).

    grade.py start ID             exercises/ID/src: the student's starting point
    grade.py grade [ID...]        grade exercises/ID/src (all exercises that have one)
    grade.py grade --solution     grade the starting point with the solution applied
    grade.py run ID [--test T] [--gdb]   boot exercise ID's graded kernel (make run / make gdb)
    grade.py handout DEST         the project for students: no solutions, every src/
    grade.py regrade DIR          (instructors) grade every submission in DIR into one gradebook
    grade.py check                (make test) starting points score 0, solutions full marks

What is graded: the files the exercise asks the student to write (`edit` in
exercise.conf) and any file the student added, taken from their src/;
every other file of the stage comes from a pristine starting point (the
test harness, the console, the stage's own tests), and the exercise's
grade files are copied in.  A changed file that is not the student's to
change is reported and not used.  The tree is built twice: without the
grade files, to boot the stage's own tests (if they fail, the exercise
scores 0), and with them, to boot each graded test alone (`test=NAME` on
the command line), so that a panic, a triple fault or a hang costs that
test only.  Each boot gets a fresh random `grade=NONCE` on its command line:
the pristine harness takes it off the command line before any of the
student's code runs and prints it in its verdict lines, and the grader reads
verdicts only from lines that carry it (and QEMU's exit status).  A host
test runs alone in its own process and its verdict is read from cmocka's XML
file (a random path given at run time) and the exit status.
Results also go to a JSON file (default build/grade/results.json).
"""
import argparse
import concurrent.futures
import datetime
import functools
import importlib.util
import io
import json
import os
import re
import secrets
import tarfile
import tempfile
import threading
import time
import hashlib
import csv
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Where the exercises are (the grader's own test points this elsewhere).
EXDIR = os.path.abspath(os.environ.get("SARRUS_EXERCISES", os.path.join(ROOT, "exercises")))
_spec = importlib.util.spec_from_file_location("boot_test", os.path.join(ROOT, "tools", "boot-test.py"))
boot_test = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(boot_test)
TROUBLE = re.compile(r"^\s*check failed|^panic|\*\*\* CPU exception|^page fault|\.\.\. FAILED$")
MAX_LINES = 6           # marked lines shown per failed test (all of them are in the JSON file) ...
MAX_EXERCISE_LINES = 30  # ... and per exercise
GRADER_FILES = ("tools/grade.py", "tools/grade_host_main.c", "tools/boot-test.py", "exercises/exercises.mk")


class Refused(Exception):
    """A request the grader refuses with a message (no traceback)."""


def exercises():
    """Every exercise id (folders of exercises/ with an exercise.conf)."""
    d = EXDIR
    return sorted(e for e in os.listdir(d) if os.path.exists(os.path.join(d, e, "exercise.conf")))


def patched_files(patch):
    """The files a patch creates or changes (names inside the stage's folder)."""
    if not os.path.exists(patch):
        return []
    names = []
    for line in open(patch, errors="replace"):
        if line.startswith("+++ "):
            name = line[4:].split("\t")[0].strip()
            if name != "/dev/null":
                names.append(name.split("/", 1)[1] if "/" in name else name)
    return names


@functools.lru_cache(maxsize=None)
def read_conf(ex):
    conf = dict(id=ex, title=ex, stage=None, difficulty="", effort="", files=[], tests=[], expect={}, reject={},
                hostfiles=[], hostsrcs=[], edit=None)
    path = os.path.join(EXDIR, ex, "exercise.conf")
    if not os.path.exists(path):
        raise Refused(f"no exercise {ex!r} (exercises: {' '.join(exercises())})")
    with open(path) as f:
        for line in f:
            line = line.split(" #", 1)[0].rstrip("\n")
            if line.startswith("#") or not line.strip():
                continue
            key, _, rest = line.strip().partition(" ")
            rest = rest.strip()
            if key in ("title", "difficulty", "effort"):
                conf[key] = rest
            elif key == "stage":
                conf["stage"] = int(rest)
            elif key in ("files", "hostfiles", "hostsrcs"):
                conf[key] += rest.split()
            elif key == "edit":
                conf["edit"] = (conf["edit"] or []) + rest.split()
            elif key in ("test", "host"):
                name, points, *opts = rest.split()
                t = dict(name=name, points=int(points), mem="32M", loader="kernel", cmdline="", kind=key)
                for o in opts:
                    k, _, v = o.partition("=")
                    t[k] = v
                conf["tests"].append(t)
            elif key in ("expect", "reject"):
                name, _, regex = rest.partition(" ")
                conf[key].setdefault(name, []).append(regex.strip())
            else:
                sys.exit(f"grade: exercises/{ex}/exercise.conf: unknown key {key!r}")
    if conf["edit"] is None:
        # By default the student may change what the starting point changed, except the stage's tests.
        conf["edit"] = [f for f in patched_files(os.path.join(EXDIR, ex, "starter.patch"))
                        if not f.endswith("_test.c")]
    return conf


def apply_patch(patch, directory):
    if os.path.exists(patch) and os.path.getsize(patch) > 0:
        subprocess.run(["patch", "-s", "-p1", "-d", directory, "-i", os.path.abspath(patch)], check=True)


_plain_done = False
_once = threading.RLock()       # the sources made once per run, when exercises are graded side by side


def plain_sources(stage):
    """build/plain/chapter-STAGE: the stage's files without #line, tangled
    afresh once per run (what starter patches apply to; `make ex-base`)."""
    global _plain_done
    with _once:
        if _plain_done:
            return os.path.join(ROOT, "build", "plain", f"chapter-{stage}")
        subprocess.run([sys.executable, os.path.join(ROOT, "tools", "tangle.py"), "--plain", "--out",
                        os.path.join(ROOT, "build", "plain"), "--stages", "1,2,3,4,5,6,7,8,9",
                        "--chapters", os.path.join(ROOT, "chapters")],
                       cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        _plain_done = True
    return os.path.join(ROOT, "build", "plain", f"chapter-{stage}")


def make_start(ex, dest):
    """Write exercise EX's starting point to DEST: plain stage sources + starter.patch."""
    conf = read_conf(ex)
    if os.path.exists(dest):
        shutil.rmtree(dest)
    shutil.copytree(plain_sources(conf["stage"]), dest)
    apply_patch(os.path.join(EXDIR, ex, "starter.patch"), dest)


_started = set()


def starting_point(ex):
    """A pristine starting point of EX, made once per run (build/grade/start/EX)."""
    dest = os.path.join(ROOT, "build", "grade", "start", ex)
    with _once:
        if ex not in _started:
            make_start(ex, dest)
            _started.add(ex)
    return dest


def same_file(a, b):
    try:
        with open(a, "rb") as x, open(b, "rb") as y:
            return x.read() == y.read()
    except OSError:
        return False


SOURCE = re.compile(r"\.(c|h|asm)$")


def assemble(ex, src, dest):
    """DEST = the pristine starting point of EX with the student's files of SRC:
    the files the exercise lets them change and the files they added.
    Return dict(edited, added, ignored): what was taken, and what was not."""
    conf = read_conf(ex)
    start = starting_point(ex)
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(start, dest)
    edited, added, ignored = [], [], []
    for f in sorted(os.listdir(src)):
        s = os.path.join(src, f)
        if not os.path.isfile(s) or not SOURCE.search(f) or f.startswith("."):
            continue
        if f in conf["files"] or f in conf["hostfiles"]:
            if os.path.exists(os.path.join(start, f)) or not same_file(s, os.path.join(EXDIR, ex, f)):
                ignored.append(f)
            continue
        if f in conf["edit"]:
            shutil.copy(s, os.path.join(dest, f))
            if not same_file(s, os.path.join(start, f)):
                edited.append(f)
        elif os.path.exists(os.path.join(start, f)):
            if not same_file(s, os.path.join(start, f)):
                ignored.append(f)
        else:
            shutil.copy(s, os.path.join(dest, f))
            added.append(f)
    return dict(edited=edited, added=added, ignored=ignored)


def relabel(ex, line):
    """A line of compiler or kernel output with the grader's copies named as
    the student knows them: exercises/ID/src/FILE (or exercises/ID/grade_x.c);
    a 64-bit hex value that is a small negative number shown signed."""
    conf = read_conf(ex)

    def name(m):
        f = m.group(1)
        return f"exercises/{ex}/{f}" if f in conf["files"] else f"exercises/{ex}/src/{f}"
    line = re.sub(r"(?:[^\s:'\"]*/)?build/grade/(?:[^\s/]+/)+?" + re.escape(ex) + r"/(?:tree|graded-tree|src)/([\w.+-]+)",
                  name, line)
    line = re.sub(r"exercises/" + re.escape(ex) + r"/src/([\w.+-]+)",
                  lambda m: f"exercises/{ex}/{m.group(1)}" if m.group(1) in conf["files"] else m.group(0), line)
    return re.sub(r"0x(f{8}[0-9a-f]{8})\b",
                  lambda m: str(int(m.group(1), 16) - (1 << 64)) if int(m.group(1), 16) >= (1 << 64) - (1 << 20)
                  else m.group(0), line)


def build(name, src, stage, ex=None):
    """Build SRC as build/NAME/kernel.elf; return (ok, compiler output).  With EX, the
    kernel's messages (__FILE__) name the files exercises/EX/src/FILE."""
    p = subprocess.run(["make", "-s", "--no-print-directory", f"EXSRC={src}", f"EXSTAGE={stage}",
                        f"EXNAME={name}", f"EXAS=exercises/{ex}/src" if ex else "EXAS=", f"build/{name}/kernel.elf"],
                       cwd=ROOT, capture_output=True, text=True)
    return p.returncode == 0, (p.stdout + p.stderr).splitlines()


def harness_takes_nonce(tree):
    """Whether the tree's test harness prints grade=NONCE verdict lines."""
    for f in ("ktest.c", "main.c"):
        try:
            if "grade_nonce" in open(os.path.join(tree, f), errors="replace").read():
                return True
        except OSError:
            pass
    return False


def run_boot(builddir, test, cmdline, timeout):
    run = dict(name=test["name"], loader=test["loader"], mem=test["mem"], cmdline=cmdline, modules=[])
    return boot_test.boot(os.path.join(ROOT, builddir), run, timeout)


def verdicts(lines, nonce):
    """{test: 'ok'|'FAILED'} and the summary (tests, failures) from the lines carrying NONCE."""
    tag = f"grade {nonce}: "
    found, summary = {}, None
    for l in lines:
        if not l.startswith(tag):
            continue
        rest = l[len(tag):].strip()
        m = re.match(r"^(\d+) tests, (\d+) failures$", rest)
        if m:
            summary = (int(m.group(1)), int(m.group(2)))
        else:
            name, _, verdict = rest.rpartition(" ")
            found[name] = verdict
    return found, summary


def judge_test(conf, test, outcome, lines, nonce=None):
    """(passed, reason, marked lines) for one graded test's boot.  With NONCE,
    only the harness's lines that carry it say whether the test ran and passed."""
    name = test["name"]
    marked, missing = [], []
    expects = [re.compile(r) for r in conf["expect"].get(name, [])]
    rejects = [re.compile(r) for r in conf["reject"].get(name, [])]
    found = [False] * len(expects)
    rejected = checks_failed = False
    for line in lines:
        if nonce and line.startswith(f"grade {nonce}: "):
            continue
        hits = [i for i, r in enumerate(expects) if r.search(line)]
        for i in hits:
            found[i] = True
        checks_failed |= bool(re.match(r"^\s*check failed", line))
        if any(r.search(line) for r in rejects):
            marked.append(("unexpected", line)); rejected = True
        elif hits:
            marked.append(("expected", line))
        elif TROUBLE.search(line):
            marked.append(("unexpected", line))
    if nonce:
        said, summary = verdicts(lines, nonce)
        ran = said.get(name) == "ok" and summary == (1, 0)
        started = name in said
        forged = not started and any(l.strip() == f"ktest: {name} ... ok" for l in lines)
    else:
        ran = any(l.strip() == f"ktest: {name} ... ok" for l in lines)
        started, forged = any(l.startswith(f"ktest: {name} ") for l in lines), False
    if not ran:
        missing.append(f"ktest: {name} ... ok")
    missing += [r.pattern for r, f in zip(expects, found) if not f]
    marked += [("missing", m) for m in missing]
    if outcome == "passed" and ran and not missing and not rejected and not checks_failed:
        return True, "passed", []
    if forged:
        reason = "the test harness did not report this test (a line saying it passed came from elsewhere)"
    elif outcome == "failed" and any(l.startswith("panic") for l in lines):
        reason = "panic"
    elif outcome == "failed" and any(re.match(r"ktest: 0 tests", l) for l in lines):
        reason = f"no test named {name} in the kernel"
    elif outcome in ("failed", "passed") and not started:
        reason = f"no test named {name} in the kernel (or it stopped before running it)"
    elif outcome == "passed" and ran and checks_failed:
        reason = "a check failed"
    elif outcome == "passed" and ran:
        reason = "the expected output differs"
    elif outcome == "passed":
        reason = "the test harness did not report a pass"
    else:
        reason = {"failed": "the test failed", "hang": "hang (no result within the timeout)",
                  "triple fault": "triple fault (the machine reset)"}.get(outcome, outcome)
    if outcome in ("hang", "triple fault") or not marked:
        marked = [("output", l) for l in lines if l.strip() and not (nonce and nonce in l)][-8:] + marked
    return False, reason, marked


def judge_regression(lines, outcome, nonce):
    """The stage's own tests: (passed, outcome, failed test names)."""
    if not nonce:
        ok, checks, msg = boot_test.judge(None, outcome, lines, "pass")
        return ok, msg, [n for n, okay in checks if not okay]
    said, summary = verdicts(lines, nonce)
    failed = [n for n, v in said.items() if v != "ok"]
    ok = (outcome == "passed" and summary is not None and summary[0] == len(said) > 0
          and summary[1] == len(failed) == 0)
    msg = outcome if outcome != "passed" or ok else ("the test harness did not report" if summary is None
                                                     else "the test harness reported failures")
    return ok, msg, failed


@functools.lru_cache(maxsize=None)
def make_variable(name):
    """The words of the Makefile's variable NAME (the host tests' flags)."""
    return subprocess.run(["make", "-s", "--no-print-directory", f"print-{name}"], cwd=ROOT,
                          capture_output=True, text=True, check=True).stdout.split()


@functools.lru_cache(maxsize=None)
def compiler_version(cc):
    """CC's first line of --version: tools/kcc.sh's KCC_VERSION, asked once."""
    return subprocess.run([cc, "--version"], capture_output=True, text=True).stdout.split("\n")[0]


HOST_TROUBLE = re.compile(r"^ERROR: |\[  ERROR   \]|\[   LINE   \]|ERROR: AddressSanitizer|SUMMARY: |runtime error:|Failure")


def build_host_tests(ex, conf, tree, work):
    """Build the exercise's host test program (cmocka, 64-bit, ASan and UBSan) from the
    exercise's test file, the grader's main and the tree's files; return (exe, errors)."""
    os.makedirs(work, exist_ok=True)
    exe = os.path.join(work, "host-tests")
    flags = (make_variable("HOST_CFLAGS") + make_variable("HOST_RENAMES")
             + ["-fsanitize=address,undefined", "-I" + os.path.join(ROOT, "tests", "host"), "-I" + tree,
                "-include", "host_shim.h"])
    # Each file compiles on its own through tools/kcc.sh (the tree's folder named as the
    # student's src/), so that a file the grader compiled before is not compiled again.
    sources = ([(os.path.join(ROOT, "tools", "grade_host_main.c"), [])]
               + [(os.path.join(EXDIR, ex, f), ["-Dmain=exercise_host_main"]) for f in conf["hostfiles"]]
               + [(os.path.join(tree, f), ["-Dmain=exercise_host_main"]) for f in conf["hostsrcs"]]
               + [(os.path.join(ROOT, "tests", "host", "host_shim.c"), ["-Dmain=exercise_host_main"])])
    objs = [os.path.join(work, f"{i}-{os.path.basename(src)}.o") for i, (src, _) in enumerate(sources)]
    steps = [[os.path.join(ROOT, "tools", "kcc.sh"), f"{tree}=exercises/{ex}/src", "gcc"] + flags + extra
             + ["-c", src, "-o", obj] for (src, extra), obj in zip(sources, objs)]
    steps.append(["gcc"] + flags + ["-o", exe] + objs + ["-lcmocka", "-lm"])
    env = {**os.environ, "KCC_VERSION": compiler_version("gcc")}
    for cmd in steps:
        p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env)
        if p.returncode != 0:
            return None, [relabel(ex, l) for l in (p.stdout + p.stderr).splitlines() if "error" in l][:MAX_LINES]
    return exe, []


def run_host_test(exe, name, work, timeout):
    """Run one host test alone; return (passed, reason, marked lines).  The verdict comes from
    cmocka's XML file (its path chosen here, at random) and the exit status only."""
    xml = os.path.join(work, f"{name}-{secrets.token_hex(8)}.xml")
    try:
        r = subprocess.run([exe, name, xml], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=timeout, errors="replace", stdin=subprocess.DEVNULL)
        lines, status = r.stdout.splitlines(), r.returncode
    except subprocess.TimeoutExpired as e:
        out = e.stdout or b""
        lines, status = (out.decode(errors="replace") if isinstance(out, bytes) else out).splitlines(), "hang"
    cases, failure = {}, []
    try:
        import xml.etree.ElementTree as ET
        for case in ET.parse(xml).getroot().iter("testcase"):
            fails = [f.text or "" for f in case if f.tag in ("failure", "error")]
            cases[case.get("name")] = not fails
            if case.get("name") == name:
                failure = [l for f in fails for l in f.splitlines() if l.strip()]
    except (OSError, Exception):
        cases = None
    if cases is not None and cases.get(name) is True and status == 0 and len(cases) == 1:
        return True, "passed", []
    if status == "hang":
        reason = "hang (no result within the timeout)"
    elif cases is None:
        sanitizer = any(re.search(r"ERROR: AddressSanitizer|runtime error:|SUMMARY: ", l) for l in lines)
        reason = (f"crashed (exit status {status}: a sanitizer report or a signal)"
                  if sanitizer or not isinstance(status, int) or status < 0 or status > 1
                  else "the program ended before cmocka gave its verdict")
    elif name not in cases:
        reason = "did not run (no such test)"
    elif cases[name] is False:
        reason = "the test failed"
    else:
        reason = f"the program's exit status is {status}"
    marked = ([("unexpected", l) for l in failure + lines if HOST_TROUBLE.search(l)][:MAX_LINES]
              or [("output", l) for l in failure + lines if l.strip()][-8:])
    return False, reason, marked + [("missing", f"[       OK ] {name}")]


def cap(lines):
    """At most MAX_LINES marked lines for the screen (the JSON file keeps them all)."""
    return lines if len(lines) <= MAX_LINES else lines[:MAX_LINES - 1] + [
        dict(mark="...", line=f"{len(lines) - MAX_LINES + 1} more lines in the results file (build/grade/results.json)")]


class Printer:
    """Progress on the screen while grading (quiet for the batch regrade)."""

    def __init__(self, out=sys.stdout):
        self.out = out
        self.budget = MAX_EXERCISE_LINES

    def __call__(self, text):
        if self.out:
            self.out.write(text)
            self.out.flush()


def show_test(t, w):
    name = t["name"] + (" (host)" if t.get("kind") == "host" else "")
    w(f"   {'PASS' if t['passed'] else 'FAIL'}  {name:<48} {t['points']:>3}/{t['max_points']:<3}"
      f"{'' if t['passed'] else '  ' + t['outcome']}\n")
    lines = cap(t["lines"])
    budget = getattr(w, "budget", len(lines))
    if t["lines"] and budget <= 0:
        w("         (its lines are in the results file, build/grade/results.json)\n")
        return
    for l in lines[:budget]:
        w(f"         {l['mark']:<10} | {l['line']}\n")
    if hasattr(w, "budget"):
        w.budget -= len(lines)


def show_header(result, w):
    if hasattr(w, "budget"):
        w.budget = MAX_EXERCISE_LINES
    w(f"\n== {result['id']}: {result['title']} ({result['difficulty']}, {result['effort']})\n")


def show_tail(result, w):
    files = result.get("files") or {}
    if files.get("ignored"):
        w(f"   note  not graded, the original is used instead (not yours to change): "
          f"{', '.join('exercises/' + result['id'] + '/src/' + f for f in files['ignored'])}\n")
    reg = result.get("regression")
    if reg:
        w(f"   {'ok  ' if reg['passed'] else 'FAIL'}  the stage's own tests still pass"
          f"{'' if reg['passed'] else ': ' + reg['outcome'] + ' ' + ' '.join(reg['failed'])}\n")
        for l in cap([dict(mark="", line=x) for x in reg["lines"]]):
            w(f"         | {l['line']}\n")
        if not reg["passed"]:
            w(f"   The exercise scores 0 while the stage's own tests fail (the graded tests gave "
              f"{result['earned']}/{result['max_points']}).\n")
    w(f"   score {result['points']}/{result['max_points']}\n")


def show(result, out=sys.stdout):
    """Print one exercise's result as a student reads it."""
    w = out.write
    show_header(result, w)
    if "note" in result:
        w(f"   {result['note']}\n")
        return
    if "error" in result:
        w(f"   {result['error']}\n")
        for l in result.get("build_output", []):
            w(f"   | {l}\n")
    for t in result["tests"]:
        show_test(t, w)
    show_tail(result, w)


def source_hashes(tree, names):
    return {f: hashlib.sha256(open(os.path.join(tree, f), "rb").read()).hexdigest() for f in sorted(names)
            if os.path.isfile(os.path.join(tree, f))}


def grade_one(ex, src, timeout, tag, jobs=2, w=None, only=None, stop_on_fail=False, regression=True):
    """Grade the sources in SRC for exercise EX; return the result dict.
    W prints progress; ONLY limits the tests; STOP_ON_FAIL skips the rest after a failure;
    REGRESSION=False leaves out the boot of the stage's own tests (the grader's self-test,
    for a wrong solution that must fail a named test: the score is then the tests' alone)."""
    w = w or Printer(None)
    conf = read_conf(ex)
    tests = [t for t in conf["tests"] if not only or t["name"] in only]
    result = dict(id=ex, title=conf["title"], difficulty=conf["difficulty"], effort=conf["effort"],
                  points=0, earned=0, max_points=sum(t["points"] for t in tests), tests=[])
    show_header(result, w)
    if conf["difficulty"] == "design":
        result["note"] = "design question: graded by hand"
        w(f"   {result['note']}\n")
        return result
    if not os.path.isdir(src):
        result["error"] = f"no exercises/{ex}/src: run make start EX={ex}"
        w(f"   {result['error']}\n")
        return result
    work = os.path.join("grade", tag, ex)             # under build/
    shutil.rmtree(os.path.join(ROOT, "build", work), ignore_errors=True)
    tree, graded = os.path.join(ROOT, "build", work, "tree"), os.path.join(ROOT, "build", work, "graded-tree")
    files = assemble(ex, src, tree)
    result["files"] = files
    result["sha256"] = source_hashes(tree, conf["edit"] + files["added"])
    shutil.copytree(tree, graded)
    for f in conf["files"]:
        shutil.copy(os.path.join(EXDIR, ex, f), graded)
    if files["ignored"]:
        w(f"   note  not graded, the original is used instead (not yours to change): "
          f"{', '.join(f'exercises/{ex}/src/' + f for f in files['ignored'])}\n")
    w("   building ...\n")
    ok, out = (build(f"{work}/regress", os.path.relpath(tree, ROOT), conf["stage"], ex) if regression
               else (True, []))
    ok2, out2 = build(f"{work}/graded", os.path.relpath(graded, ROOT), conf["stage"], ex) if ok else (False, [])
    if not (ok and ok2):
        result["error"] = "does not build"
        result["build_output"] = [relabel(ex, l) for l in (out if not ok else out2)][-30:]
        w(f"   {result['error']}\n" + "".join(f"   | {l}\n" for l in result["build_output"]))
        for t in tests:
            result["tests"].append(dict(name=t["name"], kind="host" if t["kind"] == "host" else "kernel", points=0,
                                        max_points=t["points"], passed=False, outcome="does not build", lines=[]))
        w(f"   score 0/{result['max_points']}\n")
        return result
    nonce_ok = harness_takes_nonce(tree)

    def cmdline(*words):
        nonce = secrets.token_hex(8) if nonce_ok else None
        return nonce, " ".join(filter(None, list(words) + [f"grade={nonce}" if nonce else ""]))

    kernel_tests = [t for t in tests if t["kind"] == "test"]
    host_tests = [t for t in tests if t["kind"] == "host"]
    boots = [(f"build/{work}/regress", dict(name="regress", loader="kernel", mem="32M"), *cmdline("test"))]
    boots += [(f"build/{work}/graded", t, *cmdline(f"test={t['name']}", t["cmdline"])) for t in kernel_tests]
    if not regression:
        boots[0] = None
    exe, host_errors = (build_host_tests(ex, conf, graded, os.path.join(ROOT, "build", work, "host"))
                        if host_tests else (None, []))
    failed_once = threading.Event()

    def boot_one(b):
        if b is None:
            return "not run", [], 0.0
        if stop_on_fail and failed_once.is_set():
            return "skipped", [], 0.0
        r = run_boot(b[0], b[1], b[3], timeout)
        return r

    def host_one(t):
        if stop_on_fail and failed_once.is_set():
            return False, "skipped (an earlier test failed)", []
        if exe is None:
            return False, "does not build on the host", [("unexpected", l) for l in host_errors]
        return run_host_test(exe, t["name"], os.path.join(ROOT, "build", work, "host"), timeout)

    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        booted = [pool.submit(boot_one, b) for b in boots]
        hosted = [pool.submit(host_one, t) for t in host_tests]
        for t, b, fut in zip(kernel_tests, boots[1:], booted[1:]):
            outcome, lines, seconds = fut.result()
            lines = [relabel(ex, l) for l in lines]
            if outcome == "skipped":
                passed, reason, marked = False, "skipped (an earlier test failed)", []
            else:
                passed, reason, marked = judge_test(conf, t, outcome, lines, b[2])
            if not passed:
                failed_once.set()
            r = dict(name=t["name"], kind="kernel", points=t["points"] if passed else 0,
                     max_points=t["points"], passed=passed, outcome=reason, seconds=round(seconds, 2),
                     lines=[dict(mark=m, line=l) for m, l in marked])
            result["tests"].append(r)
            show_test(r, w)
        for t, fut in zip(host_tests, hosted):
            passed, reason, marked = fut.result()
            if not passed:
                failed_once.set()
            r = dict(name=t["name"], kind="host", points=t["points"] if passed else 0,
                     max_points=t["points"], passed=passed, outcome=reason,
                     lines=[dict(mark=m, line=relabel(ex, l)) for m, l in marked])
            result["tests"].append(r)
            show_test(r, w)
        outcome, lines, _ = booted[0].result()
    lines = [relabel(ex, l) for l in lines]
    if not regression:
        result["regression"] = None
        result["earned"] = result["points"] = sum(t["points"] for t in result["tests"])
        show_tail(result, w)
        return result
    ok, msg, failed = judge_regression(lines, outcome, boots[0][2])
    result["regression"] = dict(passed=ok, outcome=msg, failed=failed,
                                lines=[] if ok else [l for l in boot_test.context(lines, 6)
                                                     if not (boots[0][2] and boots[0][2] in l)])
    result["earned"] = sum(t["points"] for t in result["tests"])
    result["points"] = result["earned"] if ok else 0
    show_tail(result, w)
    return result


def grader_version():
    """The grader's version: the git commit of this tree when there is one, and a hash of
    the grader's own files and of every exercise's tests (what decides the scores)."""
    h = hashlib.sha256()
    for f in GRADER_FILES:
        p = os.path.join(ROOT, f)
        if os.path.exists(p):
            h.update(open(p, "rb").read())
    for ex in exercises():
        for f in sorted(os.listdir(os.path.join(EXDIR, ex))):
            p = os.path.join(EXDIR, ex, f)
            if os.path.isfile(p) and f != "README.md":
                h.update(f.encode() + open(p, "rb").read())
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True, check=True).stdout.strip()
    except (subprocess.CalledProcessError, FileNotFoundError):
        commit = "no-git"
    return f"{commit}+{h.hexdigest()[:12]}"


def grade(ids, timeout, solution, json_path, tree_label, jobs=2):
    """Grade the exercises IDS, up to JOBS of them side by side (their boots take job slots
    as boot-test.py's do); each one's report is printed whole, in the order of IDS."""
    def one(ex):
        src = os.path.join(EXDIR, ex, "src")
        tag = "student"
        if solution:
            src = os.path.join(ROOT, "build", "grade", "solution-src", ex)
            make_start(ex, src)
            apply_patch(os.path.join(EXDIR, "solutions", ex + ".patch"), src)
            tag = "solution"
        if len(ids) == 1:                       # one exercise: its progress as it comes
            return grade_one(ex, src, timeout, tag, jobs=jobs, w=Printer()), ""
        out = io.StringIO()
        return grade_one(ex, src, timeout, tag, jobs=jobs, w=Printer(out)), out.getvalue()

    results = []
    with concurrent.futures.ThreadPoolExecutor(max(1, jobs)) as pool:
        for fut in [pool.submit(one, ex) for ex in ids]:
            r, text = fut.result()
            sys.stdout.write(text)
            sys.stdout.flush()
            results.append(r)
    total, most = sum(r["points"] for r in results), sum(r["max_points"] for r in results)
    report = dict(tree=tree_label, graded_at=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                  grader=grader_version(), solution=solution, timeout=timeout, points=total, max_points=most,
                  exercises=results)
    os.makedirs(os.path.dirname(os.path.abspath(json_path)), exist_ok=True)
    with open(json_path, "w") as f:
        json.dump(report, f, indent=1)
    print(f"\nTotal: {total}/{most} points ({len(results)} exercises). Results: {os.path.relpath(json_path)}")
    return report


def tracked_files():
    """The project's files (git's list when there is one, else everything)."""
    try:
        out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT, capture_output=True, check=True).stdout
        return [f for f in out.decode().split("\0") if f]
    except (subprocess.CalledProcessError, FileNotFoundError):
        skip = {".git", "build", "node_modules"}
        files = []
        for d, dirs, names in os.walk(ROOT):
            dirs[:] = [x for x in dirs if x not in skip and os.path.relpath(os.path.join(d, x), ROOT) != "exercises/solutions"]
            files += [os.path.relpath(os.path.join(d, n), ROOT) for n in names]
        return files


def handout(dest, force=False, tarball=None):
    """Write the student tree to DEST: every file but the solutions, and each exercise's src/;
    and DEST.tar.gz (or TARBALL).  An existing DEST is someone's work: refused unless FORCE."""
    dest = os.path.abspath(dest)
    if os.path.exists(dest):
        if not force:
            raise Refused(f"{dest} exists already (it may hold a student's work): choose another place, "
                          f"or remove it yourself")
        shutil.rmtree(dest)
    for f in tracked_files():
        if f.startswith("exercises/solutions/") or "/src/" in f and f.startswith("exercises/"):
            continue
        if f.startswith("tests/grader/wrong/") or f.startswith("tests/grader/cheats/"):
            continue
        if not os.path.exists(os.path.join(ROOT, f)):
            continue
        os.makedirs(os.path.dirname(os.path.join(dest, f)), exist_ok=True)
        shutil.copy2(os.path.join(ROOT, f), os.path.join(dest, f))
    # Students commit their work: their src/ folders must not be ignored.
    gi = os.path.join(dest, ".gitignore")
    if os.path.exists(gi):
        kept = [l for l in open(gi).read().splitlines() if l.strip() != "/exercises/*/src/"]
        open(gi, "w").write("\n".join(kept) + "\n")
    for ex in exercises():
        if read_conf(ex)["difficulty"] != "design":
            make_start(ex, os.path.join(dest, "exercises", ex, "src"))
    tarball = tarball or dest + ".tar.gz"
    with tarfile.open(tarball, "w:gz") as tar:
        tar.add(dest, arcname="sarrus")
    return dest, tarball


def whole_handout(tarball):
    """make handout: the students' tarball only, assembled in a scratch folder (no tree of
    build/ that a student might work in is written or removed)."""
    with tempfile.TemporaryDirectory(dir=os.path.join(ROOT, "build")) as tmp:
        handout(os.path.join(tmp, "sarrus"), tarball=os.path.abspath(tarball))
    print(f"handout: {os.path.relpath(tarball, ROOT)} ({len(exercises())} exercises, no solutions). "
          f"Students extract it where they like (tar xzf: a folder sarrus/), then: make start EX=ID; make grade EX=ID")


INDEX_BEGIN, INDEX_END = "<!-- exercise index: tools/grade.py index --write -->", "<!-- end of index -->"


def index_table():
    """The table of exercises for exercises/README.md, from each exercise.conf."""
    rows = ["| exercise | chapter | difficulty | effort | points | graded tests |", "|---|---|---|---|---|---|"]
    for e in exercises():
        c = read_conf(e)
        tests = ", ".join(f"`{t['name']}` {t['points']}" for t in c["tests"]) or "by hand (a design question)"
        rows.append(f"| [{c['title']}]({e}/README.md) `{e}` | {c['stage']} | {c['difficulty']} | {c['effort']} "
                    f"| {sum(t['points'] for t in c['tests'])} | {tests} |")
    return "\n".join(rows)


def index(write):
    """Compare (or with WRITE, replace) the table in exercises/README.md; True if current."""
    path = os.path.join(ROOT, "exercises", "README.md")
    text = open(path).read()
    head, _, rest = text.partition(INDEX_BEGIN)
    _, _, tail = rest.partition(INDEX_END)
    new = f"{head}{INDEX_BEGIN}\n{index_table()}\n{INDEX_END}{tail}"
    if write and new != text:
        open(path, "w").write(new)
    return new == text or write


def record(ok, name, detail=""):
    """Print one check and append it to $RESULTS (as the boot harness does)."""
    print(f"{'ok  ' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}")
    boot_test.record(os.environ.get("RESULTS"), ok, name, detail)
    return ok


def check(timeout):
    """make test: in a fresh handout, every starting point builds, boots, passes the stage's
    own tests and scores 0 on each graded test; with the solutions applied, full marks."""
    tree = os.path.join(ROOT, "build", "grade-check", "handout")
    record(index(False), "grade/exercises/README.md lists every exercise as its exercise.conf says",
           "" if index(False) else "run: tools/grade.py index --write")
    handout(tree, force=True)
    ids = [e for e in exercises() if read_conf(e)["difficulty"] != "design"]
    leaked = [f for f in ("exercises/solutions",) if os.path.exists(os.path.join(tree, f))]
    record(not leaked and all(os.path.isdir(os.path.join(tree, "exercises", e, "src")) for e in ids),
           "grade/handout has every exercise's src/ and no solutions")
    gi = os.path.join(tree, ".gitignore")
    record(not os.path.exists(gi) or "/exercises/*/src/" not in open(gi).read().split(),
           "grade/handout: the students' src/ folders are not ignored by git (their work can be committed)")
    ok = True
    phases = ["starting point", "solution"]
    if not os.path.isdir(os.path.join(EXDIR, "solutions")):
        print("grade-check: no exercises/solutions/ here (a students' handout): solutions not checked")
        phases.remove("solution")
    for phase in phases:
        if phase == "solution":
            for e in ids:
                try:
                    apply_patch(os.path.join(ROOT, "exercises", "solutions", e + ".patch"),
                                os.path.join(tree, "exercises", e, "src"))
                except subprocess.CalledProcessError:
                    # One stale solution patch is one failure, not the end of the check.
                    ok &= record(False, f"grade/{e}/solution: exercises/solutions/{e}.patch applies",
                                 "it does not apply to the starting point: re-make it (exercises/FORMAT.md)")
        # (The handout's compilations share this project's object cache: tools/kcc.sh.)
        p = subprocess.run(["make", "-s", "--no-print-directory", "grade", f"TIMEOUT={int(timeout)}"],
                           cwd=tree, capture_output=True, text=True,
                           env={**os.environ, "RESULTS": "", "KCC_CACHE": os.path.join(ROOT, "build", "objcache")})
        log = os.path.join(ROOT, "build", "grade-check", phase.replace(" ", "-") + ".log")
        with open(log, "w") as f:
            f.write(p.stdout + p.stderr)
        try:
            report = json.load(open(os.path.join(tree, "build", "grade", "results.json")))
        except (OSError, ValueError):
            record(False, f"grade/{phase}: make grade ran", f"no results (exit {p.returncode}; log {os.path.relpath(log, ROOT)})")
            print(p.stdout[-3000:] + p.stderr[-3000:])
            ok = False
            continue
        by_id = {r["id"]: r for r in report["exercises"]}
        for e in ids:
            r = by_id.get(e)
            if r is None or "error" in r:
                ok &= record(False, f"grade/{e}/{phase}", (r or {}).get("error", "not graded"))
                if r:
                    show(r)
                continue
            reg = r["regression"]
            ok &= record(reg["passed"], f"grade/{e}/{phase}: builds, boots, the stage's own tests pass",
                         "" if reg["passed"] else reg["outcome"] + " " + " ".join(reg["failed"]))
            for t in r["tests"]:
                want = phase == "solution"
                ok &= record(t["passed"] == want, f"grade/{e}/{phase}/{t['name']}",
                             f"{t['points']}/{t['max_points']} points" + ("" if t["passed"] == want else
                             f" (expected {'full marks' if want else '0'}: {t['outcome']})"))
            if not all(t["passed"] == (phase == "solution") for t in r["tests"]) or not reg["passed"]:
                show(r)
        print(f"grade-check: {phase}s: {report['points']}/{report['max_points']} points")
    return 0 if ok else 1


def run(ex, test=None, gdb=False, mem="32M"):
    """make run / make gdb: build exercise EX's graded kernel from the student's src/ (as the
    grader does: grade files in, the other files pristine) and boot it on this terminal."""
    conf = read_conf(ex)
    if conf["difficulty"] == "design":
        raise Refused(f"{ex} is a design question: there is nothing to boot")
    src = os.path.join(EXDIR, ex, "src")
    if not os.path.isdir(src):
        raise Refused(f"no exercises/{ex}/src yet: make start EX={ex}")
    if test and test not in [t["name"] for t in conf["tests"] if t["kind"] == "test"]:
        raise Refused(f"{ex} has no in-kernel test {test!r} (its tests: "
                      f"{' '.join(t['name'] for t in conf['tests'] if t['kind'] == 'test')})")
    work = os.path.join("grade", "run", ex)
    graded = os.path.join(ROOT, "build", work, "graded-tree")
    files = assemble(ex, src, graded)
    for f in conf["files"]:
        shutil.copy(os.path.join(EXDIR, ex, f), graded)
    if files["ignored"]:
        print(f"note: not used, the original is (not yours to change): {', '.join(files['ignored'])}")
    ok, out = build(f"{work}/kernel", os.path.relpath(graded, ROOT), conf["stage"], ex)
    if not ok:
        print("\n".join(relabel(ex, l) for l in out[-30:]))
        raise Refused(f"exercises/{ex}/src does not build")
    elf = os.path.join("build", work, "kernel", "kernel.elf")
    append = f"test={test}" if test else ""
    qemu = make_variable("QEMU") + make_variable("QEMU_COMMON") + ["-m", mem, "-kernel", elf]
    qemu += ["-append", append] if append else []
    print(f"kernel: {elf} (exercises/{ex}/src with the grade files; "
          f"{'test ' + test if test else 'the monitor; test=NAME runs one test'})")
    if gdb:
        log = os.path.join("build", work, "serial.log")
        print(f"gdb stops at kmain; the serial output goes to {log} (tail -f it).")
        cmd = (make_variable("GDB") + ["-q", "-ex", "set confirm off", "-ex",
               "target remote | exec " + " ".join(qemu + ["-gdb", "stdio", "-S", "-serial", f"file:{log}"]),
               "-ex", "break kmain", "-ex", "continue", elf])
    else:
        print("Ctrl-A X quits QEMU.")
        cmd = qemu + ["-serial", "mon:stdio"]
    status = subprocess.run(cmd, cwd=ROOT).returncode
    return 0 if status in (0, 33, 35) or gdb else status      # 35: a test failed (it said so)


def find_project(top):
    """The folder under TOP (at most two levels down) that holds exercises/."""
    for d, dirs, _ in os.walk(top):
        if os.path.isdir(os.path.join(d, "exercises")):
            return d
        if d.count(os.sep) - top.count(os.sep) >= 2:
            dirs[:] = []
        dirs[:] = [x for x in dirs if x not in (".git", "build", "node_modules")]
    return None


def unpack(sub, dest):
    """A clean copy of one submission in DEST: a tarball extracted, a git repository
    cloned at its HEAD (committed work only), a plain folder copied."""
    if os.path.isfile(sub) and re.search(r"\.(tar\.gz|tgz|tar|tar\.xz|tar\.bz2)$", sub):
        with tarfile.open(sub) as tar:
            try:
                tar.extractall(dest, filter="data")
            except TypeError:
                tar.extractall(dest, members=[m for m in tar.getmembers()
                                              if not (m.name.startswith("/") or ".." in m.name.split("/"))
                                              and (m.isfile() or m.isdir())])
        return "tarball"
    if os.path.isdir(os.path.join(sub, ".git")) or sub.endswith(".git") and os.path.isdir(sub):
        subprocess.run(["git", "clone", "-q", "--no-hardlinks", sub, os.path.join(dest, "repo")],
                       check=True, capture_output=True)
        return "git"
    if os.path.isdir(sub):
        shutil.copytree(sub, os.path.join(dest, "copy"), symlinks=True,
                        ignore=shutil.ignore_patterns("build", "node_modules", ".git"))
        return "folder"
    raise Refused("not a tarball, a git repository or a folder")


def untouched(ex, src):
    """True if SRC's files to edit are the starting point's and nothing was added."""
    conf, start = read_conf(ex), starting_point(ex)
    for f in os.listdir(src):
        s = os.path.join(src, f)
        if not os.path.isfile(s) or not SOURCE.search(f) or f in conf["files"] or f in conf["hostfiles"]:
            continue
        if f in conf["edit"] and not same_file(s, os.path.join(start, f)):
            return False
        if not os.path.exists(os.path.join(start, f)):
            return False
    return True


def regrade(folder, out, ids, timeout, jobs):
    """Grade every submission in FOLDER, each in a clean tree of its own, with this tree's grader;
    write OUT.csv (one row per submission) and OUT.json (everything)."""
    subs = sorted(os.path.join(folder, f) for f in os.listdir(folder) if not f.startswith("."))
    if not subs:
        raise Refused(f"{folder}: no submissions")
    ids = ids or [e for e in exercises() if read_conf(e)["difficulty"] != "design"]
    version = grader_version()
    book = dict(grader=version, graded_at=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                timeout=timeout, exercises=ids, submissions=[])
    scratch = os.path.join(ROOT, "build", "regrade")
    os.makedirs(scratch, exist_ok=True)
    started = time.monotonic()
    for n, sub in enumerate(subs, 1):
        name = re.sub(r"\.(tar\.gz|tgz|tar|tar\.xz|tar\.bz2|git)$", "", os.path.basename(sub.rstrip("/")))
        key = re.sub(r"[^\w.-]", "_", name)
        entry = dict(submission=name, path=os.path.abspath(sub), points=0,
                     max_points=sum(sum(t["points"] for t in read_conf(e)["tests"]) for e in ids), exercises=[])
        t0, c0 = time.monotonic(), os.times()
        print(f"[{n}/{len(subs)}] {name}: ", end="", flush=True)
        tmp = tempfile.mkdtemp(dir=scratch)
        try:
            entry["kind"] = unpack(sub, tmp)
            proj = find_project(tmp)
            if proj is None:
                raise Refused("no exercises/ folder in it")
            for ex in ids:
                src = os.path.join(proj, "exercises", ex, "src")
                most = sum(t["points"] for t in read_conf(ex)["tests"])
                if not os.path.isdir(src):
                    r = dict(id=ex, points=0, max_points=most, tests=[], note="not handed in")
                elif untouched(ex, src):
                    r = dict(id=ex, points=0, max_points=most, tests=[], note="the starting point, unchanged")
                else:
                    r = grade_one(ex, src, timeout, f"regrade/{key}", jobs=jobs)
                entry["exercises"].append(r)
                print(f"{ex} {r['points']}/{r['max_points']}  ", end="", flush=True)
        except Exception as e:         # one bad submission does not stop the batch
            entry["error"] = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
            print(f"ERROR {entry['error']}", end="")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
            shutil.rmtree(os.path.join(ROOT, "build", "grade", "regrade", key), ignore_errors=True)
        entry["points"] = sum(r["points"] for r in entry["exercises"])
        entry["seconds"] = round(time.monotonic() - t0, 1)
        c1 = os.times()                 # CPU time of the grader and its compilers and QEMUs
        entry["cpu_seconds"] = round(sum(c1[:4]) - sum(c0[:4]), 1)
        h = hashlib.sha256()
        for r in entry["exercises"]:
            for f, d in sorted(r.get("sha256", {}).items()):
                h.update(f"{r['id']}/{f}:{d}\n".encode())
        entry["sources_sha256"] = h.hexdigest()
        book["submissions"].append(entry)
        print(f"= {entry['points']}/{entry['max_points']} ({entry['seconds']} s)")
    book["seconds"] = round(time.monotonic() - started, 1)
    book["seconds_per_submission"] = round(book["seconds"] / len(subs), 1)
    book["cpu_seconds"] = round(sum(e["cpu_seconds"] for e in book["submissions"]), 1)
    os.makedirs(os.path.dirname(os.path.abspath(out)) or ".", exist_ok=True)
    with open(out + ".json", "w") as f:
        json.dump(book, f, indent=1)
    columns = [(ex, t["name"]) for ex in ids for t in read_conf(ex)["tests"]]
    with open(out + ".csv", "w", newline="") as f:
        wr = csv.writer(f)
        wr.writerow(["submission", "points", "max_points"] + [f"{ex}" for ex in ids]
                    + [f"{ex}/{t}" for ex, t in columns]
                    + ["regression_failed", "not_graded_files", "error", "sources_sha256", "grader", "seconds",
                       "cpu_seconds"])
        for e in book["submissions"]:
            by = {r["id"]: r for r in e["exercises"]}
            tests = {(r["id"], t["name"]): t["points"] for r in e["exercises"] for t in r.get("tests", [])}
            wr.writerow([e["submission"], e["points"], e["max_points"]]
                        + [by[ex]["points"] if ex in by else "" for ex in ids]
                        + [tests.get(c, 0) for c in columns]
                        + [" ".join(r["id"] for r in e["exercises"]
                                    if r.get("regression") and not r["regression"]["passed"]),
                           " ".join(f"{r['id']}/src/{x}" for r in e["exercises"]
                                    for x in (r.get("files") or {}).get("ignored", [])),
                           e.get("error", "") or " ".join(f"{r['id']}: {r['error']}" for r in e["exercises"]
                                                        if r.get("error")),
                           e["sources_sha256"], version, e["seconds"], e["cpu_seconds"]])
    print(f"\nregrade: {len(subs)} submissions in {book['seconds']} s ({book['seconds_per_submission']} s each); "
          f"gradebook {os.path.relpath(out + '.csv')} and {os.path.relpath(out + '.json')}")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("start")
    s.add_argument("ex")
    s.add_argument("--fresh", action="store_true", help="replace an existing src/ (its work is lost)")
    g = sub.add_parser("grade")
    g.add_argument("ex", nargs="*")
    g.add_argument("--timeout", type=float, default=60, help="seconds before a boot counts as hung")
    g.add_argument("--solution", action="store_true", help="grade the solutions instead of src/")
    g.add_argument("--json", default=None, help="where the results go (build/grade/results.json)")
    g.add_argument("--jobs", type=int, default=int(os.environ.get("JOBS", "2") or 2), help="boots at a time")
    r = sub.add_parser("run")
    r.add_argument("ex")
    r.add_argument("--test", default=None)
    r.add_argument("--gdb", action="store_true")
    r.add_argument("--mem", default="32M")
    h = sub.add_parser("handout")
    h.add_argument("dest", nargs="?")
    h.add_argument("--tarball", default=None, help="only this tarball (make handout)")
    b = sub.add_parser("regrade")
    b.add_argument("submissions")
    b.add_argument("--out", default=os.path.join(ROOT, "build", "gradebook"), help="OUT.csv and OUT.json")
    b.add_argument("--ex", nargs="*", default=None, help="only these exercises")
    b.add_argument("--timeout", type=float, default=60)
    b.add_argument("--jobs", type=int, default=int(os.environ.get("JOBS", "2") or 2))
    i = sub.add_parser("index")
    i.add_argument("--write", action="store_true")
    c = sub.add_parser("check")
    c.add_argument("--timeout", type=float, default=60)
    args = ap.parse_args()
    try:
        sys.exit(command(args))
    except Refused as e:
        sys.exit(f"grade: {e}")


def command(args):
    known = exercises()
    if getattr(args, "ex", None) and isinstance(args.ex, str):
        read_conf(args.ex)                     # an unknown exercise: a message, not a traceback
    if args.cmd == "start":
        dest = os.path.join(EXDIR, args.ex, "src")
        if read_conf(args.ex)["difficulty"] == "design":
            print(f"{args.ex} is a design question: nothing to start; read exercises/{args.ex}/README.md")
            return 0
        if os.path.exists(dest) and not args.fresh:
            print(f"Your copy of exercise {args.ex} is exercises/{args.ex}/src/ (it exists already: kept as it is; "
                  f"make start EX={args.ex} FRESH=1 replaces it with the starting point). "
                  f"Statement: exercises/{args.ex}/README.md. Grade it with: make grade EX={args.ex}")
            return 0
        make_start(args.ex, dest)
        print(f"Your copy of exercise {args.ex} is in exercises/{args.ex}/src/ "
              f"(statement: exercises/{args.ex}/README.md). Grade it with: make grade EX={args.ex}")
    elif args.cmd == "grade":
        for ex in args.ex:
            read_conf(ex)
        if args.solution and not os.path.isdir(os.path.join(EXDIR, "solutions")):
            raise Refused("this tree has no solutions (a students' handout): SOLUTION=1 grades nothing. "
                          "make grade EX=ID grades your exercises/ID/src")
        ids = args.ex or [e for e in known if args.solution or os.path.isdir(os.path.join(EXDIR, e, "src"))
                          or read_conf(e)["difficulty"] == "design"]
        if not [e for e in ids if read_conf(e)["difficulty"] != "design"]:
            raise Refused("no exercise started yet: make start EX=ID (exercises: " + " ".join(known) + ")")
        json_path = args.json or os.path.join(ROOT, "build", "grade", "solutions.json" if args.solution else "results.json")
        grade(ids, args.timeout, args.solution, json_path, ROOT, jobs=max(1, args.jobs))
    elif args.cmd == "run":
        return run(args.ex, args.test, args.gdb, args.mem)
    elif args.cmd == "handout":
        if args.dest:
            dest, tarball = handout(args.dest)
            print(f"handout: {dest}/ and {tarball} ({len(known)} exercises, no solutions)")
        else:
            whole_handout(args.tarball or os.path.join(ROOT, "build", "sarrus-handout.tar.gz"))
    elif args.cmd == "regrade":
        for ex in args.ex or []:
            read_conf(ex)
        if not os.path.isdir(args.submissions):
            raise Refused(f"{args.submissions}: not a folder of submissions")
        return regrade(args.submissions, args.out, args.ex, args.timeout, max(1, args.jobs))
    elif args.cmd == "index":
        if not index(args.write):
            print(index_table())
            raise Refused("exercises/README.md's table is out of date: tools/grade.py index --write")
    elif args.cmd == "check":
        return check(args.timeout)
    return 0


if __name__ == "__main__":
    main()
