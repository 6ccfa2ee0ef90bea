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

    kind: rows              rows of fields, left to right, width in units
    title: A heap block on i386
    row: header (32 bytes) then the payload
    field: 4 | magic | #f4cccc
    field: 4 | checksum
    ...

Each "row:" starts a new row with a label; "field: WIDTH | TEXT [| COLOUR]"
adds a field; "note: TEXT" adds a line of text under the figure.  The SVG
keeps its text as text (selectable, searchable); the PDF edition converts it
with rsvg-convert.
"""
import html
import sys

FONT = "DejaVu Sans, Helvetica, sans-serif"
MONO = "DejaVu Sans Mono, monospace"


def parse(path):
    fig = {"kind": "ladder", "title": "", "boxes": [], "rows": [], "notes": []}
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
            fig["rows"][-1]["fields"].append((float(parts[0]), parts[1], parts[2] if len(parts) > 2 else "#eeeeee"))
        elif key == "note":
            fig["notes"].append(value)
    return fig


def text(x, y, s, size=13, anchor="start", family=FONT, weight="normal"):
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-family="{family}" font-size="{size}" '
            f'text-anchor="{anchor}" font-weight="{weight}">{html.escape(s)}</text>')


def ladder(fig):
    out, width, row, top = [], 700, 34, 40
    boxes = list(reversed(fig["boxes"]))            # highest address on top
    for i, (lo, hi, label, colour) in enumerate(boxes):
        y = top + i * row
        out.append(f'<rect x="170" y="{y}" width="440" height="{row}" fill="{colour}" stroke="#444"/>')
        out.append(text(390, y + row / 2 + 5, label, anchor="middle"))
        out.append(text(160, y + 5, hi, size=12, anchor="end", family=MONO))
        if i == len(boxes) - 1:
            out.append(text(160, y + row + 5, lo, size=12, anchor="end", family=MONO))
    height = top + len(boxes) * row + 20
    return out, width, height


def rows(fig):
    out, width, y, unit = [], 640, 40, 0
    total = max(sum(f[0] for f in r["fields"]) for r in fig["rows"])
    unit = 600 / total
    for r in fig["rows"]:
        out.append(text(20, y + 14, r["label"], size=13, weight="bold"))
        y += 22
        x = 20
        for w, label, colour in r["fields"]:
            out.append(f'<rect x="{x:.1f}" y="{y}" width="{w * unit:.1f}" height="34" fill="{colour}" stroke="#444"/>')
            out.append(text(x + w * unit / 2, y + 22, label, size=12, anchor="middle"))
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
