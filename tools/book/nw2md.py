#!/usr/bin/env python3
"""nw2md.py body|indexes CHAPTER.nw... > FILE.md: the weaving back end of the book.

Reads all chapters through noweb's `markup` in one run (so references
across chapters work) and writes one pandoc Markdown document.  It is also
a noweave back end: without .nw arguments it reads noweb's pipeline on its
standard input (and ignores the options noweave passes), so

    noweave -n -backend 'tools/book/nw2md.py body' chapters/*.nw > body.md

writes the same Markdown as `make book`.  What it writes:

* documentation chunks are Markdown already and pass through; `[[code]]`
  quotes become code spans;
* each code chunk gets a number (§N), an anchor, a header "⟨name⟩≡" (or
  "+≡" when it continues a chunk, or a note when it replaces one under the
  book's `[replaces]` rule), a fenced block with syntax highlighting, and a
  line "defined in / used in" with links;
* chunk uses inside code read "⟨name⟩ §N"; the HTML post-pass
  (tools/book/htmlpost.py) turns §N into a link, the LaTeX one
  (tools/book/texpost.py) adds the page; a chunk that a later chapter
  replaces says so where it is defined, where it is used and in the index;
* every chunk reference in prose, "defined in" and "used in" lines and the
  indexes gives the page in print ("§12, p. 34");
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
REPLACED_BY = {}        # chunk number -> number of the definition that replaces it


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


def link(n):
    """A chunk reference: a link in HTML, with the page in print."""
    return f"[§{n}](#chunk-{n})`\\pg{{chunk-{n}}}`{{=latex}}"


def links(nums):
    return ", ".join(link(n) for n in nums)


def replaced_note(nums):
    """"replaced in §M" for the definitions among NUMS a later one replaces."""
    later = sorted({REPLACED_BY[n] for n in nums if n in REPLACED_BY})
    return f"replaced in {links(later)}" if later else ""


def main():
    global TRAPS
    TRAPS = traps()
    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    part = args[0]                              # "body" or "indexes"
    files = sorted(args[1:])
    lines = markup(files) if files else sys.stdin.read().split("\n")
    chunks = parse(lines)                       # in tangle order
    if not files:                               # a noweave back end: the files of the stream
        files = list(dict.fromkeys(c["file"] for c in chunks))
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
    # [replaces]: which definitions a later one throws away.
    for c in tangle_order:
        if c["name"].endswith(REPLACES):
            earlier = defs[base(c["name"])]
            for n in earlier[: earlier.index(c["num"])]:
                REPLACED_BY.setdefault(n, c["num"])
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
        out = [chunk_index(defs, uses), identifier_index(code, uses)]
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
    if n == 0:                  # the prologue (stage 0 is never booted alone)
        return text
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
        earlier = [n for n in defs[b][: defs[b].index(num)] if REPLACED_BY.get(n) == num]   # in tangle order
        sign = f"≡ *(replaces {links(earlier)})*"
    else:
        sign = "≡" if num == first else f"+≡ *(continues {links([first])})*"
    if num in REPLACED_BY:
        sign += f" *({replaced_note([num])})*"
    body = []
    for kind, arg in c["parts"]:
        if kind == "text":
            body.append(arg)
        elif kind == "nl":
            body.append("\n")
        elif kind == "use":
            target = defs.get(arg, [0])[0]
            later = sorted({REPLACED_BY[n] for n in defs.get(arg, []) if n in REPLACED_BY})
            body.append(f"⟨{arg}⟩ §{target}" + "".join(f", replaced by §{m}" for m in later))
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
            f"`\\label{{chunk-{num}}}`{{=latex}}[§{num}]{{.chunkno}} **⟨{b}⟩** {sign}\n\n"
            f"{fence} {{.{lang}}}\n{text}\n{fence}\n\n"
            f"`\\label{{chunk-{num}-note}}`{{=latex}}[{note}]{{.chunknote}}\n:::\n")


def chunk_index(defs, uses):
    out = ["\n# Index of chunks {.unnumbered}\n\n"]
    for name in sorted(defs, key=str.lower):
        r = replaced_note(defs[name])
        r = f"; {r}" if r else ""
        u = f"; used in {links(uses[name])}" if uses.get(name) else ""
        out.append(f"- ⟨{name}⟩: {links(defs[name])}{r}{u}\n")
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


C_KINDS = "fdgestuv"     # functions, macros, enum names and values, structs, typedefs, unions, globals


def nasm_definitions(path):
    """(name, line, kind) for NASM's global names: labels, equ, %define, %macro."""
    out = []
    for i, l in enumerate(open(path), 1):
        code = l.split(";", 1)[0]
        m = (re.match(r"^\s*([A-Za-z_]\w*):", code) or re.match(r"^\s*([A-Za-z_]\w*)\s+equ\b", code)
             or re.match(r"^\s*%(?:x?define|macro)\s+([A-Za-z_]\w*)", code)
             or re.match(r"^\s*([A-Za-z_]\w*)\s+(?:times|d[bwdq]|res[bwdq])\b", code))
        if m:
            out.append((m.group(1), i, "label"))
    return out


