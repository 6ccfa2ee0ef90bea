// sarrus-panel.js: "boot stage N" panels for the HTML edition.
//
// A page marks a panel with
//     <div class="sarrus-boot" data-stage="2"></div>
// and buttons that type a monitor command into it with
//     <button class="sarrus-command" data-stage="2" data-command="frames">frames</button>
// Nothing heavy is loaded until the reader presses "boot": then the v86
// emulator (WebAssembly), the terminal (xterm.js), SeaBIOS and the stage's
// kernel.elf are fetched from this directory, and the kernel is started
// with the multiboot loader built into v86.  The serial port (COM1) is the
// terminal: what the kernel prints appears there, and what the reader types
// goes to the kernel's monitor.
const here = new URL(".", import.meta.url);
const panels = new Map();           // stage -> panel state

function el(tag, attrs = {}, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
        if (k === "class") e.className = v;
        else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
        else e.setAttribute(k, v);
    }
    e.append(...children);
    return e;
}

async function fetchBuffer(name) {
    const r = await fetch(new URL(name, here));
    if (!r.ok) throw new Error(`${name}: ${r.status} ${r.statusText}`);
    return { buffer: await r.arrayBuffer() };
}

function buildPanel(root) {
    const stage = root.dataset.stage;
    const mem = el("select", { "aria-label": "memory size" },
        ...[16, 32, 128, 512].map(m => el("option", m === 32 ? { value: m, selected: "" } : { value: m }, `${m} MiB`)));
    const cmdline = el("input", { type: "text", placeholder: "command line (e.g. test)", "aria-label": "kernel command line" });
    const boot = el("button", { class: "sarrus-boot-button" }, `Boot stage ${stage}`);
    const status = el("span", { class: "sarrus-status", role: "status" }, "not running");
    const screen = el("div", { class: "sarrus-terminal", hidden: "" });
    root.append(el("div", { class: "sarrus-controls" }, boot, " memory ", mem, " ", cmdline, " ", status), screen);
    const state = { stage, root, mem, cmdline, boot, status, screen, emulator: null, term: null, pending: [] };
    boot.addEventListener("click", () => start(state));
    panels.set(stage, state);
}

function loadStylesheet(name) {
    const href = new URL(name, here).href;
    if (![...document.querySelectorAll("link")].some(l => l.href === href))
        document.head.append(el("link", { rel: "stylesheet", href }));
}

async function start(state) {
    if (state.emulator) {               // a second press reboots: stop the old machine first
        const old = state.emulator;
        state.emulator = null;
        try { old.stop(); } catch (e) { /* it may have halted already */ }
    }
    state.boot.disabled = true;
    state.status.textContent = "loading the emulator...";
    const t0 = performance.now();
    try {
        loadStylesheet("xterm.css");
        const [{ V86 }, { Terminal }] = await Promise.all([
            import(new URL("libv86.mjs", here)),
            import(new URL("xterm.mjs", here)),
        ]);
        const [bios, vga_bios, kernel] = await Promise.all([
            fetchBuffer("bios.bin"), fetchBuffer("vgabios.bin"), fetchBuffer(`chapter-${state.stage}.elf`),
        ]);
        if (!state.term) {
            state.screen.hidden = false;
            state.term = new Terminal({ convertEol: true, rows: 24, cols: 80, fontSize: 13 });
            state.term.open(state.screen);
            state.term.onData(data => state.emulator?.serial0_send(data));
        }
        state.term.reset();
        state.status.textContent = "booting...";
        const emulator = new V86({
            wasm_path: new URL("v86.wasm", here).href,
            bios, vga_bios,
            multiboot: kernel,
            cmdline: state.cmdline.value,
            memory_size: Number(state.mem.value) * 1024 * 1024,
            autostart: true,
            disable_keyboard: true, disable_mouse: true, disable_speaker: true,
        });
        state.emulator = emulator;
        let line = "";
        emulator.add_listener("serial0-output-byte", byte => {
            const c = String.fromCharCode(byte);
            state.term.write(c);
            line = c === "\n" ? "" : line + c;
            if (line === "K> ") {
                state.status.textContent = `running (${((performance.now() - t0) / 1000).toFixed(1)} s to the prompt)`;
                const next = state.pending.shift();
                if (next) emulator.serial0_send(next + "\r");
            }
            if (/^ktest: \d+ tests, \d+ failures/.test(line)) state.status.textContent = line;
        });
    } catch (err) {
        state.status.textContent = "";
        state.root.append(el("p", { class: "sarrus-error", role: "alert" },
            `The emulator could not start: ${err.message}. ` +
            "Serve the book over http (make serve) rather than opening the file directly; " +
            "or boot this stage in a terminal with make chapter-" + state.stage + "."));
    } finally {
        state.boot.disabled = false;
    }
}

// A command button types its command at the next prompt of its stage's
// panel, booting the panel first if needed.
function typeCommand(stage, command) {
    const state = panels.get(stage);
    if (!state) return;
    state.root.scrollIntoView({ behavior: "smooth", block: "nearest" });
    if (!state.emulator) {
        state.pending.push(command);
        start(state);
    } else {
        state.emulator.serial0_send(command + "\r");
    }
}

export function init() {
    document.querySelectorAll(".sarrus-boot").forEach(buildPanel);
    document.querySelectorAll(".sarrus-command").forEach(b =>
        b.addEventListener("click", () => typeCommand(b.dataset.stage, b.dataset.command)));
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
else init();
