#!/usr/bin/env bash
# `make bench`: runs every benchmark; each prints `RESULT name=value unit` lines and its machine.
set -euo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
"$BUILD/bench/workflow_throughput"
if [ -f ../shared/logogen/logogen.py ]; then
  bash ../shared/logogen/setup.sh >/dev/null
  bash bench/ml_quality.sh "$BUILD"
else
  echo "bench: ../shared/logogen not found; skipping ml_quality"
fi
