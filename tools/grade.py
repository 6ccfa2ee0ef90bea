#!/usr/bin/env python3
"""Start, grade and hand out the exercises (format: exercises/FORMAT.md).

    grade.py start ID           exercises/ID/src: the student's starting point
    grade.py grade [ID...]      grade exercises/ID/src (all exercises that have one)
    grade.py grade --solution   grade the starting point with the solution applied
    grade.py handout DIR        the project for students: no solutions, every src/
    grade.py check              (make test) starting points score 0, solutions full marks

Grading builds the student's src/ twice: as it is, to boot the stage's own
tests (a regression check, no points), and with the exercise's grade files
copied in, to boot each graded test alone (`test=NAME` on the command line),
so that a panic, a triple fault or a hang costs that test only.  A test
passes when its boot ends with its check passed, every `expect` line of
exercise.conf appeared and no `reject` line did.  For a failure the grader
prints the serial lines that matter, marked expected / unexpected / missing.
Results also go to a JSON file (default build/grade/results.json).
"""
import argparse
import concurrent.futures
import datetime
import functools
import importlib.util
import json
import os
import re
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


def exercises():
    """Every exercise id (folders of exercises/ with an exercise.conf)."""
    d = EXDIR
    return sorted(e for e in os.listdir(d) if os.path.exists(os.path.join(d, e, "exercise.conf")))


def read_conf(ex):
    conf = dict(id=ex, title=ex, stage=None, difficulty="", effort="", files=[], tests=[], expect={}, reject={},
                hostfiles=[], hostsrcs=[])
    with open(os.path.join(EXDIR, ex, "exercise.conf")) as f:
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
    return conf


def apply_patch(patch, directory):
    if os.path.exists(patch) and os.path.getsize(patch) > 0:
        subprocess.run(["patch", "-s", "-p1", "-d", directory, "-i", patch], check=True)


_plain_done = False


def plain_sources(stage):
    """build/plain/chapter-STAGE: the stage's files without #line, tangled
    afresh once per run (what starter patches apply to; `make ex-base`)."""
    global _plain_done
    if not _plain_done:
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



def build(name, src, stage):
    """Build SRC as build/NAME/kernel.elf; return (ok, compiler output)."""
    p = subprocess.run(["make", "-s", "--no-print-directory", f"EXSRC={src}", f"EXSTAGE={stage}",
                        f"EXNAME={name}", f"build/{name}/kernel.elf"],
                       cwd=ROOT, capture_output=True, text=True)
    return p.returncode == 0, (p.stdout + p.stderr).splitlines()


def run_boot(builddir, test, cmdline, timeout):
    run = dict(name=test["name"], loader=test["loader"], mem=test["mem"], cmdline=cmdline, modules=[])
    return boot_test.boot(os.path.join(ROOT, builddir), run, timeout)


def judge_test(conf, test, outcome, lines):
    """(passed, reason, marked lines) for one graded test's boot."""
    name = test["name"]
    marked, missing = [], []
    expects = [re.compile(r) for r in conf["expect"].get(name, [])]
    rejects = [re.compile(r) for r in conf["reject"].get(name, [])]
    found = [False] * len(expects)
    rejected = False
    for line in lines:
        hits = [i for i, r in enumerate(expects) if r.search(line)]
        for i in hits:
            found[i] = True
        if any(r.search(line) for r in rejects):
            marked.append(("unexpected", line)); rejected = True
        elif hits:
            marked.append(("expected", line))
        elif TROUBLE.search(line):
            marked.append(("unexpected", line))
    ran = any(l.strip() == f"ktest: {name} ... ok" for l in lines)
    if not ran:
        missing.append(f"ktest: {name} ... ok")
    missing += [r.pattern for r, f in zip(expects, found) if not f]
    marked += [("missing", m) for m in missing]
    if outcome == "passed" and ran and not missing and not rejected:
        return True, "passed", []
    if outcome == "failed" and any(l.startswith("panic") for l in lines):
        reason = "panic"
    elif outcome == "failed" and any(re.match(r"ktest: 0 tests", l) for l in lines):
        reason = f"no test named {name} in the kernel"
    elif outcome == "failed" and not any(l.startswith(f"ktest: {name} ") for l in lines):
        reason = f"no test named {name} in the kernel (or it stopped before running it)"
    elif outcome == "passed":
        reason = "the expected output differs"
    else:
        reason = {"failed": "the test failed", "hang": f"hang (no result within the timeout)",
                  "triple fault": "triple fault (the machine reset)"}.get(outcome, outcome)
    if outcome in ("hang", "triple fault") or not marked:
        marked = [("output", l) for l in lines if l.strip()][-8:] + marked
    return False, reason, marked


