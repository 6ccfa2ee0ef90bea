#!/usr/bin/env python3
"""Test the grader itself: grade tests/grader/selftest, whose tests end in
every way a student's kernel can (pass, failed check, panic, missing test,
expected and forbidden output, hang, triple fault), and host tests that
pass, fail, crash under AddressSanitizer or are missing; check each verdict,
score and marked line.  Each comparison is a check in $RESULTS."""
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
    "host_passes": (True, "passed", []),
    "host_fails": (False, "the test failed", [("missing", "[       OK ] host_fails")]),
    "host_overflows": (False, "crashed", [("unexpected", "ERROR: AddressSanitizer: heap-use-after-free")]),
    "host_not_written": (False, "did not run", []),
}


def main():
    env = {**os.environ, "SARRUS_EXERCISES": os.path.join(ROOT, "tests", "grader")}
    shutil.rmtree(os.path.join(ROOT, "tests", "grader", "selftest", "src"), ignore_errors=True)
    out = os.path.join(ROOT, "build", "grade", "selftest.json")
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
    failures = 0
    results = os.environ.get("RESULTS")

    def record(ok, name, detail=""):
        nonlocal failures
        failures += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}")
        if results:
            with open(results, "a") as f:
                f.write(f"{'PASS' if ok else 'FAIL'} {name}{'  ' + detail if detail else ''}\n")

    for name, (passed, words, marks) in EXPECTED.items():
        t = got.get(name)
        ok = (t is not None and t["passed"] == passed and words in t["outcome"]
              and t["points"] == (t["max_points"] if passed else 0)
              and all(any(l["mark"] == m and text in l["line"] for l in t["lines"]) for m, text in marks))
        record(ok, f"grader/{name}: {words}", "" if ok else f"got {json.dumps(t)[:400]}")
    record(ex["points"] == 10 and ex["max_points"] == 60 and ex["regression"]["passed"],
           "grader/score 10/60, the stage's own tests pass", f"{ex['points']}/{ex['max_points']}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
