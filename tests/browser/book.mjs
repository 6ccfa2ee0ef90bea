// book.mjs: the HTML edition in a real browser (Debian's chromium, headless,
// playwright-core): the page loads without console errors, every in-page
// link target exists in the rendered DOM, every image loads, and a
// screenshot is saved for the build log.  Then the runnable test
// (runnable.mjs) runs against the same page.
import { check, launch, results as tally } from "./common.mjs";

const base = process.env.BASE_URL;
const browser = await launch();
const page = await browser.newPage({ viewport: { width: 1100, height: 1000 } });
const errors = [];
page.on("console", m => { if (m.type() === "error") errors.push(m.text()); });
page.on("pageerror", e => errors.push(e.message));
const t0 = Date.now();
const response = await page.goto(`${base}/index.html`, { waitUntil: "load" });
check("book-page-loads", response.ok(), `${((Date.now() - t0) / 1000).toFixed(2)} s`);
const broken = await page.evaluate(() => [...document.querySelectorAll('a[href^="#"]')]
    .map(a => a.getAttribute("href").slice(1)).filter(id => !document.getElementById(id)));
check("book-links-resolve-in-the-browser", broken.length === 0, broken.slice(0, 5).join(" "));
const images = await page.evaluate(() => [...document.images].map(i => [i.src, i.complete && i.naturalWidth > 0]));
check("book-images-load", images.length >= 8 && images.every(([, ok]) => ok), `${images.length} images`);
const panels = await page.locator(".sarrus-boot .sarrus-boot-button").count();
check("book-panels-render", panels > 0, `${panels} boot panels`);
await page.locator("#chunk-60").scrollIntoViewIfNeeded();
await page.screenshot({ path: "build/screenshot-book.png" });
console.log("browser: screenshot in build/screenshot-book.png");
check("book-no-console-errors", errors.length === 0, errors.join(" | "));
await browser.close();
process.exit(tally.failed ? 1 : 0);
