# book.mk: the book (included by the Makefile).  One source, two editions:
# tools/book/nw2md.py weaves all chapters in one run into pandoc Markdown;
# pandoc renders build/book.pdf (through pdflatex) and build/html/index.html
# (with the runnable panels of web/).  See book/ for the front matter.
##@ The book
.PHONY: book book-pdf book-html book-test figures
BOOK_CHAPTERS := $(sort $(wildcard chapters/[0-9][0-9]-*.nw))
BOOK_FRONT    := book/metadata.yaml book/preface.md book/design.md
BOOK_BACK     := build/book/appendix.md build/book/indexes.md
PANDOC_COMMON := --highlight-style=tango -f markdown+fenced_divs+bracketed_spans --lua-filter book/book.lua

# Numbers from the build: {{fact:KEY}} in the prose (tools/book/facts.py, HACKING.md).
BOOK_FACTS := build/book/facts.json
$(BOOK_FACTS): $(STAGES:%=build/chapter-%/kernel.elf) $(wildcard book/measured/*.json) tools/book/facts.py tools/expected-output.py
	@mkdir -p $(@D)
	@$(PYTHON) tools/book/facts.py $@

# The appendix shows a real gdb session and exception report ({{fact:...}}).
build/book/appendix.md: book/appendix.md $(BOOK_FACTS) tools/book/refs.py
	@$(PYTHON) tools/book/refs.py book/appendix.md > $@

# (The body and the indexes are written by two runs side by side.)
NW2MD_INPUTS := $(BOOK_CHAPTERS) $(wildcard tangled/*/*) tools/book/nw2md.py tools/book/refs.py tools/nwfilter.py \
  book/design.md $(BOOK_FACTS) $(wildcard exercises/*/exercise.conf exercises/*/README.md)
build/book/body.md build/book/indexes.md: build/book/%.md: $(NW2MD_INPUTS)
	@mkdir -p build/book
	@$(PYTHON) tools/book/nw2md.py $* $(BOOK_CHAPTERS) > $@.tmp && mv $@.tmp $@

book: deps-book   ## the PDF (build/book.pdf) and HTML (build/html/) editions, with the build time
	@start=$$(date +%s.%N); \
	  $(MAKE) --no-print-directory -j$$(nproc) book-pdf book-html && \
	  echo "book: both editions in $$(awk -v a=$$start -v b=$$(date +%s.%N) 'BEGIN { printf "%.1f", b - a }') s"

# Figures: figures/NAME.fig (and one drawn from a running kernel) -> SVG for
# the HTML edition, PDF for the PDF edition.
# The memory-layout figures and the others with addresses or sizes are drawn
# from the build (tools/book/layoutfig.py), never written by hand.
GEN_FIGURES := phys-1 phys-2 phys-3 virt-3 split-coalesce frame-stack heap-grow qemu-mmap-32m
FIGURES := $(patsubst figures/%.fig,%,$(wildcard figures/*.fig)) heap-live $(GEN_FIGURES)
build/figures/.layout-stamp: $(BOOK_FACTS) tools/book/layoutfig.py
	@mkdir -p $(@D)
	@$(PYTHON) tools/book/layoutfig.py $(BOOK_FACTS) build/figures && touch $@
$(GEN_FIGURES:%=build/figures/%.fig): build/figures/.layout-stamp ;
figures: $(FIGURES:%=build/html/figures/%.svg) $(FIGURES:%=build/book/figures/%.pdf)   ## the diagrams, from their text sources
build/figures/heap-live.fig: build/chapter-1/kernel.elf tools/book/heapfig.py
	@mkdir -p $(@D)
	@$(PYTHON) tools/book/heapfig.py $@
build/html/figures/%.svg: figures/%.fig tools/book/figure.py
	@mkdir -p $(@D)
	@$(PYTHON) tools/book/figure.py $< $@
build/html/figures/%.svg: build/figures/%.fig tools/book/figure.py
	@mkdir -p $(@D)
	@$(PYTHON) tools/book/figure.py $< $@
build/book/figures/%.pdf: build/html/figures/%.svg
	@mkdir -p $(@D)
	@rsvg-convert -f pdf -o $@ $<

book-pdf: build/book.pdf   ## the PDF edition only
# (pandoc writes the LaTeX while the figures are still being drawn: only pdflatex needs them.)
build/book/book.tex: build/book/body.md build/book/indexes.md $(BOOK_FRONT) build/book/appendix.md book/header.tex book/book.lua tools/book/texpost.py
	@BOOK_TOC=build/book/book.toc pandoc $(PANDOC_COMMON) --number-sections --toc $(BOOK_FRONT) build/book/body.md $(BOOK_BACK) -H book/header.tex \
	  --default-image-extension=pdf --pdf-engine=pdflatex -V fontenc=T1 -o build/book/book.tex -s
	@$(PYTHON) tools/book/texpost.py build/book/book.tex
build/book.pdf: build/book/book.tex figures
	@cd build/book && for pass in 1 2 3; do \
	  pdflatex -interaction=nonstopmode -halt-on-error book.tex > pdflatex.log 2>&1 || \
	    { tail -n 30 pdflatex.log; exit 1; }; \
	  [ $$pass -ge 2 ] && ! grep -q 'Rerun to get' pdflatex.log && break; done; true
	@cp build/book/book.pdf $@
	@echo "book: $@ ($$(pdfinfo $@ 2>/dev/null | awk '/^Pages/ { print $$2 }') pages)"

# The HTML edition: pandoc writes one page (build/book/book.html), which
# tools/book/htmlpost.py splits into one page per chapter (the preface,
# the appendices and the indexes too) with a table of contents, previous
# and next links and links across pages, and the documents of the search
# (minisearch, from npm; its index is built here, so the search works
# offline, from file:// too).  Formulas are MathML (browsers render it
# without a script).
BOOK_JS := node_modules/minisearch/dist/umd/index.js
book-html: build/html/index.html   ## the HTML edition only (its emulator panels need `make runnable`)
build/html/index.html: build/book/body.md build/book/indexes.md $(BOOK_FRONT) build/book/appendix.md book/book.css book/book.js book/book.lua tools/book/htmlpost.py tools/book/search-index.mjs figures node_modules/v86/package.json
	@mkdir -p build/html
	@cp book/book.css book/book.js build/html/
	@cp $(BOOK_JS) build/html/minisearch.js
	@pandoc $(PANDOC_COMMON) -s --mathml --wrap=none --css book.css --section-divs --default-image-extension=svg \
	  $(BOOK_FRONT) build/book/body.md $(BOOK_BACK) -o build/book/book.html
	@$(PYTHON) tools/book/htmlpost.py build/book/book.html build/html
	@node tools/book/search-index.mjs build/book/search-docs.json build/html/search-index.js
	@echo "book: build/html/ ($$(ls build/html/*.html | wc -l) pages)"

book-test: book runnable   ## check both editions (numbering, running heads, page breaks, links, search, axe at 360/1280 px) and notangle
	@rc=0; \
	  $(PYTHON) tools/book/check-book.py || rc=1; \
	  $(PYTHON) tools/book/check-numbers.py || rc=1; \
	  $(PYTHON) tools/serve-and-run.py build/html -- node tests/browser/book.mjs || rc=1; \
	  RUNNABLE_PAGE=chapter-1.html $(PYTHON) tools/serve-and-run.py build/html -- node tests/browser/runnable.mjs || rc=1; \
	  exit $$rc