#!/usr/bin/env bash
# remake-patches.sh: after a chapter changes, re-make every exercise's
# starter.patch and solutions/ID.patch against the new plain tangle.
#
# Each patch is applied as it is, allowing for moved lines (patch -l -F3),
# and made again from the result with diff -ruN, so its hunks point at the
# new lines exactly.  A patch whose hunks no longer apply is reported and
# left alone: re-make that exercise by hand (exercises/FORMAT.md).  A patch
# that would change only in its file headers is left alone too.  The seeded
# bugs (tests/bugs/) apply to tangled/ and are checked by `make test`.
set -uo pipefail
cd "$(dirname "$0")/.."
work=build/remake-patches
rm -rf build/plain "$work"
make -s ex-base >/dev/null || exit 1

# same_hunks A B: do patches A and B differ in their file headers only?
same_hunks() {
    cmp -s <(grep -v -e '^diff ' -e '^--- ' -e '^+++ ' "$1") <(grep -v -e '^diff ' -e '^--- ' -e '^+++ ' "$2")
}
# remake OLD BEFORE AFTER: apply OLD to a copy of BEFORE in AFTER, write the new diff to OLD.
remake() {
    local old=$1 before=$2 after=$3 new
    rm -rf "$after" && cp -r "$before" "$after"
    if [ -s "$old" ] && ! patch -s -p1 -l -F3 -d "$after" < "$old" > /dev/null; then
        echo "$old: a hunk does not apply: re-make it by hand"
        return 1
    fi
    find "$after" -name '*.orig' -delete
    new=$work/new.patch
    (cd "$(dirname "$before")" && diff -ruN "$(basename "$before")" "$(basename "$after")") |
        sed -E 's/^(---|\+\+\+) ([^\t]*)\t.*/\1 \2/' > "$new"
    if ! same_hunks "$new" "$old"; then
        cp "$new" "$old"
        echo "$old: re-made"
    fi
}

status=0
for conf in exercises/*/exercise.conf; do
    dir=$(dirname "$conf") id=$(basename "$(dirname "$conf")")
    stage=$(awk '$1 == "stage" { print $2 }' "$conf")
    mkdir -p "$work/$id"
    cp -r "build/plain/chapter-$stage" "$work/$id/a"
    if [ -f "$dir/starter.patch" ]; then
        remake "$dir/starter.patch" "$work/$id/a" "$work/$id/b" || { status=1; continue; }
    else
        cp -r "$work/$id/a" "$work/$id/b"
    fi
    if [ -f "exercises/solutions/$id.patch" ]; then
        remake "exercises/solutions/$id.patch" "$work/$id/b" "$work/$id/c" || status=1
    fi
done
exit $status
