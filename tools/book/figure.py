#!/usr/bin/env python3
"""figure.py FIG.fig OUT.svg: draw a memory-layout diagram as SVG.

The book's figures are small text files in figures/, so that they can be
reviewed, diffed and regenerated like code.  Two kinds of figure:

    kind: ladder            a vertical address ladder, highest address on top
    title: Physical memory, stage 1
    box: 0x00100000 0x00110000 | kernel image (code, data, stack) | #cfe2f3
    ...

Box heights are not proportional to size (a 64 KiB heap next to 4 GiB of
address space would vanish); each box is one row, labelled with its range.
"mark: ADDR | TEXT" draws a boundary inside the ladder (a pointer such as a
heap's break) as a red line at ADDR, labelled TEXT to the right of the boxes.

    kind: rows              rows of fields, left to right, width in units
    title: A heap block on i386
    row: header (32 bytes) then the payload
    field: 4 | magic | #f4cccc
    field: 4 | checksum
    ...

Each "row:" starts a new row with a label; "field: WIDTH | TEXT [| COLOUR
[| BITS]]" adds a field; "note: TEXT" adds a line of text under the figure.
BITS draws bit numbers above the field, for the layout of a register or a
table entry: "31-12" puts 31 over its left edge and 12 over its right edge,
"7" puts 7 over its middle.  Widths need not be proportional to the number
of bits (a 20-bit address next to one-bit flags would leave no room for
their names).  The SVG
keeps its text as text (selectable, searchable); the PDF edition converts it
with rsvg-convert.
"""
import html
import sys

FONT = "DejaVu Sans, Helvetica, sans-serif"
MONO = "DejaVu Sans Mono, monospace"


def parse(path):
    fig = {"kind": "ladder", "title": "", "boxes": [], "rows": [], "notes": [], "marks": []}
    for line in open(path):
        line = line.rstrip("\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, _, value = line.partition(":")
        value = value.strip()
        parts = [p.strip() for p in value.split("|")]
        if key in ("kind", "title"):
            fig[key] = value
        elif key == "box":
            lo, hi = parts[0].split()
            fig["boxes"].append((lo, hi, parts[1], parts[2] if len(parts) > 2 else "#eeeeee"))
        elif key == "row":
            fig["rows"].append({"label": value, "fields": []})
        elif key == "field":
            fig["rows"][-1]["fields"].append((float(parts[0]), parts[1], parts[2] if len(parts) > 2 else "#eeeeee",
                                              parts[3] if len(parts) > 3 else ""))
        elif key == "mark":
            fig["marks"].append((parts[0], parts[1]))
        elif key == "note":
            fig["notes"].append(value)
    return fig


def text(x, y, s, size=13, anchor="start", family=FONT, weight="normal"):
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-family="{family}" font-size="{size}" '
            f'text-anchor="{anchor}" font-weight="{weight}">{html.escape(s)}</text>')


def ladder(fig):
    out, width, row, top, boxw = [], 700, 34, 40, 440
    if fig["marks"]:
        boxw = 320                                  # room for the marks' labels
    boxes = list(reversed(fig["boxes"]))            # highest address on top
    for i, (lo, hi, label, colour) in enumerate(boxes):
        y = top + i * row
        out.append(f'<rect x="170" y="{y}" width="{boxw}" height="{row}" fill="{colour}" stroke="#444"/>')
        out.append(text(170 + boxw / 2, y + row / 2 + 5, label, anchor="middle"))
        out.append(text(160, y + 5, hi, size=12, anchor="end", family=MONO))
        if i == len(boxes) - 1:
            out.append(text(160, y + row + 5, lo, size=12, anchor="end", family=MONO))
    for addr, label in fig["marks"]:
        ys = [top + i * row for i, b in enumerate(boxes) if b[1] == addr] + \
             [top + (i + 1) * row for i, b in enumerate(boxes) if b[0] == addr]
        if not ys:
            sys.exit(f"figure.py: mark {addr} is not the boundary of a box")
        y = ys[0]
        out.append(f'<line x1="170" y1="{y}" x2="{186 + boxw}" y2="{y}" stroke="#c00000" stroke-width="3"/>')
        out.append(f'<path d="M {186 + boxw} {y} l 10 -6 v 12 z" fill="#c00000"/>')
        out.append(text(202 + boxw, y + 5, label, size=12, weight="bold"))
    height = top + len(boxes) * row + 20
    return out, width, height


def rows(fig):
    out, width, y, unit = [], 640, 40, 0
    total = max(sum(f[0] for f in r["fields"]) for r in fig["rows"])
    unit = 600 / total
    for r in fig["rows"]:
        out.append(text(20, y + 14, r["label"], size=13, weight="bold"))
        y += 22
        if any(f[3] for f in r["fields"]):
            y += 14                                 # room for the bit numbers
        x = 20
        for w, label, colour, bits in r["fields"]:
            out.append(f'<rect x="{x:.1f}" y="{y}" width="{w * unit:.1f}" height="34" fill="{colour}" stroke="#444"/>')
            out.append(text(x + w * unit / 2, y + 22, label, size=12, anchor="middle"))
            hi, _, lo = bits.partition("-")
            if lo:
                out.append(text(x + 3, y - 4, hi, size=10, family=MONO))
                out.append(text(x + w * unit - 3, y - 4, lo, size=10, anchor="end", family=MONO))
            elif hi:
                out.append(text(x + w * unit / 2, y - 4, hi, size=10, anchor="middle", family=MONO))
            x += w * unit
        y += 50
    return out, width, y


def main():
    fig = parse(sys.argv[1])
    body, width, height = (ladder if fig["kind"] == "ladder" else rows)(fig)
    for note in fig["notes"]:
        body.append(text(20, height + 4, note, size=12))
        height += 20
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + 10}" '
           f'viewBox="0 0 {width} {height + 10}">',
           f'<rect width="100%" height="100%" fill="white"/>',
           text(width / 2, 22, fig["title"], size=15, anchor="middle", weight="bold")] + body + ["</svg>"]
    with open(sys.argv[2], "w") as f:
        f.write("\n".join(svg) + "\n")


if __name__ == "__main__":
    main()
