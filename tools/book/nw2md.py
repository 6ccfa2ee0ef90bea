#!/usr/bin/env python3
"""nw2md.py body|indexes CHAPTER.nw... > FILE.md: the weaving back end of the book.

Reads all chapters through noweb's `markup` in one run (so references
across chapters work) and writes one pandoc Markdown document:

* documentation chunks are Markdown already and pass through; `[[code]]`
  quotes become code spans;
* each code chunk gets a number (§N), an anchor, a header "⟨name⟩≡" (or
  "+≡" when it continues a chunk, or a note when it replaces one under the
  book's `[replaces]` rule), a fenced block with syntax highlighting, and a
  line "defined in / used in" with links;
* chunk uses inside code read "⟨name⟩ §N"; the HTML post-pass
  (tools/book/htmlpost.py) turns §N into a link;
* appendices list every chunk, and every identifier (found by ctags in the
  tangled sources of the last stage, mapped back through the #line
  directives to the chunk that defines it);
* in the HTML edition, each chapter N >= 1 gets a "boot stage N" panel, and
  every `K> command` line of a serial block a button that types it.
"""
import collections
import glob
import html
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import refs  # noqa: E402  {{fact:KEY}}, @ex:ID, {{exercises: ...}} (tools/book/refs.py)

REPLACES = " [replaces]"


def markup(files):
    out = subprocess.run(["/usr/lib/noweb/markup"] + files, check=True,
                         capture_output=True, text=True).stdout
    return out.split("\n")


def parse(lines):
    """A list of chunks: dicts with kind, file, first line, text or code parts."""
    chunks, cur, fname, line = [], None, None, 1
    for l in lines:
        kw, _, arg = l.partition(" ")
        if kw == "@file":
            fname, line = arg, 1
        elif kw == "@begin":
            cur = {"kind": arg.split()[0], "file": fname, "line": line, "parts": [], "name": None}
            chunks.append(cur)
        elif kw == "@defn":
            cur["name"] = arg
        elif kw == "@text":
            cur["parts"].append(("text", arg))
        elif kw == "@nl":
            cur["parts"].append(("nl", ""))
            line += 1
        elif kw == "@use":
            cur["parts"].append(("use", arg))
        elif kw == "@quote":
            cur["parts"].append(("quote", ""))
        elif kw == "@endquote":
            cur["parts"].append(("endquote", ""))
        elif kw == "@end":
            cur["last"] = line
    return chunks


def base(name):
    return name[: -len(REPLACES)] if name.endswith(REPLACES) else name


def language(name, chunks_by_name, seen=None):
    """C, nasm or plain text, from the file the chunk ends up in."""
    if name.endswith(".asm") or ".asm:" in name or name.startswith("isr.asm") or name.startswith("boot.asm"):
        return "nasm"
    if name.endswith(".ld") or name.startswith("kernel.ld"):
        return "default"
    return "c"


def docs_markdown(chunk):
    out, in_quote = [], False
    for kind, arg in chunk["parts"]:
        if kind == "text":
            out.append(arg)
        elif kind == "nl":
            out.append("\n")
        elif kind == "quote":
            out.append("`")
            in_quote = True
        elif kind == "endquote":
            out.append("`")
            in_quote = False
        elif kind == "use":                     # [[<<name>>]] in prose
            out.append("⟨" + arg + "⟩")
    return "".join(out)


def links(nums):
    return ", ".join(f"[§{n}](#chunk-{n})" for n in nums)


