#!/usr/bin/env python3
"""Lint of deploy/: the Kubernetes manifests and the container build file, which the CI machine
cannot run (no cluster, no image builder). Checks what would break a deployment silently:

  - every manifest document has apiVersion, kind and metadata.name, with the apiVersion its kind
    needs, and the kustomization lists exactly the manifest files;
  - the Deployment's selector matches its pod labels, the Service selects those pods and targets
    a declared container port, both probes are HTTP GETs of /healthz on a declared port, a
    termination grace period is set, and every envFrom names a ConfigMap or Secret defined here;
  - every variable the ConfigMap and Secret define is one `loupe serve` reads (its envname()s in
    src/app/serve.cc, or the AWS_* credentials the S3 store reads);
  - the Containerfile's ENTRYPOINT passes only flags `loupe serve` declares.

Usage: scripts/check_deploy.py      Exits 1 and prints every finding. Needs python3-yaml.
"""

import os
import re
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
K8S = os.path.join(ROOT, "deploy", "kubernetes")
API_VERSIONS = {
    "ConfigMap": "v1",
    "Secret": "v1",
    "Service": "v1",
    "Deployment": "apps/v1",
    "Kustomization": "kustomize.config.k8s.io/v1beta1",
}
AWS_VARS = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"}
BOOTSTRAP_VARS = {"LOUPE_ADMIN_PASSWORD", "LOUPE_BOOTSTRAP_TOKEN", "LOUPE_SECRETS_KEY"}

errors = []


def error(where, message):
    errors.append(f"{where}: {message}")


def serve_source():
    with open(os.path.join(ROOT, "src", "app", "serve.cc")) as f:
        return f.read()


def main():
    source = serve_source()
    env_names = set(re.findall(r'envname\("([A-Z0-9_]+)"\)', source)) | AWS_VARS | BOOTSTRAP_VARS
    flags = set(re.findall(r'"(--[a-z0-9-]+)"', source))

    docs = {}  # (kind, name) -> (file, doc)
    files = sorted(f for f in os.listdir(K8S) if f.endswith(".yaml"))
    for name in files:
        path = os.path.join(K8S, name)
        with open(path) as f:
            try:
                loaded = [d for d in yaml.safe_load_all(f) if d is not None]
            except yaml.YAMLError as e:
                error(name, f"not YAML: {e}")
                continue
        for doc in loaded:
            kind = doc.get("kind")
            if kind not in API_VERSIONS:
                error(name, f"unexpected kind {kind!r}")
                continue
            if doc.get("apiVersion") != API_VERSIONS[kind]:
                error(name, f"{kind} needs apiVersion {API_VERSIONS[kind]}, not {doc.get('apiVersion')!r}")
            meta_name = (doc.get("metadata") or {}).get("name")
            if kind != "Kustomization" and not meta_name:
                error(name, f"{kind} without metadata.name")
            docs[(kind, meta_name)] = (name, doc)

    kustomizations = [d for (k, _), (_, d) in docs.items() if k == "Kustomization"]
    if len(kustomizations) != 1:
        error("kustomization.yaml", "exactly one Kustomization expected")
    else:
        listed = set(kustomizations[0].get("resources", []))
        manifests = set(files) - {"kustomization.yaml"}
        for missing in sorted(manifests - listed):
            error("kustomization.yaml", f"does not list {missing}")
        for extra in sorted(listed - manifests):
            error("kustomization.yaml", f"lists {extra}, which does not exist")

    for (kind, name), (file, doc) in docs.items():
        if kind in ("ConfigMap", "Secret"):
            data = dict(doc.get("data") or {})
            data.update(doc.get("stringData") or {})
            for var in data:
                if var not in env_names:
                    error(file, f"{var} is not a variable loupe serve reads ({sorted(env_names)})")

    deployments = [(f, d) for (k, _), (f, d) in docs.items() if k == "Deployment"]
    services = [(f, d) for (k, _), (f, d) in docs.items() if k == "Service"]
    if not deployments:
        error("deploy/kubernetes", "no Deployment")
    for file, dep in deployments:
        spec = dep.get("spec", {})
        template = spec.get("template", {})
        pod_labels = (template.get("metadata") or {}).get("labels") or {}
        selector = (spec.get("selector") or {}).get("matchLabels") or {}
        if not selector or any(pod_labels.get(k) != v for k, v in selector.items()):
            error(file, "spec.selector.matchLabels does not match the pod template's labels")
        if int(spec.get("replicas", 1)) < 2:
            error(file, "a cluster runs at least 2 replicas")
        pod = template.get("spec", {})
        if "terminationGracePeriodSeconds" not in pod:
            error(file, "no terminationGracePeriodSeconds (loupe drains on SIGTERM)")
        containers = pod.get("containers") or []
        if not containers:
            error(file, "no containers")
            continue
        ports = {p.get("name"): p.get("containerPort") for c in containers for p in c.get("ports", [])}
        for c in containers:
            for probe in ("readinessProbe", "livenessProbe"):
                get = (c.get(probe) or {}).get("httpGet")
                if not get:
                    error(file, f"{c.get('name')}: {probe} must be an httpGet")
                    continue
                if get.get("path") != "/healthz":
                    error(file, f"{c.get('name')}: {probe} must GET /healthz")
                if get.get("port") not in ports and get.get("port") not in ports.values():
                    error(file, f"{c.get('name')}: {probe} port {get.get('port')!r} is not declared")
            for ref in c.get("envFrom", []):
                for key, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
                    if key in ref and (kind, ref[key].get("name")) not in docs:
                        error(file, f"envFrom names {kind} {ref[key].get('name')!r}, not defined here")
        for sfile, svc in services:
            sel = (svc.get("spec") or {}).get("selector") or {}
            if any(pod_labels.get(k) != v for k, v in sel.items()) or not sel:
                error(sfile, "the Service's selector does not select the Deployment's pods")
            for p in (svc.get("spec") or {}).get("ports", []):
                target = p.get("targetPort")
                if target not in ports and target not in ports.values():
                    error(sfile, f"targetPort {target!r} is not a declared container port")

    containerfile = os.path.join(ROOT, "deploy", "Containerfile")
    with open(containerfile) as f:
        text = f.read()
    entry = re.search(r"ENTRYPOINT\s*\[(.*?)\]", text, re.S)
    if not entry:
        error("deploy/Containerfile", "no ENTRYPOINT")
    else:
        args = re.findall(r'"([^"]*)"', entry.group(1))
        if args[1:2] != ["serve"]:
            error("deploy/Containerfile", "ENTRYPOINT must run `loupe serve`")
        for arg in args:
            if arg.startswith("--") and arg not in flags:
                error("deploy/Containerfile", f"ENTRYPOINT passes {arg}, which loupe serve does not declare")

    for e in errors:
        print("check_deploy: " + e)
    if errors:
        sys.exit(1)
    print(f"check_deploy: ok ({len(docs)} documents, {len(env_names)} known variables)")


if __name__ == "__main__":
    main()
