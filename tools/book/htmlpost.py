#!/usr/bin/env python3
"""htmlpost.py BOOK.html: link the chunk references inside code.

In the woven code a chunk use reads "⟨name⟩ §N".  After pandoc's syntax
highlighting the "§N" may be split across <span>s; this pass finds "§"
followed (possibly across span boundaries) by digits inside <pre> blocks and
wraps the number in a link to #chunk-N.
"""
import re
import sys

path = sys.argv[1]
text = open(path, encoding="utf-8").read()
REF = re.compile(r"§((?:</span>|<span[^>]*>)*)(\d+)")


def link_refs(pre):
    # Only the digits are linked: they lie inside one span, so the tags nest.
    return REF.sub(lambda m: f'§{m.group(1)}<a class="chunkref" href="#chunk-{m.group(2)}">{m.group(2)}</a>',
                   pre.group(0))


text = re.sub(r"<pre[^>]*>.*?</pre>", link_refs, text, flags=re.S)
open(path, "w", encoding="utf-8").write(text)
