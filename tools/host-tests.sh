#!/usr/bin/env bash
# host-tests.sh: build and run every host test program (tests/host/*.mk),
# recording each cmocka test case as a check in $RESULTS.
set -uo pipefail
cd "$(dirname "$0")/.."
RESULTS=${RESULTS:-build/results.txt}
tests=$(make -s --no-print-directory print-HOST_TESTS)
[ -n "$tests" ] || { echo "host tests: none declared yet"; exit 0; }
status=0
for t in $tests; do
    if ! make -s --no-print-directory "build/host/$t"; then
        echo "FAIL host/$t  does not build" >> "$RESULTS"; status=1; continue
    fi
    log=build/host/$t.log
    CMOCKA_MESSAGE_OUTPUT=stdout "build/host/$t" > "$log" 2>&1; rc=$?
    # "[ RUN      ] name" then "[       OK ] name" or "[  FAILED  ] name".
    awk -v prog="$t" -v rc="$rc" '
        /^\[ RUN      \] / { current = $4; next }
        /^\[       OK \] / && $4 == current { print "PASS host/" prog "/" current; current = ""; next }
        /^\[  FAILED  \] / && $4 == current { print "FAIL host/" prog "/" current; current = ""; next }
        END { if (current != "") print "FAIL host/" prog "/" current "  crashed (exit status " rc ")" }
    ' "$log" >> "$RESULTS"
    ran=$(grep -c '^\[ RUN' "$log")
    if [ "$rc" -ne 0 ] || [ "$ran" -eq 0 ]; then
        echo "FAIL host/$t  exit status $rc, $ran tests ran" >> "$RESULTS"; status=1
        grep -v '^\[ ' "$log" | head -n 40
    fi
    echo "host test $t: $ran tests, exit status $rc"
done
exit $status
