// boot.mjs: boot a stage's kernel.elf under v86 (the x86 emulator the HTML
// edition runs in the reader's browser), the third boot path.
//
//   node tests/v86/boot.mjs KERNEL.elf --cmdline "test" --mem 32 --timeout 60
//       [--type "help"]...
//
// Prints the serial output.  In test mode it waits for the kernel's summary
// line "ktest: N tests, M failures" and exits 0 only if M is 0 and N > 0.
// With --type, each string is typed at a "K> " prompt and the run ends at
// the next prompt after the last one (exit 0).  Exit 2 on a time-out.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { V86 } from "v86/build/libv86.mjs";

const args = process.argv.slice(2);
const opt = { cmdline: "", mem: 32, timeout: 60, type: [] };
const kernel = args.shift();
while (args.length) {
    const key = args.shift().replace(/^--/, "");
    const value = args.shift();
    if (key === "type") opt.type.push(value);
    else opt[key] = value;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const v86dir = path.join(here, "../../node_modules/v86/build");
const file = f => {
    const b = fs.readFileSync(f);
    return { buffer: b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) };
};

const started = Date.now();
let line = "";           // the line being printed (the checks look at whole lines)
const emulator = new V86({
    wasm_path: path.join(v86dir, "v86.wasm"),
    bios: file("/usr/share/seabios/bios.bin"),
    vga_bios: file("/usr/share/seabios/vgabios-stdvga.bin"),
    multiboot: file(kernel),
    cmdline: opt.cmdline,
    memory_size: Number(opt.mem) * 1024 * 1024,
    autostart: true,
    disable_keyboard: true,
    disable_mouse: true,
    disable_speaker: true,
});

const finish = (code, why) => {
    const seconds = ((Date.now() - started) / 1000).toFixed(2);
    process.stdout.write(`${line}\n[v86: ${why}, ${seconds} s]\n`);
    emulator.stop();
    process.exit(code);
};
const timer = setTimeout(() => finish(2, `timed out after ${opt.timeout} s`), opt.timeout * 1000);

emulator.add_listener("serial0-output-byte", byte => {
    const c = String.fromCharCode(byte);
    if (c === "\n") {
        const whole = line;
        line = "";
        process.stdout.write(whole + c);
        const summary = whole.match(/ktest: (\d+) tests, (\d+) failures/);
        if (summary) {
            clearTimeout(timer);
            finish(summary[2] === "0" && summary[1] !== "0" ? 0 : 1, "test summary seen");
        }
        if (/panic: /.test(whole) && !opt.type.length) {
            finish(1, "kernel panic");
        }
        return;
    }
    line += c;
    if (line.endsWith("K> ")) {
        if (opt.type.length) emulator.serial0_send(opt.type.shift() + "\r");
        else if (!opt.cmdline.split(" ").includes("test")) {
            clearTimeout(timer);
            finish(0, "monitor prompt");
        }
    }
});
