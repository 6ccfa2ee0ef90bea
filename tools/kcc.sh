#!/usr/bin/env bash
# kcc.sh DIR=NAME CC ARG... -o OBJ: compile one file (a kernel's or a host test's) as
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
#
# A suite compiles thousands of files this way, so the script starts as few
# programs as it can: a cached object costs one awk, one sha256sum and one
# cp.  (KCC_VERSION: the compiler's first line of --version, if the caller
# knows it already.)  tools/test-kcc.sh checks the cache's promises.
set -uo pipefail
map=$1; shift
dir=${map%%=*} name=${map#*=}
cache=${KCC_CACHE:-build/objcache}
args=() obj= src= includes=0 freestanding= own_include=
while [ $# -gt 0 ]; do
    case $1 in
        -o) obj=$2; shift 2; continue ;;
        -c) src=$2 ;;
        -I*|-include) includes=$((includes + 1)) ;;
        -ffreestanding) freestanding=1 ;;
    esac
    [ "$1" = "-I$dir" ] && own_include=1
    args+=("$1"); shift
done
# (the last map that matches a path wins: DIR's, then the working folder's)
args+=("-fdebug-prefix-map=$PWD=." "-fmacro-prefix-map=$PWD/="
       "-fdebug-prefix-map=$dir=$name" "-fmacro-prefix-map=$dir/=$name/")
version=${KCC_VERSION:-$("${args[0]}" --version | head -n 1)}
# The hash: sha256sum, or on macOS shasum; with neither, no cache.
if command -v sha256sum >/dev/null; then hash=(sha256sum)
elif command -v shasum >/dev/null; then hash=(shasum -a 256)
else exec "${args[@]}" -o "$obj"
fi

# rename: every DIR in the text reads NAME, then the working folder reads "."
# (awk's own program; the hashes below feed their text through it).
RENAME='function rename(s, d, n,   o, i) {
            o = ""; while ((i = index(s, d)) > 0) { o = o substr(s, 1, i - 1) n; s = substr(s, i + length(d)) }
            return o s }
        function out(s) { print rename(rename(s, dir, name), pwd, ".") }'
store() {       # store KEY: keep the object under KEY
    mkdir -p "$cache"
    local tmp
    tmp=$(mktemp "$cache/.tmp.XXXXXX") && cp "$obj" "$tmp" && mv -f "$tmp" "$cache/$1.o"
}
printargs() { printf '%s\n' "$version" "${args[@]}"; }

# The quick key, for a kernel file (-ffreestanding, no -I but DIR's, no
# -include): the compiler's version, its arguments, and the text of the
# source and of every file it includes, which must all be in DIR (quoted
# includes) or be the compiler's own freestanding headers (<stdint.h> and
# the like, with no file of that name in DIR).  The awk program reads them
# all and prints what the key hashes; it gives up (no quick key) on any
# other #include, and on __DATE__ or __TIME__.  This spares the
# preprocessor when nothing changed.
quick=
if [ -n "$freestanding" ] && [ -n "$src" ] && [ "$includes" = 1 ] && [ -n "$own_include" ]; then
    quick=$(printargs | awk -v dir="$dir" -v name="$name" -v pwd="$PWD" -v src="$src" "$RENAME"'
    function scan(f,   line, inc, tmp, r) {
        if (f in seen) return
        seen[f] = 1; files[++n] = f
        while ((r = (getline line < f)) > 0) {
            text[f] = text[f] line "\n"
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
        if (r < 0) bad = 1                            # (a file it cannot read)
        close(f)
    }
    { out($0) }                                   # the version and the arguments
    END {
        scan(src)
        if (bad) exit 1
        for (i = 1; i <= n; i++) { out("== " files[i]); printf "%s", text[files[i]] }
    }' | "${hash[@]}") || quick=
    quick=${quick:+q-${quick%% *}}
    if [ -n "$quick" ] && [ -f "$cache/$quick.o" ]; then
        exec cp "$cache/$quick.o" "$obj"
    fi
fi

# The key: the compiler's version, its arguments and the preprocessed
# source, with DIR written as NAME and the working folder as ".".
key=$( { printargs && "${args[@]}" -E -o - 2>/dev/null; } |
      awk -v dir="$dir" -v name="$name" -v pwd="$PWD" "$RENAME"'{ out($0) }' | "${hash[@]}") || key=
key=${key%% *}

if [ -n "$key" ] && [ -f "$cache/$key.o" ]; then
    cp "$cache/$key.o" "$obj"
else
    "${args[@]}" -o "$obj" || exit
    [ -z "$key" ] || store "$key"
fi
[ -z "$quick" ] || [ -z "$key" ] || ln -f "$cache/$key.o" "$cache/$quick.o" 2>/dev/null || store "$quick"
exit 0
