#!/usr/bin/env python3
"""check-book.py: the book's own quality checks, one PASS/FAIL line each.

* pdflatex's log: no errors, no undefined references, no overfull lines
  (hbox) in code or text;
* the PDF's text: no "??" (a broken reference);
* the HTML: every internal link (#id) has a target, and every chunk
  reference inside code links to a chunk;
* the HTML has a boot panel for every stage.
"""
import glob
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


log = open("build/book/pdflatex.log", errors="replace").read()
check("latex-no-errors", "! " not in log and "Fatal error" not in log)
undefined = re.findall(r"(?:Reference|Citation) `[^']*' .*undefined", log)
check("latex-no-undefined-references", not undefined, "; ".join(undefined[:3]))
overfull = re.findall(r"Overfull \\hbox.*", log)
check("latex-no-overfull-lines", not overfull, "; ".join(overfull[:3]))
text = subprocess.run(["pdftotext", "build/book.pdf", "-"], capture_output=True, text=True).stdout
check("pdf-no-broken-references", "??" not in text)
pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", "build/book.pdf"],
            capture_output=True, text=True).stdout).group(1))
check("pdf-has-pages", pages > 50, f"{pages} pages")

html = open("build/html/index.html", encoding="utf-8").read()
ids = set(re.findall(r'\bid="([^"]+)"', html))
hrefs = re.findall(r'href="#([^"]+)"', html)
missing = sorted({h for h in hrefs if h not in ids})
check("html-internal-links-resolve", hrefs and not missing, f"{len(hrefs)} links; missing: {missing[:5]}")
refs = re.findall(r'class="chunkref" href="#chunk-(\d+)"', html)
check("html-chunk-references-in-code-are-links", len(refs) > 100, f"{len(refs)} linked")
stages = sorted(int(os.path.basename(f)[:2]) for f in glob.glob("chapters/0[1-9]-*.nw"))
panels = [int(s) for s in re.findall(r'class="sarrus-boot" data-stage="(\d+)"', html)]
check("html-has-a-boot-panel-per-stage", panels == stages, f"panels {panels}, stages {stages}")
sys.exit(1 if failed else 0)
