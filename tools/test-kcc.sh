#!/usr/bin/env bash
# test-kcc.sh: prove that tools/kcc.sh keeps its promises.  It hands out a
# cached object only for a compilation that would make the same object,
# whatever folder the sources are in; and a changed header, a header that
# shadows a compiler's own, or __DATE__ each force a real compilation.
# (The grader's verdicts rest on it: a stale object would grade old code.)
set -uo pipefail
cd "$(dirname "$0")/.."
RESULTS=${RESULTS:-build/results.txt}
stage=tangled/chapter-1
mkdir -p build
t=$(mktemp -d "$PWD/build/kcc-test.XXXXXX")
trap 'rm -rf "$t"' EXIT
export KCC_CACHE=$t/cache
unset KCC_VERSION
flags=(-m32 -std=gnu11 -ffreestanding -fno-pie -O2 -g -Wall -DKERNEL_STAGE=1)
status=0

check() {       # check NAME OK-COMMAND...: record a check
    local name=$1; shift
    if "$@"; then
        echo "PASS kcc/$name" >> "$RESULTS"; echo "ok   kcc: $name"
    else
        echo "FAIL kcc/$name" >> "$RESULTS"; echo "FAIL kcc: $name"; status=1
    fi
}
copy() { rm -rf "$t/$1" && mkdir -p "$t/$1" && cp "$stage"/*.c "$stage"/*.h "$t/$1/"; }
kcc() {         # kcc DIR OBJ: compile DIR/kheap.c through the cache, as the stage's copy
    tools/kcc.sh "$t/$1=$stage" gcc "${flags[@]}" "-I$t/$1" -c "$t/$1/kheap.c" -o "$t/$2.o"
}
direct() {      # direct DIR OBJ: the same compilation without the cache
    gcc "${flags[@]}" "-I$t/$1" -c "$t/$1/kheap.c" -o "$t/$2.o" \
        "-fdebug-prefix-map=$PWD=." "-fmacro-prefix-map=$PWD/=" \
        "-fdebug-prefix-map=$t/$1=$stage" "-fmacro-prefix-map=$t/$1/=$stage/"
}
cached() { ls "$KCC_CACHE" 2>/dev/null | grep -c "^$1" ; }
same() { cmp -s "$t/$1.o" "$t/$2.o"; }

copy a; kcc a a1; direct a a-direct
check "a first compilation makes the object the compiler makes" same a1 a-direct
check "and keeps it under a quick key and a full key" test "$(cached q-)" = 1 -a "$(cached '[0-9a-f]')" = 1
copy b; kcc b b1
check "a copy in another folder gets the same object" same b1 a1
check "from the cache (nothing new stored)" test "$(ls "$KCC_CACHE" | wc -l)" = 2

# A header the source includes changes: a new object, the compiler's.
sed -i 's/^#define HEAP_POISON .*/#define HEAP_POISON 0xA5/' "$t/b/kheap.h"
grep -q '^#define HEAP_POISON 0xA5' "$t/b/kheap.h" || { echo "FAIL kcc: kheap.h has no HEAP_POISON to change"; exit 1; }
kcc b b2; direct b b2-direct
check "a changed header makes a new object" same b2 b2-direct
check "not the cached one" eval '! same b2 a1'

# A header that shadows the compiler's <stdint.h>: no quick key (the
# compiler would read its own, the include scan cannot tell which).
copy c; printf '#include_next <stdint.h>\n#define KCC_TEST_SHADOW 1\n' > "$t/c/stdint.h"
before=$(cached q-); kcc c c1; direct c c-direct
check "a file shadowing <stdint.h> gets no quick key" test "$(cached q-)" = "$before"
check "and still the compiler's object" same c1 c-direct

# __DATE__ in a source: no quick key (the object changes from day to day).
copy d; echo 'const char kcc_test_date[] = __DATE__;' >> "$t/d/kheap.c"
before=$(cached q-); kcc d d1; direct d d-direct
check "__DATE__ gets no quick key" test "$(cached q-)" = "$before"
check "and the compiler's object" same d1 d-direct

# An error in the source: the compiler's message and its exit status.
copy e; echo 'this is not C;' >> "$t/e/kheap.c"
out=$(kcc e e1 2>&1); rc=$?
check "a compile error is the compiler's (exit $rc)" test "$rc" -ne 0 -a ! -e "$t/e1.o"
check "with its message" grep -q "error" <<<"$out"
exit $status
