#!/usr/bin/env python3
"""facts.py OUT.json: the numbers the book takes from the build.

In the prose a number or address that comes from the build or from a
measurement is written {{fact:KEY}}; tools/book/nw2md.py substitutes it
from the file this script writes (build/book/facts.json), and an unknown
KEY fails the book build.  So the text cannot drift from the kernel.

Where the facts come from (stage N = 1, 2, 3):

  stageN.SYMBOL          the address of a linker symbol of
                         build/chapter-N/kernel.elf (nm), as 0x%08X:
                         _kernel_start _kernel_end _etext _erodata
                         stack_bottom stack_top stack_guard (stage 3)
  stageN.SYMBOL_phys     the same symbol's physical address (stage 3: minus
                         KERNEL_VIRTUAL_BASE; stages 1-2 run unpaged)
  stageN.kernel_kib      size of the kernel image, _kernel_end - _kernel_start,
                         in KiB
  stageN.kernel_bytes    the same in bytes
  stageN.NAME            a constant #define'd in tangled/chapter-N/*.h with a
                         plain number as value (hex as 0x%08X, decimal as is),
                         e.g. stage3.HEAP_VIRTUAL_START, stage1.INITIAL_HEAP_SIZE
  stageN.boot.KEY        from a real boot of stage N (qemu -kernel, -m 32M),
                         parsed from what the monitor prints (see BOOT below):
                         heap_free (bytes free in the empty heap),
                         header_bytes, pmm_frames_free, pmm_usable_kib,
                         pmm_stack_at, frames_used_kib, heap_pages, ...
  gdb.KEY                a real gdb session on stage 1 (as make chapter-1-gdb):
                         kmain_stop (the stop at kmain, two lines),
                         kmain_where, kmalloc_line (FILE:LINE of kmalloc_at),
                         backtrace
  stage1.boot.trap_report, trap_eip   the exception report of `trap`
  TOPIC.KEY              every book/measured/TOPIC.json (values are strings as
                         printed; "_command" says how the file is regenerated)

Besides facts.json it leaves each boot's transcript in
build/book/boots/stage-N.txt, which tools/book/layoutfig.py draws the
memory-layout figures from.  Run `python3 tools/book/facts.py --list` to
see every key with its value.
"""
import concurrent.futures
import glob
import importlib.util
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("eo", os.path.join(HERE, "..", "expected-output.py"))
eo = importlib.util.module_from_spec(spec)
spec.loader.exec_module(eo)

STAGES = sorted(int(os.path.basename(d)[len("chapter-"):]) for d in glob.glob("tangled/chapter-*")
                if os.path.basename(d)[len("chapter-"):].isdigit())
SYMBOLS = ["_kernel_start", "_kernel_end", "_etext", "_erodata", "stack_bottom", "stack_top", "stack_guard",
           "monitor_trap"]

# What each stage is asked at its monitor for the facts and the figures.
BOOT = {
    1: ["info", "stats", "heap", "alloc 40", "alloc 40", "heap", "free 0x00500020", "heap",
        "free 0x00500068", "heap"],
    2: ["info", "mmap", "frames", "falloc", "falloc", "falloc", "stats"],
    3: ["info", "mmap", "frames", "heapsize", "stats", "translate 0xD0000000", "falloc", "falloc",
        "falloc", "alloc 1000000", "heapsize"],
}


def hexa(v):
    return f"0x{v:08X}"


def symbols(stage):
    elf = f"build/chapter-{stage}/kernel.elf"
    out = subprocess.run(["nm", elf], capture_output=True, text=True, check=True).stdout
    syms = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] in SYMBOLS:
            syms[parts[2]] = int(parts[0], 16)
    return syms


