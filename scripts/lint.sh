#!/usr/bin/env bash
# Format check (clang-format) on every C++ file; the include/link check (every #include of a
# module's header is backed by a CMake link, scripts/check_deps.py); clang-tidy on the files that
# do not include libtorch (tidy on torch headers takes minutes per file); the deployment files
# (scripts/check_deploy.py). Exits non-zero on any finding.
set -euo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
files=$(git ls-files '*.cc' '*.h')
if [ -n "$files" ]; then
  echo "lint: clang-format"
  clang-format --dry-run -Werror $files
fi
if [ -f "$BUILD/CMakeCache.txt" ]; then
  echo "lint: include/link check (scripts/check_deps.py)"
  python3 scripts/check_deps.py --self-test
  python3 scripts/check_deps.py "$BUILD"
else
  echo "lint: include/link check skipped: $BUILD is not configured (make configure)"
fi
echo "lint: deploy/ manifests and Containerfile (scripts/check_deploy.py)"
python3 scripts/check_deploy.py
tidy_files=$(git ls-files 'src/*.cc' | grep -v -e '^src/ml/' -e '_test\.cc$' || true)
if [ -n "$tidy_files" ] && [ -f "$BUILD/compile_commands.json" ]; then
  echo "lint: clang-tidy ($(echo "$tidy_files" | wc -l) files)"
  printf '%s\n' $tidy_files | xargs -P "$(nproc)" -n 4 clang-tidy -p "$BUILD" --quiet 2>/dev/null
fi
echo "lint: ok"
