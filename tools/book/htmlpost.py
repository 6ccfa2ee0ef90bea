#!/usr/bin/env python3
"""htmlpost.py BOOK.html OUTDIR: the HTML edition, one page per chapter.

pandoc writes the whole book as one page (--section-divs: each chapter is a
<section class="level1"> whose data-page attribute, set by book/book.lua,
names its page: preface, chapter-N, appendix-x, index-of-chunks, ...).
This pass

* links the chunk references inside code: a chunk use reads "⟨name⟩ §N";
  after pandoc's syntax highlighting the "§N" may be split across <span>s,
  so "§" followed (possibly across span boundaries) by digits inside <pre>
  blocks gets the number wrapped in a link to the chunk;
* links every identifier in code to the chunk that defines it;
* gives every figure its content as text (a list under the drawing, from
  the figure's source), the text alternative of the drawing;
* makes code blocks and tables (which scroll sideways on a phone)
  focusable from the keyboard;
* writes OUTDIR/index.html (the title and the table of contents) and one
  page per chapter, each with a banner (the book's title, the search
  field), previous / contents / next links above and below the text, and
  every link to an id on another page rewritten to PAGE.html#id;
* loads the boot panels' script only on pages that have a panel;
* writes search-docs.json next to BOOK.html: the documents of the search (each
  section, each chunk, each identifier of the index), which
  tools/book/search-index.mjs turns into minisearch's prebuilt index.
"""
import html
import json
import os
import re
import sys

src, outdir = sys.argv[1], sys.argv[2]
text = open(src, encoding="utf-8").read()
REF = re.compile(r"§((?:</span>|<span[^>]*>)*)(\d+)")


def link_refs(pre):
    # Only the digits are linked: they lie inside one span, so the tags nest.
    return REF.sub(lambda m: f'§{m.group(1)}<a class="chunkref" href="#chunk-{m.group(2)}">{m.group(2)}</a>',
                   pre.group(0))


text = re.sub(r"<pre[^>]*>.*?</pre>", link_refs, text, flags=re.S)

# Identifiers in code link to the chunk that defines them (the first
# definition in the index of identifiers), as noweb's HTML back end does;
# a name that the index lists twice (two unrelated static functions) is
# not linked.  Comments, strings and existing links are left alone.
DEFINED = {}
for name, qualified, chunk in re.findall(r'<li><span id="id-[^"]+"><code>([^<]+)</code>( \([^)]*\))?</span>: defined in <a href="#(chunk-\d+)"', text):
    name = html.unescape(name)
    DEFINED[name] = None if qualified or name in DEFINED else chunk
WORD = re.compile(r"(?<![&#\w])([A-Za-z_]\w*)")


def link_idents(pre):
    out, stack = [], []
    for tok in re.split(r"(<[^>]+>)", pre.group(0)):
        if tok.startswith("</"):
            if stack:
                stack.pop()
            out.append(tok)
        elif tok.startswith("<"):
            if not tok.endswith("/>"):
                skip = tok.startswith("<a") or re.search(r'class="(co|st|ch|do|an|cv|in|al|er|wa)"', tok)
                stack.append(bool(skip))
            out.append(tok)
        elif any(stack):
            out.append(tok)
        else:
            out.append(WORD.sub(lambda m: f'<a class="ident" href="#{DEFINED[m.group(1)]}">{m.group(1)}</a>'
                                if DEFINED.get(m.group(1)) else m.group(1), tok))
    return "".join(out)


text = re.sub(r'<pre class="sourceCode[^"]*"[^>]*>.*?</pre>', link_idents, text, flags=re.S)
# Code and tables scroll sideways on narrow screens: a reader without a
# mouse must be able to focus them to scroll them (axe: scrollable-region-focusable).
text = re.sub(r"<(pre|table)\b(?![^>]*tabindex)", r'<\1 tabindex="0"', text)



def figure_as_text(name):
    """The content of figure NAME as an HTML list, from its text source
    (figures/NAME.fig, or build/figures/NAME.fig for those drawn from a
    build): the text alternative of the drawing."""
    for path in (f"figures/{name}.fig", f"build/figures/{name}.fig"):
        if os.path.exists(path):
            break
    else:
        # A plot (the allocator lab's) comes with its content as plain lines.
        path = f"build/figures/{name}.txt"
        if not os.path.exists(path):
            return ""
        return "<ul>" + "".join(f"<li>{html.escape(l.strip())}</li>" for l in open(path, encoding="utf-8") if l.strip()) + "</ul>"
    items, row = [], None
    for line in open(path, encoding="utf-8"):
        key, _, rest = line.partition(":")
        parts = [p.strip() for p in rest.split("|")]
        if key == "box":
            lo_hi = parts[0].split()
            span = f"{lo_hi[0]}–{lo_hi[1]}" if len(lo_hi) == 2 else parts[0]
            items.append(f"<li><code>{html.escape(span)}</code>: {html.escape(parts[1] if len(parts) > 1 else '')}</li>")
        elif key == "mark":
            items.append(f"<li>at <code>{html.escape(parts[0])}</code>: {html.escape(parts[1] if len(parts) > 1 else '')}</li>")
        elif key == "row":
            row = [html.escape(rest.strip()), []]
            items.append(row)
        elif key == "field" and row is not None and len(parts) > 1:
            bits = f" (bits {html.escape(parts[3])})" if len(parts) > 3 and parts[3] else ""
            row[1].append(html.escape(parts[1]) + bits)
        elif key == "note":
            items.append(f"<li>{html.escape(rest.strip())}</li>")
    out = []
    for it in items:
        out.append(it if isinstance(it, str) else f"<li>{it[0]}: {'; '.join(it[1])}</li>")
    return "<ul>" + "".join(out) + "</ul>" if out else ""


