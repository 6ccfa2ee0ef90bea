#!/bin/bash
# tests/grader/regrade-timing.sh [N]: measure the batch regrade on a class of
# N (default 3) submissions in which every exercise is solved (the reference
# solutions: the worst case, every graded test boots), plus one broken
# tarball; write book/measured/grader.json.  Takes minutes: run it with nice.
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-3}
work=build/regrade-timing
rm -rf "$work" && mkdir -p "$work/subs"
python3 tools/grade.py handout "$work/handout" >/dev/null
for ex in exercises/solutions/*.patch; do
    id=$(basename "$ex" .patch)
    [ -d "$work/handout/exercises/$id/src" ] && patch -s -p1 -d "$work/handout/exercises/$id/src" -i "$PWD/$ex"
done
for i in $(seq 1 "$n"); do
    tar czf "$work/subs/student$i.tar.gz" -C "$work" handout
done
echo "not a tarball" > "$work/subs/broken.tar.gz"
python3 tools/grade.py regrade "$work/subs" --out "$work/gradebook" --jobs 2
python3 - "$work/gradebook.json" "$n" <<'PY'
import json, os, sys
book = json.load(open(sys.argv[1]))
full = [s for s in book["submissions"] if "error" not in s]
per = sum(s["seconds"] for s in full) / len(full)
cpu = sum(s["cpu_seconds"] for s in full) / len(full)
exercises = len([r for r in full[0]["exercises"] if r.get("tests")])
out = {"_command": "nice tests/grader/regrade-timing.sh " + sys.argv[2],
       "cpu": next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?"),
       "cores": str(os.cpu_count()),
       "regrade_exercises": str(exercises),
       "regrade_seconds_per_submission": f"{per:.0f}",
       "regrade_seconds_per_exercise": f"{per / exercises:.1f}",
       "regrade_class_of_100_minutes": f"{100 * per / 60:.0f}",
       "regrade_cpu_seconds_per_submission": f"{cpu:.0f}",
       "regrade_idle_seconds_per_submission": f"{cpu / 2:.0f}",
       "regrade_idle_class_of_100_minutes": f"{100 * cpu / 2 / 60:.0f}",
       "load_average": open("/proc/loadavg").read().split()[1],
       "regrade_points": f"{full[0]['points']}/{full[0]['max_points']}"}
os.makedirs("book/measured", exist_ok=True)
json.dump(out, open("book/measured/grader.json", "w"), indent=1)
print(json.dumps(out, indent=1))
PY
