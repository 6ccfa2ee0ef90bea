// runnable.mjs: the runnable book in a real browser (Debian's chromium,
// headless, driven by playwright-core).  Opens build/html/runnable/ from
// the loopback server that tools/serve-and-run.py started, checks that the
// emulator is not fetched before "boot", boots stage 1 in test mode through
// its panel and waits for the self-test summary, reboots into the monitor
// and presses a command button, and checks there were no console errors.
// Records one PASS/FAIL line per check in $RESULTS; saves a screenshot.
import fs from "node:fs";
import { check, launch, results as tally } from "./common.mjs";

const base = process.env.BASE_URL;
const page_url = `${base}/${process.env.RUNNABLE_PAGE || "runnable/index.html"}`;
const stage = process.env.RUNNABLE_STAGE || "1";
const RUNNABLE_LABEL = process.env.RUNNABLE_PAGE || "runnable/index.html";
const browser = await launch();
const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
const errors = [];
page.on("console", m => { if (m.type() === "error") errors.push(m.text()); });
// v86's multiboot mode treats a write to port 0xF4 (QEMU's isa-debug-exit,
// which the kernel writes when its tests are done) as "the test exited" and
// throws the string "HALT": that is the kernel finishing, not a page error.
page.on("pageerror", e => { if (e.message !== "HALT") errors.push(e.message); });
const panel = `.sarrus-boot[data-stage="${stage}"]`;
const screenText = () => page.locator(`${panel} .sarrus-terminal`).innerText().catch(() => "");

let step = "boot in test mode";
try {
    await page.goto(page_url);
    const fetched = await page.evaluate(() => performance.getEntriesByType("resource").map(e => e.name));
    check(`emulator-not-loaded-before-boot (${RUNNABLE_LABEL})`, !fetched.some(n => /v86\.wasm|libv86|chapter-\d\.elf/.test(n)));

    await page.fill(`${panel} input`, "test");
    const t0 = Date.now();
    await page.click(`${panel} .sarrus-boot-button`);
    await page.waitForFunction(sel => /ktest: \d+ tests, \d+ failures/.test(document.querySelector(sel)?.innerText || ""),
        `${panel} .sarrus-terminal`, { timeout: 60000 });
    const seconds = (Date.now() - t0) / 1000;
    const summary = (await screenText()).match(/ktest: (\d+) tests, (\d+) failures/);
    check(`self-tests-pass-in-the-page (${RUNNABLE_LABEL})`, summary && summary[2] === "0" && summary[1] !== "0",
          `${summary?.[0]}, ${seconds.toFixed(1)} s from pressing boot`);

    await page.fill(`${panel} input`, "");
    await page.click(`${panel} .sarrus-boot-button`);
    step = "reboot into the monitor";
    // The panel's status line says when the kernel shows its prompt (the
    // terminal itself renders lazily while it is scrolled out of view).
    await page.waitForFunction(sel => /to the prompt/.test(document.querySelector(sel)?.innerText || ""),
        `${panel} .sarrus-status`, { timeout: 60000 });
    await page.locator(panel).scrollIntoViewIfNeeded();
    step = "press a command button";
    const button = page.locator(`.sarrus-command[data-stage="${stage}"]`).first();
    const command = await button.getAttribute("data-command");
    await button.click();
    // The command is echoed after a prompt, and another prompt follows its answer.
    await page.waitForFunction(([sel, cmd]) => {
        const t = (document.querySelector(sel)?.innerText || "").replace(/\u00a0/g, " ");  // xterm renders spaces as nbsp
        const at = t.indexOf("K> " + cmd);
        return at >= 0 && t.indexOf("K>", at + 3 + cmd.length) > 0;
    }, [`${panel} .sarrus-terminal`, command], { timeout: 30000 });
    check(`command-button-gets-an-answer (${RUNNABLE_LABEL})`, true, `typed "${command}"`);
} catch (e) {
    check(`panel-boots-and-answers (${RUNNABLE_LABEL})`, false, `${step}: ${e.message.split("\n")[0]}`);
    console.log(await screenText());
}
const transferred = await page.evaluate(() => {
    const sizes = new Map();
    for (const e of performance.getEntriesByType("resource")) sizes.set(e.name, Math.max(sizes.get(e.name) || 0, e.encodedBodySize || 0));
    return [...sizes.values()].reduce((a, b) => a + b, 0);
});
console.log(`browser: the panel fetched ${(transferred / 1e6).toFixed(2)} MB on boot`);
check(`no-console-errors (${RUNNABLE_LABEL})`, errors.length === 0, errors.join(" | "));
fs.mkdirSync("build", { recursive: true });
const shot = `build/screenshot-${RUNNABLE_LABEL.replace(/[^a-z0-9]+/gi, "-")}.png`;
await page.locator(panel).scrollIntoViewIfNeeded();
await page.screenshot({ path: shot, fullPage: false });
console.log(`browser: screenshot in ${shot}`);
await browser.close();
process.exit(tally.failed ? 1 : 0);
