#!/usr/bin/env python3
"""Tangle the chapters into one directory per stage, and check the result.

Stage N is chapters 00..N read in order by noweb's `markup`.  Two rules
decide what a chunk contains:

  * noweb's own: a later definition of a chunk is appended to the earlier
    ones ("the chunk grows");
  * ours: a definition named `NAME [replaces]` throws away every earlier
    definition of NAME and starts it afresh ("the chunk is replaced").

Both rules are applied by noweb itself: tools/nwfilter.py is a noweb
filter (it also keeps the indentation of nested chunks when line
directives are on), and each file is produced by the command a reader can
type:

    notangle -filter tools/nwfilter.py -L'#line %L "%F"%N' -R'kheap.c' chapters/0[0-3]-*.nw

(%%line %-1L+1 %F%N for .asm files; no -L for the plain trees and for
files that have no line directive).  notangle is `markup | filters | nt`;
by default this script runs markup and the filter once per stage and nt
once per file (the same pipeline, ten times faster); with --notangle it
runs the command above for every file (make check-notangle compares the
two).  The roots are checked on the filtered stream.

Usage:
  tangle.py [--check] [--plain] [--stages 1,2,3] [--out tangled]

Without --check the files of each stage are written to OUT/chapter-N/,
each only if its text changed (like noweb's cpif).  With --check nothing is
written; the exit status says whether OUT/ equals a fresh tangle, whether
every root chunk is a file the stage is expected to produce (chapters/ROOTS)
and whether nt reported an undefined chunk.  With --plain the files carry
no line directives (the student trees of exercises/: a student edits the
.c files, so errors should point there).
"""
import argparse
import concurrent.futures
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nwfilter  # noqa: E402

NOWEB = os.environ.get("NOWEB_LIB", "/usr/lib/noweb")
FILTER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "nwfilter.py")

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


def notangle(files, root, line_format=None):
    """`notangle -filter tools/nwfilter.py [-L...] -Rroot files`: (text, errors)."""
    cmd = ["notangle", "-filter", FILTER] + (["-L" + line_format] if line_format else []) + ["-R" + root] + files
    r = subprocess.run(cmd, capture_output=True, text=True)
    errors = []
    if r.returncode != 0 or r.stderr.strip():
        errors.append(f"{root}: {r.stderr.strip() or 'notangle failed'}")
    return r.stdout, errors


def pipeline(stream, root, line_format=None):
    """The same as notangle(), on a stream already marked up and filtered:
    notangle is `markup | filters | nt`; running markup and the filter once
    per stage and nt once per file is ten times faster."""
    cmd = [os.path.join(NOWEB, "nt")] + (["-t", "-L" + line_format] if line_format else []) + ["-R" + root]
    r = subprocess.run(cmd, input=stream, capture_output=True, text=True)
    errors = []
    if r.returncode != 0 or r.stderr.strip():
        errors.append(f"{root}: {r.stderr.strip() or 'nt failed'}")
    return r.stdout, errors


def tangle_stage(stage, chapter_dir, manifest, plain=False, literal=False):
    """Return ({file: text}, [errors]) for one stage."""
    files = chapters_for(stage, chapter_dir)
    streams = {}
    for tabs in ([], ["-t"]):
        r = subprocess.run([os.path.join(NOWEB, "markup")] + tabs + files, capture_output=True, text=True)
        if r.returncode != 0:
            return {}, [f"markup failed: {r.stderr.strip()}"]
        streams[bool(tabs)], errors = nwfilter.filter_stream(r.stdout)
    errors = [f"stage {stage}: {e}" for e in errors]
    marked, _ = nwfilter.apply_replacements(r.stdout.split("\n"))
    expected = [name for ch, name in manifest if ch <= stage]
    for root in nwfilter.roots(marked):
        if root not in expected:
            errors.append(f"stage {stage}: root chunk <<{root}>> is not a file in chapters/ROOTS "
                          "(a misspelled chunk definition becomes a root and its code is lost)")
    def one(name):
        fmt = None if plain else LINE_FORMATS.get(os.path.splitext(name)[1])
        if literal:
            return notangle(files, name, fmt)
        return pipeline(streams[bool(fmt)], name, fmt)
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        jobs = {name: pool.submit(one, name) for name in expected}
    outputs = {}
    for name, job in jobs.items():
        text, errs = job.result()
        outputs[name] = text
        errors += [f"stage {stage}: {e}" for e in errs]
    return outputs, errors


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--stages", default="1,2,3")
    ap.add_argument("--out", default="tangled")
    ap.add_argument("--chapters", default="chapters")
    ap.add_argument("--plain", action="store_true", help="no line directives")
    ap.add_argument("--notangle", action="store_true",
                    help="run the notangle command a reader types, once per file (slower, same result)")
    args = ap.parse_args()
    manifest = read_roots_manifest(os.path.join(args.chapters, "ROOTS"))
    present = {int(f[:2]) for f in os.listdir(args.chapters) if re.match(r"\d\d-.*\.nw$", f)}
    failed = False
    for stage in (int(s) for s in args.stages.split(",") if s.strip()):
        if stage not in present:
            continue
        outputs, errors = tangle_stage(stage, args.chapters, manifest, args.plain, args.notangle)
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
