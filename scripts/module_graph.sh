#!/usr/bin/env bash
# Draws the module graph as CMake sees it (docs/modules.svg, docs/modules.dot): one node per
# loupe_* library, one edge per link dependency, tests, benchmarks and third-party libraries
# left out. Run after changing a CMakeLists.txt:  bash scripts/module_graph.sh
# Needs graphviz (`apt-get install graphviz`); configures a throw-away build dir.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v dot >/dev/null || { echo "module_graph: needs graphviz's dot (apt-get install graphviz)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/CMakeGraphVizOptions.cmake" <<'OPT'
set(GRAPHVIZ_EXTERNAL_LIBS FALSE)
set(GRAPHVIZ_GENERATE_PER_TARGET FALSE)
set(GRAPHVIZ_GENERATE_DEPENDERS FALSE)
set(GRAPHVIZ_EXECUTABLES TRUE)
set(GRAPHVIZ_IGNORE_TARGETS "_test$" "_bench$" "^loupe_test_support$" "^loupe_testing$" "crash_child" "^loupe_e2e")
OPT
cmake -S . -B "$tmp/build" -G Ninja -DLOUPE_BUILD_WEB=OFF -DLOUPE_BUILD_BENCH=OFF \
  -DLOUPE_BUILD_TESTS=OFF > "$tmp/configure.log"
(cd "$tmp/build" && cp "$tmp/CMakeGraphVizOptions.cmake" . && cmake --graphviz="$tmp/raw.dot" . >/dev/null)
# Node labels: "loupe_review_http" -> "review/http"; the executable stays "loupe".
python3 - "$tmp/raw.dot" docs/modules.dot <<'PY'
import re, sys
src, out = sys.argv[1], sys.argv[2]
nodes, edges = {}, []
for line in open(src):
    m = re.match(r'\s*"(node\d+)" \[ label\s*=\s*"([^"]+)"', line)
    if m:
        nodes[m.group(1)] = m.group(2)
    m = re.match(r'\s*"(node\d+)" -> "(node\d+)"', line)
    if m:
        edges.append((m.group(1), m.group(2)))
def name(label):
    if label == "loupe":
        return "loupe (app)"
    n = label.removeprefix("loupe_")
    for suffix in ("_http", "_cli", "_ports"):
        if n.endswith(suffix):
            return n[: -len(suffix)] + "/" + suffix[1:]
    return n
keep = {k: name(v) for k, v in nodes.items() if v.startswith("loupe")}
lines = ["digraph loupe {", '  rankdir=BT; node [shape=box, fontname="DejaVu Sans", fontsize=10];',
         '  edge [arrowsize=0.6, color="#555555"];']
for k in sorted(keep, key=lambda k: keep[k]):
    style = ', style=filled, fillcolor="#e8f0fe"' if "/" not in keep[k] else ""
    lines.append(f'  "{keep[k]}" [label="{keep[k]}"{style}];')
for a, b in sorted({(keep[a], keep[b]) for a, b in edges if a in keep and b in keep}):
    lines.append(f'  "{a}" -> "{b}";')
lines.append("}")
open(out, "w").write("\n".join(lines) + "\n")
PY
# A transitive reduction keeps the drawing readable: an edge implied by a longer path is dropped.
tred docs/modules.dot | dot -Tsvg -o docs/modules.svg
echo "module_graph: wrote docs/modules.dot and docs/modules.svg"
