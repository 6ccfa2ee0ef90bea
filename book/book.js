// book.js: the HTML edition's search.  The index is built with the book
// (tools/book/search-index.mjs, minisearch from npm) into search-index.js;
// both scripts are loaded with <script> tags the first time the reader
// uses the search field, so the search works offline and from file://.
(function () {
    "use strict";
    let index = null;
    let loading = null;

    function load(src) {
        return new Promise((resolve, reject) => {
            const s = document.createElement("script");
            s.src = src;
            s.onload = resolve;
            s.onerror = () => reject(new Error("cannot load " + src));
            document.head.appendChild(s);
        });
    }

    function ready() {
        if (!loading) {
            loading = load("minisearch.js").then(() => load("search-index.js")).then(() => {
                /* global MiniSearch, SARRUS_SEARCH */
                index = MiniSearch.loadJSON(SARRUS_SEARCH.index, {
                    ...SARRUS_SEARCH.options,
                    tokenize: s => s.split(/[^\p{L}\p{N}_]+/u).filter(Boolean),
                });
            });
        }
        return loading;
    }

    const KIND = { identifier: "identifier", chunk: "code", section: "section" };

    function show(list, query) {
        list.textContent = "";
        if (!query.trim()) return;
        const hits = index.search(query, { prefix: true, fuzzy: 0.15, boost: { title: 3 }, combineWith: "AND" })
            .slice(0, 12);
        if (!hits.length) {
            const li = document.createElement("li");
            li.textContent = "Nothing found.";
            list.appendChild(li);
            return;
        }
        for (const h of hits) {
            const li = document.createElement("li");
            const a = document.createElement("a");
            a.href = h.id;
            a.textContent = h.title;
            const where = document.createElement("span");
            where.className = "search-where";
            where.textContent = ` ${KIND[h.kind] || h.kind}, ${h.page}`;
            li.append(a, where);
            list.appendChild(li);
        }
    }

    function setup(box) {
        const input = box.querySelector("input");
        const list = box.querySelector(".search-results");
        let timer = null;
        const run = () => ready().then(() => show(list, input.value)).catch(e => { list.textContent = e.message; });
        input.addEventListener("focus", () => { ready().catch(() => {}); });
        input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(run, 80); });
        input.addEventListener("keydown", e => {
            if (e.key === "Escape") { input.value = ""; list.textContent = ""; }
            if (e.key === "Enter") {
                e.preventDefault();
                ready().then(() => { show(list, input.value); const a = list.querySelector("a"); if (a) location.href = a.href; });
            }
        });
    }

    document.querySelectorAll(".book-search").forEach(setup);
})();
