#!/usr/bin/env python3
"""trace.py RAW OUT.trace.gz [--max-ops N] [--name NAME --what TEXT]: turn one
process's raw records (lab/recorder.c: 32-byte records op, ptr, size,
result) into the compact trace the replayer reads.

A trace is gzipped text, one call a line, and names blocks by *slot*, a
small number reused after the block is freed (so the replayer needs an
array as large as the most blocks ever live, not a hash of addresses):

    m SLOT SIZE     malloc(SIZE) into SLOT
    c SLOT SIZE     calloc of SIZE bytes (n * size) into SLOT
    r SLOT SIZE     realloc of SLOT's block to SIZE bytes (it stays in SLOT)
    f SLOT          free SLOT's block

realloc(NULL, n) becomes m, realloc(p, 0) becomes f. A free or realloc of
a pointer the recorder never saw allocated (allocated before the recorder
started) is dropped. With --max-ops, only the first N calls are kept, and
the blocks still live then are freed at the end, as they are in any case.
"""
import argparse, gzip, struct, sys

ap = argparse.ArgumentParser()
ap.add_argument("raw"); ap.add_argument("out")
ap.add_argument("--max-ops", type=int, default=0)
ap.add_argument("--name", default=""); ap.add_argument("--what", default="")
a = ap.parse_args()

data = open(a.raw, "rb").read()
slot_of = {}            # address -> slot
free_slots = []         # freed slots, reused smallest-last
size_of = {}            # slot -> size
nslots = 0
lines = []
live = peak = 0

def new_slot():
    global nslots
    if free_slots:
        return free_slots.pop()
    nslots += 1
    return nslots - 1

for off in range(0, len(data) - 31, 32):
    op, ptr, size, result = struct.unpack_from("<QQQQ", data, off)
    op = chr(op)
    if a.max_ops and len(lines) >= a.max_ops:
        break
    if op in "mc":
        if not result:
            continue
        if result in slot_of:                  # a block we missed the free of
            continue
        s = new_slot(); slot_of[result] = s; size_of[s] = size
        lines.append(f"{op} {s} {size}"); live += size
    elif op == "f":
        s = slot_of.pop(ptr, None)
        if s is None:
            continue
        lines.append(f"f {s}"); live -= size_of.pop(s); free_slots.append(s)
    elif op == "r":
        if ptr == 0:
            if result and result not in slot_of:
                s = new_slot(); slot_of[result] = s; size_of[s] = size
                lines.append(f"m {s} {size}"); live += size
            continue
        s = slot_of.get(ptr)
        if s is None:
            continue
        if size == 0:
            del slot_of[ptr]; lines.append(f"f {s}"); live -= size_of.pop(s); free_slots.append(s)
            continue
        if not result:
            continue                            # failed: the block is unchanged
        del slot_of[ptr]; slot_of[result] = s
        live += size - size_of[s]; size_of[s] = size
        lines.append(f"r {s} {size}")
    peak = max(peak, live)

for addr, s in sorted(slot_of.items(), key=lambda kv: kv[1]):
    lines.append(f"f {s}")
with gzip.open(a.out, "wt", compresslevel=9) as f:
    f.write(f"# {a.name}: {a.what}\n# calls {len(lines)} slots {nslots} peak_live {peak}\n")
    f.write("\n".join(lines) + "\n")
print(f"{a.out}: {len(lines)} calls, {nslots} slots, peak live {peak} bytes", file=sys.stderr)
