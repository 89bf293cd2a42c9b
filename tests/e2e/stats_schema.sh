#!/bin/bash
# The statistics registry (model/statreg.h): docs/replay.md's table is the one the registry
# generates now (`make docs-stats` after changing a statistic); every path is listed once;
# every member of a replay's JSON report and every column of its timeline is a row of the
# table (instance names replaced by the placeholders, list indices by []).
source "$(dirname "$0")/lib.sh"

check "stats-schema runs" "$MMSIM" stats-schema "$ROOT/configs/default.ini"
"$MMSIM" stats-schema "$ROOT/configs/default.ini" >"$TMP/schema.md" 2>&1
sed -n '/^<!-- stats-schema begin/,/^<!-- stats-schema end/p' "$ROOT/docs/replay.md" | sed '1d;$d' >"$TMP/doc.md"
check "docs/replay.md's table is the registry's (make docs-stats)" diff "$TMP/doc.md" "$TMP/schema.md"
check_eq "no path listed twice" "" "$(awk -F'|' 'NR > 2 { print $2 }' "$TMP/schema.md" | sort | uniq -d)"
check "stats-schema without a config is a usage error" bash -c "! '$MMSIM' stats-schema"
check "stats-schema names a bad config" bash -c "'$MMSIM' stats-schema '$TMP/none.ini' 2>&1 | grep -q none.ini"

# a replay under memory pressure: every group of the OS model is in its report
check "replay with reclaim" "$MMSIM" replay -c "$ROOT/configs/default.ini" --no-progress \
    -s memory.size=2M -s swap.size=64M -s memcg.limit=1M --timeline "$TMP/tl.csv" \
    -o "$TMP/r.json" "$ROOT/tests/data/dbi_v1_2.mmt"
python3 - "$TMP/r.json" "$TMP/schema.md" "$TMP/tl.csv" <<'PY' >"$TMP/cover.out" 2>&1
import json, re, sys
rep = json.load(open(sys.argv[1]))
rows = [l.split("|") for l in open(sys.argv[2]).read().splitlines()[2:]]
paths = {r[1].strip().strip("`") for r in rows}
columns = {r[4].strip().strip("`") for r in rows if r[4].strip()}
# where instances are named: (prefix, index of the name, placeholder)
PLACES = [(["tlb"], 1, "<tlb>"), (["cache"], 1, "<cache>"), (["os", "slab"], 2, "<cache>"),
          (["walker", "psc"], 2, "<level>"), (["walker", "reads"], 2, "L<level>"),
          (["walker", "read_cycles"], 2, "L<level>"), (["cpi_breakdown"], 1, "<part>"),
          (["cycles_breakdown"], 1, "<part>")]
def generic(path):
    path = list(path)
    for prefix, i, ph in PLACES:
        if path[:len(prefix)] == prefix and len(path) > i and not (ph == "<cache>" and path[i] == "total_pages"):
            path[i] = ph
    if path[:1] == ["tlb"] and len(path) > 3 and path[2] == "page_size":
        path[3] = "<size>"
    return ".".join(path).replace(".[]", "[]")
missing = []
def walk(v, path):
    if isinstance(v, dict) and path[:1] not in (["kernel_traits"], ["windows"]) and path[-1:] != ["buckets"]:
        for k, x in v.items(): walk(x, path + [k])
    elif isinstance(v, list) and path[-1:] != ["buckets"]:
        g = generic(path) + "[]"
        if g not in paths: missing.append(g)
        for x in v: walk(x, path + ["[]"])
    else:
        g = generic(path)
        if g not in paths: missing.append(g)
walk(rep, [])
header = open(sys.argv[3]).readline().strip().split(",")
nocol = [h for h in header if h not in columns and not (re.fullmatch(r"order\d+", h) and "orderN" in columns)]
print("JSON members not in the schema:", sorted(set(missing)))
print("timeline columns not in the schema:", nocol)
sys.exit(1 if missing or nocol else 0)
PY
check "every JSON member and timeline column is in the schema" test $? -eq 0
sed 's/^/# /' "$TMP/cover.out"