def describe(m):
    name = m.group(2)
    text = figure_as_text(name)
    if not text:
        return m.group(0)
    return (m.group(0) + f'\n<details class="figure-text"><summary>The figure as text</summary>{text}</details>')


text = re.sub(r'<img src="figures/(([\w-]+))\.svg"[^>]*>\s*<figcaption[^>]*>.*?</figcaption>', describe, text, flags=re.S)
head = re.search(r"<head>(.*?)</head>", text, re.S).group(1)
head = re.sub(r"<title>.*?</title>\s*", "", head, flags=re.S)
body = re.search(r"<body>(.*)</body>", text, re.S).group(1)
title_block = re.search(r'<header id="title-block-header">(.*?)</header>', body, re.S)
book_title = re.sub(r"<[^>]+>", "", re.search(r'<h1 class="title">(.*?)</h1>', body, re.S).group(1)).strip()


def top_sections(body):
    """The <section class="level1"> elements of the body, in order, whole."""
    out, depth, start = [], 0, None
    for m in re.finditer(r"<section\b[^>]*>|</section>", body):
        if m.group(0).startswith("<section"):
            if depth == 0:
                start = m.start()
            depth += 1
        else:
            depth -= 1
            if depth == 0:
                out.append(body[start:m.end()])
    return out


pages = []                                      # dicts: name, html, title, number
for sec in top_sections(body):
    name = re.search(r'data-page="([^"]+)"', sec).group(1)
    h1 = re.search(r"<h1[^>]*>(.*?)</h1>", sec, re.S).group(1)
    number = re.search(r'<span\s+class="header-section-number">([^<]*)</span>', h1)
    title = re.sub(r"<[^>]+>", "", re.sub(r'<span\s+class="header-section-number">[^<]*</span>', "", h1))
    title = " ".join(html.unescape(title).split())
    pages.append({"name": name + ".html", "html": sec, "title": title,
                  "number": number.group(1) if number else None})
page_of = {}
for p in pages:
    for i in re.findall(r'\bid="([^"]+)"', p["html"]):
        page_of[i] = p["name"]


def label(p):
    kind = "Appendix " if p["number"] and not p["number"].isdigit() else "Chapter " if p["number"] else ""
    return f"{kind}{p['number']}: {p['title']}" if p["number"] else p["title"]


def relink(fragment, here):
    def fix(m):
        target = m.group(1)
        where = page_of.get(target)
        if where is None or where == here:
            return m.group(0)
        return f'href="{where}#{target}"'
    return re.sub(r'href="#([^"]+)"', fix, fragment)


BANNER = """<a class="skip-link" href="#main">Skip to the text</a>
<header class="book-banner">
<a class="book-title" href="index.html">{title}</a>
<div class="book-search" role="search">
<label for="search-{where}">Search the book</label>
<input id="search-{where}" type="search" autocomplete="off" placeholder="an identifier, a chunk, a word"
  aria-controls="search-results-{where}">
<ol class="search-results" id="search-results-{where}" aria-live="polite"></ol>
</div>
</header>
"""


def nav(i, where):
    prev = pages[i - 1] if i > 0 else None
    nxt = pages[i + 1] if i + 1 < len(pages) else None
    parts = []
    if prev:
        parts.append(f'<a rel="prev" href="{prev["name"]}"><span aria-hidden="true">← </span>{html.escape(label(prev))}</a>')
    parts.append('<a href="index.html">Contents</a>')
    if nxt:
        parts.append(f'<a rel="next" href="{nxt["name"]}">{html.escape(label(nxt))}<span aria-hidden="true"> →</span></a>')
    return f'<nav class="page-nav" aria-label="Previous and next chapter ({where})">\n' + "\n".join(parts) + "\n</nav>\n"


def document(title, inner, extra_head=""):
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<title>{html.escape(title)}</title>\n{head}'
            f'<link rel="icon" href="data:,">\n<script src="book.js" defer></script>\n{extra_head}</head>\n'
            f"<body>\n{inner}</body>\n</html>\n")


