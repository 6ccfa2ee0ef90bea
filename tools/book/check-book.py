#!/usr/bin/env python3
"""check-book.py: the book's own quality checks, one PASS/FAIL line each.

The PDF (from pdflatex's log, book.aux, book.toc and the PDF's text):
* no LaTeX errors, undefined references, overfull lines (hbox) or code
  running past the bottom margin (overfull vbox); no "??" in the text;
* one numbering: an unnumbered preface, chapters 0..N, appendices A, B, ...;
* running heads: every page's head names the chapter the page belongs to;
* a caret is a caret: no raised circumflex (U+02C6) in the text, and a
  known line of code with ^ copies out of the PDF as written;
* page breaks: every chunk header shares its page with the chunk's first
  code line, the last code line shares its page with the line before it
  (no lone widowed line) and with the "Used in" line below (labels that
  tools/book/texpost.py and nw2md.py put there);
* every chunk reference in prose gives its page;
* the index of identifiers lists C, NASM and linker-script names with
  their uses, no locals or include guards, and keeps two unrelated static
  functions of the same name apart; the chunk index marks replaced chunks.
The HTML (build/html/, one page per chapter):
* one page per chapter, the preface, each appendix and each index, each
  with previous/next links and a link to the table of contents;
* the same numbering as the PDF;
* every link between pages (page.html#id) and inside a page resolves;
  every chunk reference and every indexed identifier inside code is a
  link (to the chunk that defines it);
* each chapter N >= 1 has its own stage's boot panel;
* every figure has an alt text and its content as text (a list);
* the search index exists, finds a known identifier (node + minisearch),
  and its results point at pages that exist.
And `notangle -filter tools/nwfilter.py` reproduces every file of tangled/.
"""
import glob
import json
import os
import re
import subprocess
import sys

results = os.environ.get("RESULTS")
failed = 0


def check(name, ok, detail=""):
    global failed
    print(f"{'ok  ' if ok else 'FAIL'} book/{name}{': ' + detail if detail else ''}")
    if results:
        with open(results, "a") as f:
            f.write(f"{'PASS' if ok else 'FAIL'} book/{name}\n")
    failed += not ok


def roman(s):
    vals = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100}
    total = 0
    for a, b in zip(s, s[1:] + " "):
        v = vals[a]
        total += -v if vals.get(b, 0) > v else v
    return total


# ---------------------------------------------------------------- the PDF
log = open("build/book/pdflatex.log", errors="replace").read()
check("latex-no-errors", "! " not in log and "Fatal error" not in log)
undefined = re.findall(r"(?:Reference|Citation) `[^']*' .*undefined", log)
check("latex-no-undefined-references", not undefined, "; ".join(undefined[:3]))
overfull = re.findall(r"Overfull \\hbox.*", log)
check("latex-no-overfull-lines", not overfull, "; ".join(overfull[:3]))
overfull_v = re.findall(r"Overfull \\vbox.*", log)
check("latex-no-code-past-the-bottom-margin", not overfull_v, "; ".join(overfull_v[:3]))

text = subprocess.run(["pdftotext", "-layout", "build/book.pdf", "-"], capture_output=True, text=True).stdout
pages = text.split("\f")
check("pdf-no-broken-references", "??" not in text)
check("pdf-has-pages", len(pages) > 50, f"{len(pages)} pages")

# Numbering, from the table of contents LaTeX wrote.
toc = open("build/book/book.toc", errors="replace").read()
chapters = re.findall(r"\\contentsline \{chapter\}\{(?:\\numberline \{([^}]*)\})?(.*?)\}\{([^}]*)\}", toc)
numbers = [n for n, _, _ in chapters]
titles = [t for _, t, _ in chapters]
numbered = [n for n in numbers if n]
digits = [n for n in numbered if n.isdigit()]
letters = [n for n in numbered if not n.isdigit()]
ok = (numbers and numbers[0] == "" and titles[0].startswith("Preface")
      and digits == [str(i) for i in range(len(digits))]
      and letters == [chr(ord("A") + i) for i in range(len(letters))]
      and numbered == digits + letters)
check("pdf-numbering", ok, " ".join(f"{n or '-'}:{t[:12]}" for n, t, _ in chapters))
sections = re.findall(r"\\contentsline \{section\}\{\\numberline \{([^}]*)\}", toc)
check("pdf-section-numbers-follow-chapters", all(s.split(".")[0] in numbered for s in sections)
      and not any(s.startswith(("-", "0.0")) for s in sections), f"{len(sections)} sections")

