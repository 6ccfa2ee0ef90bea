#!/usr/bin/env bash
# test-tangle-checker.sh: prove that `make check-tangle` catches what it
# promises to catch, by breaking a copy of the chapters in four ways.
set -uo pipefail
cd "$(dirname "$0")/.."
RESULTS=${RESULTS:-build/results.txt}
stages=$(make -s --no-print-directory print-STAGES | tr ' ' ,)
repo=$PWD
status=0

# The control: an unbroken copy must pass, or the failures below prove nothing.
tmp=$(mktemp -d); cp -r chapters tangled "$tmp/"
if (cd "$tmp" && python3 "$repo/tools/tangle.py" --check --stages "$stages" >/dev/null 2>&1); then
    echo "PASS tangle-checker/unbroken-copy-passes" >> "$RESULTS"; echo "ok   an unbroken copy passes the check"
else
    echo "FAIL tangle-checker/unbroken-copy-passes" >> "$RESULTS"; echo "FAIL an unbroken copy fails the check"; status=1
fi
rm -rf "$tmp"

# expect_failure NAME PATTERN EDIT-COMMAND: apply EDIT to a fresh copy, run
# the checker, and require it to fail with a message matching PATTERN.
expect_failure() {
    local name=$1 pattern=$2 edit=$3 tmp
    tmp=$(mktemp -d)
    cp -r chapters tangled "$tmp/"
    (cd "$tmp" && eval "$edit")
    local out
    out=$(cd "$tmp" && python3 "$repo/tools/tangle.py" --check --stages "$stages" 2>&1)
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
    "sed -i '0,/^<<console.c: kprintf>>=/s//<<console.c: kprinft>>=/' chapters/00-workbench.nw"
expect_failure misspelled-use "undefined chunk name" \
    "sed -i '0,/^<<console.c: kprintf>>\$/s//<<console.c: kprinft>>/' chapters/00-workbench.nw"
expect_failure hand-edited-tangled-file "differs from a fresh tangle" \
    "echo '/* edited by hand */' >> tangled/chapter-1/console.c"
expect_failure replaces-unknown-chunk "replaces a chunk that no earlier chapter defines" \
    "printf '<<no such chunk [replaces]>>=\nint x;\n@\n' >> chapters/00-boot.nw"
# The two rules on a small example: a later definition appends, and a
# "[replaces]" definition starts the chunk afresh (for later stages only).
tmp=$(mktemp -d); mkdir -p "$tmp/chapters"
printf '0 f.txt\n' > "$tmp/chapters/ROOTS"
printf '@ Prologue.\n<<f.txt>>=\n<<body>>\n@\n<<body>>=\nzero\n@\n' > "$tmp/chapters/00-a.nw"
printf '@ One.\n<<body>>=\none\n@\n' > "$tmp/chapters/01-b.nw"
printf '@ Two.\n<<body [replaces]>>=\ntwo\n@\n<<body>>=\ntwo-and-a-half\n@\n' > "$tmp/chapters/02-c.nw"
(cd "$tmp" && python3 "$repo/tools/tangle.py" --stages 1,2 >/dev/null)
got="$(cat "$tmp/tangled/chapter-1/f.txt")|$(cat "$tmp/tangled/chapter-2/f.txt")"
want="zero
one|two
two-and-a-half"
if [ "$got" = "$want" ]; then
    echo "PASS tangle-checker/append-and-replace" >> "$RESULTS"; echo "ok   chunks append across chapters, and [replaces] starts afresh"
else
    echo "FAIL tangle-checker/append-and-replace" >> "$RESULTS"; echo "FAIL append/replace: got '$got'"; status=1
fi
rm -rf "$tmp"
exit $status
