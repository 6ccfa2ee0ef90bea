#!/usr/bin/env python3
"""Test the grader itself: grade tests/grader/selftest, whose tests end in
every way a student's kernel can (pass, failed check, panic, missing test,
expected and forbidden output, hang, triple fault), and host tests that
pass, fail, crash under AddressSanitizer or are missing; check each verdict,
score and marked line.  Then grade every cheat (tests/grader/cheats/*.patch,
applied to a starting point) and every wrong solution
(tests/grader/wrong/*.patch, applied to the reference solution): each must
score less than full marks, and the tests its `# fails:` line names must
fail.  Each comparison is a check in $RESULTS.

    tools/test-grader.py [--only WORD]    (only the patches whose name holds WORD;
                                           --only regrade: only the batch regrade's check;
                                           --full: grade all tests of each patch, for the table of scores)"""
import concurrent.futures
import csv
import glob
import importlib.util
import json
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# test: (passed, words the verdict must contain, (mark, text) lines that must be shown)
EXPECTED = {
    "ex_passes": (True, "passed", []),
    "ex_fails_a_check": (False, "the test failed", [("unexpected", "check failed"), ("missing", "ktest: ex_fails_a_check ... ok")]),
    "ex_panics": (False, "panic", [("unexpected", "panic: ex_panics: on purpose")]),
    "ex_not_written": (False, "no test named ex_not_written", []),
    "ex_prints": (False, "expected output differs", [("expected", "hello from the test"), ("missing", "^a line that never comes$")]),
    "ex_prints_wrong": (False, "expected output differs", [("unexpected", "forbidden line")]),
    "ex_hangs": (False, "hang", []),
    "ex_triple_faults": (False, "triple fault", []),
    "ex_says_check_failed": (False, "a check failed", [("unexpected", "check failed at")]),
    "host_passes": (True, "passed", []),
    "host_fails": (False, "the test failed", [("missing", "[       OK ] host_fails")]),
    "host_overflows": (False, "crashed", [("unexpected", "ERROR: AddressSanitizer: heap-use-after-free")]),
    "host_not_written": (False, "did not run", []),
}


# Patches graded at a time: one per job slot of `make test` (each boot takes its own slot).
WORKERS = max(1, int(os.environ.get("JOBS", "0") or 0) or os.cpu_count() or 2)
FULL = "--full" in sys.argv     # every test of every patch (for the table of scores), not only those it must fail


def load_grader():
    spec = importlib.util.spec_from_file_location("grade", os.path.join(ROOT, "tools", "grade.py"))
    grade = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(grade)
    return grade


def header(patch):
    """The patch's # KEY: VALUE lines before the diff."""
    h = {}
    for i, line in enumerate(open(patch)):
        if not line.startswith("# "):
            break
        key, _, value = line[2:].partition(":")
        if i == 0:
            h["what"] = line[2:].strip()
        else:
            h[key.strip()] = value.strip()
    return h


def regressions(record, only):
    """Grade each cheat and wrong solution; each must score below full marks.  The patches
    are graded side by side (their boots share the suite's job slots); the checks are
    recorded in the patches' order."""
    grade = load_grader()
    patches = sorted(glob.glob(os.path.join(ROOT, "tests", "grader", "cheats", "*.patch"))
                     + glob.glob(os.path.join(ROOT, "tests", "grader", "wrong", "*.patch")))
    known = grade.exercises()
    chosen = [p for p in patches
              if not only or only in f"{os.path.basename(os.path.dirname(p))}/{os.path.basename(p)[:-len('.patch')]}"]
    with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
        graded = [pool.submit(regression, grade, known, patch) for patch in chosen]
        table = []
        for fut in graded:
            checks, row = fut.result()
            for c in checks:
                record(*c)
            if row:
                table.append(row)
    return table