# Running heads: "CHAPTER 1. THE KERNEL HEAP   47", "PREFACE   vii", ...
starts = []                                     # (roman?, page, head text expected)
for n, t, p in chapters:
    title = re.sub(r"\\[a-zA-Z]+ ?|[{}]", "", t).strip()
    head = (f"CHAPTER {n}. " if n.isdigit() else f"APPENDIX {n}. " if n else "") + title.upper()
    starts.append((not p.isdigit(), roman(p) if not p.isdigit() else int(p), head))
starts.append((True, 1, "CONTENTS"))
wrong, seen = [], 0
for i, page in enumerate(pages, 1):
    lines = [l.strip() for l in page.split("\n") if l.strip()]
    if not lines:
        continue
    m = re.match(r"(.*?)\s{2,}([ivxlc]+|\d+)$", lines[0])
    if not m:
        continue
    head, num = m.group(1), m.group(2)
    is_roman = not num.isdigit()
    n = roman(num) if is_roman else int(num)
    cands = [s for s in starts if s[0] == is_roman and s[1] <= n]
    if not cands:
        continue
    expected = max(cands, key=lambda s: s[1])[2]
    seen += 1
    # Long titles are cut or hyphenated by the head's width: compare a prefix.
    if not re.sub(r"\W", "", expected).startswith(re.sub(r"\W", "", head)[:20]):
        wrong.append(f"p. {num}: '{head}' (expected '{expected}')")
check("pdf-running-heads", seen > 50 and not wrong, f"{seen} heads; " + "; ".join(wrong[:3]))

# Carets.
check("pdf-no-raised-circumflex", "\u02c6" not in text, f"{text.count(chr(0x2c6))} found")
tex = open("build/book/book.tex", encoding="utf-8").read()
check("pdf-carets-copy-as-carets", "\\^{}" not in tex and re.search(r"h \^ 0x", text) is not None)

# Page breaks, from the labels' pages in book.aux.
aux = open("build/book/book.aux", errors="replace").read()
page_of = {m.group(1): m.group(2) for m in re.finditer(r"\\newlabel\{([^}]*)\}\{\{[^}]*\}\{([^}]*)\}", aux)}
nums = sorted({int(m) for m in re.findall(r"^cl-(\d+)-first$", "\n".join(page_of), re.M)})
stranded = [n for n in nums if page_of.get(f"chunk-{n}") != page_of.get(f"cl-{n}-first")]
check("pdf-chunk-headers-stay-with-their-code", nums and not stranded,
      f"{len(nums)} chunks; stranded: " + " ".join(f"§{n} (p. {page_of.get(f'chunk-{n}')})" for n in stranded[:5]))
widowed = [n for n in nums if f"cl-{n}-prev" in page_of and page_of[f"cl-{n}-prev"] != page_of[f"cl-{n}-last"]]
check("pdf-no-widowed-code-lines", not widowed,
      " ".join(f"§{n} (p. {page_of[f'cl-{n}-last']})" for n in widowed[:5]))
orphaned = [n for n in nums if f"chunk-{n}-note" in page_of and page_of[f"chunk-{n}-note"] != page_of[f"cl-{n}-last"]]
check("pdf-no-orphaned-used-in-lines", not orphaned,
      " ".join(f"§{n} (p. {page_of[f'chunk-{n}-note']})" for n in orphaned[:5]))
# No page left mostly blank inside a chapter (a figure too big for the rest
# of a page leaves a gap): the text of every page but a chapter's last
# reaches at least half way down the text area.
bbox = subprocess.run(["pdftotext", "-bbox-layout", "build/book.pdf", "-"], capture_output=True, text=True).stdout
fills = []
for pg in re.findall(r'<page width="[\d.]+" height="([\d.]+)">(.*?)</page>', bbox, re.S):
    height = float(pg[0])
    ys = [(float(a), float(b)) for a, b in re.findall(r'<block xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)"', pg[1])]
    body = [b for a, b in ys if a < 0.9 * height]           # not the page number at the foot
    fills.append((max(body) / height) if body else 0)
half_blank = []
for i, fill in enumerate(fills[:-1]):
    nxt = [l.strip() for l in pages[i + 1].split("\n") if l.strip()][:1] if i + 1 < len(pages) else []
    starts_chapter = nxt and (re.match(r"(Chapter|Appendix) ", nxt[0]) or not re.search(r"\s{2,}\S+$", nxt[0]))
    if fill < 0.5 and not starts_chapter and i > 1:
        half_blank.append(f"p. {i + 1} ({fill:.0%})")
check("pdf-no-half-blank-pages", not half_blank, " ".join(half_blank[:6]) or f"{len(fills)} pages")
# Figures float forward over prose only (a \FloatBarrier before every chunk
# and list): none may land on a page inside a chunk or a list that its
# source precedes, i.e. after the page the chunk or list starts on and no
# later than the page it ends on.
order = [(m.start(), m.group(1)) for m in re.finditer(r"\\label\{(fig:[^}]+|chunk-\d+|list-\d+-b)\}", tex)]
spans = []
for pos, name in order:
    if name.startswith("chunk-"):
        n = name[6:]
        spans.append((pos, name, page_of.get(name), page_of.get(f"cl-{n}-last")))
    elif name.startswith("list-"):
        k = name[5:-2]
        spans.append((pos, name, page_of.get(name), page_of.get(f"list-{k}-e")))
