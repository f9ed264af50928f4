#!/usr/bin/env bash
# FHIR benchmark: `populus export --format fhir` of a generated synthetic ICS
# (SCALE of the default, 1/8 by default: about 100,000 patients) and
# `populus ingest --format fhir` of that NDJSON back, both pinned to one core
# (taskset -c 0). Peer in the same run: Node's JSON.parse over the same NDJSON
# (bench/peers/ndjson-parse.mjs), which only parses. The script also checks
# the round trip: every table of the re-ingested snapshot has the row count
# of the original. Prints medians of RUNS.
#
# With MEMORY_CAP set (say MEMORY_CAP=6G), each FHIR ingest runs in a memory
# cgroup limited to it (cgroup v2, else v1; needs root), page cache included,
# so a load that needs more is killed and the script fails.
#
# With BASELINE set to another populus binary (an earlier commit's build),
# each run also loads the NDJSON with it, uncapped, for a same-run ratio.
#
# With BUNDLE=1, each run also writes every exported resource into one
# collection Bundle file (one entry per NDJSON line) and loads that, capped
# like the NDJSON load, with the same round-trip check: a single Bundle as
# large as the whole export, against the NDJSON load of the same resources.
#
# usage: [MEMORY_CAP=6G] [BASELINE=path] [BUNDLE=1] bench/run-fhir-bench.sh [RUNS] [SCALE]
# Results are recorded by hand in docs/benchmarks.md with the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
scale=${2:-0.125}
work=bench-data/fhir-$scale
populus=build/release/populus
mkdir -p "$work"
if [ ! -x /usr/bin/time ]; then apt-get install -y -qq time >/dev/null; fi
if ! command -v node >/dev/null; then apt-get install -y -qq nodejs >/dev/null; fi

extract=$work/ics
data=$work/data
if [ ! -f "$extract/patients.csv" ]; then
  echo "bench: generating the synthetic ICS at scale $scale into $extract" >&2
  "$populus" generate --scale "$scale" --out "$extract" --overwrite >/dev/null
fi
if [ ! -f "$data/CURRENT" ]; then
  "$populus" ingest "$extract" --into "$data" --demo --extract-date 2019-06-30 >/dev/null
fi

