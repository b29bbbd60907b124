#!/usr/bin/env bash
# Generates the logogen data sets and runs bench/ml_quality on each; prints every RESULT line
# and the averages over seeds. Usage: bench/ml_quality.sh BUILD_DIR [--backbone MODEL.pt]
# Needs `bash ../shared/logogen/setup.sh` once (root). Data is cached under $ML_QUALITY_DATA.
set -euo pipefail
BUILD=${1:?usage: ml_quality.sh BUILD_DIR [extra ml_quality args]}
shift
HERE=$(cd "$(dirname "$0")" && pwd)
LOGOGEN=${LOGOGEN:-$HERE/../../shared/logogen/logogen.py}
DATA=${ML_QUALITY_DATA:-/tmp/loupe-ml-quality}
BIN=$(find "$BUILD" -name ml_quality -type f -perm -u+x | head -n1)
[ -x "$BIN" ] || { echo "ml_quality binary not found under $BUILD" >&2; exit 1; }
mkdir -p "$DATA"
gen() {  # seed k train out
  [ -f "$4/meta.json" ] || /usr/bin/python3 "$LOGOGEN" generate --seed "$1" --k "$2" --train "$3" \
      --test 30 --none 100 --novel 100 --out "$4" >/dev/null
}
OUT=$(mktemp)
for s in 0 1 2; do
  gen "$s" 10 20 "$DATA/k10_s$s"
  "$BIN" --data "$DATA/k10_s$s" --tag "k10_s$s" "$@" | tee -a "$OUT"
  gen "$s" 5 5 "$DATA/k5_s$s"
  "$BIN" --data "$DATA/k5_s$s" --tag "k5_s$s" "$@" | tee -a "$OUT"
done
echo "# averages over seeds 0, 1, 2"
grep '^RESULT' "$OUT" | sed -E 's/^RESULT (k[0-9]+)_s[0-9]+\.([^=]+)=([^ ]+) (.*)$/\1.\2 \3 \4/' |
  awk '{sum[$1]+=$2; n[$1]++; unit[$1]=$3} END {for (k in sum) printf "RESULT avg.%s=%.4f %s\n", k, sum[k]/n[k], unit[k]}' | sort
rm -f "$OUT"