figs_at = [(pos, name, page_of.get(name)) for pos, name in order if name.startswith("fig:")]


def num(p):
    return int(p) if p and p.isdigit() else roman(p) if p else None


inside = []
for fpos, fig, fpage in figs_at:
    for spos, span, first, last in spans:
        if spos > fpos and num(first) is not None and num(last) is not None and num(first) < num(fpage) <= num(last):
            inside.append(f"{fig} (p. {fpage}) inside {span} (pp. {first}-{last})")
            break
barriers = tex.count("\\FloatBarrier\n\\leavevmode\\vadjust pre{\\hypertarget{chunk-")
check("pdf-figures-not-inside-chunks-or-lists", figs_at and all(p for _, _, p in figs_at) and not inside
      and barriers >= len(nums) - 1, f"{len(figs_at)} figures, {len(spans)} chunks and lists; " + "; ".join(inside[:3]))
prose_refs = len(re.findall(r"\\hyperlink\{chunk-\d+\}\{§\d+\}", tex))
paged = len(re.findall(r"\\hyperlink\{chunk-(\d+)\}\{§\1\}\\pg\{chunk-\1\}", tex))
check("pdf-chunk-references-give-the-page", prose_refs > 100 and paged == prose_refs,
      f"{paged} of {prose_refs} references in prose; {tex.count(chr(92) + 'pgc{')} in code")

# The identifier index: C, NASM and the linker script, definitions and uses.
md = open("build/book/indexes.md", encoding="utf-8").read()
entries = dict(re.findall(r"^- \[(`[^`]+`(?: \([^)]*\))?)\]\{#[^}]*\}: (.*)$", md, re.M))
want = {"`kmalloc`": "C function", "`_start`": "NASM label", "`_kernel_end`": "linker symbol",
        "`split` (kheap.c)": "static function", "`split` (monitor.c)": "its namesake in another file"}
absent = [w for w in want if w not in entries]
unwanted = [w for w in ("`hi`", "`lo`", "`pa`", "`va`", "`KHEAP_H`", "`split`") if w in entries]
no_uses = [w for w in ("`kmalloc`", "`_kernel_end`") if "used in" not in entries.get(w, "")]
check("index-of-identifiers-is-a-programmers-index", not absent and not unwanted and not no_uses,
      f"{len(entries)} identifiers; missing {absent}; should not be there {unwanted}; without uses {no_uses}")
replaced = re.findall(r"^- ⟨[^⟩]*⟩: .*replaced in .*$", md, re.M)
check("index-of-chunks-marks-replaced-chunks", len(replaced) >= 5, f"{len(replaced)} chunks marked replaced")

# ---------------------------------------------------------------- the HTML
html_dir = "build/html"
files = sorted(glob.glob(f"{html_dir}/*.html"))
docs = {os.path.basename(f): open(f, encoding="utf-8").read() for f in files}
ids = {name: set(re.findall(r'\bid="([^"]+)"', t)) for name, t in docs.items()}
order = re.findall(r'<a class="toc-page" href="([^"#]+)"', docs.get("index.html", ""))
check("html-one-page-per-chapter", len(order) >= 6 and all(p in docs for p in order),
      f"{len(order)} pages: {' '.join(order)}")
missing = []
nav_bad = []
for name, t in docs.items():
    for href in re.findall(r'href="([^"]*)"', t):
        if re.match(r"[a-z]+:|data:", href) or href.startswith("runnable/"):
            continue
        page, _, frag = href.partition("#")
        page = page or name
        if not page.endswith(".html") and not os.path.exists(os.path.join(html_dir, page)):
            missing.append(f"{name} -> {href}")     # a file of the project (figure, exercise statement)
        elif page.endswith(".html") and page not in docs:
            missing.append(f"{name} -> {href}")
        elif frag and page in ids and frag not in ids[page]:
            missing.append(f"{name} -> {href}")
for i, name in enumerate(order):
    t = docs[name]
    prev_ok = i == 0 or f'rel="prev" href="{order[i - 1]}"' in t
    next_ok = i == len(order) - 1 or f'rel="next" href="{order[i + 1]}"' in t
    if not (prev_ok and next_ok and 'href="index.html"' in t):
        nav_bad.append(name)
