#!/usr/bin/env python3
"""Tangle the chapters into one directory per stage, and check the result.

Stage N is chapters 00..N read in order by noweb's `markup`.  Two rules
decide what a chunk contains:

  * noweb's own: a later definition of a chunk is appended to the earlier
    ones ("the chunk grows");
  * ours: a definition named `NAME [replaces]` throws away every earlier
    definition of NAME and starts it afresh ("the chunk is replaced").

The replacement is done by a filter on markup's stream, before `nt` sees
it: earlier definitions are renamed `NAME [replaced]` (so every line keeps
its number and #line directives stay right) and the new one is renamed
NAME.  A `[replaces]` for a chunk nobody defined before is an error: it is
almost certainly a misspelling.

Usage:
  tangle.py [--check] [--plain] [--stages 1,2,3] [--out tangled]

Without --check the files of each stage are written to OUT/chapter-N/,
each only if its text changed (like noweb's cpif).  With --check nothing is
written; the exit status says whether OUT/ equals a fresh tangle, whether
every root chunk is a file the stage is expected to produce (chapters/ROOTS)
and whether nt reported an undefined chunk.  With --plain the files carry
no line directives (the student trees of exercises/: a student edits the
.c files, so errors should point there), and nested chunks keep the
indentation of their use.
"""
import argparse
import os
import re
import subprocess
import sys

NOWEB = os.environ.get("NOWEB_LIB", "/usr/lib/noweb")
REPLACES = " [replaces]"
REPLACED = " [replaced]"

# How each kind of file points back into the .nw source.  The linker
# script and GRUB's configuration have no line directive.
LINE_FORMATS = {
    ".c": '#line %L "%F"%N',
    ".h": '#line %L "%F"%N',
    ".asm": "%%line %-1L+1 %F%N",
}


def chapters_for(stage, chapter_dir):
    """The .nw files of stage STAGE, in reading order."""
    names = sorted(f for f in os.listdir(chapter_dir) if re.match(r"\d\d-.*\.nw$", f))
    return [os.path.join(chapter_dir, f) for f in names if int(f[:2]) <= stage]


def read_roots_manifest(path):
    """chapters/ROOTS: lines `N file`; file is first produced by chapter N."""
    roots = []
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                chapter, name = line.split()
                roots.append((int(chapter), name))
    return roots


def apply_replacements(stream):
    """Our rule on top of noweb's: `NAME [replaces]` starts NAME afresh."""
    out, defined, errors = [], {}, []
    where = "?"
    for i, line in enumerate(stream):
        if line.startswith("@file "):
            where = line[6:]
        if line.startswith("@defn "):
            name = line[6:]
            if name.endswith(REPLACES):
                base = name[: -len(REPLACES)]
                if base not in defined:
                    errors.append(f"{where}: <<{name}>> replaces a chunk that no earlier chapter defines")
                for j in defined.pop(base, []):
                    out[j] = "@defn " + base + REPLACED
                name = base
                line = "@defn " + name
            defined.setdefault(name, []).append(len(out))
        out.append(line)
    return out, errors


def roots_of(stream):
    """Chunks that are defined but never used, as noroots finds them."""
    defs, uses = [], set()
    for line in stream:
        if line.startswith("@defn "):
            if line[6:] not in defs:
                defs.append(line[6:])
        elif line.startswith("@use "):
            uses.add(line[5:])
    return [d for d in defs if d not in uses and not d.endswith(REPLACED)]


def tangle_stage(stage, chapter_dir, manifest, plain=False):
    """Return ({file: text}, [errors]) for one stage."""
    files = chapters_for(stage, chapter_dir)
    markup = subprocess.run([os.path.join(NOWEB, "markup"), "-t"] + files,
                            capture_output=True, text=True)
    errors = []
    if markup.returncode != 0:
        return {}, [f"markup failed: {markup.stderr.strip()}"]
    stream, errors = apply_replacements(markup.stdout.split("\n"))
    text = "\n".join(stream)
    expected = [name for ch, name in manifest if ch <= stage]
    for root in roots_of(stream):
        if root not in expected:
            errors.append(f"stage {stage}: root chunk <<{root}>> is not a file in chapters/ROOTS "
                          "(a misspelled chunk definition becomes a root and its code is lost)")
    outputs = {}
    for name in expected:
        fmt = LINE_FORMATS.get(os.path.splitext(name)[1])
        cmd = [os.path.join(NOWEB, "nt"), "-t", "-R" + name]
        if fmt and not plain:
            cmd.append("-L" + fmt)
        r = subprocess.run(cmd, input=text, capture_output=True, text=True)
        if r.returncode != 0 or r.stderr.strip():
            errors.append(f"stage {stage}: {name}: {r.stderr.strip() or 'nt failed'}")
        outputs[name] = r.stdout
    return outputs, errors


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--stages", default="1,2,3")
    ap.add_argument("--out", default="tangled")
    ap.add_argument("--chapters", default="chapters")
    ap.add_argument("--plain", action="store_true", help="no line directives")
    args = ap.parse_args()
    manifest = read_roots_manifest(os.path.join(args.chapters, "ROOTS"))
    present = {int(f[:2]) for f in os.listdir(args.chapters) if re.match(r"\d\d-.*\.nw$", f)}
    failed = False
    for stage in (int(s) for s in args.stages.split(",") if s.strip()):
        if stage not in present:
            continue
        outputs, errors = tangle_stage(stage, args.chapters, manifest, args.plain)
        for e in errors:
            print("tangle: " + e, file=sys.stderr)
        failed |= bool(errors)
        outdir = os.path.join(args.out, f"chapter-{stage}")
        on_disk = set(os.listdir(outdir)) if os.path.isdir(outdir) else set()
        for name, text in outputs.items():
            path = os.path.join(outdir, name)
            old = open(path).read() if os.path.exists(path) else None
            if old == text:
                continue
            if args.check:
                what = "is missing" if old is None else "differs from a fresh tangle (edited by hand, or not re-tangled?)"
                print(f"tangle: {path} {what}", file=sys.stderr)
                failed = True
            else:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "w") as f:
                    f.write(text)
                print(f"tangle: wrote {path}")
        for extra in sorted(on_disk - set(outputs)):
            path = os.path.join(outdir, extra)
            if args.check:
                print(f"tangle: {path} is not produced by any chapter", file=sys.stderr)
                failed = True
            else:
                os.remove(path)
                print(f"tangle: removed {path}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
