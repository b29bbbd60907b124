#!/usr/bin/env bash
# `make demo`: starts loupe on its embedded defaults (SQLite + local object store in
# $LOUPE_DEMO_DATA, default ./demo-data) with demo data from ../shared/logogen (real brand logos
# on real photos): labelled images for 5 logos, a first model trained and deployed by the
# shipped training-poll workflow, and a slow stream of uploads whose uncertain detections
# become review tasks. Prints the console URL and an admin and a reviewer account.
set -euo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
BIN="$BUILD/loupe"
DATA=${LOUPE_DEMO_DATA:-./demo-data}
PORT=${LOUPE_PORT:-8080}
LOGOGEN=../shared/logogen
CREDS="$DATA/demo-credentials"
mkdir -p "$DATA/objects"
rand() { head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 20; }

if [ ! -d "$DATA/objects/images_labeled_by_folder" ] && [ -f "$LOGOGEN/logogen.py" ]; then
  echo "demo: generating labelled logo images with logogen (first run only, ~1 minute)"
  bash "$LOGOGEN/setup.sh" >/tmp/loupe-demo-logogen-setup.log 2>&1
  gen=$(mktemp -d)
  /usr/bin/python3 "$LOGOGEN/logogen.py" generate --seed 7 --k 5 --train 10 --test 4 \
    --none 5 --novel 5 --out "$gen" >/dev/null
  # Into the folder layout loupe watches: the copy is picked up like any operator's drop.
  mkdir -p "$DATA/objects/images_labeled_by_folder"
  cp -r "$gen/train/." "$DATA/objects/images_labeled_by_folder/"
  rm -rf "$gen"
  # Uploads for later (outside the watched folders): 70 % known logos, the rest none/unknown.
  /usr/bin/python3 "$LOGOGEN/logogen.py" stream --seed 8 --k 5 --count 300 --p-known 0.7 \
    --p-none 0.15 --out "$DATA/upload-queue" >/dev/null
  rm -f "$DATA/upload-queue/stream.jsonl"
elif [ ! -f "$LOGOGEN/logogen.py" ]; then
  echo "demo: ../shared/logogen not found; starting with an empty data directory"
fi

first_run=false
if [ ! -f "$CREDS" ]; then
  first_run=true
  umask 077
  cat >"$CREDS" <<CREDS_EOF
ADMIN_PASSWORD=${LOUPE_ADMIN_PASSWORD:-$(rand)}
REVIEWER_PASSWORD=$(rand)
TOKEN=$(rand)$(rand)
CREDS_EOF
fi
# shellcheck disable=SC1090
source "$CREDS"

export LOUPE_SERVER="http://127.0.0.1:$PORT" LOUPE_TOKEN="$TOKEN"
LOUPE_ADMIN_PASSWORD="$ADMIN_PASSWORD" LOUPE_BOOTSTRAP_TOKEN="$TOKEN" \
  "$BIN" serve --data "$DATA" --port "$PORT" &
SERVER=$!
UPLOADER=""
stop() {
  [ -n "$UPLOADER" ] && kill "$UPLOADER" 2>/dev/null || true
  kill -TERM "$SERVER" 2>/dev/null || true
}
trap stop INT TERM EXIT

for _ in $(seq 1 120); do
  curl -sf "$LOUPE_SERVER/healthz" >/dev/null 2>&1 && break
  kill -0 "$SERVER" 2>/dev/null || { echo "demo: loupe did not start" >&2; exit 1; }
  sleep 0.5
done
api() { curl -sf -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' "$@"; }

if $first_run; then
  "$BIN" users add reviewer --role reviewer --team default --password "$REVIEWER_PASSWORD" >/dev/null
  # A first model from 10 images per logo scores around 0.6-0.8 macro F1; let it deploy.
  "$BIN" params set Minimum-F1-Score 0.5 >/dev/null
  echo "demo: Minimum-F1-Score set to 0.5 so the first small model deploys (change it in the console)"
  api -X POST "$LOUPE_SERVER/v1/training/poll" -d '{}' >/dev/null
  echo -n "demo: training and deploying the first model"
  for _ in $(seq 1 300); do
    if api "$LOUPE_SERVER/v1/endpoints/production" 2>/dev/null | grep -q '"version":"'; then break; fi
    echo -n "."
    sleep 2
  done
  echo
fi

# The upload stream: one image every 5 s moved into the watched folder (a rename, as a
# consumer's atomic drop would be).
if [ -d "$DATA/upload-queue" ]; then
  (
    mkdir -p "$DATA/objects/images_for_detection"
    for f in "$DATA"/upload-queue/*.jpg; do
      [ -e "$f" ] || break
      sleep 5
      mv "$f" "$DATA/objects/images_for_detection/"
    done
  ) &
  UPLOADER=$!
fi

cat <<EOF_MSG

  loupe demo is running: open http://127.0.0.1:$PORT/ in a browser
    operator:  admin     / $ADMIN_PASSWORD
    reviewer:  reviewer  / $REVIEWER_PASSWORD   (review tasks appear as uploads arrive)
  CLI:  LOUPE_SERVER=$LOUPE_SERVER LOUPE_TOKEN=$TOKEN $BIN models ls
  Credentials are kept in $CREDS. Ctrl-C stops loupe.

EOF_MSG
wait "$SERVER"
