"""Writes the JSON schemas kubeconform reads, from what the registries ship.

- Kubernetes: the `kubernetes-validate` wheel has, per Kubernetes version, one schema per
  kind that points into a shared `_definitions.json` by an absolute URL kubeconform cannot
  fetch offline. Each kind is written standalone instead: the definitions it reaches are
  copied into its own `$defs`, in kubeconform's layout
  `v<version>-standalone-strict/<kind>-<group>-<version>.json`.
- CRDs (KEDA's, from its Go module): each served version's openAPIV3Schema becomes a JSON
  schema, strict (no field the CRD does not declare), as `<kind>-<group>-<version>.json`.

Run by deploy/helm/tools.sh; standard library and PyYAML only.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import yaml

DEFS_MARK = "#/$defs/"


def refs(node: Any) -> set[str]:
    """The names of the definitions `node` refers to, directly."""
    found: set[str] = set()
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str) and DEFS_MARK in ref:
                found.add(ref.split(DEFS_MARK, 1)[1])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def local_refs(node: Any) -> Any:
    """`node` with every reference into the shared definitions made local (`#/$defs/...`)."""
    if isinstance(node, dict):
        out = {k: local_refs(v) for k, v in node.items()}
        ref = out.get("$ref")
        if isinstance(ref, str) and DEFS_MARK in ref:
            out["$ref"] = DEFS_MARK + ref.split(DEFS_MARK, 1)[1]
        return out
    if isinstance(node, list):
        return [local_refs(v) for v in node]
    return node


def standalone(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    needed: set[str] = set()
    todo = refs(schema)
    while todo:
        name = todo.pop()
        if name in needed:
            continue
        if name not in defs:
            raise SystemExit(f"definition {name!r} is referenced but not defined")
        needed.add(name)
        todo |= refs(defs[name])
    out = local_refs({k: v for k, v in schema.items() if k != "$id"})
    out["$defs"] = {name: local_refs(defs[name]) for name in sorted(needed)}
    return out


def write_kubernetes(source: Path, out: Path, version: str) -> int:
    src = source / f"v{version}-local-strict"
    if not src.is_dir():
        raise SystemExit(f"{src} is missing: the package has no schemas for Kubernetes {version}")
    defs = json.loads((src / "_definitions.json").read_text())["$defs"]
    dest = out / f"v{version}-standalone-strict"
    dest.mkdir(parents=True, exist_ok=True)
    written = 0
    for path in sorted(src.glob("*.json")):
        if path.name.startswith("_") or path.name == "all.json":
            continue
        schema = json.loads(path.read_text())
        # Only the kinds a manifest can be (those with apiVersion and kind); the rest are
        # parts of kinds, already inside them.
        if "kind" not in schema.get("properties", {}):
            continue
        (dest / path.name).write_text(json.dumps(standalone(schema, defs)))
        written += 1
    return written


def strict(node: Any) -> Any:
    """An OpenAPI v3 (structural) schema as a strict JSON schema, as kubeconform's own
    openapi2jsonschema makes it: objects with declared properties take no others, and
    the Kubernetes extensions become what they mean."""
    if isinstance(node, list):
        return [strict(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: strict(v) for k, v in node.items()}
    if out.pop("x-kubernetes-int-or-string", False):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if out.pop("nullable", False) and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    preserve = out.get("x-kubernetes-preserve-unknown-fields", False)
    if "properties" in out and "additionalProperties" not in out and not preserve:
        out["additionalProperties"] = False
    return out


def write_crds(source: Path, out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    written = 0
    for path in sorted(source.glob("*.yaml")):
        for crd in yaml.safe_load_all(path.read_text()):
            if not crd or crd.get("kind") != "CustomResourceDefinition":
                continue
            spec = crd["spec"]
            kind = spec["names"]["kind"].lower()
            group = spec["group"].split(".")[0]
            for version in spec["versions"]:
                schema = strict(version["schema"]["openAPIV3Schema"])
                schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
                name = f"{kind}-{group}-{version['name']}.json"
                (out / name).write_text(json.dumps(schema))
                written += 1
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--kubernetes", type=Path, required=True, help="kubernetes-json-schema dir")
    parser.add_argument("--versions", nargs="+", required=True, help="e.g. 1.29.0 1.37.0")
    parser.add_argument("--crds", type=Path, required=True, help="a directory of CRD YAML files")
    parser.add_argument("--crd-dir", default="crds", help="subdirectory of --out for the CRDs")
    args = parser.parse_args()
    for version in args.versions:
        count = write_kubernetes(args.kubernetes, args.out, version)
        print(f"kubernetes {version}: {count} kinds", file=sys.stderr)
    count = write_crds(args.crds, args.out / args.crd_dir)
    print(f"crds: {count} schemas from {args.crds}", file=sys.stderr)
    if not count:
        raise SystemExit(f"no CRD found in {args.crds}")


if __name__ == "__main__":
    main()
