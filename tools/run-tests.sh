#!/usr/bin/env bash
# run-tests.sh STAGE...: every check of the project, for `make test`.
# Each check appends "PASS name" or "FAIL name" to $RESULTS; the last line
# printed is "N passed, N failed", and the exit status is non-zero if any
# check failed.  A step that breaks keeps the others running.
#
# The steps run in parallel on a pool of $JOBS job slots (default: one
# more than the number of CPUs): first the tangle checks and every stage's build, then
# the rest, the longest first.  A step's output is printed in one block
# when it ends ("=== name" ... "--- name: ok (12.3 s)"), and a line
# "... started: name" when it starts.  The slots are tokens in a FIFO
# ($SARRUS_JOBSERVER, make's jobserver protocol): a step holds one, and
# tools/boot-test.py takes more for parallel boots, so the whole suite runs
# at most $JOBS QEMUs at a time.  JOBS=1 runs everything one step at a time.
set -uo pipefail
cd "$(dirname "$0")/.."
export RESULTS=${RESULTS:-build/results.txt}
mkdir -p build && : > "$RESULTS"
# (One slot more than the CPUs: some steps spend part of their time waiting.
# Two more made the suite slower on 2 cores: 359 s against 342 s.)
JOBS=${JOBS:-$(( $(nproc 2>/dev/null || echo 2) + 1 ))}
export JOBS
start=$EPOCHREALTIME
steps=build/steps
rm -rf "$steps" && mkdir -p "$steps"

# The job slots.
fifo=$PWD/$steps/jobserver
mkfifo "$fifo" && exec {JS}<>"$fifo"
for ((i = 0; i < JOBS; i++)); do printf + >&"$JS"; done
export SARRUS_JOBSERVER=$fifo

record() { echo "$1 $2${3:+  $3}" >> "$RESULTS"; }

# Guest RAM for the boots of 1 GiB and more, kept warm from one to the next
# (tools/ram-keeper.py, Linux only; outside the pool, which waits for its own
# jobs only).
if [ "$(uname)" = Linux ]; then
    ( python3 tools/ram-keeper.py $((4 << 30)) $$ > "$steps/ram" 2>/dev/null & )
    for _ in 1 2 3 4 5 6 7 8 9 10; do [ -s "$steps/ram" ] && break; sleep 0.1; done
