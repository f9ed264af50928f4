#!/usr/bin/env bash
# Ingest benchmark: populus ingest of a large extract, with DuckDB loading the
# same events.csv on one thread as a peer in the same run. Prints medians.
#
# usage: bench/run-ingest-bench.sh [PATIENTS] [EVENTS_PER_PATIENT] [RUNS]
# Results are recorded by hand in docs/benchmarks.md with the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
patients=${1:-800000}
per_patient=${2:-35}
runs=${3:-5}
work=bench-data
extract=$work/extract-$patients-$per_patient
populus=build/release/populus

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "bench: installing nodejs and npm for the DuckDB peer" >&2
  apt-get install -y -qq nodejs npm >/dev/null
fi
if [ ! -x /usr/bin/time ]; then apt-get install -y -qq time >/dev/null; fi
(cd bench/peers && npm install --no-audit --no-fund --loglevel=error)

if [ ! -f "$extract/events.csv" ]; then
  echo "bench: writing a $patients-patient extract to $extract" >&2
  build/release/make_bench_extract "$extract" "$patients" "$per_patient"
fi
events_bytes=$(stat -c %s "$extract/events.csv")
total_bytes=$(du -cb "$extract"/*.csv | tail -1 | cut -f1)

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

: >"$work/populus.runs"
for i in $(seq "$runs"); do
  rm -rf "$work/data"
  /usr/bin/time -f "%e %M" -o "$work/time.txt" \
    "$populus" ingest "$extract" --into "$work/data" --demo --extract-date 2019-06-30 --json \
    >"$work/report.json"
  python3 - "$work/report.json" "$work/time.txt" >>"$work/populus.runs" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
wall, rss_kb = open(sys.argv[2]).read().split()
print(r["files"]["events.csv"]["seconds"], wall, int(rss_kb) / 1024)
PY
done
"$populus" info "$work/data" --json >"$work/info.json"
bytes_per_event=$(python3 -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["bytes_per_event"], 2))' "$work/info.json")

: >"$work/duckdb.runs"
for i in $(seq "$runs"); do
  node bench/peers/duckdb-load-events.mjs "$extract/events.csv" 1 |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["seconds"])' >>"$work/duckdb.runs"
done

events_s=$(cut -d' ' -f1 "$work/populus.runs" | median)
wall_s=$(cut -d' ' -f2 "$work/populus.runs" | median)
rss_mb=$(cut -d' ' -f3 "$work/populus.runs" | median)
duck_s=$(median <"$work/duckdb.runs")
python3 - <<PY
eb, tb = $events_bytes, $total_bytes
ev, wall, rss, duck = $events_s, $wall_s, $rss_mb, $duck_s
print(f"extract: {tb/1e6:.0f} MB ({eb/1e6:.0f} MB events.csv), $patients patients, $runs runs, medians")
print(f"populus events.csv parse+validate+link: {ev:.2f} s = {eb/ev/1e6:.0f} MB/s (one core)")
print(f"populus whole ingest wall: {wall:.2f} s = {tb/wall/1e6:.0f} MB/s, peak RSS {rss:.0f} MB")
print(f"snapshot: $bytes_per_event bytes per event plus dictionaries and offsets")
print(f"DuckDB 1 thread read_csv of events.csv: {duck:.2f} s = {eb/duck/1e6:.0f} MB/s")
print(f"ratio DuckDB / populus on events.csv: {duck/ev:.2f}x")
PY
