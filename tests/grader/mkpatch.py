#!/usr/bin/env python3
"""Make a grader regression patch (tests/grader/wrong/ or cheats/):

    tests/grader/mkpatch.py OUT.patch EX BASE 'FAILS' 'WHAT' FILE OLD NEW [FILE OLD NEW ...]

BASE is `solution` (the reference solution, then the change: a wrong
solution) or `start` (the starting point, then the change: a cheat).  Each
OLD text (exactly once in FILE; FILE may be new if OLD is empty) becomes
NEW.  FAILS names the graded tests that must fail ('' for: the score is
below full marks).  tools/test-grader.py grades every such patch."""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import importlib.util
spec = importlib.util.spec_from_file_location("grade", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "grade.py"))
grade = importlib.util.module_from_spec(spec)
spec.loader.exec_module(grade)

out, ex, base, fails, what, *edits = sys.argv[1:]
with tempfile.TemporaryDirectory() as tmp:
    a, b = os.path.join(tmp, "a"), os.path.join(tmp, "b")
    grade.make_start(ex, a)
    if base == "solution":
        grade.apply_patch(os.path.join(grade.EXDIR, "solutions", ex + ".patch"), a)
    subprocess.run(["cp", "-r", a, b], check=True)
    for f, old, new in zip(edits[0::3], edits[1::3], edits[2::3]):
        p = os.path.join(b, f)
        text = open(p).read() if os.path.exists(p) else ""
        if old and text.count(old) != 1:
            sys.exit(f"{f}: the old text occurs {text.count(old)} times")
        open(p, "w").write(text.replace(old, new, 1) if old else text + new)
    d = subprocess.run(["diff", "-ruN", "a", "b"], cwd=tmp, capture_output=True, text=True).stdout
    d = "\n".join(l.split("\t")[0] if l.startswith(("--- ", "+++ ")) else l for l in d.split("\n"))
with open(out, "w") as f:
    f.write(f"# {what}\n# base: {base}\n# fails: {fails}\n{d}")
print(f"{out}: {d.count(chr(10))} lines")
