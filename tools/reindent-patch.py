#!/usr/bin/env python3
"""reindent-patch.py PATCH DIR: re-base a patch made against an older tangle.

tools/nwfilter.py indents nested chunks where they are used (before it,
with #line directives on, nt wrote them at column 0, after a line holding
only the indentation).  A seeded bug (tests/bugs/ID.patch, against
tangled/chapter-N/) or an exercise patch (against build/plain/chapter-N/)
written against the older tangle then no longer applies.  This script
finds each hunk's old lines in DIR's files comparing them without
whitespace (a #line or %line directive matches any other, a line of blanks
in the patch may be missing from the file), takes the file's lines for the
context and the removed lines, indents the added lines like the line they
replace, and rewrites PATCH with the hunks' new positions.  The comment
lines above the diff are kept.  Exits 1 (and leaves PATCH alone) if a hunk
cannot be found; check the result with `patch --dry-run -p1 -d DIR < PATCH`.
"""
import os
import re
import sys

patch_path, base = sys.argv[1], sys.argv[2]
lines = open(patch_path).read().split("\n")
DIRECTIVE = re.compile(r"^\s*(#line|%line) ")


def norm(s):
    return "#line" if DIRECTIVE.match(s) else "".join(s.split())


def indent(s):
    return len(s) - len(s.lstrip(" "))


out, i, failed = [], 0, False
target = None
while i < len(lines):
    l = lines[i]
    if l.startswith("+++ "):
        target = os.path.join(base, l[4:].split("\t")[0].split("/", 1)[1])
        filelines = open(target).read().split("\n") if os.path.exists(target) else []
        offset = 0
        out.append(l)
        i += 1
        continue
    m = re.match(r"^@@ -(\d+)(?:,\d+)? \+\d+(?:,\d+)? @@(.*)$", l)
    if not m or not filelines:
        out.append(l)
        i += 1
        continue
    start, tail = int(m.group(1)), m.group(2)
    hunk = []
    i += 1
    while i < len(lines) and lines[i][:1] in (" ", "-", "+", "\\") and not lines[i].startswith(("--- ", "+++ ")):
        hunk.append(lines[i])
        i += 1
    old = [(k, h) for k, h in enumerate(hunk) if h[:1] in " -"]
    best = None
    for s in sorted(range(len(filelines)), key=lambda s: abs(s - (start - 1))):
        f, mapping, ok = s, {}, True
        for k, h in old:
            if h[0] == " " and not h[1:].strip():
                while f < len(filelines) and not filelines[f].strip() and False:
                    f += 1
            while f < len(filelines) and not filelines[f].strip() and h[1:].strip():
                f += 1                          # a line of blanks the new tangle no longer has
            if f < len(filelines) and norm(h[1:]) == norm(filelines[f]):
                mapping[k] = f
                f += 1
            elif not h[1:].strip():
                mapping[k] = None               # the patch's line of blanks: gone from the file
            else:
                ok = False
                break
        if ok and any(v is not None for v in mapping.values()):
            best = (s, mapping)
            break
    if best is None:
        print(f"{patch_path}: a hunk at line {start} of {target} was not found", file=sys.stderr)
        failed = True
        out.append(l)
        out += hunk
        continue
    s, mapping = best
    new_hunk, delta = [], 0
    for k, h in enumerate(hunk):
        if k in mapping:
            if mapping[k] is None:
                continue
            actual = filelines[mapping[k]]
            delta = indent(actual) - indent(h[1:])
            new_hunk.append(h[0] + actual)
        elif h.startswith("+"):
            text = h[1:]
            if text.strip() and delta > 0:
                text = " " * delta + text
            new_hunk.append("+" + text)
        else:
            new_hunk.append(h)
    first = min(v for v in mapping.values() if v is not None)
    n_old = sum(1 for h in new_hunk if h[:1] in " -")
    n_new = sum(1 for h in new_hunk if h[:1] in " +")
    out.append(f"@@ -{first + 1},{n_old} +{first + 1 + offset},{n_new} @@{tail}")
    offset += n_new - n_old
    out += new_hunk
if failed:
    sys.exit(1)
new = "\n".join(out)
if new != "\n".join(lines):
    open(patch_path, "w").write(new)
    print(f"{patch_path}: re-based on {base}")
else:
    print(f"{patch_path}: unchanged")
