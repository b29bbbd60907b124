#!/usr/bin/env python3
"""Include/link check: every `#include "<module>/..."` must be backed by a CMake link.

For each CMake target with sources in this repository, every quoted include that names a
header under src/ must belong to the target itself or to a library the target links: directly
(PUBLIC or PRIVATE) or through the PUBLIC/INTERFACE links of those libraries, i.e. exactly the
libraries whose include paths and symbols CMake hands to the target. A library's headers (the
*.h in the directories of its sources) are checked against that library's links.

Everything is derived from CMake itself, never from a hand-kept list:
  - targets and their sources: the CMake File API (codemodel v2),
  - links and their visibility: `cmake --graphviz` (solid = PUBLIC, dotted = PRIVATE,
    dashed = INTERFACE).
Both come from one re-run of CMake on the build directory.

Usage: scripts/check_deps.py [BUILD_DIR]     (default: build; must be configured)
       scripts/check_deps.py --self-test      (checks the checker on a synthetic tree)
Exits 1 and prints `file:line: ...` for every include without a link. Python 3 stdlib only.
"""

import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QUERY_CLIENT = "client-loupe-check-deps"
INCLUDE_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
NODE_RE = re.compile(r'^\s*"(node\d+)"\s*\[\s*label\s*=\s*"([^"]*)"')
EDGE_RE = re.compile(r'^\s*"(node\d+)"\s*->\s*"(node\d+)"\s*(?:\[\s*style\s*=\s*(\w+)\s*\])?')