@functools.lru_cache(maxsize=None)
def make_variable(name):
    """The words of the Makefile's variable NAME (the host tests' flags)."""
    return subprocess.run(["make", "-s", "--no-print-directory", f"print-{name}"], cwd=ROOT,
                          capture_output=True, text=True, check=True).stdout.split()


HOST_TROUBLE = re.compile(r"^ERROR: |\[  ERROR   \]|\[   LINE   \]|ERROR: AddressSanitizer|SUMMARY: |runtime error:|Failure")


def run_host_tests(ex, conf, src, work, timeout):
    """Build the exercise's host test program (cmocka, 64-bit, ASan and UBSan) with the student's
    files, run it, and return {test: (passed, reason, marked lines)}."""
    os.makedirs(work, exist_ok=True)
    exe = os.path.join(work, "host-tests")
    cmd = (["gcc"] + make_variable("HOST_CFLAGS") + make_variable("HOST_RENAMES")
           + ["-fsanitize=address,undefined", "-I" + os.path.join(ROOT, "tests", "host"), "-I" + src,
              "-include", "host_shim.h", "-o", exe]
           + [os.path.join(EXDIR, ex, f) for f in conf["hostfiles"]]
           + [os.path.join(src, f) for f in conf["hostsrcs"]]
           + [os.path.join(ROOT, "tests", "host", "host_shim.c"), "-lcmocka", "-lm"])
    names = [t["name"] for t in conf["tests"] if t["kind"] == "host"]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        out = [("unexpected", l) for l in (p.stdout + p.stderr).splitlines() if "error" in l][:12]
        return {n: (False, "does not build on the host", out) for n in names}
    try:
        r = subprocess.run([exe], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout,
                           env={**os.environ, "CMOCKA_MESSAGE_OUTPUT": "stdout"})
        lines, status = r.stdout.splitlines(), r.returncode
    except subprocess.TimeoutExpired as e:
        lines, status = ((e.stdout or b"").decode(errors="replace")).splitlines(), "hang"
    verdicts = {}
    for n in names:
        start = next((i for i, l in enumerate(lines) if l.startswith("[ RUN      ] ") and l.split()[-1] == n), None)
        if start is None:
            verdicts[n] = (False, "did not run (no such test, or the program stopped before it)",
                           [("missing", f"[       OK ] {n}")])
            continue
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("[ RUN      ] ")), len(lines))
        section = lines[start + 1:end]
        if any(l.startswith("[       OK ] ") and l.split()[-1] == n for l in section):
            verdicts[n] = (True, "passed", [])
            continue
        failed = any(l.startswith("[  FAILED  ] ") and l.split()[-1] == n for l in section)
        reason = ("the test failed" if failed else "hang" if status == "hang"
                  else f"crashed (exit status {status}: a sanitizer report or a signal)")
        marked = [("unexpected", l) for l in section if HOST_TROUBLE.search(l)][:12] or \
                 [("output", l) for l in section if l.strip()][-8:]
        verdicts[n] = (False, reason, marked + [("missing", f"[       OK ] {n}")])
    return verdicts


