#!/usr/bin/env bash
# kcc.sh DIR=NAME CC ARG... -o OBJ: compile one kernel file as
# `CC ARG... -o OBJ` would, but name the source folder DIR as NAME in the
# object (-fdebug-prefix-map, -fmacro-prefix-map), and reuse the object of
# an identical compilation made earlier.
#
# The grader builds each exercise several times (the student's tree, the
# same tree with the graded tests, the starting point, the solution, the
# grader's wrong solutions), and the seeded bugs build a stage each with
# one file changed: most files compile to the same object every time.
# Two compilations are identical when the compiler, its arguments and the
# preprocessed source agree once DIR reads NAME: the key is a hash of
# those, and the object is build/objcache/KEY.o.  Anything that could change
# the object changes the preprocessed text or the arguments, so a stale
# object cannot be reused; if the preprocessor fails, the real compilation
# runs and reports the error.  (`make clean` empties the cache.)
set -uo pipefail
map=$1; shift
dir=${map%%=*} name=${map#*=}
cache=build/objcache
args=() obj=
while [ $# -gt 0 ]; do
    if [ "$1" = -o ]; then obj=$2; shift 2; else args+=("$1"); shift; fi
done
args+=("-fdebug-prefix-map=$dir=$name" "-fmacro-prefix-map=$dir/=$name/")

# The key: the compiler's version, its arguments and the preprocessed
# source, with DIR written as NAME.
key=$( { "${args[0]}" --version | head -n 1 && printf '%s\n' "${args[@]}" && "${args[@]}" -E -o - 2>/dev/null; } |
      awk -v d="$dir" -v n="$name" '{ o = ""; while ((i = index($0, d)) > 0) { o = o substr($0, 1, i - 1) n; $0 = substr($0, i + length(d)) } print o $0 }' |
      sha256sum) || key=
key=${key%% *}

if [ -n "$key" ] && [ -f "$cache/$key.o" ]; then
    cp "$cache/$key.o" "$obj"
    exit
fi
"${args[@]}" -o "$obj" || exit
if [ -n "$key" ]; then
    mkdir -p "$cache"
    tmp=$(mktemp "$cache/.tmp.XXXXXX") && cp "$obj" "$tmp" && mv -f "$tmp" "$cache/$key.o"
fi
exit 0