# Runs a command inside the memory cgroup when MEMORY_CAP is set.
capped() {
  if [ -z "${MEMORY_CAP:-}" ]; then
    "$@"
    return
  fi
  local group
  if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
    group=/sys/fs/cgroup/populus-bench
    mkdir -p "$group"
    echo "$MEMORY_CAP" >"$group/memory.max"
    echo 0 >"$group/memory.swap.max" 2>/dev/null || true
  else
    group=/sys/fs/cgroup/memory/populus-bench
    mkdir -p "$group"
    echo "$MEMORY_CAP" >"$group/memory.limit_in_bytes"
    echo "$MEMORY_CAP" >"$group/memory.memsw.limit_in_bytes" 2>/dev/null || true
  fi
  (echo $BASHPID >"$group/cgroup.procs" && exec "$@")
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
: >"$work/export.times"
: >"$work/ingest.times"
: >"$work/peer.runs"
: >"$work/baseline.times"
: >"$work/bundle.times"
for ((i = 0; i < runs; i++)); do
  rm -rf "$work/ndjson" "$work/back"
  /usr/bin/time -f "%e %M" -o "$work/time" taskset -c 0 \
    "$populus" export --format fhir "$data" "$work/ndjson" >/dev/null
  cat "$work/time" >>"$work/export.times"
  capped /usr/bin/time -f "%e %M" -o "$work/time" taskset -c 0 \
    "$populus" ingest --format fhir "$work/ndjson" --into "$work/back" --demo \
    --extract-date 2019-06-30 --no-progress --json >"$work/ingest.json"
  cat "$work/time" >>"$work/ingest.times"
  node bench/peers/ndjson-parse.mjs "$work/ndjson" >>"$work/peer.runs"
  if [ -n "${BUNDLE:-}" ]; then
    rm -rf "$work/bundle" "$work/back-bundle"
    mkdir -p "$work/bundle"
    python3 - "$work/ndjson" "$work/bundle/all.json" <<'PY'
import os, sys
src, out = sys.argv[1], sys.argv[2]
with open(out, "w", buffering=1 << 24) as f:
    f.write('{"resourceType":"Bundle","type":"collection","entry":[\n')
    first = True
    for name in sorted(os.listdir(src)):
        if not name.endswith(".ndjson"):
            continue
        with open(os.path.join(src, name), buffering=1 << 24) as lines:
            for line in lines:
                line = line.rstrip("\n")
                if not line:
                    continue
                f.write(('' if first else ',\n') + '{"resource":' + line + '}')
                first = False
    f.write("\n]}\n")
PY
    capped /usr/bin/time -f "%e %M" -o "$work/time" taskset -c 0 \
      "$populus" ingest --format fhir "$work/bundle" --into "$work/back-bundle" --demo \
      --extract-date 2019-06-30 --no-progress --json >/dev/null
    cat "$work/time" >>"$work/bundle.times"
  fi
  if [ -n "${BASELINE:-}" ]; then
    rm -rf "$work/back-baseline"
    /usr/bin/time -f "%e %M" -o "$work/time" taskset -c 0 \
      "$BASELINE" ingest --format fhir "$work/ndjson" --into "$work/back-baseline" --demo \
      --extract-date 2019-06-30 --no-progress --json >/dev/null
    cat "$work/time" >>"$work/baseline.times"
  fi
done

bytes=$(du -cb "$work"/ndjson/*.ndjson | tail -1 | cut -f1)
export_s=$(awk '{print $1}' "$work/export.times" | median)
ingest_s=$(awk '{print $1}' "$work/ingest.times" | median)
peer_s=$(awk '{print $1}' "$work/peer.runs" | median)
for f in export.times ingest.times baseline.times bundle.times peer.runs; do
  if [ -s "$work/$f" ]; then echo "$f: $(tr '\n' ' ' <"$work/$f")"; fi
done
echo "NDJSON written and read: $bytes bytes in $(ls "$work"/ndjson | wc -l) files"
awk -v b="$bytes" -v s="$export_s" 'BEGIN {printf "export, 1 core:  median %.2f s  %.0f MB/s\n", s, b/s/1e6}'
awk -v b="$bytes" -v s="$ingest_s" 'BEGIN {printf "ingest, 1 core:  median %.2f s  %.0f MB/s\n", s, b/s/1e6}'
awk -v b="$bytes" -v s="$peer_s" 'BEGIN {printf "peer, Node JSON.parse only: median %.2f s  %.0f MB/s\n", s, b/s/1e6}'
if [ -n "${BASELINE:-}" ]; then
  base_s=$(awk '{print $1}' "$work/baseline.times" | median)
  awk -v b="$bytes" -v s="$base_s" 'BEGIN {printf "baseline ingest, 1 core: median %.2f s  %.0f MB/s\n", s, b/s/1e6}'
  echo "baseline peak memory (KB): $(awk '{print $2}' "$work/baseline.times" | median)"
fi
if [ -n "${BUNDLE:-}" ]; then
  bundle_bytes=$(stat -c %s "$work/bundle/all.json")
  bundle_s=$(awk '{print $1}' "$work/bundle.times" | median)
  awk -v b="$bundle_bytes" -v s="$bundle_s" 'BEGIN {printf "one-Bundle ingest, 1 core: %.0f bytes, median %.2f s  %.0f MB/s\n", b, s, b/s/1e6}'
  echo "one-Bundle ingest peak memory (KB): $(awk '{print $2}' "$work/bundle.times" | median)"
fi
if [ -n "${MEMORY_CAP:-}" ]; then echo "each FHIR ingest ran under a memory cap of $MEMORY_CAP"; fi
echo "peak memory (KB): export $(awk '{print $2}' "$work/export.times" | median), ingest $(awk '{print $2}' "$work/ingest.times" | median)"
backs=("$work/back")
if [ -n "${BUNDLE:-}" ]; then backs+=("$work/back-bundle"); fi
for back in "${backs[@]}"; do
  echo "round trip into $back:"
  python3 - "$data" "$back" <<'PY'
import json, sys
def rows(d):
    cur = open(d + "/CURRENT").read().split()[0]
    m = json.load(open(f"{d}/versions/{cur}/manifest.json"))
    return {t: v["rows"] for t, v in m["tables"].items()}
a, b = rows(sys.argv[1]), rows(sys.argv[2])
for t in sorted(a):
    print(f"  {t:<18} {a[t]:>12} {b.get(t, 0):>12}  {'same' if a[t] == b.get(t) else 'DIFFERENT'}")
if a != b:
    sys.exit("round trip: the row counts differ")
print("round trip: every table has the same row count")
PY
done
