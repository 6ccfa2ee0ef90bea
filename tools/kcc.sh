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
#
# The working folder is named "." the same way, so that an object does not
# depend on where the project is: the grader's check of a fresh handout
# (KCC_CACHE: the cache of the project it was made from) reuses the objects
# the project's own grading compiled.
set -uo pipefail
map=$1; shift
dir=${map%%=*} name=${map#*=}
cache=${KCC_CACHE:-build/objcache}
args=() obj=
while [ $# -gt 0 ]; do
    if [ "$1" = -o ]; then obj=$2; shift 2; else args+=("$1"); shift; fi
done
# (the last map that matches a path wins: DIR's, then the working folder's)
args+=("-fdebug-prefix-map=$PWD=." "-fmacro-prefix-map=$PWD/="
       "-fdebug-prefix-map=$dir=$name" "-fmacro-prefix-map=$dir/=$name/")

# The key: the compiler's version, its arguments and the preprocessed
# source, with DIR written as NAME and the working folder as ".".
rename() {      # rename FROM TO: every FROM in the text becomes TO
    awk -v d="$1" -v n="$2" '{ o = ""; while ((i = index($0, d)) > 0) { o = o substr($0, 1, i - 1) n; $0 = substr($0, i + length(d)) } print o $0 }'
}
key=$( { "${args[0]}" --version | head -n 1 && printf '%s\n' "${args[@]}" && "${args[@]}" -E -o - 2>/dev/null; } |
      rename "$dir" "$name" | rename "$PWD" "." | sha256sum) || key=
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
