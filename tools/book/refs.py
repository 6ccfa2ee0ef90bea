"""refs.py: what nw2md.py resolves in the prose before pandoc sees it.

* {{fact:KEY}}  a number from the build or a measurement, looked up in
  build/book/facts.json (written by tools/book/facts.py; FACTS=path
  overrides).  An unknown key stops the build.
* {{exercises: ID ID ...}}  (alone on a line, at a chapter's end): the
  chapter's exercises, generated from exercises/ID/exercise.conf and
  README.md: number, title, difficulty, effort, points, what "done" means
  (the graded tests, or how a design question is graded) and the folder.
  Every exercise of stage N must be listed in chapter N exactly once.
* @ex:ID  "exercise C.K" (C = chapter, K = place in its list), a link to
  the exercise's entry; an ID that no list names stops the build.
"""
import glob
import json
import os
import re
import sys

FACT = re.compile(r"\{\{fact:([A-Za-z0-9_.-]+)\}\}")
LIST = re.compile(r"^\{\{exercises:([^}]*)\}\}[ \t]*$", re.M)
EXREF = re.compile(r"@ex:([a-z0-9-]+)")

_facts = None
_numbers = None
errors = []


def fail(msg):
    sys.exit(f"nw2md: {msg}")


def facts():
    global _facts
    if _facts is None:
        path = os.environ.get("FACTS", "build/book/facts.json")
        if not os.path.exists(path):
            fail(f"{path} is missing: run `python3 tools/book/facts.py {path}` (make does it)")
        _facts = json.load(open(path))
    return _facts


def chapter_of(path):
    m = re.match(r"(\d\d)-", os.path.basename(path))
    return int(m.group(1)) if m else 0


def conf(ex):
    c = {"tests": [], "host": []}
    for line in open(f"exercises/{ex}/exercise.conf"):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        key, _, value = line.partition(" ")
        value = value.strip()
        if key in ("test", "host"):
            name, pts = value.split()[:2]
            c["tests" if key == "test" else "host"].append((name, int(pts)))
        else:
            c[key] = value
    return c


def numbers(files):
    """exercise ID -> (chapter, place), from the {{exercises:}} lists; checked against exercises/."""
    global _numbers
    if _numbers is None:
        _numbers = {}
        listed = {}
        for path in files:
            text = open(path).read()
            for m in LIST.finditer(text):
                for k, ex in enumerate(m.group(1).split(), 1):
                    if ex in _numbers:
                        fail(f"{path}: exercise {ex} is listed twice")
                    if not os.path.isfile(f"exercises/{ex}/exercise.conf"):
                        fail(f"{path}: no exercise {ex} (exercises/{ex}/exercise.conf is missing)")
                    _numbers[ex] = (chapter_of(path), k)
                    listed.setdefault(chapter_of(path), set()).add(ex)
        for confpath in sorted(glob.glob("exercises/*/exercise.conf")):
            ex = os.path.basename(os.path.dirname(confpath))
            stage = int(conf(ex).get("stage", 0))
            if ex not in _numbers and stage in listed:
                fail(f"exercise {ex} (stage {stage}) is not in chapter {stage}'s {{{{exercises: ...}}}} list")
            if ex in _numbers and _numbers[ex][0] != stage:
                fail(f"exercise {ex} is for stage {stage} but listed in chapter {_numbers[ex][0]}")
    return _numbers


def first_paragraph(readme, headings):
    """The first paragraph of the README (after its title), or of the first section named in HEADINGS."""
    text = open(readme).read()
    if headings:
        for h in headings:
            m = re.search(r"^## " + re.escape(h) + r".*?\n\n(.*?)(\n\n|\Z)", text, re.S | re.M)
            if m:
                return " ".join(m.group(1).split())
        return ""
    body = re.sub(r"\A# .*\n+", "", text)
    paras = [p for p in body.split("\n\n") if p.strip() and not p.startswith(("A written answer", "#", "```"))]
    return " ".join(paras[0].split()) if paras else ""


def good_answer(readme):
    """For a design question: the paragraph that says what a good answer has."""
    for p in open(readme).read().split("\n\n"):
        if re.match(r"(Good answers|A good answer)", p):
            return " ".join(p.split())
    return ""


def exercise_list(ids, path):
    out = []
    for k, ex in enumerate(ids.split(), 1):
        c = conf(ex)
        ch = chapter_of(path)
        pts = sum(p for _, p in c["tests"] + c["host"])
        readme = f"exercises/{ex}/README.md"
        what = first_paragraph(readme, None)
        if c.get("difficulty") == "design":
            how = first_paragraph(readme, ["How it is graded", "What a good answer has"]) or good_answer(readme)
            done = f"*Done when:* a written answer, graded by hand. {how}".rstrip()
        else:
            tests = "".join(f"\n   - `{n}` ({p} points, in the kernel)" for n, p in c["tests"])
            tests += "".join(f"\n   - `{n}` ({p} points, on the host)" for n, p in c["host"])
            done = f"*Done when* `make grade EX={ex}` passes its graded tests:\n{tests}"
        folder = f"exercises/{ex}/"
        link = (f"`\\href{{../{folder}README.md}}{{\\texttt{{{folder}}}}}`{{=latex}}"
                f"`<a href=\"../../{folder}README.md\"><code>{folder}</code></a>`{{=html}}")
        out.append(f"{k}. []{{#ex-{ex}}}**Exercise {ch}.{k}: {c.get('title', ex)}** "
                   f"({c.get('difficulty', '?')}, {c.get('effort', '?')}, {pts} points; {link}). "
                   f"{what}\n\n   {done}\n")
    return "\n".join(out)


def resolve(text, path, files):
    """Substitute facts, exercise lists and exercise references in one documentation chunk."""
    def fact(m):
        f = facts()
        if m.group(1) not in f:
            fail(f"{path}: unknown fact {{{{fact:{m.group(1)}}}}} (the keys are in build/book/facts.json; "
                 "see HACKING.md, \"Numbers from the build\")")
        return f[m.group(1)]
    text = FACT.sub(fact, text)
    nums = numbers(files)
    text = LIST.sub(lambda m: exercise_list(m.group(1), path), text)

    def exref(m):
        if m.group(1) not in nums:
            fail(f"{path}: @ex:{m.group(1)} names no exercise of the book's lists (exercises/{m.group(1)}/)")
        ch, k = nums[m.group(1)]
        return f"[exercise {ch}.{k}](#ex-{m.group(1)})"
    return EXREF.sub(exref, text)


if __name__ == "__main__":
    # refs.py IN.md: the same substitutions for the book's Markdown front and back matter.
    import glob as _glob
    src = sys.argv[1]
    sys.stdout.write(resolve(open(src).read(), src, sorted(_glob.glob("chapters/[0-9][0-9]-*.nw"))))