def run_cmake(build):
    """Re-runs CMake on `build` with a File API query and --graphviz; returns (targets, edges)."""
    query_dir = os.path.join(build, ".cmake", "api", "v1", "query", QUERY_CLIENT)
    os.makedirs(query_dir, exist_ok=True)
    with open(os.path.join(query_dir, "query.json"), "w") as f:
        json.dump({"requests": [{"kind": "codemodel", "version": 2}]}, f)
    dot_dir = os.path.join(build, "check-deps")
    os.makedirs(dot_dir, exist_ok=True)
    dot = os.path.join(dot_dir, "loupe.dot")
    proc = subprocess.run(["cmake", "--graphviz=" + dot, build], capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        sys.exit("check_deps: cmake failed on " + build)
    return read_codemodel(build), read_graphviz(dot)


def read_codemodel(build):
    """{target name: (type, [source paths relative to the repository])} from the File API."""
    reply = os.path.join(build, ".cmake", "api", "v1", "reply")
    index = sorted(f for f in os.listdir(reply) if f.startswith("index-"))[-1]
    with open(os.path.join(reply, index)) as f:
        responses = json.load(f)["reply"][QUERY_CLIENT]["query.json"]["responses"]
    codemodel = next(r for r in responses if r["kind"] == "codemodel")
    with open(os.path.join(reply, codemodel["jsonFile"])) as f:
        model = json.load(f)
    source_dir = model["paths"]["source"]
    targets = {}
    for t in model["configurations"][0]["targets"]:
        with open(os.path.join(reply, t["jsonFile"])) as f:
            target = json.load(f)
        sources = []
        for s in target.get("sources", []):
            if s.get("isGenerated"):
                continue
            path = os.path.normpath(os.path.join(source_dir, s["path"]))
            if path.endswith((".cc", ".cpp", ".h")) and path.startswith(ROOT + os.sep):
                sources.append(os.path.relpath(path, ROOT))
        if sources:
            targets[target["name"]] = (target["type"], sources)
    return targets


def read_graphviz(dot):
    """{target: [(dependency, visibility)]}, visibility one of public, private, interface."""
    names, edges = {}, {}
    style_to_visibility = {None: "public", "solid": "public", "dotted": "private",
                           "dashed": "interface"}
    in_legend = False
    with open(dot) as f:
        for line in f:
            if line.strip().startswith("subgraph clusterLegend"):
                in_legend = True
            if in_legend:
                in_legend = line.strip() != "}"
                continue
            m = NODE_RE.match(line)
            if m:
                names[m.group(1)] = m.group(2)
                continue
            m = EDGE_RE.match(line)
            if m:
                edges.setdefault(m.group(1), []).append((m.group(2), m.group(3)))
    return {names[a]: [(names[b], style_to_visibility.get(s, "public")) for b, s in deps]
            for a, deps in edges.items()}


def visible_libraries(target, edges):
    """The targets whose headers `target`'s sources may include: its direct links of any
    visibility but INTERFACE, then the PUBLIC/INTERFACE links of those, transitively."""
    seen = set()
    todo = [dep for dep, vis in edges.get(target, []) if vis != "interface"]
    while todo:
        dep = todo.pop()
        if dep in seen:
            continue
        seen.add(dep)
        todo.extend(d for d, vis in edges.get(dep, []) if vis != "private")
    return seen


def check(root, targets, edges):
    """Violations as strings; `targets` maps target -> (CMake type, sources relative to
    `root`), `edges` target -> [(dependency, visibility)]."""
    # Directory of a library's sources -> that library (a directory's headers are its); a
    # directory of src/ without a library belongs to its executable (src/app/).
    owner = {}
    for libraries in (True, False):
        for name, (kind, sources) in sorted(targets.items()):
            if kind.endswith("_LIBRARY") != libraries:
                continue
            for d in sorted({os.path.dirname(s) for s in sources}):
                if not d.startswith("src" + os.sep) or (not libraries and d in owner):
                    continue
                if owner.setdefault(d, name) != name:
                    sys.exit(f"check_deps: {d} holds sources of {owner[d]} and {name}")
    problems = []
    for name, (_, sources) in sorted(targets.items()):
        visible = visible_libraries(name, edges) | {name}
        files = list(sources)
        files += sorted(os.path.join(d, f) for d, lib in owner.items() if lib == name
                        for f in os.listdir(os.path.join(root, d)) if f.endswith(".h"))
        for rel in dict.fromkeys(files):
            problems += check_file(root, rel, name, visible, owner)
    return problems


def check_file(root, rel, target, visible, owner):
    problems = []
    with open(os.path.join(root, rel), errors="replace") as f:
        for lineno, line in enumerate(f, 1):
            m = INCLUDE_RE.match(line)
            if not m:
                continue
            header = os.path.normpath(os.path.join("src", m.group(1)))
            if not os.path.isfile(os.path.join(root, header)):
                continue  # not one of ours (tests/support, third-party, same-dir files)
            lib = owner.get(os.path.dirname(header))
            if lib is None:
                problems.append(f"{rel}:{lineno}: includes \"{m.group(1)}\", which no library "
                                "of src/ owns")
            elif lib not in visible:
                problems.append(f"{rel}:{lineno}: {target} includes \"{m.group(1)}\" of {lib} "
                                f"but does not link {lib} (directly or through PUBLIC links)")
    return problems


def self_test():
    """The checker on a synthetic tree: a clean layout passes; a missing link, a PRIVATE link
    used transitively and a header-only violation are each reported."""
    files = {
        "src/a/a.h": "#pragma once\n",
        "src/a/a.cc": '#include "a/a.h"\n',
        "src/b/b.h": '#pragma once\n#include "a/a.h"\n',
        "src/b/b.cc": '#include "b/b.h"\n',
        "src/c/c.cc": '#include "b/b.h"\n#include "a/a.h"\n',
        "src/d/d.h": '#pragma once\n#include "c/c.h"\n',
        "src/d/d.cc": "#include <vector>\n",
        "src/c/c.h": "#pragma once\n",
    }
    lib = "STATIC_LIBRARY"
    targets = {"loupe_a": (lib, ["src/a/a.cc"]), "loupe_b": (lib, ["src/b/b.cc"]),
               "loupe_c": (lib, ["src/c/c.cc"]), "loupe_d": (lib, ["src/d/d.cc"])}
    with tempfile.TemporaryDirectory() as root:
        for rel, text in files.items():
            os.makedirs(os.path.join(root, os.path.dirname(rel)), exist_ok=True)
            with open(os.path.join(root, rel), "w") as f:
                f.write(text)
        clean = {"loupe_b": [("loupe_a", "public")], "loupe_c": [("loupe_b", "private")],
                 "loupe_d": [("loupe_c", "public")], "x": [("loupe_d", "private")]}
        assert check(root, targets, clean) == [], check(root, targets, clean)
        # b links a privately: c may no longer include a/a.h through b.
        private = dict(clean, loupe_b=[("loupe_a", "private")])
        found = check(root, targets, private)
        assert len(found) == 1 and found[0].startswith("src/c/c.cc:2:"), found
        # d does not link c: its header's include is reported.
        unlinked = dict(clean, loupe_d=[], x=[("loupe_d", "private"), ("loupe_c", "private")])
        found = check(root, targets, unlinked)
        assert len(found) == 1 and found[0].startswith("src/d/d.h:2:"), found
        # An INTERFACE link does not serve the target's own sources.
        interface = dict(clean, loupe_c=[("loupe_b", "interface")])
        found = check(root, targets, interface)
        assert [p.split(":")[0] for p in found] == ["src/c/c.cc", "src/c/c.cc"], found
    print("check_deps: self-test ok")


def main(argv):
    if argv[1:] == ["--self-test"]:
        self_test()
        return 0
    build = os.path.abspath(argv[1] if len(argv) > 1 else os.path.join(ROOT, "build"))
    if not os.path.isfile(os.path.join(build, "CMakeCache.txt")):
        sys.exit(f"check_deps: {build} is not a configured build directory")
    targets, edges = run_cmake(build)
    problems = check(ROOT, targets, edges)
    for p in problems:
        print(p)
    if problems:
        print(f"check_deps: {len(problems)} include(s) without a link; add the library to the "
              "target's DEPS (or drop the include)")
        return 1
    print(f"check_deps: ok ({len(targets)} targets)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