def grade_one(ex, src, timeout, tag, jobs=2):
    """Grade the sources in SRC for exercise EX; return the result dict."""
    conf = read_conf(ex)
    result = dict(id=ex, title=conf["title"], difficulty=conf["difficulty"], effort=conf["effort"],
                  points=0, max_points=sum(t["points"] for t in conf["tests"]), tests=[])
    if conf["difficulty"] == "design":
        result["note"] = "design question: graded by hand"
        return result
    if not os.path.isdir(src):
        result["error"] = f"no {os.path.relpath(src, ROOT)}: run make start EX={ex}"
        return result
    work = os.path.join("grade", tag, ex)             # under build/
    shutil.rmtree(os.path.join(ROOT, "build", work), ignore_errors=True)
    plain, graded = os.path.join(ROOT, "build", work, "src"), os.path.join(ROOT, "build", work, "src-graded")
    shutil.copytree(src, plain, ignore=shutil.ignore_patterns("*.o", "*.elf"))
    shutil.copytree(plain, graded)
    for f in conf["files"]:
        shutil.copy(os.path.join(EXDIR, ex, f), graded)
    ok, out = build(f"{work}/regress", os.path.relpath(plain, ROOT), conf["stage"])
    ok2, out2 = build(f"{work}/graded", os.path.relpath(graded, ROOT), conf["stage"]) if ok else (False, [])
    if not (ok and ok2):
        result["error"] = "does not build"
        result["build_output"] = (out or out2)[-30:]
        for t in conf["tests"]:
            result["tests"].append(dict(name=t["name"], kind="host" if t["kind"] == "host" else "kernel", points=0,
                                        max_points=t["points"], passed=False, outcome="does not build", lines=[]))
        return result
    boots = [(f"build/{work}/regress", dict(name="regress", loader="kernel", mem="32M"), "test")]
    kernel_tests = [t for t in conf["tests"] if t["kind"] == "test"]
    boots += [(f"build/{work}/graded", t, " ".join(filter(None, [f"test={t['name']}", t["cmdline"]])))
              for t in kernel_tests]
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        booted = list(pool.map(lambda b: run_boot(b[0], b[1], b[2], timeout), boots))
    outcome, lines, _ = booted[0]
    judged = boot_test.judge(None, outcome, lines, "pass")
    result["regression"] = dict(passed=judged[0], outcome=judged[2],
                                failed=[n for n, okay in judged[1] if not okay],
                                lines=[] if judged[0] else boot_test.context(lines, 6))
    for t, (outcome, lines, seconds) in zip(kernel_tests, booted[1:]):
        passed, reason, marked = judge_test(conf, t, outcome, lines)
        result["tests"].append(dict(name=t["name"], kind="kernel", points=t["points"] if passed else 0,
                                    max_points=t["points"], passed=passed, outcome=reason, seconds=round(seconds, 2),
                                    lines=[dict(mark=m, line=l) for m, l in marked]))
    host_tests = [t for t in conf["tests"] if t["kind"] == "host"]
    if host_tests:
        verdicts = run_host_tests(ex, conf, graded, os.path.join(ROOT, "build", work, "host"), timeout)
        for t in host_tests:
            passed, reason, marked = verdicts[t["name"]]
            result["tests"].append(dict(name=t["name"], kind="host", points=t["points"] if passed else 0,
                                        max_points=t["points"], passed=passed, outcome=reason,
                                        lines=[dict(mark=m, line=l) for m, l in marked]))
    result["points"] = sum(t["points"] for t in result["tests"])
    return result


def show(result, out=sys.stdout):
    """Print one exercise's result as a student reads it."""
    w = out.write
    w(f"\n== {result['id']}: {result['title']} ({result['difficulty']}, {result['effort']})\n")
    if "note" in result:
        w(f"   {result['note']}\n")
        return
    if "error" in result:
        w(f"   {result['error']}\n")
        for l in result.get("build_output", []):
            w(f"   | {l}\n")
    for t in result["tests"]:
        name = t["name"] + (" (host)" if t.get("kind") == "host" else "")
        w(f"   {'PASS' if t['passed'] else 'FAIL'}  {name:<48} {t['points']:>3}/{t['max_points']:<3}"
          f"{'' if t['passed'] else '  ' + t['outcome']}\n")
        for l in t["lines"]:
            w(f"         {l['mark']:<10} | {l['line']}\n")
    reg = result.get("regression")
    if reg:
        w(f"   {'ok  ' if reg['passed'] else 'FAIL'}  the stage's own tests still pass (no points)"
          f"{'' if reg['passed'] else ': ' + reg['outcome'] + ' ' + ' '.join(reg['failed'])}\n")
        for l in reg["lines"]:
            w(f"         | {l}\n")
    w(f"   score {result['points']}/{result['max_points']}\n")


def grade(ids, timeout, solution, json_path, tree_label):
    results = []
    for ex in ids:
        src = os.path.join(EXDIR, ex, "src")
        tag = "student"
        if solution:
            src = os.path.join(ROOT, "build", "grade", "solution-src", ex)
            make_start(ex, src)
            apply_patch(os.path.join(EXDIR, "solutions", ex + ".patch"), src)
            tag = "solution"
        r = grade_one(ex, src, timeout, tag)
        show(r)
        results.append(r)
    total, most = sum(r["points"] for r in results), sum(r["max_points"] for r in results)
    report = dict(tree=tree_label, graded_at=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                  solution=solution, timeout=timeout, points=total, max_points=most, exercises=results)
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