links = sum(len(re.findall(r'href="', t)) for t in docs.values())
check("html-links-resolve-across-pages", links > 1000 and not missing, f"{links} links; missing: {missing[:5]}")
check("html-previous-next-and-contents-links", order and not nav_bad, " ".join(nav_bad[:5]))
refs = sum(len(re.findall(r'class="chunkref" href="[^"]*#chunk-(\d+)"', t)) for t in docs.values())
check("html-chunk-references-in-code-are-links", refs > 100, f"{refs} linked")
idents = sum(len(re.findall(r'<a class="ident" href="[^"]*#chunk-\d+"', t)) for t in docs.values())
check("html-identifiers-in-code-link-to-their-definitions", idents > 1000, f"{idents} linked")
cross = sum(len(re.findall(r'href="(?!#)[^"]+\.html#(?:chunk|id)-', t)) for t in docs.values())
check("html-chunk-and-identifier-links-cross-pages", cross > 100, f"{cross} links to another page")

# Numbering, as the headings show it.
h1 = {}
for name in order:
    m = re.search(r'<h1[^>]*>(?:<span\s+class="header-section-number">([^<]*)</span>)?\s*(.*?)</h1>', docs[name], re.S)
    h1[name] = m.group(1) if m else None
nums = [h1[n] for n in order]
digits = [n for n in nums if n and n.isdigit()]
letters = [n for n in nums if n and not n.isdigit()]
ok = (nums and nums[0] is None and digits == [str(i) for i in range(len(digits))]
      and letters == [chr(ord("A") + i) for i in range(len(letters))])
check("html-numbering", ok, " ".join(f"{n}:{h1[n] or '-'}" for n in order))
sec_nums = re.findall(r'<h[2-4][^>]*><span\s+class="header-section-number">([^<]*)</span>', "".join(docs.values()))
check("html-section-numbers-follow-chapters", sec_nums and not any(s.startswith("-") for s in sec_nums)
      and all(s.split(".")[0] in digits + letters for s in sec_nums), f"{len(sec_nums)} numbered sections")

figs = re.findall(r"<figure>(.*?)</figure>(\s*<details class=\"figure-text\">)?", "".join(docs.values()), re.S)
no_alt = [f for f, _ in figs if not re.search(r'<img [^>]*alt="[^"]{10,}"', f)]
no_text = [f for f, d in figs if not d and "<details" not in f]
check("html-figures-have-text-alternatives", figs and not no_alt and not no_text,
      f"{len(figs)} figures; {len(no_alt)} without alt, {len(no_text)} without their content as text")

stages = sorted(int(os.path.basename(f)[:2]) for f in glob.glob("chapters/0[1-9]-*.nw"))
bad = []
for s in stages:
    t = docs.get(f"chapter-{s}.html", "")
    panels = [int(x) for x in re.findall(r'class="sarrus-boot" data-stage="(\d+)"', t)]
    if panels != [s]:
        bad.append(f"chapter-{s}.html: {panels}")
check("html-each-chapter-has-its-own-boot-panel", not bad, "; ".join(bad) or f"stages {stages}")

# Search: the prebuilt index answers a query for a known identifier.
probe = """
const fs = require('fs'); const vm = require('vm');
const ctx = {}; vm.createContext(ctx);
vm.runInContext(fs.readFileSync(process.argv[1], 'utf8'), ctx);
vm.runInContext(fs.readFileSync(process.argv[2], 'utf8'), ctx);
const idx = vm.runInContext('MiniSearch.loadJSON(SARRUS_SEARCH.index, SARRUS_SEARCH.options)', ctx);
console.log(JSON.stringify(idx.search(process.argv[3], {prefix: true}).slice(0, 5).map(r => r.id)));
"""
try:
    r = subprocess.run(["node", "-e", probe, f"{html_dir}/minisearch.js", f"{html_dir}/search-index.js", "kmalloc"],
                       capture_output=True, text=True, timeout=60)
    hits = json.loads(r.stdout or "[]")
except Exception as e:                          # noqa: BLE001
    hits, r = [], e
bad = [h for h in hits if h.split("#")[0] not in docs or h.split("#")[1] not in ids[h.split("#")[0]]]
check("html-search-finds-a-known-identifier", hits and not bad,
      f"kmalloc -> {hits[:3]}" if hits else str(getattr(r, "stderr", r))[:200])
# The card's command: notangle with the book's filter gives tangled/ byte for byte.
stage_list = ",".join(str(s) for s in stages)
r = subprocess.run([sys.executable, "tools/tangle.py", "--check", "--notangle", "--stages", stage_list],
                   capture_output=True, text=True)
check("notangle-reproduces-tangled", r.returncode == 0,
      (r.stderr.strip().splitlines() or [f"notangle -filter tools/nwfilter.py, stages {stage_list}"])[0])
sys.exit(1 if failed else 0)