def main():
    global TRAPS
    TRAPS = traps()
    part = sys.argv[1]                          # "body" or "indexes"
    files = sorted(sys.argv[2:])
    chunks = parse(markup(files))               # in tangle order
    # A chapter file that opens with \appendix (chapters/00-workbench.nw) is
    # tangled where its name sorts but woven after the last chapter.
    appendix = {f for f in files if is_appendix(f)}
    tangle_order = [c for c in chunks if c["kind"] == "code"]
    chunks = [c for c in chunks if c["file"] not in appendix] + [c for c in chunks if c["file"] in appendix]
    code = [c for c in chunks if c["kind"] == "code"]
    for i, c in enumerate(code, 1):
        c["num"] = i
    defs, uses = collections.defaultdict(list), collections.defaultdict(list)
    for c in tangle_order:
        defs[base(c["name"])].append(c["num"])
        for kind, arg in c["parts"]:
            if kind == "use" and c["num"] not in uses[arg]:
                uses[arg].append(c["num"])
    out = []
    chapter = None
    for c in chunks:
        if c["kind"] == "docs":
            text = number_traps(refs.resolve(docs_markdown(c), c["file"], files), c["file"])   # facts, exercises, traps
            if c["file"] != chapter:
                chapter = c["file"]
                text = "\n\n" + add_panel(text, chapter)
            out.append(serial_buttons(text, chapter))
        else:
            out.append(code_markdown(c, defs, uses))
    if part == "indexes":
        out = [chunk_index(defs, uses), identifier_index(code)]
    sys.stdout.write(number_figures("".join(out)))


def number_figures(text):
    """Figures are written ![caption](figures/NAME){#fig:NAME} and referred to
    as @fig:NAME; number them in order and make the references links."""
    names = re.findall(r"\]\(figures/([\w-]+)\)\{#fig:\1\}", text)
    number = {n: i for i, n in enumerate(dict.fromkeys(names), 1)}
    text = re.sub(r"!\[([^\]]*)\]\(figures/([\w-]+)\)\{#fig:\2\}",
                  lambda m: f"![Figure {number[m.group(2)]}: {m.group(1)}](figures/{m.group(2)}){{#fig:{m.group(2)}}}",
                  text)
    return re.sub(r"@fig:([\w-]+)", lambda m: f"[Figure {number.get(m.group(1), '??')}](#fig:{m.group(1)})", text)


def is_appendix(path):
    with open(path) as f:
        return "\\appendix" in f.read(200)


DESIGN = "book/design.md"       # the design overview: its numbered list of traps


def traps():
    """{id: number} of the traps `N. []{#trap:ID}` listed in DESIGN, which
    must be numbered 1, 2, ... in order."""
    found = re.findall(r"^ *(\d+)\. +\[\]\{#trap:([\w-]+)\}", open(DESIGN).read(), re.M)
    for i, (n, name) in enumerate(found, 1):
        if int(n) != i:
            sys.exit(f"nw2md: {DESIGN}: trap {name} is numbered {n}, but it is the {i}th")
    return {name: i for i, (n, name) in enumerate(found, 1)}


def number_traps(text, path):
    """@trap:ID becomes "trap N", linked to the trap in the design overview;
    an ID the overview does not list stops the build."""
    def ref(m):
        number = TRAPS.get(m.group(1))
        if number is None:
            sys.exit(f"nw2md: {path}: unknown trap @trap:{m.group(1)} (the traps are listed in {DESIGN})")
        return f"[trap {number}](#trap:{m.group(1)})"
    return re.sub(r"@trap:([\w]+(?:-[\w]+)*)", ref, text) if "@trap:" in text else text


def chapter_number(path):
    m = re.match(r"(\d\d)-", os.path.basename(path))
    return int(m.group(1)) if m else 0


def add_panel(text, path):
    """After the chapter's title, the HTML edition's "boot stage N" panel."""
    n = chapter_number(path)
    title, _, rest = text.partition("\n")
    if is_appendix(path):
        return text
    if n == 0:                  # the prologue is chapter 0 (numbers in the PDF)
        return "```{=latex}\n\\setcounter{chapter}{-1}\n```\n\n" + text
    panel = (f'\n\n```{{=html}}\n<div class="sarrus-boot" data-stage="{n}"></div>\n```\n')
    return title + panel + rest


