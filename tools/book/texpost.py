#!/usr/bin/env python3
"""texpost.py BOOK.tex: the LaTeX edition's post-pass over pandoc's output.

* A caret is the ASCII caret: pandoc writes `^` as \\^{}, a circumflex
  accent on nothing, which prints as a small raised hat that copies out of
  the PDF as U+02C6 (code copied from the page would not compile).
  \\textasciicircum is the T1 font's own ^ glyph.
* Each chunk's first, second-to-last and last code lines get a label
  (\cl{N}{first} and so on), so that check-book.py can read from book.aux
  on which page each of them landed: the header must share a page with
  the first line, the last line with the one before and with the "Used in"
  line (nw2md labels the header chunk-N and that line chunk-N-note).
* A \\FloatBarrier before every chunk and every list: figures float
  forward over prose only (book/header.tex); labels where each list
  begins and ends let check-book.py check that no figure landed inside a
  chunk or a list.
* A chunk reference inside code ("⟨name⟩ §12") gets its page, like those in
  prose (nw2md writes \\pg there; code blocks are highlighted by pandoc, so
  the page is added here).
"""
import re
import sys

path = sys.argv[1]
text = open(path, encoding="utf-8").read()
text = text.replace("\\^{}", "\\textasciicircum{}")


def pages(block):
    # The highlighter may have put the number in a token of its own:
    # "§}\DecValTok{99}".
    return re.sub(r"§((?:\}|\\\w+Tok\{)*)(\d+)(\})?",
                  lambda m: f"§{m.group(1)}{m.group(2)}{m.group(3) or ''}\\pgc{{{m.group(2)}}}",
                  block.group(0))


text = re.sub(r"\\begin\{Highlighting\}.*?\\end\{Highlighting\}", pages, text, flags=re.S)

# A figure floats only forward over prose: a barrier before each chunk and
# each list (header.tex).
text = re.sub(r"^(\\leavevmode\\vadjust pre\{\\hypertarget\{chunk-\d+\}|\\begin\{(?:itemize|enumerate|description)\})",
              r"\\FloatBarrier\n\1", text, flags=re.M)
# Labels where each top-level list begins and ends, for check-book.py.
out, depth, k = [], 0, 0
for tok in re.split(r"(\\begin\{(?:itemize|enumerate|description)\}|\\end\{(?:itemize|enumerate|description)\})", text):
    if tok.startswith("\\begin{"):
        if depth == 0:
            k += 1
            tok = f"\\label{{list-{k}-b}}" + tok
        depth += 1
    elif tok.startswith("\\end{"):
        depth -= 1
        if depth == 0:
            tok = tok + f"\\label{{list-{k}-e}}"
    out.append(tok)
text = "".join(out)


def mark_lines(m):
    """Labels on the first and the last two lines of chunk N's code."""
    n, head, body = m.group(1), m.group(2), m.group(3)
    lines = body.split("\n")
    marks = {0: "first", len(lines) - 1: "last"}
    if len(lines) > 1:
        marks[len(lines) - 2] = "prev"
    for i, what in sorted(marks.items()):
        lines[i] += f"\\cl{{{n}}}{{{what}}}"
    return f"\\label{{chunk-{n}}}" + head + "\n".join(lines) + "\n\\end{Highlighting}"


text = re.sub(r"\\label\{chunk-(\d+)\}((?:(?!\\label\{chunk-\d+\}).)*?\\begin\{Highlighting\}\[\]\n)(.*?)\n\\end\{Highlighting\}",
              mark_lines, text, flags=re.S)
open(path, "w", encoding="utf-8").write(text)
