#!/usr/bin/env bash
# mkiso.sh KERNEL OUT.iso "COMMAND LINE" [MODULE...]
# Build a small bootable GRUB 2 CD image that starts KERNEL with the given
# multiboot command line, loading each MODULE as a multiboot module.
#
# grub.cfg is a script: GRUB would expand $NAME, drop quotes and #comments
# and join words with one space.  So each word of the command line (split
# at every single space: a run of spaces gives empty words, which keeps it)
# is written in single quotes, where GRUB takes every character literally.
# GRUB's multiboot loader then joins the words with spaces and puts a
# backslash before each \, ' and " (the quoting a Linux command line uses);
# qemu -kernel passes the line unchanged.
# GRUB_MKRESCUE (environment) names grub-mkrescue (i686-elf-grub-mkrescue on macOS).
set -euo pipefail
kernel=$1 out=$2 cmdline=${3:-}
shift 3 || shift $#
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# gquote WORD: WORD in single quotes for grub.cfg (a ' as '\'').
gquote() { local q="'\\''"; printf "'%s'" "${1//\'/$q}"; }
case $cmdline in *$'\n'*|*$'\r'*) echo "mkiso: the command line holds a line break" >&2; exit 1 ;; esac
args=""
if [ -n "$cmdline" ]; then
    rest=$cmdline
    while :; do
        args+=" $(gquote "${rest%% *}")"
        [[ $rest == *" "* ]] || break
        rest=${rest#* }
    done
fi
mkdir -p "$tmp/boot/grub"
cp "$kernel" "$tmp/boot/kernel.elf"
{
    echo "set timeout=0"
    echo "set default=0"
    echo "menuentry \"Sarrus\" {"
    echo "    multiboot /boot/kernel.elf$args"
    for m in "$@"; do
        name=$(basename "$m")
        cp "$m" "$tmp/boot/$name"
        echo "    module $(gquote "/boot/$name") $(gquote "$name")"
    done
    echo "    boot"
    echo "}"
} > "$tmp/boot/grub/grub.cfg"
# Only the GRUB modules we need: the image shrinks from ~9.5 MB to ~1 MB.
if ! log=$("${GRUB_MKRESCUE:-grub-mkrescue}" --install-modules="multiboot normal iso9660 biosdisk" \
        --locales= --fonts= --themes= -o "$out" "$tmp" 2>&1); then
    echo "mkiso: grub-mkrescue failed:" >&2
    echo "$log" >&2
    echo "mkiso: (it needs grub-pc-bin, xorriso and mtools: run 'make doctor')" >&2
    exit 1
fi