def definitions(path):
    """(name, line, kind) for the global identifiers a tangled file defines."""
    if path.endswith(".asm"):
        return nasm_definitions(path)
    if path.endswith(".ld"):
        tags = subprocess.run(["ctags", "-x", "--language-force=LdScript", "--kinds-LdScript=s", path],
                              capture_output=True, text=True).stdout
    else:
        tags = subprocess.run(["ctags", "-x", f"--c-kinds={C_KINDS}", "--language-force=C", path],
                              capture_output=True, text=True).stdout
    out = []
    lines = open(path).read().split("\n")
    for l in tags.splitlines():
        m = re.match(r"(\S+)\s+(\S+)\s+(\d+)\s+\S+\s?(.*)", l)
        if not m:
            continue
        name, kind, line, text = m.group(1), m.group(2), int(m.group(3)), m.group(4)
        if kind == "macro" and re.fullmatch(r"#\s*define\s+\w+_H_?\s*", text.strip()):
            continue                            # an include guard
        if name.startswith("__anon"):
            continue                            # an anonymous struct
        if kind == "variable" and lines[line - 1][:1].isspace():
            continue                            # a local in a body ctags did not see (after a macro)
        out.append((name, line, kind))
    return out


def chunk_files(code, uses_by_name):
    """Chunk name -> the set of files (root chunks) it ends up in."""
    name_of = {c["num"]: base(c["name"]) for c in code}
    memo = {}

    def files(name, seen=()):
        if name in memo:
            return memo[name]
        parents = uses_by_name.get(name, [])
        if not parents:
            result = {name}
        else:
            result = set()
            for n in parents:
                if name_of[n] not in seen:
                    result |= files(name_of[n], seen + (name,))
        memo[name] = result
        return result
    return {c["num"]: files(base(c["name"])) for c in code}


def code_words(c):
    """The identifiers a chunk's code mentions (comments and strings left out)."""
    text = "".join(arg for kind, arg in c["parts"] if kind == "text" or kind == "nl" and "\n")
    text = "\n".join(arg if kind == "text" else "\n" for kind, arg in c["parts"] if kind in ("text", "nl"))
    text = re.sub(r"/\*.*?\*/|//[^\n]*|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'", " ", text, flags=re.S)
    if language(base(c["name"]), None) == "nasm":
        text = re.sub(r";[^\n]*", " ", text)
    return set(re.findall(r"[A-Za-z_]\w*", text))


def identifier_index(code, uses_by_name):
    """Every global identifier of C, NASM and the linker script, in every
    stage: the chunks that define it and the chunks that use it.  Static
    functions of the same name in two files are two entries."""
    stages = sorted(glob.glob("tangled/chapter-*"))
    if not stages:
        return ""
    by_num = {c["num"]: c for c in code}
    chunks_of_file = collections.defaultdict(list)
    for c in code:
        chunks_of_file[c["file"]].append(c)
    defined = collections.defaultdict(set)      # name -> chunk numbers
    kinds = collections.defaultdict(set)        # name -> ctags kinds
    macro_defs = collections.defaultdict(set)   # name -> chunks defining it as a macro
    for stage in stages:
        for path in sorted(glob.glob(os.path.join(stage, "*"))):
            found = definitions(path)
            if not found:
                continue
            lines = line_map(path) if not path.endswith(".ld") else {}
            text = open(path).read().split("\n") if path.endswith(".ld") else []
            for name, line, kind in found:
                src = lines.get(line)
                kinds[name].add(kind)
                if src:
                    for c in chunks_of_file.get(src[0], []):
                        if c["line"] < src[1] <= c.get("last", 10**9):
                            defined[name].add(c["num"])
                            if kind == "macro":
                                macro_defs[name].add(c["num"])
                            break
                elif text:                      # no #line in a linker script: find the line's chunk
                    want = text[line - 1].strip()
                    for c in code:
                        if base(c["name"]).startswith("kernel.ld") and want in "".join(
                                a for k, a in c["parts"] if k == "text").replace("\n", ""):
                            defined[name].add(c["num"])
                            break
    # KTEST(name) { ... } and MONITOR_COMMAND(...) look like function
    # definitions to ctags: a name defined as a macro is not also a function.
    for name in [n for n, k in kinds.items() if "macro" in k and len(k) > 1]:
        defined[name] = macro_defs[name]
    files_of = chunk_files(code, uses_by_name)
    words = {c["num"]: code_words(c) for c in code}
    entries = []                                # (name, label, anchor, defs, uses)
    for name, nums in defined.items():
        # One entry per source file when a name is defined in two .c/.asm
        # files (two unrelated static functions); headers are shared.
        groups = collections.defaultdict(set)
        for n in nums:
            own = sorted(f for f in files_of[n] if not f.endswith(".h"))
            groups[own[0] if len(files_of[n]) == 1 and own else ""].add(n)
        separate = len([g for g in groups if g]) > 1
        if not separate:
            groups = {"": set(nums)}
        for where, dnums in groups.items():
            users = [c["num"] for c in code if c["num"] not in dnums and name in words[c["num"]]
                     and (not where or where in files_of[c["num"]])]
            label = f"`{name}` ({where})" if where else f"`{name}`"
            anchor = "id-" + re.sub(r"[^\w-]", "-", name + ("-" + where if where else ""))
            entries.append((name.lower(), where, label, anchor, sorted(dnums), users))
    out = ["\n# Index of identifiers {.unnumbered}\n\n",
           "Every function, macro, type, global variable, assembler label and linker symbol of every stage: "
           "the chunks that define it, then the chunks that use it. A chunk a later chapter replaces is "
           "marked *(replaced)*.\n\n"]

    def refs(nums):
        return ", ".join(link(n) + (" *(replaced)*" if n in REPLACED_BY else "") for n in nums)
    for _, _, label, anchor, dnums, users in sorted(entries):
        u = f"; used in {refs(users)}" if users else ""
        out.append(f"- [{label}]{{#{anchor}}}: defined in {refs(dnums)}{u}\n")
    return "".join(out)


if __name__ == "__main__":
    main()
