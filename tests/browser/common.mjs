// common.mjs: what the browser tests share: one PASS/FAIL line per check
// (also appended to $RESULTS for make test's count), and Debian's chromium,
// headless, started the way this machine's closed network needs.
import fs from "node:fs";
import { chromium } from "playwright-core";

export const results = { failed: 0 };

export function check(name, ok, detail = "") {
    console.log(`${ok ? "ok  " : "FAIL"} browser/${name}${detail ? ": " + detail : ""}`);
    if (process.env.RESULTS) fs.appendFileSync(process.env.RESULTS, `${ok ? "PASS" : "FAIL"} browser/${name}\n`);
    if (!ok) results.failed++;
}

export function launch() {
    return chromium.launch({
        executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
        args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
}
