"""Checks a message against protocol/schema.json: every named field present with its type."""

from __future__ import annotations

import json
from pathlib import Path

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "protocol" / "schema.json").read_text())
_TYPES = {"int": (int,), "float": (int, float), "str": (str,), "bool": (bool,), "map": (dict,), "list": (list,),
          "bin": (bytes,)}


def check_fields(message: dict, spec: dict, where: str) -> list[str]:
    problems = []
    optional = set(spec.get("optional", ()))
    for name, kind in spec.get("fields", spec.get("result", spec.get("args", {}))).items():
        if name not in message:
            if name not in optional:
                problems.append(f"{where}: missing '{name}'")
            continue
        value = message[name]
        if isinstance(kind, dict):  # a wire array
            if not (isinstance(value, dict) and value.get("dtype") == kind["array"] and len(value.get("shape", [])) == len(kind["shape"])):
                problems.append(f"{where}: '{name}' is not a {kind['array']} array of rank {len(kind['shape'])}")
            continue
        nullable = kind.endswith("?")
        if value is None and nullable:
            continue
        types = _TYPES[kind.rstrip("?")]
        if not isinstance(value, types) or (kind.rstrip("?") in ("int", "float") and isinstance(value, bool)):
            problems.append(f"{where}: '{name}' should be {kind}, got {type(value).__name__}")
    return problems


def check_result(op: str, result: dict) -> list[str]:
    spec = SCHEMA["ops"][op]
    optional = set(spec.get("result_optional", ()))
    groups = spec.get("result_one_of", [])
    for group in groups:
        optional |= set(group)
    problems = check_fields(result, {"fields": spec["result"], "optional": sorted(optional)}, f"result of {op}")
    if groups and sum(all(k in result for k in g) for g in groups) != 1:
        problems.append(f"result of {op}: exactly one of {groups} must be present")
    for name, item_spec in spec.get("items", {}).items():
        for i, item in enumerate(result.get(name, [])):
            problems += check_fields(item, {"fields": item_spec}, f"{op}.{name}[{i}]")
    return problems


def check_stream(topic: str, body: dict) -> list[str]:
    return check_fields(body, SCHEMA["envelope"]["stream"], topic) + check_fields(body, SCHEMA["streams"][topic], topic)
