#!/usr/bin/env bash
# gdb-test.sh STAGE: what `make chapter-N-gdb` does, in batch mode: boot the
# stage under gdb, stop at kmain, and check that gdb shows the book's source
# (chapters/00-boot.nw, thanks to the #line directives) with a backtrace
# reaching the assembly entry point.
set -uo pipefail
cd "$(dirname "$0")/.."
stage=$1
RESULTS=${RESULTS:-build/results.txt}
out=$(timeout 60 gdb -q -batch -ex 'set confirm off' \
    -ex "target remote | exec qemu-system-i386 -M pc -display none -no-reboot -nic none -m 32M -gdb stdio -S -kernel build/chapter-$stage/kernel.elf -serial file:build/chapter-$stage/gdb-serial.log" \
    -ex 'break kmain' -ex 'continue' -ex 'bt' -ex 'kill' "build/chapter-$stage/kernel.elf" 2>&1)
# (Stage 3's gdb prints DWARF warnings about the boot stub's two sections
# in between; the checks look past them.)
if grep -q '^Breakpoint 1, kmain (' <<<"$out" && grep -q ') at chapters/00-boot.nw:[0-9]' <<<"$out" &&
   grep -Eq '^#1 +0x[0-9a-f]+ in (_start|higher_half) ' <<<"$out"; then
    echo "PASS gdb/stage$stage" >> "$RESULTS"; echo "ok   gdb stops at kmain in chapters/00-boot.nw (stage $stage)"
else
    echo "FAIL gdb/stage$stage" >> "$RESULTS"; echo "FAIL gdb (stage $stage):"; echo "$out" | tail -n 20; exit 1
fi
