#!/usr/bin/env python3
"""check-numbers.py: numbers in the prose that may disagree with the build.

The figures with addresses or sizes are generated from the build
(tools/book/layoutfig.py, heapfig.py) and build numbers in the prose are
written {{fact:KEY}} (tools/book/facts.py), so both are true by
construction.  This check catches a number written by hand instead:

* a hexadecimal address in a chapter's prose (outside code chunks and the
  serial blocks, which `make expected-output` checks against real boots)
  must be the value of some fact, or appear as a literal in the code of
  the stages (then the code is what makes it true), or be a worked
  example checked below; the same for the hand-written figures/*.fig;
* an approximate size ("about 60 KiB", "~50 KiB") must be a fact: the
  build knows the exact number;
* an exercise is cited as @ex:ID, never as "exercise 2" (numbers move).

Needs build/book/facts.json (make build/book/facts.json).  Prints one line
per finding and exits 1 if there is any; RESULTS=file gets PASS/FAIL lines.
"""
import glob
import json
import os
import re
import sys

facts = json.load(open(os.environ.get("FACTS", "build/book/facts.json")))
values = set()
for v in facts.values():
    try:
        values.add(int(v, 0))
    except ValueError:
        pass
code = ""
for path in glob.glob("tangled/chapter-*/*"):
    code += open(path, errors="replace").read()
literals = {int(x, 16) for x in re.findall(r"0x([0-9A-Fa-f]+)", code)}
# What the machine reports (the firmware's memory map in the boots' transcripts).
for path in glob.glob(os.path.join(os.path.dirname(os.environ.get("FACTS", "build/book/facts.json")), "boots", "*.txt")):
    for x in re.findall(r"0x([0-9A-Fa-f]+)", open(path).read()):
        v = int(x, 16)
        literals |= {v, v - 1, v + 1 if v & 1 else v}     # ends of ranges, written inclusive or not
# A byte constant of the code repeated over a word (a poison pattern).
literals |= {b * 0x01010101 for b in list(literals) if 0 < b < 0x100}


def pte_of(va, base=0xFFC00000):
    return base + (va >> 12) * 4


# Worked examples: addresses chosen by the text to show a computation; each
# is checked here against the computation it illustrates.
EXAMPLES = {
    0xC0101234: "an address in the kernel's code, translated in chapter 3's opening",
    0x00101000: "its frame", 0x00101234: "its physical address",
    0xD0012345: "a heap address, for the recursive mapping",
    pte_of(0xD0012345): "its page-table entry through the recursive mapping",
    pte_of(pte_of(0xD0012345)): "its directory entry through the recursive mapping",
    (0xD0012345 & ~0x3FFFFF) + 0x3FFFFF: "the end of the 4 MiB that its page table maps",
    0x13FFFFFFF: "the end of QEMU's RAM above 4 GiB with -m 4G (chapter 2)",
    0xA0000: "the VGA hole (the firmware's map omits 0xA0000-0xEFFFF)", 0xEFFFF: "the same hole's end",
    0xC0000: "v86's second memory range starts there (chapter 2)",
    0x300000: "where the design's frame stack was placed (chapter 2 shows why not)",
    0x136000: "0x100136000 cut to 32 bits (the monitor's number parser, appendix A)",
}
assert EXAMPLES and 0x100136000 & 0xFFFFFFFF == 0x136000 and 0xC0101234 - 0xC0000000 == 0x00101234 and 0x00101234 & ~0xFFF == 0x00101000
literals |= set(EXAMPLES)


def unknown_hex(line):
    """The hexadecimal numbers of LINE that are neither facts nor constants of the code."""
    return [m.group(1) for m in HEX.finditer(line)
            if int(m.group(1), 16) not in values and int(m.group(1), 16) not in literals]


HEX = re.compile(r"(?<![\w{])0x([0-9A-Fa-f]{5,9})\b")
APPROX = re.compile(r"(?:about|~|roughly|some|nearly|almost)\s*(\d+)\s*KiB")
EXNUM = re.compile(r"\b[Ee]xercises? \d+(?:\.\d+)?\b")
findings = []
for path in sorted(glob.glob("chapters/[0-9][0-9]-*.nw")):
    in_code = in_serial = False
    for n, line in enumerate(open(path), 1):
        if re.match(r"<<.*>>=\s*$", line):
            in_code = True
            continue
        if in_code:
            if line.startswith("@ ") or line.rstrip("\n") == "@" or line.startswith("@ %def"):
                in_code = False
            continue
        if line.startswith("```"):
            in_serial = not in_serial
            continue
        if in_serial:
            continue
        for h in unknown_hex(line):
            findings.append(f"{path}:{n}: 0x{h} is neither a fact nor a constant of the code: "
                            "write {{fact:KEY}} (see `python3 tools/book/facts.py --list`)")
        for m in EXNUM.finditer(line):
            findings.append(f"{path}:{n}: \"{m.group(0)}\" names an exercise by a hand-written number: write @ex:ID")
        for m in APPROX.finditer(line):
            findings.append(f"{path}:{n}: \"{m.group(0)}\" is a hand-written build number: write {{{{fact:KEY}}}}")

# The figures that are still written by hand (figures/*.fig; the generated ones are in build/figures/).
for path in sorted(glob.glob("figures/*.fig")):
    for n, line in enumerate(open(path), 1):
        if line.lstrip().startswith("#"):
            continue
        for h in unknown_hex(line):
            findings.append(f"{path}:{n}: 0x{h} is neither a fact nor a constant of the code: "
                            "draw this figure from the build (tools/book/layoutfig.py)")

for f in findings:
    print(f)
ok = not findings
print(f"{'ok  ' if ok else 'FAIL'} book/numbers-in-prose-come-from-the-build"
      f"{'' if ok else f': {len(findings)} finding(s)'}")
if os.environ.get("RESULTS"):
    with open(os.environ["RESULTS"], "a") as f:
        f.write(f"{'PASS' if ok else 'FAIL'} book/numbers-in-prose-come-from-the-build\n")
sys.exit(0 if ok else 1)
