# The python3 workload of the allocator lab: build, transform and serialize
# some data, the way small scripts do (run with PYTHONMALLOC=malloc, so that
# every object comes from malloc rather than Python's own small-object pool).
import json, random, re
random.seed(1)
words = ["".join(random.choice("abcdefghij") for _ in range(random.randint(2, 12))) for _ in range(3000)]
text = " ".join(random.choice(words) for _ in range(20000))
counts = {}
for w in re.findall(r"[a-j]+", text):
    counts[w] = counts.get(w, 0) + 1
records = [{"word": w, "count": c, "tags": sorted(set(w))} for w, c in counts.items()]
records.sort(key=lambda r: (-r["count"], r["word"]))
blob = json.dumps(records)
back = json.loads(blob)
print(len(back), sum(r["count"] for r in back))