def regression(grade, known, patch):
    """Grade one cheat or wrong solution: ([(ok, check name, detail)], row of the table)."""
    name = os.path.basename(patch)[:-len(".patch")]
    kind = os.path.basename(os.path.dirname(patch))
    ex = next((e for e in sorted(known, key=len, reverse=True) if name.startswith(e + "-")), None)
    h = header(patch)
    if ex is None:
        return [(False, f"grader/{kind}/{name}", "no exercise of that name")], None
    src = os.path.join(ROOT, "build", "grade", "regressions", name, "src")
    grade.make_start(ex, src)
    if h.get("base") == "solution":
        grade.apply_patch(os.path.join(ROOT, "exercises", "solutions", ex + ".patch"), src)
    grade.apply_patch(patch, src)
    fails = h.get("fails", "").split()
    # The boot of the stage's own tests only where the patch is about them (# regression):
    # elsewhere the tests its # fails: line names decide.
    r = grade.grade_one(ex, src, 30, f"regressions/{name}", jobs=2, w=grade.Printer(None),
                        only=None if FULL else fails or None, stop_on_fail=not fails and not FULL,
                        regression="regression" in h or FULL or not fails)
    bad = [t["name"] for t in r["tests"] if t["name"] in fails and t["passed"]]
    ok = r["points"] < r["max_points"] and not bad
    failed = [t["name"] for t in r["tests"] if not t["passed"] and not t["outcome"].startswith("skipped")]
    detail = f"{r['points']}/{r['max_points']}" + (f" (passed: {' '.join(bad)})" if bad else "") + \
             (f" (failed: {' '.join(failed)})" if not fails else "") + \
             (f" ({r['error']})" if "error" in r else "")
    for f in h.get("ignored", "").split():
        ok &= f in (r.get("files") or {}).get("ignored", [])
        detail += f"; {f} reported as not graded: {f in (r.get('files') or {}).get('ignored', [])}"
    if "regression" in h:
        reg = r.get("regression") or {}
        ok &= not reg.get("passed", True) and r["points"] == 0
        detail += f"; the stage's own tests fail: {not reg.get('passed', True)}"
    shutil.rmtree(os.path.join(ROOT, "build", "grade", "regressions", name), ignore_errors=True)
    return ([(ok, f"grader/{kind}/{name}: below full marks", detail + " - " + h.get("what", ""))],
            (ex, name[len(ex) + 1:], h.get("what", ""), r["points"], r["max_points"], fails))