os.makedirs(outdir, exist_ok=True)
for old in os.listdir(outdir):
    if old.endswith(".html"):
        os.remove(os.path.join(outdir, old))

# The table of contents (index.html): every page and its sections.
toc = ['<nav id="TOC" aria-labelledby="toc-title">\n<h2 id="toc-title">Contents</h2>\n<ol class="toc">']
for p in pages:
    num = f'<span class="toc-number">{p["number"]}</span> ' if p["number"] else ""
    toc.append(f'<li><a class="toc-page" href="{p["name"]}">{num}{html.escape(p["title"])}</a>')
    subs = re.findall(r'<section id="([^"]+)" class="level2[^"]*"[^>]*>\s*<h2[^>]*>(.*?)</h2>', p["html"], re.S)
    if subs:
        toc.append("<ol>")
        for sid, h in subs:
            toc.append(f'<li><a href="{p["name"]}#{sid}">{h.strip()}</a></li>')
        toc.append("</ol>")
    toc.append("</li>")
toc.append("</ol>\n</nav>\n")
first = pages[0]["name"]
index_inner = (BANNER.format(title=html.escape(book_title), where="top")
               + '<main id="main">\n<div class="title-block">' + (title_block.group(1) if title_block else "")
               + "</div>\n" + "\n".join(toc)
               + f'<p class="page-nav"><a rel="next" href="{first}">Start reading: {html.escape(label(pages[0]))} →</a></p>\n'
               + "</main>\n")
with open(os.path.join(outdir, "index.html"), "w", encoding="utf-8") as f:
    f.write(document(book_title, index_inner))

PANEL_HEAD = ('<link rel="stylesheet" href="runnable/sarrus-panel.css">\n'
              '<script type="module" src="runnable/sarrus-panel.js"></script>\n')
for i, p in enumerate(pages):
    extra = PANEL_HEAD if re.search(r'class="sarrus-(boot|command)', p["html"]) else ""
    links = ""
    if i > 0:
        links += f'<link rel="prev" href="{pages[i - 1]["name"]}">\n'
    if i + 1 < len(pages):
        links += f'<link rel="next" href="{pages[i + 1]["name"]}">\n'
    body_html = relink(p["html"], p["name"])
    subs = re.findall(r'<section id="([^"]+)" class="level2[^"]*"[^>]*>\s*<h2[^>]*>(.*?)</h2>', p["html"], re.S)
    if len(subs) > 2:                           # the chapter's own contents, under its title
        local = ('<nav class="page-toc" aria-label="Sections of this chapter"><ol>'
                 + "".join(f'<li><a href="#{sid}">{h.strip()}</a></li>' for sid, h in subs) + "</ol></nav>\n")
        body_html = re.sub(r"(</h1>\n)", lambda m: m.group(1) + local, body_html, count=1)
    inner = (BANNER.format(title=html.escape(book_title), where="top") + nav(i, "top")
             + '<main id="main">\n' + body_html + "\n</main>\n" + nav(i, "bottom"))
    with open(os.path.join(outdir, p["name"]), "w", encoding="utf-8") as f:
        f.write(document(f"{label(p)} — {book_title}", inner, links + extra))


# The search's documents.
def plain(fragment):
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())
    return re.sub(r"\s+([),.;:])", r"\1", text)


docs = []
for p in pages:
    for m in re.finditer(r'<section id="([^"]+)" class="level([1-4])[^"]*"[^>]*>\s*<h\2[^>]*>(.*?)</h\2>(.*?)(?=<section|</section>)',
                         p["html"], re.S):
        body_text = re.sub(r'<div class="chunk".*?</div>\s*(?=<|$)', " ", m.group(4), flags=re.S)
        docs.append({"id": f'{p["name"]}#{m.group(1)}', "title": plain(m.group(3)), "kind": "section",
                     "page": label(p), "text": plain(body_text)[:4000]})
    for m in re.finditer(r'<div id="(chunk-\d+)" class="chunk">\s*<p>(.*?)</p>(.*?)</div>', p["html"], re.S):
        docs.append({"id": f'{p["name"]}#{m.group(1)}', "title": plain(m.group(2)), "kind": "chunk",
                     "page": label(p), "text": plain(m.group(3))[:4000]})
    for m in re.finditer(r'<span id="(id-[^"]+)"[^>]*>(.*?)</span>(.*?)</li>', p["html"], re.S):
        docs.append({"id": f'{p["name"]}#{m.group(1)}', "title": plain(m.group(2)), "kind": "identifier",
                     "page": label(p), "text": plain(m.group(3))})
with open(os.path.join(os.path.dirname(src), "search-docs.json"), "w", encoding="utf-8") as f:
    json.dump(docs, f)
