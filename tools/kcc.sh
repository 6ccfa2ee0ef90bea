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

rename() {      # rename FROM TO: every FROM in the text becomes TO
    awk -v d="$1" -v n="$2" '{ o = ""; while ((i = index($0, d)) > 0) { o = o substr($0, 1, i - 1) n; $0 = substr($0, i + length(d)) } print o $0 }'
}
store() {       # store KEY: keep the object under KEY
    mkdir -p "$cache"
    local tmp
    tmp=$(mktemp "$cache/.tmp.XXXXXX") && cp "$obj" "$tmp" && mv -f "$tmp" "$cache/$1.o"
}
version=$("${args[0]}" --version | head -n 1)

# The quick key, for a kernel file (-ffreestanding, no -I but DIR's, no
# -include): the compiler's version, its arguments, and the text of the
# source and of every file it includes, which must all be in DIR (quoted
# includes) or be the compiler's own freestanding headers (<stdint.h> and
# the like, with no file of that name in DIR).  incfiles lists them; it
# gives up (no quick key) on any other #include, and on __DATE__ or
# __TIME__.  This spares the preprocessor when nothing changed.
incfiles() {    # incfiles SOURCE: the files the preprocessor would read
    awk -v dir="$dir" -v src="$1" '
    function scan(f,   line, inc, tmp) {
        if (f in seen) return
        seen[f] = 1; files[++n] = f
        while ((getline line < f) > 0) {
            if (line ~ /__(DATE|TIME|TIMESTAMP)__/) bad = 1
            if (line !~ /^[ \t]*#[ \t]*include/) continue
            if (line ~ /^[ \t]*#[ \t]*include[ \t]*"[^"\/]+"/) {
                inc = line; sub(/^[^"]*"/, "", inc); sub(/".*/, "", inc)
                if ((getline tmp < (dir "/" inc)) < 0) bad = 1
                else { close(dir "/" inc); scan(dir "/" inc) }
            } else if (line ~ /^[ \t]*#[ \t]*include[ \t]*<(stdint|stddef|stdarg|stdbool|limits|stdalign|stdnoreturn|float|iso646)\.h>/) {
                inc = line; sub(/^[^<]*</, "", inc); sub(/>.*/, "", inc)
                if ((getline tmp < (dir "/" inc)) >= 0) { close(dir "/" inc); bad = 1 }
            } else bad = 1
        }
        close(f)
    }
    BEGIN { scan(src); if (bad) exit 1; for (i = 1; i <= n; i++) print files[i] }'
}
quick=
src=
for ((i = 0; i < ${#args[@]}; i++)); do [ "${args[i]}" = -c ] && src=${args[i+1]}; done
others=$(printf '%s\n' "${args[@]}" | grep -c -e '^-I' -e '^-include$' | tr -d ' ')
if [[ " ${args[*]} " == *" -ffreestanding "* ]] && [ -n "$src" ] && [ "$others" = 1 ] &&
   [[ " ${args[*]} " == *" -I$dir "* ]] && files=$(incfiles "$src"); then
    quick=$( { echo "$version" && printf '%s\n' "${args[@]}" &&
               for f in $files; do echo "== $f"; cat "$f"; done; } |
             rename "$dir" "$name" | rename "$PWD" "." | sha256sum) || quick=
    quick=${quick:+q-${quick%% *}}
    if [ -n "$quick" ] && [ -f "$cache/$quick.o" ]; then
        cp "$cache/$quick.o" "$obj"
        exit
    fi
fi

# The key: the compiler's version, its arguments and the preprocessed
# source, with DIR written as NAME and the working folder as ".".
key=$( { echo "$version" && printf '%s\n' "${args[@]}" && "${args[@]}" -E -o - 2>/dev/null; } |
      rename "$dir" "$name" | rename "$PWD" "." | sha256sum) || key=
key=${key%% *}

if [ -n "$key" ] && [ -f "$cache/$key.o" ]; then
    cp "$cache/$key.o" "$obj"
else
    "${args[@]}" -o "$obj" || exit
    [ -z "$key" ] || store "$key"
fi
[ -z "$quick" ] || [ -z "$key" ] || store "$quick"
exit 0