def regrade_check(record):
    """The batch regrade: a tarball, a git repository (its committed work only), a broken
    tarball and an untouched folder; one gradebook, the broken one recorded, the batch goes on."""
    grade = load_grader()
    ex = "ch1-best-fit"
    top = os.path.join(ROOT, "build", "grade", "regrade-selftest")
    shutil.rmtree(top, ignore_errors=True)
    subs = os.path.join(top, "subs")
    os.makedirs(subs)

    def tree(name, solved):
        src = os.path.join(top, name, "exercises", ex, "src")
        grade.make_start(ex, src)
        if solved:
            grade.apply_patch(os.path.join(ROOT, "exercises", "solutions", ex + ".patch"), src)
        return os.path.join(top, name)

    t = tree("tarball", True)
    subprocess.run(["tar", "czf", os.path.join(subs, "alice.tar.gz"), "-C", t, "."], check=True)
    repo = tree("bob", True)
    git = ["git", "-C", repo, "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(git + ["init", "-q"], check=True)
    subprocess.run(git + ["add", "-A"], check=True)
    subprocess.run(git + ["commit", "-qm", "solved"], check=True)
    open(os.path.join(repo, "exercises", ex, "src", "kheap.c"), "w").write("not C: uncommitted, not graded\n")
    shutil.move(repo, os.path.join(subs, "bob"))
    open(os.path.join(subs, "carol.tar.gz"), "w").write("not a tarball\n")
    shutil.move(tree("dave", False), os.path.join(subs, "dave"))
    out = os.path.join(top, "gradebook")
    grade.regrade(subs, out, [ex], 30, 2)
    book = json.load(open(out + ".json"))
    by = {s["submission"]: s for s in book["submissions"]}
    most = by["alice"]["max_points"] if "alice" in by else 0
    record(len(by) == 4 and most > 0, "grader/regrade: every submission has its row", " ".join(sorted(by)))
    record(by.get("alice", {}).get("points") == most, "grader/regrade: a tarball of a solved tree, full marks",
           f"{by.get('alice', {}).get('points')}/{most}")
    record(by.get("bob", {}).get("points") == most and by["bob"].get("kind") == "git",
           "grader/regrade: a git repository is graded at its last commit", f"{by.get('bob', {}).get('points')}/{most}")
    record("error" in by.get("carol", {}), "grader/regrade: a broken tarball is recorded, the batch goes on",
           by.get("carol", {}).get("error", ""))
    dave = by.get("dave", {}).get("exercises", [{}])
    record(by.get("dave", {}).get("points") == 0 and dave[0].get("note") == "the starting point, unchanged",
           "grader/regrade: an untouched starting point scores 0 without a boot")
    rows = list(csv.reader(open(out + ".csv")))
    record(len(rows) == 5 and f"{ex}/ex_first_fit_at_boot" in rows[0] and "sources_sha256" in rows[0]
           and "grader" in rows[0], "grader/regrade: the CSV gradebook has per-test points, hashes and the grader's version")
    print(f"regrade: {book['seconds_per_submission']} s per submission")


def main():
    only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else None
    env = {**os.environ, "SARRUS_EXERCISES": os.path.join(ROOT, "tests", "grader")}
    shutil.rmtree(os.path.join(ROOT, "tests", "grader", "selftest", "src"), ignore_errors=True)
    out = os.path.join(ROOT, "build", "grade", "selftest.json")
    failures = 0
    results = os.environ.get("RESULTS")

    def record(ok, name, detail=""):
        nonlocal failures
        failures += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}", flush=True)
        if results:
            with open(results, "a") as f:
                f.write(f"{'PASS' if ok else 'FAIL'} {name}{'  ' + detail if detail else ''}\n")

    if only == "regrade":
        regrade_check(record)
        sys.exit(1 if failures else 0)
    if only:
        regressions(record, only)
        sys.exit(1 if failures else 0)
    try:
        subprocess.run([sys.executable, "tools/grade.py", "start", "selftest"], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)
        p = subprocess.run([sys.executable, "tools/grade.py", "grade", "--timeout", "8", "--json", out, "selftest"],
                           cwd=ROOT, env=env, capture_output=True, text=True)
    finally:
        shutil.rmtree(os.path.join(ROOT, "tests", "grader", "selftest", "src"), ignore_errors=True)
    print(p.stdout[-6000:], p.stderr[-2000:])
    report = json.load(open(out))
    ex = report["exercises"][0]
    got = {t["name"]: t for t in ex["tests"]}

    for name, (passed, words, marks) in EXPECTED.items():
        t = got.get(name)
        ok = (t is not None and t["passed"] == passed and words in t["outcome"]
              and t["points"] == (t["max_points"] if passed else 0)
              and all(any(l["mark"] == m and text in l["line"] for l in t["lines"]) for m, text in marks))
        record(ok, f"grader/{name}: {words}", "" if ok else f"got {json.dumps(t)[:400]}")
    record(ex["points"] == 10 and ex["max_points"] == 65 and ex["regression"]["passed"],
           "grader/score 10/65, the stage's own tests pass", f"{ex['points']}/{ex['max_points']}")
    regrade_check(record)
    table = regressions(record, None)
    print("\nexercise | wrong solution or cheat | score")
    for ex_id, idea, what, points, most, fails in table:
        print(f"{ex_id} | {idea}: {what} | {points}/{most}" + (f" (of the tests {' '.join(fails)})" if fails else ""))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
