#!/usr/bin/env python3
"""nwfilter.py: the book's noweb filter, for notangle and for the weaver.

    notangle -filter tools/nwfilter.py -R'kheap.c' chapters/0[0-3]-*.nw
    notangle -filter tools/nwfilter.py -L'#line %L "%F"%N' -R'kheap.c' chapters/0[0-3]-*.nw

It reads noweb's pipeline representation (the output of `markup`) on its
standard input and writes it, changed in two ways, on its standard output:

1. The `[replaces]` rule.  noweb appends a later definition of a chunk to
   the earlier ones ("the chunk grows").  A definition named
   `NAME [replaces]` instead throws away every earlier definition of NAME
   and starts it afresh: earlier definitions are renamed `NAME [replaced]`
   (nothing uses that name, so nt drops them, and every line keeps its
   number, so line directives stay right) and the new one is renamed NAME.
   A `[replaces]` for a chunk no earlier chapter defines is an error (a
   misspelling, almost certainly): the filter says so on standard error and
   in an `@fatal` line, and exits with status 1.

2. Indentation.  nt indents a nested chunk to the column of its use, except
   when it writes line directives (-L), where it writes the indentation
   before the directive and the chunk's lines at column 0.  The filter
   moves the indentation into the chunk itself: every non-empty line of a
   chunk used at indentation K (counted from the file's left margin, through
   all the chunks above it) starts with K spaces, and the use stands at
   column 0.  The output is the same with and without -L, and no line ends
   in spaces where chunks meet.  A chunk used at two different indentations
   gets a copy per extra indentation, appended at the end of the stream
   under its original @file and @line, so line directives stay right.

With --roots the filter prints the root chunks (defined, never used; a
replaced definition is not a root) instead of the stream, one per line.
"""
import collections
import sys

REPLACES = " [replaces]"
REPLACED = " [replaced]"


def apply_replacements(stream):
    """Rule 1.  Returns the new stream and a list of error messages."""
    out, defined, errors = [], {}, []
    where = "?"
    for line in stream:
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


def code_chunks(stream):
    """Code chunks as (begin index, end index, name, file, first line)."""
    chunks, fname, line, start, name = [], None, 1, None, None
    for i, l in enumerate(stream):
        if l.startswith("@file "):
            fname, line = l[6:], 1
        elif l.startswith("@line "):
            line = int(l[6:])
        elif l.startswith("@begin code"):
            start, startline = i, line
        elif l.startswith("@defn ") and start is not None:
            name = l[6:]
        elif l.startswith("@end code"):
            chunks.append((start, i, name, fname, startline))
            start = None
        elif l == "@nl":
            line += 1
    return chunks


def body_lines(stream, b, e):
    """The lines of a chunk's body: lists of stream indices, split at @nl
    (the @nl itself ends each list).  The definition line comes first."""
    lines, cur = [], []
    for i in range(b, e):
        cur.append(i)
        if stream[i] == "@nl":
            lines.append(cur)
            cur = []
    if cur:
        lines.append(cur)
    return lines


def use_line(stream, idx):
    """(name, indentation) if the line is whitespace, one use, whitespace."""
    items = [stream[i] for i in idx if stream[i] != "@nl"]
    uses = [l for l in items if l.startswith("@use ")]
    if len(uses) != 1:
        return None
    k = items.index(uses[0])
    if not all(l.startswith("@text ") and not l[6:].strip() for l in items[:k] + items[k + 1:]
               if not l.startswith(("@index", "@xref", "@language"))):
        return None
    indent = sum(len(l[6:]) for l in items[:k] if l.startswith("@text "))
    return uses[0][5:], indent


def reindent(stream):
    """Rule 2."""
    chunks = code_chunks(stream)
    defs = collections.defaultdict(list)
    for c in chunks:
        if c[2] and not c[2].endswith(REPLACED):
            defs[c[2]].append(c)
    # Uses: parent -> [(child, relative indentation)].
    children = collections.defaultdict(list)
    used = set()
    for name, cs in defs.items():
        for b, e, *_ in cs:
            for idx in body_lines(stream, b, e)[1:]:
                u = use_line(stream, idx)
                if u:
                    children[name].append(u)
                    used.add(u[0])
    # Absolute indentations each chunk is used at, from the roots down.
    absolute = collections.defaultdict(collections.Counter)
    todo = [(r, 0) for r in defs if r not in used]
    seen = set()
    while todo:
        name, ind = todo.pop()
        if (name, ind) in seen:
            continue
        seen.add((name, ind))
        absolute[name][ind] += 1
        for child, rel in children.get(name, []):
            todo.append((child, ind + rel))
    primary = {n: c.most_common(1)[0][0] for n, c in absolute.items()}

    def version(name, ind):
        return name if primary.get(name, 0) == ind else f"{name} [indented {ind}]"

    def rewrite(b, e, ind, newname):
        """The chunk's stream items with indentation ind, renamed newname."""
        out = []
        lines = body_lines(stream, b, e)
        for n, idx in enumerate(lines):
            items = [stream[i] for i in idx]
            if n == 0:
                out += [("@defn " + newname) if l.startswith("@defn ") else l for l in items]
                continue
            u = use_line(stream, idx)
            if u:
                child, rel = u
                out += [l for l in items if not l.startswith("@text ")]
                k = out.index("@use " + child, len(out) - len(items))
                out[k] = "@use " + version(child, ind + rel)
                continue
            texts = [l for l in items if l.startswith("@text ")]
            blank = not "".join(t[6:] for t in texts).strip()
            if blank:   # no indentation, no trailing spaces on an empty line
                out += [l for l in items if not l.startswith("@text ")]
            else:
                if ind:
                    k = next(j for j, l in enumerate(items) if l.startswith("@text "))
                    items.insert(k, "@text " + " " * ind)
                out += items
        return out

    new = list(stream)
    for b, e, name, *_ in sorted((c for cs in defs.values() for c in cs), reverse=True):
        new[b:e + 1] = rewrite(b, e + 1, primary.get(name, 0), name)
    extra = []
    for name, cs in defs.items():
        inds = sorted(absolute.get(name, {0: 1}))
        main = primary.get(name, 0)
        for ind in inds:
            if ind == main:
                continue
            for b, e, _, fname, first in cs:
                extra += ["@file " + fname, f"@line {first}"] + rewrite(b, e + 1, ind, version(name, ind))
    return new + extra


def roots(stream):
    defs, uses = [], set()
    for line in stream:
        if line.startswith("@defn "):
            if line[6:] not in defs:
                defs.append(line[6:])
        elif line.startswith("@use "):
            uses.add(line[5:])
    return [d for d in defs if d not in uses and not d.endswith(REPLACED)]


def filter_stream(text):
    """The whole filter on a string; returns (string, errors)."""
    lines = text.split("\n")
    trailing = lines and lines[-1] == ""
    if trailing:
        lines.pop()
    lines, errors = apply_replacements(lines)
    lines = reindent(lines)
    for e in errors:
        lines.append("@fatal nwfilter " + e)
    return "\n".join(lines) + ("\n" if trailing else ""), errors


def main():
    text = sys.stdin.read()
    if "--roots" in sys.argv[1:]:
        lines, errors = apply_replacements(text.split("\n"))
        print("\n".join(roots(lines)))
    else:
        out, errors = filter_stream(text)
        sys.stdout.write(out)
    for e in errors:
        print("nwfilter: " + e, file=sys.stderr)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
