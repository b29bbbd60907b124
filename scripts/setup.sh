#!/usr/bin/env bash
# Installs every Debian package loupe needs to build, test and run (idempotent; Debian 12).
# Called by `make demo` and `make test`; safe to run again. Needs root (or sudo).
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libsqlite3-dev sqlite3 libpq-dev postgresql-15 libpugixml-dev nlohmann-json3-dev libcpp-httplib-dev libspdlog-dev libfmt-dev
  libcli11-dev libgtest-dev libgmock-dev libbenchmark-dev libsodium-dev libcurl4-openssl-dev
  libssl-dev libopencv-dev libturbojpeg0-dev libtorch-dev libopenblas0-pthread liblinear-dev
  awscli python3-boto3 clang-format clang-tidy curl python3 python3-yaml python3-numpy python3-opencv python3-torch librsvg2-bin
  ccache chromium fonts-dejavu-core
)

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js (for the web console build) may come from Debian or NodeSource: check the command.
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  APT="$SUDO apt-get -o DPkg::Lock::Timeout=900 -o Acquire::Retries=3"
  $APT update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive $APT install -y -q --no-install-recommends "${missing[@]}"
fi

# OpenBLAS as the system BLAS: ~10x faster network inference than the reference BLAS.
for alt in libblas.so.3-x86_64-linux-gnu liblapack.so.3-x86_64-linux-gnu; do
  target=$(update-alternatives --list "$alt" 2>/dev/null | grep openblas-pthread | head -n1 || true)
  if [ -n "$target" ]; then $SUDO update-alternatives --set "$alt" "$target" >/dev/null; fi
done
echo "setup: dependencies present"
