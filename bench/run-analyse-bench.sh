#!/usr/bin/env bash
# Analysis benchmark: `populus analyse` of the default synthetic ICS (the
# whole analysis, and --core-only: population, registers, multimorbidity and
# frailty), with DuckDB computing the core tables in SQL from the same
# extract as a peer in the same run (bench/peers/duckdb-analyse.mjs; its
# load of the CSV files is timed apart and not counted). The script checks
# that DuckDB and populus count exactly the same people in every practice,
# register, number of conditions and frailty category (populus run with
# disclosure control off: --suppress-up-to 0 --round-to 1). Prints medians.
#
# usage: bench/run-analyse-bench.sh [RUNS]
# Results are recorded by hand in docs/benchmarks.md with the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
work=bench-data/analyse
populus=build/release/populus
threads=$(nproc)
mkdir -p "$work"
if [ ! -x /usr/bin/time ]; then apt-get install -y -qq time >/dev/null; fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "bench: installing nodejs and npm for the DuckDB peer" >&2
  apt-get install -y -qq nodejs npm >/dev/null
fi
(cd bench/peers && npm install --no-audit --no-fund --loglevel=error)

extract=$work/ics
data=$work/data
if [ ! -f "$extract/patients.csv" ]; then
  echo "bench: generating the default synthetic ICS into $extract" >&2
  "$populus" generate --out "$extract" --overwrite >/dev/null
fi
if [ ! -f "$data/CURRENT" ]; then
  "$populus" ingest "$extract" --into "$data" --demo --extract-date 2019-06-30 >/dev/null
fi

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
timed() {  # timed TIMES_FILE COMMAND...: appends "wall peak_kb"
  local out=$1
  shift
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null
  cat "$work/time" >>"$out"
}

: >"$work/full.times"
: >"$work/core.times"
: >"$work/duckdb.runs"
for ((i = 0; i < runs; i++)); do
  timed "$work/full.times" "$populus" analyse "$data" --out "$work/full" --overwrite
  timed "$work/core.times" "$populus" analyse "$data" --out "$work/core" --overwrite --core-only \
    --suppress-up-to 0 --round-to 1
  node bench/peers/duckdb-analyse.mjs "$extract" "$PWD" 2019-06-30 "$threads" "$work/duckdb" \
    >>"$work/duckdb.runs"
done

python3 - "$work" <<'PY'
import csv, json, sys
work = sys.argv[1]
def rows(path):
    return list(csv.DictReader(open(path)))
# populus (exact counts) by practice.
ours_reg = {(r["organisation_code"], r["register"]): int(r["patients"])
            for r in rows(f"{work}/core/registers.csv") if r["level"] == "practice"}
ours_mm, ours_efi = {}, {}
for r in rows(f"{work}/core/multimorbidity.csv"):
    if r["level"] != "practice":
        continue
    for k, col in enumerate(["ltc_0", "ltc_1", "ltc_2", "ltc_3", "ltc_4_plus"]):
        ours_mm[(r["organisation_code"], k)] = int(r[col])
categories = json.loads(open(f"{work}/duckdb.runs").readline())["categories"]
for r in rows(f"{work}/core/frailty.csv"):
    if r["level"] != "practice":
        continue
    for k, c in enumerate(categories):
        ours_efi[(r["organisation_code"], k)] = int(r[c])
theirs_reg = {(r["practice_code"], r["register"]): int(r["patients"])
              for r in rows(f"{work}/duckdb/registers.csv")}
theirs_mm = {(r["practice_code"], int(r["conditions"])): int(r["patients"])
             for r in rows(f"{work}/duckdb/multimorbidity.csv")}
theirs_efi = {(r["practice_code"], int(r["category"])): int(r["patients"])
              for r in rows(f"{work}/duckdb/frailty.csv")}
def same(name, ours, theirs):
    keys = set(ours) | set(theirs)
    bad = [k for k in keys if ours.get(k, 0) != theirs.get(k, 0)]
    print(f"{name}: {len(keys)} practice counts compared, {len(bad)} differ" +
          (f" (first: {sorted(bad)[:3]})" if bad else ""))
    return not bad
ok = all([same("registers", ours_reg, theirs_reg), same("multimorbidity", ours_mm, theirs_mm),
          same("frailty", ours_efi, theirs_efi)])
if not ok:
    sys.exit("bench: populus and DuckDB disagree")
PY

full_s=$(cut -d' ' -f1 "$work/full.times" | median)
full_mb=$(($(cut -d' ' -f2 "$work/full.times" | median | cut -d. -f1) / 1024))
core_s=$(cut -d' ' -f1 "$work/core.times" | median)
core_mb=$(($(cut -d' ' -f2 "$work/core.times" | median | cut -d. -f1) / 1024))
duck_s=$(python3 -c 'import json,sys; print("\n".join(str(json.loads(l)["analysis_seconds"]) for l in open(sys.argv[1])))' "$work/duckdb.runs" | median)
load_s=$(python3 -c 'import json,sys; print("\n".join(str(json.loads(l)["load_seconds"]) for l in open(sys.argv[1])))' "$work/duckdb.runs" | median)
echo "| step | wall (median of $runs) | peak memory |"
echo "| --- | --- | --- |"
echo "| populus analyse (everything) | ${full_s} s | ${full_mb} MB |"
echo "| populus analyse --core-only | ${core_s} s | ${core_mb} MB |"
echo "| DuckDB, same core tables in SQL ($threads threads; load of the CSVs, ${load_s} s, not counted) | ${duck_s} s | |"
python3 -c "print(f'populus --core-only is {$duck_s / $core_s:.1f} times faster than DuckDB on the analysis step')"