def handout(dest):
    """Write the student tree to DEST: every file but the solutions, and each exercise's src/."""
    dest = os.path.abspath(dest)
    shutil.rmtree(dest, ignore_errors=True)
    for f in tracked_files():
        if f.startswith("exercises/solutions/") or "/src/" in f and f.startswith("exercises/"):
            continue
        if not os.path.exists(os.path.join(ROOT, f)):
            continue
        os.makedirs(os.path.dirname(os.path.join(dest, f)), exist_ok=True)
        shutil.copy2(os.path.join(ROOT, f), os.path.join(dest, f))
    for ex in exercises():
        if read_conf(ex)["difficulty"] != "design":
            make_start(ex, os.path.join(dest, "exercises", ex, "src"))
    shutil.make_archive(dest, "gztar", os.path.dirname(dest), os.path.basename(dest))
    print(f"handout: {os.path.relpath(dest, ROOT)}/ and {os.path.relpath(dest, ROOT)}.tar.gz "
          f"({len(exercises())} exercises, no solutions). "
          f"Students: make grade, or make grade EX=ID")


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
    handout(tree)
    ids = [e for e in exercises() if read_conf(e)["difficulty"] != "design"]
    leaked = [f for f in ("exercises/solutions",) if os.path.exists(os.path.join(tree, f))]
    record(not leaked and all(os.path.isdir(os.path.join(tree, "exercises", e, "src")) for e in ids),
           "grade/handout has every exercise's src/ and no solutions")
    ok = True
    phases = ["starting point", "solution"]
    if not os.path.isdir(os.path.join(EXDIR, "solutions")):
        print("grade-check: no exercises/solutions/ here (a students' handout): solutions not checked")
        phases.remove("solution")
    for phase in phases:
        if phase == "solution":
            for e in ids:
                apply_patch(os.path.join(ROOT, "exercises", "solutions", e + ".patch"),
                            os.path.join(tree, "exercises", e, "src"))
        p = subprocess.run(["make", "-s", "--no-print-directory", "grade", f"TIMEOUT={int(timeout)}"],
                           cwd=tree, capture_output=True, text=True, env={**os.environ, "RESULTS": ""})
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


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("start")
    s.add_argument("ex")
    g = sub.add_parser("grade")
    g.add_argument("ex", nargs="*")
    g.add_argument("--timeout", type=float, default=60, help="seconds before a boot counts as hung")
    g.add_argument("--solution", action="store_true", help="grade the solutions instead of src/")
    g.add_argument("--json", default=None, help="where the results go (build/grade/results.json)")
    h = sub.add_parser("handout")
    h.add_argument("dest")
    i = sub.add_parser("index")
    i.add_argument("--write", action="store_true")
    c = sub.add_parser("check")
    c.add_argument("--timeout", type=float, default=60)
    args = ap.parse_args()
    if args.cmd == "start":
        dest = os.path.join(EXDIR, args.ex, "src")
        if os.path.exists(dest):
            sys.exit(f"grade: {os.path.relpath(dest, ROOT)} exists already; remove it to start afresh")
        make_start(args.ex, dest)
        print(f"Your copy of exercise {args.ex} is in {os.path.relpath(dest, ROOT)}/ "
              f"(statement: exercises/{args.ex}/README.md). Grade it with: make grade EX={args.ex}")
    elif args.cmd == "grade":
        known = exercises()
        for ex in args.ex:
            if ex not in known:
                sys.exit(f"grade: no exercise {ex!r} (exercises: {' '.join(known)})")
        ids = args.ex or [e for e in known if args.solution or os.path.isdir(os.path.join(EXDIR, e, "src"))
                          or read_conf(e)["difficulty"] == "design"]
        if not ids:
            sys.exit("grade: no exercise started yet: make start EX=ID (exercises: " + " ".join(known) + ")")
        json_path = args.json or os.path.join(ROOT, "build", "grade", "solutions.json" if args.solution else "results.json")
        grade(ids, args.timeout, args.solution, json_path, ROOT)
    elif args.cmd == "handout":
        handout(args.dest)
    elif args.cmd == "index":
        if not index(args.write):
            print(index_table())
            sys.exit("grade: exercises/README.md's table is out of date: tools/grade.py index --write")
    elif args.cmd == "check":
        sys.exit(check(args.timeout))


if __name__ == "__main__":
    main()