def constants(stage):
    consts = {}
    for h in sorted(glob.glob(f"tangled/chapter-{stage}/*.h")):
        for line in open(h):
            m = re.match(r"#define\s+([A-Z][A-Z0-9_]+)\s+\(?(0x[0-9A-Fa-f]+|\d+)(u|ull|ul)?\)?\s*(/\*.*)?$", line)
            if m:
                v = int(m.group(2), 0)
                consts[m.group(1)] = hexa(v) if m.group(2).startswith("0x") else str(v)
            m = re.match(r"#define\s+([A-Z][A-Z0-9_]+)\s+\((\d+) \* (\d+)\)", line)
            if m:
                consts[m.group(1)] = str(int(m.group(2)) * int(m.group(3)))
    return consts


def boot_facts(stage, lines):
    f = {}
    text = "\n".join(lines)
    m = re.search(r"heap: (\d+) bytes, (\d+) used, (\d+) free, (\d+) blocks \((\d+)-byte headers\)", text)
    if m:
        f["heap_bytes"], f["heap_free"], f["header_bytes"] = m.group(1), m.group(3), m.group(5)
    m = re.search(r"pmm: (\d+) frames free \((\d+) KiB\) of (\d+) KiB usable; stack and bitmap at (0x[0-9a-f]+)", text)
    if m:
        f["pmm_frames_free"], f["pmm_free_kib"], f["pmm_usable_kib"] = m.group(1), m.group(2), m.group(3)
        f["pmm_stack_at"] = hexa(int(m.group(4), 16))
    m = re.search(r"frames: (\d+) free; physical memory (\d+) KiB total, (\d+) KiB used", text)
    if m:
        f["frames_used_kib"] = m.group(3)
    sizes = re.findall(r"heap: (\d+) KiB; (\d+) pages mapped, (\d+) page tables", text)
    if sizes:
        f["heap_kib"], f["heap_pages"], f["heap_page_tables"] = sizes[0]
    if len(sizes) > 1:          # after `alloc 1000000`: the heap has grown
        f["heap_kib_grown"], f["heap_pages_grown"], f["heap_page_tables_grown"] = sizes[1]
    m = re.search(r"kmalloc\(1000000\) = (0x[0-9a-f]+)", text)
    if m:
        f["big_alloc_at"] = hexa(int(m.group(1), 16))
    m = re.search(r"vmm: paging on; kernel at (0x[0-9a-f]+), (\d+) MiB of RAM mapped at (0x[0-9a-f]+), (\d+) page tables", text)
    if m:
        f["direct_map_mib"], f["kernel_page_tables"] = m.group(2), m.group(4)
    allocs = re.findall(r"pmm_alloc_page\(\) = (0x[0-9a-f]+)", text)
    for i, a in enumerate(allocs, 1):
        f[f"falloc{i}"] = hexa(int(a, 16))
    dumps = [i for i, l in enumerate(lines) if l.startswith("=== HEAP DUMP")]
    if dumps:
        first = [l for l in lines[dumps[0]:] if l.startswith("Block")][:1]
        m = re.search(r"(0x[0-9a-f]+) bytes at (0x[0-9a-f]+)", first[0]) if first else None
        if m:
            f["first_block_at"] = hexa(int(m.group(2), 16))
    return f


def gdb_facts(stage=1):
    """A real gdb session on stage STAGE, as `make chapter-N-gdb` starts it."""
    qemu = (f"qemu-system-i386 -M pc -display none -no-reboot -nic none -m 32M -gdb stdio -S "
            f"-kernel build/chapter-{stage}/kernel.elf -serial file:build/chapter-{stage}/gdb-serial.log")
    out = subprocess.run(["timeout", "60", "gdb", "-q", "-batch", "-nx", "-ex", "set confirm off",
                          "-ex", f"target remote | exec {qemu}", "-ex", "break kmain", "-ex", "continue",
                          "-ex", "info line kmalloc_at", "-ex", "bt", "-ex", "kill",
                          f"build/chapter-{stage}/kernel.elf"], capture_output=True, text=True).stdout
    lines = [l for l in out.splitlines() if not l.startswith("warning:")]
    stop = [i for i, l in enumerate(lines) if l.startswith("Breakpoint 1, kmain (")]
    heap = re.search(r'Line (\d+) of "(chapters/[^"]+)" starts at address', out)
    if not stop or not heap:
        sys.exit("facts: gdb did not stop at kmain or find kmalloc_at:\n" + out)
    i = stop[0]
    m = re.match(r"(Breakpoint 1, kmain \(.*\)) (at chapters/\S+)$", lines[i])
    stop_text = f"{m.group(1)}\n    {m.group(2)}" if m else lines[i]
    bt = [l for l in lines if re.match(r"#\d+ ", l)]
    return {"gdb.kmain_stop": stop_text + "\n" + lines[i + 1],
            "gdb.kmain_where": re.search(r"at (chapters/\S+)", lines[i]).group(1),
            "gdb.kmalloc_line": f"{heap.group(2)}:{heap.group(1)}",
            "gdb.backtrace": "\n".join(bt)}


