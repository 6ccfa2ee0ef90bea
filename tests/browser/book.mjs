// book.mjs: the HTML edition in a real browser (Debian's chromium, headless,
// playwright-core), page by page (one page per chapter, tools/book/htmlpost.py):
// * every page loads without console errors, its images load, and every
//   link to an id (on the page or on another page) finds its target in the
//   rendered DOM;
// * at 360 px and at 1280 px: the page does not scroll sideways (wide code
//   scrolls inside its own box), and axe-core (npm) finds no serious or
//   critical accessibility violation;
// * each chapter page shows its own stage's boot panel;
// * the search field finds a known identifier and its first result opens
//   the page and the place it names, also from file:// (offline).
// Screenshots of chapter 1 at both widths go to build/screenshot-book-*.png.
import fs from "node:fs";
import { check, launch, results as tally } from "./common.mjs";

const base = process.env.BASE_URL;
const axeSource = fs.readFileSync(new URL("../../node_modules/axe-core/axe.min.js", import.meta.url), "utf8");
const pages = fs.readdirSync("build/html").filter(f => f.endsWith(".html")).sort();
const browser = await launch();
const errors = [];
const watch = page => {
    page.on("console", m => { if (m.type() === "error") errors.push(`${page.url()}: ${m.text()}`); });
    page.on("pageerror", e => errors.push(`${page.url()}: ${e.message}`));
};

// Targets of links, page by page, as the browser sees them.
const idsOf = {};
const linksOf = {};
const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
const page = await ctx.newPage();
watch(page);
let images = 0, badImages = [];
for (const name of pages) {
    await page.goto(`${base}/${name}`, { waitUntil: "load" });
    idsOf[name] = new Set(await page.evaluate(() => [...document.querySelectorAll("[id]")].map(e => e.id)));
    linksOf[name] = await page.evaluate(() => [...document.querySelectorAll("a[href]")].map(a => a.getAttribute("href")));
    const imgs = await page.evaluate(() => [...document.images].map(i => [i.src, i.complete && i.naturalWidth > 0]));
    images += imgs.length;
    badImages.push(...imgs.filter(([, ok]) => !ok).map(([s]) => s));
}
const broken = [];
let count = 0;
for (const [name, hrefs] of Object.entries(linksOf)) {
    for (const href of hrefs) {
        if (/^[a-z]+:/.test(href) || href.startsWith("runnable/")) continue;
        const [file, frag] = href.split("#");
        const target = file || name;
        if (!target.endsWith(".html")) continue;    // files of the project (check-book.py checks they exist)
        count++;
        if (!idsOf[target]) broken.push(`${name} -> ${href}`);
        else if (frag && !idsOf[target].has(decodeURIComponent(frag))) broken.push(`${name} -> ${href}`);
    }
}
check("book-links-resolve-across-pages-in-the-browser", count > 1000 && broken.length === 0,
      `${count} links on ${pages.length} pages; ${broken.slice(0, 5).join(" ")}`);
check("book-images-load", images >= 8 && badImages.length === 0, `${images} images ${badImages.slice(0, 3).join(" ")}`);

// Boot panels: chapter N's page has the panel of stage N.
const stages = pages.map(p => p.match(/^chapter-(\d+)\.html$/)).filter(m => m && m[1] !== "0").map(m => m[1]);
const wrongPanels = [];
for (const s of stages) {
    await page.goto(`${base}/chapter-${s}.html`, { waitUntil: "load" });
    await page.waitForSelector(".sarrus-boot .sarrus-boot-button", { timeout: 10000 }).catch(() => {});
    const found = await page.evaluate(() => [...document.querySelectorAll(".sarrus-boot")].map(e => e.dataset.stage));
    const rendered = await page.locator(".sarrus-boot .sarrus-boot-button").count();
    if (found.join() !== s || rendered !== 1) wrongPanels.push(`chapter-${s}: ${found} (${rendered} rendered)`);
}
check("book-each-chapter-page-has-its-stages-panel", stages.length > 0 && wrongPanels.length === 0,
      wrongPanels.join("; ") || `stages ${stages.join(" ")}`);

// Search: type a known identifier, follow the first result.
await page.goto(`${base}/chapter-2.html`, { waitUntil: "load" });
await page.fill("#search-top", "kmalloc");
await page.waitForSelector("#search-results-top a", { timeout: 15000 }).catch(() => {});
const hits = await page.evaluate(() => [...document.querySelectorAll("#search-results-top a")].map(a => [a.textContent, a.getAttribute("href")]));
let followed = false;
if (hits.length) {
    await page.click("#search-results-top a >> nth=0");
    await page.waitForLoadState("load");
    const [file, frag] = hits[0][1].split("#");
    followed = page.url().endsWith(`${file}#${frag}`) && await page.evaluate(f => !!document.getElementById(f), frag);
}
check("book-search-finds-kmalloc", hits.some(([t]) => /kmalloc/.test(t)) && followed,
      hits.slice(0, 3).map(([t, h]) => `${t} (${h})`).join(", "));
// The same from the file system (no server): the search must work offline.
await page.goto(new URL("../../build/html/index.html", import.meta.url).href, { waitUntil: "load" });
await page.fill("#search-top", "pmm_alloc_page");
await page.waitForSelector("#search-results-top a", { timeout: 15000 }).catch(() => {});
const offline = await page.evaluate(() => [...document.querySelectorAll("#search-results-top a")].map(a => a.textContent));
check("book-search-works-from-file-urls", offline.some(t => /pmm_alloc_page/.test(t)), offline.slice(0, 2).join(", "));
await ctx.close();

// Widths: no sideways scrolling of the page, and axe-core.
for (const width of [360, 1280]) {
    const c = await browser.newContext({ viewport: { width, height: 800 } });
    const p = await c.newPage();
    watch(p);
    const wide = [], serious = [];
    let ruleCount = 0;
    for (const name of pages) {
        await p.goto(`${base}/${name}`, { waitUntil: "load" });
        const over = await p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        if (over > 1) wide.push(`${name} (+${over}px)`);
        await p.evaluate(axeSource);
        const res = await p.evaluate(async () => await window.axe.run(document, { resultTypes: ["violations"] }));
        ruleCount += res.violations.length;
        for (const v of res.violations) {
            if (v.impact === "serious" || v.impact === "critical") {
                serious.push(`${name}: ${v.id} (${v.nodes.length}: ${v.nodes.slice(0, 2).map(n => n.target.join(" ")).join(", ")})`);
            }
        }
        if (name === "chapter-1.html") {
            await p.locator("#chunk-95").scrollIntoViewIfNeeded();
            await p.screenshot({ path: `build/screenshot-book-${width}.png` });
        }
    }
    check(`book-no-sideways-scrolling-at-${width}px`, wide.length === 0, wide.slice(0, 5).join(" "));
    check(`book-axe-no-serious-violations-at-${width}px`, serious.length === 0,
          serious.length ? serious.slice(0, 6).join(" | ") : `${pages.length} pages, ${ruleCount} minor or moderate`);
    await c.close();
}
console.log("browser: screenshots in build/screenshot-book-360.png and build/screenshot-book-1280.png");
check("book-no-console-errors", errors.length === 0, errors.slice(0, 5).join(" | "));
await browser.close();
process.exit(tally.failed ? 1 : 0);
