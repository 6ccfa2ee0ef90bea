// search-index.mjs DOCS.json OUT.js: the HTML edition's search index, built
// once here with minisearch (npm) so that the pages need no server: OUT.js
// defines SARRUS_SEARCH = { options, index } for MiniSearch.loadJSON, and
// book/book.js loads it (with minisearch's own UMD build) when the reader
// first uses the search field.  The options must be the same at both ends:
// book.js repeats the tokenizer (a C identifier such as kmalloc_at is one
// word, not two).
import fs from "node:fs";
import MiniSearch from "minisearch";

const [docsPath, outPath] = process.argv.slice(2);
const docs = JSON.parse(fs.readFileSync(docsPath, "utf8"));
const options = {
    fields: ["title", "text"],
    storeFields: ["title", "kind", "page"],
};
const search = new MiniSearch({
    ...options,
    tokenize: s => s.split(/[^\p{L}\p{N}_]+/u).filter(Boolean),
});
search.addAll(docs);
fs.writeFileSync(outPath,
    "// The search index of the Sarrus book (tools/book/search-index.mjs; minisearch).\n" +
    `var SARRUS_SEARCH = { options: ${JSON.stringify(options)}, index: ${JSON.stringify(JSON.stringify(search))} };\n`);
console.log(`search: ${docs.length} documents, ${(fs.statSync(outPath).size / 1024).toFixed(0)} KiB`);
