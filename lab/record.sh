#!/usr/bin/env bash
# record.sh RECORDER.so OUTDIR: record the lab's three traces (make lab-record).
#   python3  lab/workloads/python.py, every object from malloc (PYTHONMALLOC=malloc);
#            the first 80,000 calls (the first-fit heaps take minutes beyond)
#   sqlite3  lab/workloads/sqlite.sql on an in-memory database
#   gcc      compiling chapter 1's kheap.c with -O2: the trace of cc1, the compiler proper
set -euo pipefail
rec=$(realpath "$1") out=$2 tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/python" "$tmp/sqlite" "$tmp/gcc" "$out"
LAB_TRACE_DIR=$tmp/python PYTHONMALLOC=malloc LD_PRELOAD=$rec python3 lab/workloads/python.py >/dev/null
LAB_TRACE_DIR=$tmp/sqlite LD_PRELOAD=$rec sqlite3 :memory: < lab/workloads/sqlite.sql >/dev/null
LAB_TRACE_DIR=$tmp/gcc LD_PRELOAD=$rec gcc -O2 -c -o /dev/null -Itangled/chapter-1 tangled/chapter-1/kheap.c
biggest() { ls -S "$1"/*.raw | head -n 1; }     # gcc starts several processes: keep cc1's
python3 lab/trace.py "$(biggest "$tmp/python")" "$out/python.trace.gz" --max-ops 80000 \
    --name python --what "python3 lab/workloads/python.py, PYTHONMALLOC=malloc, first 80000 calls"
python3 lab/trace.py "$(biggest "$tmp/sqlite")" "$out/sqlite.trace.gz" \
    --name sqlite --what "sqlite3 :memory: < lab/workloads/sqlite.sql ($(sqlite3 --version | cut -d' ' -f1))"
python3 lab/trace.py "$(biggest "$tmp/gcc")" "$out/gcc.trace.gz" \
    --name gcc --what "cc1 of gcc -O2 -c tangled/chapter-1/kheap.c ($(gcc -dumpfullversion))"
