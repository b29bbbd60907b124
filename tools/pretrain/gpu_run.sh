#!/bin/bash
# The one GPU run that produced logo_v1 (device tool: run in repo root, .pretrain_data carried, $OUT returned).
set -o pipefail
OUT=${OUT:-/tmp/pretrain_out}
MIN=${MIN:-8.0}
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
python3 -c "import torch, numpy, cv2; print('torch', torch.__version__, 'numpy', numpy.__version__, 'cv2', cv2.__version__)"
PYTHONUNBUFFERED=1 timeout $(python3 -c "print(int($MIN*60+50))") \
  python3 tools/pretrain/train.py --data .pretrain_data/pretrain.npz --out "$OUT" --minutes "$MIN" \
  2>&1 | tee "$OUT/train_stdout.log"
ls -la "$OUT"