def serial_buttons(text, path):
    """A button for each `K> command` of a serial block (HTML only)."""
    def block(m):
        stage = re.search(r"stage=(\d+)", m.group(1))
        cmds = [l[3:] for l in m.group(2).split("\n") if l.startswith("K> ") and l[3:] != "quit"]
        if not stage or not cmds:
            return m.group(0)
        buttons = "".join(f'<button class="sarrus-command" data-stage="{stage.group(1)}" '
                          f'data-command="{html.escape(c)}" title="type it into the stage-{stage.group(1)} '
                          f'kernel above">{html.escape(c)}</button>' for c in dict.fromkeys(cmds))
        return m.group(0) + f'\n\n```{{=html}}\n<p class="sarrus-commands">Try it: {buttons}</p>\n```\n'
    return re.sub(r"```\{\.serial([^}]*)\}\n(.*?)\n```", block, text, flags=re.S)


def code_markdown(c, defs, uses):
    name, num = c["name"], c["num"]
    b = base(name)
    first = defs[b][0]
    if name.endswith(REPLACES):
        earlier = defs[b][: defs[b].index(num)]        # earlier in tangle order
        sign = f"≡ *(replaces {links(earlier)})*"
    else:
        sign = "≡" if num == first else f"+≡ *(continues {links([first])})*"
    body = []
    for kind, arg in c["parts"]:
        if kind == "text":
            body.append(arg)
        elif kind == "nl":
            body.append("\n")
        elif kind == "use":
            target = defs.get(arg, [0])[0]
            body.append(f"⟨{arg}⟩ §{target}")
    text = "".join(body).strip("\n")
    lang = language(b, defs)
    fence = "~~~~" if "```" in text else "```"
    notes = []
    if len(defs[b]) > 1:
        notes.append(f"Defined in {links(defs[b])}.")
    if uses.get(b):
        notes.append(f"Used in {links(uses[b])}.")
    elif re.match(r"^[\w.-]+\.(c|h|asm|ld)$", b):
        notes.append(f"The file `{b}`.")
    note = " ".join(notes)
    return (f"\n::: {{.chunk #chunk-{num}}}\n"
            f"[§{num}]{{.chunkno}} **⟨{b}⟩** {sign}\n\n"
            f"{fence} {{.{lang}}}\n{text}\n{fence}\n\n"
            f"[{note}]{{.chunknote}}\n:::\n")


def chunk_index(defs, uses):
    out = ["\n# Index of chunks {.unnumbered}\n\n"]
    for name in sorted(defs, key=str.lower):
        u = f"; used in {links(uses[name])}" if uses.get(name) else ""
        out.append(f"- ⟨{name}⟩: {links(defs[name])}{u}\n")
    return "".join(out)


def line_map(path):
    """For a tangled file: its line number -> (.nw file, .nw line)."""
    result, src, n = {}, None, 0
    for i, l in enumerate(open(path), 1):
        m = re.match(r'#line (\d+) "([^"]+)"|%line (\d+)\+1 (\S+)', l)
        if m:
            n = int(m.group(1) or m.group(3)) - 1
            src = m.group(2) or m.group(4)
            continue
        n += 1
        result[i] = (src, n)
    return result


def identifier_index(code):
    stages = sorted(glob.glob("tangled/chapter-*"))
    if not stages:
        return ""
    tags = subprocess.run(["ctags", "-x", "--c-kinds=fdstuvg", "--language-force=C", "-R", stages[-1]],
                          capture_output=True, text=True).stdout
    where = collections.defaultdict(set)
    maps = {}
    for l in tags.splitlines():
        m = re.match(r"(\S+)\s+(\S+)\s+(\d+)\s+(\S+)", l)
        if not m or not m.group(4).endswith((".c", ".h")):
            continue
        ident, kind, line, path = m.group(1), m.group(2), int(m.group(3)), m.group(4)
        if kind in ("member", "local") or ident.startswith("_") or len(ident) < 2:
            continue
        maps.setdefault(path, line_map(path))
        src = maps[path].get(line)
        if not src:
            continue
        for c in code:
            if c["file"] == src[0] and c["line"] < src[1] <= c.get("last", 10**9):
                where[ident].add(c["num"])
                break
    out = ["\n# Index of identifiers {.unnumbered}\n\n",
           "Where each function, type, macro and global of the last stage is defined.\n\n"]
    for ident in sorted(where, key=str.lower):
        out.append(f"- `{ident}`: {links(sorted(where[ident]))}\n")
    return "".join(out)


if __name__ == "__main__":
    main()
