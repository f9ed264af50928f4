#!/usr/bin/env bash
# Generate benchmark: `populus generate` of the default synthetic ICS at three
# sizes (about 100,000, 803,000 and 2,000,000 registered), then `populus
# ingest` of the default-size extract, and `populus project` of it to 2040 with
# a scenario and its baseline. Prints the median wall time and peak
# memory of each, the rows written and whether every calibration target
# passed.
#
# usage: bench/run-generate-bench.sh [RUNS]
# Results are recorded by hand in docs/benchmarks.md with the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
work=bench-data/generate
populus=build/release/populus
mkdir -p "$work"
if [ ! -x /usr/bin/time ]; then apt-get install -y -qq time >/dev/null; fi

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
rows() { tail -n +2 "$1" | wc -l; }

echo "| scale | registered at baseline | people | events | medications | appointments | hospital | wall (median) | peak memory (median) | people per second | targets |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
for scale in 0.12453 1 2.4907; do
  out=$work/ics-$scale
  : > "$work/times"
  for ((i = 0; i < runs; i++)); do
    /usr/bin/time -f "%e %M" -o "$work/time" "$populus" generate --out "$out" --scale "$scale" \
      --overwrite > "$work/report"
    cat "$work/time" >> "$work/times"
  done
  wall=$(cut -d' ' -f1 "$work/times" | median)
  peak=$(cut -d' ' -f2 "$work/times" | median)
  registered=$(sed -n 's/.*(\([0-9]*\) registered at baseline.*/\1/p' "$work/report")
  people=$(rows "$out/patients.csv")
  failed=$(grep -c FAIL "$out/calibration.csv" || true)
  echo "| $scale | $registered | $people | $(rows "$out/events.csv") | $(rows "$out/medications.csv") | $(rows "$out/appointments.csv") | $(rows "$out/hospital_activity.csv") | ${wall} s | $((peak / 1024)) MB | $(awk -v p="$people" -v w="$wall" 'BEGIN {printf "%d", p / w}') | $([ "$failed" = 0 ] && echo "all pass" || echo "$failed FAIL") |"
  if [ "$scale" != 1 ]; then rm -rf "$out"; fi
done

out=$work/ics-1
bytes=$(du -cb "$out"/*.csv | tail -1 | cut -f1)
: > "$work/times"
for ((i = 0; i < runs; i++)); do
  rm -rf "$work/data"
  /usr/bin/time -f "%e %M" -o "$work/time" "$populus" ingest "$out" --into "$work/data" --demo \
    > /dev/null
  cat "$work/time" >> "$work/times"
done
wall=$(cut -d' ' -f1 "$work/times" | median)
peak=$(cut -d' ' -f2 "$work/times" | median)
echo
echo "ingest of the default extract ($((bytes / 1000000)) MB): median ${wall} s wall, $((peak / 1024)) MB peak, $(awk -v b="$bytes" -v w="$wall" 'BEGIN {printf "%d", b / w / 1e6}') MB/s"

: > "$work/times"
for ((i = 0; i < runs; i++)); do
  /usr/bin/time -f "%e %M" -o "$work/time" "$populus" project --to 2040 \
    --scenario data/scenarios/diabetes-prevention.toml --compare --out "$work/projection" \
    --overwrite > /dev/null
  cat "$work/time" >> "$work/times"
done
wall=$(cut -d' ' -f1 "$work/times" | median)
peak=$(cut -d' ' -f2 "$work/times" | median)
echo "project to 2040 with a scenario and --compare: median ${wall} s wall, $((peak / 1024)) MB peak"
