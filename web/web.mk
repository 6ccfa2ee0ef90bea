# web.mk: the runnable book (included by the Makefile).  `make runnable` puts
# into build/html/runnable/ everything the "boot stage N" panels need, from
# installed packages only (npm's package-lock.json, Debian's seabios): the
# v86 emulator, xterm.js, SeaBIOS, each stage's kernel and the panel script.
# Pages load nothing of it until the reader presses "boot".
##@ The runnable book
RUNNABLE := build/html/runnable
.PHONY: runnable serve runnable-test

runnable: deps-v86 node_modules/v86/package.json $(foreach n,$(STAGES),build/chapter-$(n)/kernel.elf)   ## the in-browser emulator panels (build/html/runnable/)
	@mkdir -p $(RUNNABLE)
	@cp node_modules/v86/build/libv86.mjs node_modules/v86/build/v86.wasm \
	    node_modules/@xterm/xterm/lib/xterm.mjs node_modules/@xterm/xterm/css/xterm.css \
	    web/sarrus-panel.js web/sarrus-panel.css $(RUNNABLE)/
	@cp /usr/share/seabios/bios.bin $(RUNNABLE)/bios.bin
	@cp /usr/share/seabios/vgabios-stdvga.bin $(RUNNABLE)/vgabios.bin
	@for n in $(STAGES); do cp build/chapter-$$n/kernel.elf $(RUNNABLE)/chapter-$$n.elf; done
	@panels=$$(for n in $(STAGES); do \
	    printf '<h2>Stage %s</h2><div class="sarrus-boot" data-stage="%s"></div><p>' $$n $$n; \
	    for c in help info; do printf '<button class="sarrus-command" data-stage="%s" data-command="%s">%s</button>' $$n $$c $$c; done; \
	    printf '</p>'; done); \
	  sed "s|<!-- STAGES -->|$$panels|" web/demo.html > $(RUNNABLE)/index.html
	@echo "runnable: $(RUNNABLE) ($$(du -sh $(RUNNABLE) | cut -f1), fetched only when a reader presses boot)"

serve: runnable   ## serve build/html on http://127.0.0.1:8000/ (browsers fetch the emulator's wasm over http)
	@echo "Serving build/html at http://127.0.0.1:$(or $(PORT),8000)/ (Ctrl-C stops)"
	@$(PYTHON) -m http.server --bind 127.0.0.1 --directory build/html $(or $(PORT),8000)

runnable-test: runnable   ## boot a stage in headless Chromium through its panel, press a command button
	@$(PYTHON) tools/serve-and-run.py build/html -- node tests/browser/runnable.mjs
