#!/usr/bin/env bash
# run-tests.sh STAGE...: every check of the project, for `make test`.
# Each check appends "PASS name" or "FAIL name" to $RESULTS; the last line
# printed is "N passed, N failed", and the exit status is non-zero if any
# check failed.  A step that breaks keeps the others running.
set -uo pipefail
cd "$(dirname "$0")/.."
export RESULTS=${RESULTS:-build/results.txt}
mkdir -p build && : > "$RESULTS"
start=$EPOCHREALTIME
record() { echo "$1 $2${3:+  $3}" >> "$RESULTS"; }

# step NAME COMMAND...: run a step; if it fails without recording a
# failure of its own, record one for it.
step() {
    local name=$1; shift
    local before; before=$(grep -c '^FAIL' "$RESULTS")
    printf '\n=== %s\n' "$name"
    local t0=$EPOCHREALTIME
    "$@"; local rc=$?
    printf -- '--- %s: %s (%.1f s)\n' "$name" "$([ $rc -eq 0 ] && echo ok || echo "FAILED, exit $rc")" \
        "$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { print b - a }')"
    if [ $rc -ne 0 ] && [ "$(grep -c '^FAIL' "$RESULTS")" -eq "$before" ]; then
        record FAIL "$name" "exit status $rc"
    fi
    return 0
}

# checked NAME COMMAND...: a step that is one check of its own.
checked() {
    local name=$1; shift
    if "$@"; then record PASS "$name"; else record FAIL "$name"; return 1; fi
}

step "tangle: tangled/ matches the chapters" checked check-tangle make -s check-tangle
step "tangle: the checker catches broken chunks" tools/test-tangle-checker.sh

for n in "$@"; do
    step "stage $n: build" checked "stage$n/build" make -s build-$n
    step "stage $n: boot tests (GRUB and -kernel)" make -s chapter-$n-test
    step "stage $n: make chapter-$n in a terminal, Ctrl-A X quits" tools/interactive-test.py $n
    step "stage $n: make chapter-$n-gdb stops at kmain" tools/gdb-test.sh $n
done

for patch in tests/bugs/*.patch; do
    [ -e "$patch" ] || continue
    id=$(basename "$patch" .patch)
    expect=$(sed -n 's/^# expect: //p' "$patch" | head -n 1)
    only=$(sed -n 's/^# only: //p' "$patch" | head -n 1)
    stage=$(sed -n '1s/^# stage \([0-9]\).*/\1/p' "$patch")
    step "seeded bug $id must be caught (${expect:-failure}${only:+, run $only})" \
        make -s chapter-$stage-test TIMEOUT=20 BUG="$id" EXPECT="${expect:-failure}" LABEL="bug/$id" ONLY="$only"
    if grep -q '^# host: ' "$patch"; then
        step "seeded bug $id must be caught by the host tests ($(sed -n 's/^# host: //p' "$patch" | tr '\n' ' '))" \
            tools/bug-host-test.sh "$id"
    fi
done

step "host unit tests (sanitizers; page tables over a simulated MMU)" tools/host-tests.sh
step "allocator lab: a prefix of each trace through every allocator, checked" make -s lab-check
step "expected output shown in the chapters" make -s expected-output
if grep -q '^book-test:' book/book.mk 2>/dev/null; then
    step "book: PDF and HTML editions" checked book/build make -s book
    step "book: HTML edition in a browser" make -s book-test
fi
step "runnable book: a stage boots in headless Chromium" make -s runnable-test
if [ -f exercises/exercises.mk ]; then
    step "grader: its verdicts on kernels that pass, fail, panic, hang and reset" tools/test-grader.py
    step "exercises: starting points score 0, solutions full marks, in a fresh handout" make -s grade-check
fi

elapsed=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d", b - a }')
echo
echo "=== summary ($elapsed s)"
grep '^FAIL' "$RESULTS" | sed 's/^/  /'
passed=$(grep -c '^PASS' "$RESULTS"); failed=$(grep -c '^FAIL' "$RESULTS")
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
