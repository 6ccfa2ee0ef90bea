#!/usr/bin/env bash
# bug-host-test.sh ID: build the host tests named by a seeded bug's "# host:"
# lines against its patched sources, and check that each one fails.  (The
# kernel's own tests catching the bug is checked by chapter-N-test BUG=ID.)
set -uo pipefail
cd "$(dirname "$0")/.."
id=$1 patch=tests/bugs/$1.patch
RESULTS=${RESULTS:-build/results.txt}
make -s --no-print-directory BUG="$id" "build/bug-$id/src/.patched" || exit 1
stage=$(sed -n '1s/^# stage \([0-9]\).*/\1/p' "$patch")
status=0
for t in $(sed -n 's/^# host: //p' "$patch"); do
    name="bug/$id/host $t"
    if ! make -s --no-print-directory HOSTBUILD="build/bug-$id" "${t}_DIR=build/bug-$id/src" HOST_AS="tangled/chapter-$stage" "build/bug-$id/host/$t" 2>"build/bug-$id/host-$t.build.log"; then
        echo "FAIL $name  the host test does not build against the patched sources" >> "$RESULTS"
        tail -n 5 "build/bug-$id/host-$t.build.log"; status=1; continue
    fi
    # (CMOCKA_TEST_ABORT: the program stops at the first failed check, which
    # catches the bug; the tests after it could only fail too.)
    # (The subshell keeps bash's "Aborted" notice out of the report.)
    ( CMOCKA_TEST_ABORT=1 CMOCKA_MESSAGE_OUTPUT=stdout "build/bug-$id/host/$t" > "build/bug-$id/host-$t.log" 2>&1; exit $? ) 2>/dev/null
    rc=$?
    if [ "$rc" -ne 0 ]; then
        echo "ok   $name: caught (exit status $rc, in $(sed -n 's/^\[ RUN      \] //p' "build/bug-$id/host-$t.log" | tail -n 1))"
        echo "PASS $name" >> "$RESULTS"
    else
        echo "FAIL $name: the host tests all pass with the bug in"
        echo "FAIL $name  not caught" >> "$RESULTS"; status=1
    fi
done
exit $status