def trap_report(stage=1):
    lines = eo.replay(stage, {}, ["K> trap"], timeout=15)
    start = [i for i, l in enumerate(lines) if l.startswith("*** CPU exception")]
    if not start:
        sys.exit("facts: no exception report after `trap`:\n" + "\n".join(lines))
    report = []
    for l in lines[start[0]:]:
        if not l.strip():
            break
        report.append(l)
    eip = re.search(r"eip (0x[0-9a-f]+)", report[1]).group(1)
    return {f"stage{stage}.boot.trap_report": "\n".join(report), f"stage{stage}.boot.trap_eip": eip}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].startswith("-") else "build/book/facts.json"
    facts = {}
    boots_dir = os.path.join(os.path.dirname(out), "boots")
    os.makedirs(boots_dir, exist_ok=True)
    # The boots, the gdb session and the trap report run side by side.
    pool = concurrent.futures.ThreadPoolExecutor(len(STAGES) + 2)
    sessions = {n: pool.submit(eo.replay, n, {}, ["K> " + c for c in BOOT.get(n, [])] + ["K> quit"])
                for n in STAGES}
    if 1 in STAGES:
        gdb_session, trap_session = pool.submit(gdb_facts, 1), pool.submit(trap_report, 1)
    for n in STAGES:
        syms = symbols(n)
        consts = constants(n)
        base = int(consts.get("KERNEL_VIRTUAL_BASE", "0"), 0)
        for name, v in syms.items():
            facts[f"stage{n}.{name}"] = hexa(v)
            facts[f"stage{n}.{name}_phys"] = hexa(v - base if v >= base else v)
        size = syms["_kernel_end"] - syms["_kernel_start"]
        facts[f"stage{n}.kernel_bytes"] = str(size)
        facts[f"stage{n}.kernel_kib"] = str(round(size / 1024))
        for name, v in consts.items():
            facts[f"stage{n}.{name}"] = v
        lines = sessions[n].result()
        with open(os.path.join(boots_dir, f"stage-{n}.txt"), "w") as f:
            f.write("\n".join(lines) + "\n")
        if not any(l.startswith("K> quit") for l in lines):
            sys.exit(f"facts: the boot of stage {n} did not reach the end of its session:\n" + "\n".join(lines[-20:]))
        for k, v in boot_facts(n, lines).items():
            facts[f"stage{n}.boot.{k}"] = v
    if 1 in STAGES:
        facts.update(gdb_session.result())
        facts.update(trap_session.result())
    pool.shutdown()
    for path in sorted(glob.glob("book/measured/*.json")):
        topic = os.path.splitext(os.path.basename(path))[0]
        for k, v in json.load(open(path)).items():
            if not k.startswith("_"):
                facts[f"{topic}.{k}"] = str(v)
    with open(out, "w") as f:
        json.dump(facts, f, indent=1, sort_keys=True)
        f.write("\n")
    if "--list" in sys.argv:
        for k in sorted(facts):
            print(f"{k} = {facts[k]}")


if __name__ == "__main__":
    main()