fi
if [ -s "$steps/ram" ]; then
    export SARRUS_RAM=$(cat "$steps/ram")
    keeper=${SARRUS_RAM#/proc/}; keeper=${keeper%%/*}
    trap 'kill "$keeper" 2>/dev/null' EXIT
fi

# cpu_seconds VAR: set VAR to the CPU time (user + system) of this shell's
# finished children.  (times must run in this shell: a subshell's children
# are its own.)
cpu_seconds() {
    local f=$steps/times.$BASHPID
    times > "$f"
    printf -v "$1" '%s' "$(awk 'NR == 2 { split($0, f, /[ ms]+/); print f[1] * 60 + f[2] + f[3] * 60 + f[4] }' "$f")"
    rm -f "$f"
}

# step NAME COMMAND...: run a step; if it fails without recording a
# failure of its own, record one for it.
step() {
    local name=$1; shift
    local before; before=$(grep -c '^FAIL' "$RESULTS")
    printf '\n=== %s\n' "$name"
    local t0=$EPOCHREALTIME c0 c1; cpu_seconds c0
    "$@"; local rc=$?
    cpu_seconds c1
    printf -- '--- %s: %s (%.1f s, %.1f s CPU)\n' "$name" "$([ $rc -eq 0 ] && echo ok || echo "FAILED, exit $rc")" \
        "$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { print b - a }')" \
        "$(awk -v a="$c0" -v b="$c1" 'BEGIN { print b - a }')"
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

# The pool.  job TITLE COMMAND...: queue COMMAND (a function running one
# or more steps) under TITLE; run_jobs runs the queue on the slots and
# prints each job's output when it ends.  Each job writes its own results
# file; they are appended to $RESULTS in queue order, so that
# results.txt does not depend on the timing.
queue_titles=() queue_cmds=()
job() { queue_titles+=("$1"); shift; queue_cmds+=("$(printf '%q ' "$@")"); }

njobs=0
print_done() {      # print the jobs that ended (each once), in the order they ended
    local f
    for f in $(ls -tr "$steps"/*.done 2>/dev/null); do
        local k=${f%.done}; k=${k##*/}
        cat "$steps/$k.log"
        mv "$f" "$steps/$k.printed"
    done
}
run_jobs() {
    local i tok
    for i in "${!queue_cmds[@]}"; do
        local k=$((njobs + i))
        read -r -n 1 -u "$JS" tok             # wait for a free slot
        print_done
        printf '... started: %s (at %d s)\n' "${queue_titles[$i]}" \
            "$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d", b - a }')"
        (
            RESULTS=$steps/$k.results
            : > "$RESULTS"
            eval "${queue_cmds[$i]}" > "$steps/$k.log" 2>&1 < /dev/null
            touch "$steps/$k.done"             # (before the slot goes back: printed in order)
            printf '%s' "$tok" >&"$JS"
        ) &
    done
    njobs=$((njobs + ${#queue_cmds[@]}))
    queue_titles=() queue_cmds=()
    while [ -n "$(jobs -r)" ]; do wait -n; print_done; done
    wait; print_done
    for ((i = 0; i < njobs; i++)); do
        [ -f "$steps/$i.results" ] && cat "$steps/$i.results" >> "$RESULTS" && : > "$steps/$i.results"
    done
}

# --- Phase 1: the tangle checks and every stage's build, with each toolchain.
tangle_checks() {
    step "tangle: tangled/ matches the chapters" checked check-tangle make -s check-tangle
    step "tangle: the checker catches broken chunks" tools/test-tangle-checker.sh
    step "the object cache (tools/kcc.sh) reuses only what the compiler would make" tools/test-kcc.sh
}
build_stage() {     # build_stage N [llvm]
    local n=$1 tc=${2:-}
    step "stage $n: build${tc:+ with clang and lld}" checked "stage$n${tc:+/$tc}/build" \
        make -s -j"$JOBS" build-$n ${tc:+TOOLCHAIN=$tc}
}
job "tangle checks" tangle_checks
job "node modules" step "v86 from npm (node_modules/, for the v86 runs)" make -s node_modules/v86/package.json
for n in "$@"; do
    job "stage $n: build" build_stage "$n"
    job "stage $n: build with clang and lld" build_stage "$n" llvm
done
run_jobs

# --- Phase 2: everything else, the longest first.
stage_tests() {
    local n=$1
    step "stage $n: boot tests (GRUB, -kernel and v86)" make -s chapter-$n-test
}
stage_interactive() {
    local n=$1
    step "stage $n: make chapter-$n in a terminal, Ctrl-A X quits" tools/interactive-test.py $n
    step "stage $n: make chapter-$n-gdb stops at kmain" tools/gdb-test.sh $n
}
stage_llvm() {
    local n=$1
    llvm_runs() {
        local rc=0
        make -s chapter-$n-test TOOLCHAIN=llvm LOADERS=kernel MAXMEM=512M || rc=1
        make -s chapter-$n-test TOOLCHAIN=llvm ONLY=basic-grub || rc=1
        return $rc
    }
    step "stage $n built with clang and lld: boot tests (-kernel up to 512 MiB, GRUB basic)" llvm_runs
}
seeded_bug() {
    local patch=$1 id expect only stage
    id=$(basename "$patch" .patch)
    expect=$(sed -n 's/^# expect: //p' "$patch" | head -n 1)
    only=$(sed -n 's/^# only: //p' "$patch" | head -n 1)
    stage=$(sed -n '1s/^# stage \([0-9]\).*/\1/p' "$patch")
    # A bug that names no run is caught by the first one (basic, 32 MiB), which
    # takes under 1 s of CPU: 5 s of CPU is a hang.  (The runs of 4 GiB take
    # longer: a bug that needs one names it, and gets 20 s.)
    local limits="TIMEOUT=5 MAXMEM=512M"
    [ -n "$only" ] && limits="TIMEOUT=20"
    step "seeded bug $id must be caught (${expect:-failure}${only:+, run $only})" \
        make -s chapter-$stage-test $limits BUG="$id" EXPECT="${expect:-failure}" LABEL="bug/$id" ONLY="$only"
    if grep -q '^# host: ' "$patch"; then
        step "seeded bug $id must be caught by the host tests ($(sed -n 's/^# host: //p' "$patch" | tr '\n' ' '))" \
            tools/bug-host-test.sh "$id"
    fi
}
book_steps() {
    if grep -q '^book-test:' book/book.mk 2>/dev/null; then
        step "book: PDF and HTML editions" checked book/build make -s book
        step "book: HTML edition in a browser" make -s book-test
    fi
    step "runnable book: a stage boots in headless Chromium" make -s runnable-test
}

# (The book first: its browser checks are the longest step, most of it in
# Chromium, whose CPU time the step's count does not include.)
job "book" book_steps
if [ -f exercises/exercises.mk ]; then
    job "exercises" step "exercises: starting points score 0, solutions full marks, in a fresh handout" make -s grade-check
fi
for n in $(printf '%s\n' "$@" | sort -rn); do
    job "stage $n: boot tests" stage_tests "$n"
done
if [ -f exercises/exercises.mk ]; then
    job "grader" step "grader: its verdicts on kernels that pass, fail, panic, hang and reset" tools/test-grader.py
fi
for n in $(printf '%s\n' "$@" | sort -rn); do
    job "stage $n: clang and lld" stage_llvm "$n"
done
for patch in tests/bugs/*.patch; do
    [ -e "$patch" ] || continue
    job "seeded bug $(basename "$patch" .patch)" seeded_bug "$patch"
done
job "host unit tests" step "host unit tests (sanitizers; page tables over a simulated MMU)" tools/host-tests.sh
job "allocator lab" step "allocator lab: a prefix of each trace through every allocator, checked" make -s lab-check
for n in "$@"; do
    job "stage $n: interactive and gdb" stage_interactive "$n"
done
job "expected output" step "expected output shown in the chapters" make -s expected-output
run_jobs

elapsed=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d", b - a }')
echo
cpu_seconds cpu
echo "=== summary ($elapsed s, $(printf '%.0f' "$cpu") s CPU, $JOBS job slots)"
grep '^FAIL' "$RESULTS" | sed 's/^/  /'
passed=$(grep -c '^PASS' "$RESULTS"); failed=$(grep -c '^FAIL' "$RESULTS")
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
