#!/usr/bin/env bash
# deps.sh doctor            report every required tool and its Debian package
# deps.sh install GROUP...  install what GROUP needs if it is missing
# Groups: boot, gdb, tangle, host, book, browser, llvm, lab, all (see tools/deps.txt;
# book/deps.txt adds the book's needs).  "test" means everything make test runs.
set -uo pipefail
cd "$(dirname "$0")/.."
lists=(tools/deps.txt)
[ -f book/deps.txt ] && lists+=(book/deps.txt)

have() { if [[ $1 == /* ]]; then compgen -G "$1" >/dev/null; else command -v "$1" >/dev/null 2>&1; fi; }

entries() {     # entries GROUP...: "group check package why" lines of those groups
    local want=" $* "
    [[ $want == *" test "* || $want == *" all "* ]] && want=" boot gdb tangle host v86 book browser llvm lab "
    [[ $want == *" gdb "* ]] && want+=" boot "
    awk '$1 !~ /^#/ && NF >= 3' "${lists[@]}" | while read -r group check pkg why; do
        [[ $want == *" $group "* ]] && echo "$group $check $pkg $why"
    done
}

case "${1:-}" in
doctor)
    printf '%-8s %-45s %-26s %s\n' GROUP TOOL PACKAGE STATUS
    entries all | while read -r group check pkg why; do
        if have "$check"; then s=ok; else s="MISSING ($why)"; fi
        printf '%-8s %-45s %-26s %s\n' "$group" "$check" "$pkg" "$s"
    done
    ;;
install)
    shift
    missing=() reasons=()
    while read -r group check pkg why; do
        [ -z "$group" ] && continue
        if ! have "$check" && [[ " ${missing[*]} " != *" $pkg "* ]]; then
            missing+=("$pkg"); reasons+=("  $pkg: $why")
        fi
    done < <(entries "$@")
    [ ${#missing[@]} -eq 0 ] && exit 0
    if ! command -v apt-get >/dev/null; then
        # Not Debian: say what the Debian build would install, and go on (README: building without Debian).
        echo "deps: no apt-get here: not installing ${missing[*]} (README.md: Building without Debian)" >&2
        exit 0
    fi
    echo "Installing Debian packages this needs (make $*):"
    printf '%s\n' "${reasons[@]}"
    if [ "$(id -u)" -eq 0 ]; then sudo=(); elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo=(sudo -n)
    else
        echo "deps: cannot install as $(id -un) (not root, no password-less sudo). Please run:" >&2
        echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    if ! { "${sudo[@]}" apt-get update -qq && "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/tmp/sarrus-apt.log 2>&1; }; then
        echo "deps: apt-get failed installing: ${missing[*]} (log: /tmp/sarrus-apt.log)" >&2
        tail -n 20 /tmp/sarrus-apt.log >&2
        exit 1
    fi
    echo "deps: installed ${missing[*]}"
    ;;
*)
    echo "usage: deps.sh doctor | install GROUP..." >&2; exit 2 ;;
esac
