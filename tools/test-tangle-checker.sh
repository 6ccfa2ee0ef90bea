#!/usr/bin/env bash
# test-tangle-checker.sh: prove that `make check-tangle` catches what it
# promises to catch, by breaking a copy of the chapters in four ways.
set -uo pipefail
cd "$(dirname "$0")/.."
RESULTS=${RESULTS:-build/results.txt}
stages=$(make -s --no-print-directory print-STAGES | tr ' ' ,)
status=0

# expect_failure NAME PATTERN EDIT-COMMAND: apply EDIT to a fresh copy, run
# the checker, and require it to fail with a message matching PATTERN.
expect_failure() {
    local name=$1 pattern=$2 edit=$3 tmp
    tmp=$(mktemp -d)
    cp -r chapters tangled "$tmp/"
    (cd "$tmp" && eval "$edit")
    local out
    out=$(python3 tools/tangle.py --check --stages "$stages" --chapters "$tmp/chapters" --out "$tmp/tangled" 2>&1)
    local rc=$?
    if [ $rc -ne 0 ] && grep -q -- "$pattern" <<<"$out"; then
        echo "PASS tangle-checker/$name" >> "$RESULTS"
        echo "ok   $name: $(grep -m1 -- "$pattern" <<<"$out")"
    else
        echo "FAIL tangle-checker/$name  exit $rc, no message matching '$pattern'" >> "$RESULTS"
        echo "FAIL $name (exit $rc): $out"
        status=1
    fi
    rm -rf "$tmp"
}

expect_failure misspelled-definition "is not a file in chapters/ROOTS" \
    "sed -i '0,/^<<console.c: kprintf>>=/s//<<console.c: kprinft>>=/' chapters/00-boot.nw"
expect_failure misspelled-use "undefined chunk name" \
    "sed -i '0,/^<<console.c: kprintf>>\$/s//<<console.c: kprinft>>/' chapters/00-boot.nw"
expect_failure hand-edited-tangled-file "differs from a fresh tangle" \
    "echo '/* edited by hand */' >> tangled/chapter-1/console.c"
expect_failure replaces-unknown-chunk "replaces a chunk that no earlier chapter defines" \
    "printf '<<no such chunk [replaces]>>=\nint x;\n@\n' >> chapters/00-boot.nw"
exit $status
