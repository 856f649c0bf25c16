"""Dev tool: parse every Colang 1.0 file shipped with the reference package with both parsers
and report differences in the element lists and messages.

    DIALOG_RAILS_REFERENCE_PYTHON=/work/ref-venv/bin/python python benchmarks/compare_reference.py [DIR]

Skips (exit 0) when the reference interpreter is not available.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

_DUMP = r'''
import json, os, re, sys
import nemoguardrails
from nemoguardrails.colang import parse_colang_file
root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(nemoguardrails.__file__)
out = {}
for dirpath, _, files in os.walk(root):
    for name in files:
        if name.endswith(".co"):
            path = os.path.join(dirpath, name)
            text = open(path, encoding="utf-8").read()
            if any(re.match(r"^\s*define", l) for l in text.split("\n")):
                try:
                    out[path] = {"text": text, "result": parse_colang_file(path, text)}
                except Exception as error:
                    out[path] = {"text": text, "error": str(error)}
json.dump(out, sys.stdout, default=str)
'''
# Keys that are our additions or bookkeeping, not part of the comparison.
_IGNORED = {"_source_mapping"}


def _clean(element: dict) -> dict:
    return {k: v for k, v in element.items() if k not in _IGNORED}


def main() -> int:
    python = os.environ.get("DIALOG_RAILS_REFERENCE_PYTHON", "/work/ref-venv/bin/python")
    if not os.path.exists(python):
        print("reference interpreter not found; skipping")
        return 0
    # Optional argument: a folder of .co files to compare instead of the reference's own.
    dump = json.loads(subprocess.run([python, "-c", _DUMP, *sys.argv[1:2]], capture_output=True,
                                     text=True, check=True).stdout)
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
    from rails.lang import parse

    problems = 0
    for path, entry in sorted(dump.items()):
        ref = entry.get("result")
        try:
            doc = parse(entry["text"], path)
        except Exception as error:  # report, keep going
            print(f"FAIL {path}: {error}")
            problems += 1
            continue
        if ref is None:
            print(f"REFERENCE FAILED {path}: {entry['error']}")
            continue
        ours = {f["id"]: f for f in doc.flows}
        for flow in ref["flows"]:
            mine = ours.get(flow["id"])
            if mine is None:
                print(f"MISSING FLOW {path}: {flow['id']}")
                problems += 1
                continue
            theirs = [_clean(e) for e in flow["elements"]]
            if theirs and theirs[0]["_type"] == "meta":
                if theirs[0]["meta"] != mine["meta"]:
                    print(f"META {path}: {flow['id']}: {theirs[0]['meta']} != {mine['meta']}")
                    problems += 1
                theirs = theirs[1:]
            elif mine["meta"]:
                print(f"META {path}: {flow['id']}: none != {mine['meta']}")
                problems += 1
            mine_elements = [_clean(e) for e in mine["elements"]]
            if json.dumps(theirs, default=str) != json.dumps(mine_elements, default=str):
                print(f"ELEMENTS {path}: {flow['id']}")
                for a, b in zip(theirs, mine_elements):
                    if a != b:
                        print("   ref:", a, "\n  ours:", b)
                        break
                if len(theirs) != len(mine_elements):
                    print(f"   lengths {len(theirs)} != {len(mine_elements)}")
                problems += 1
            if flow["source_code"] != mine["source_code"]:
                print(f"SOURCE {path}: {flow['id']}:\n{flow['source_code']!r}\n{mine['source_code']!r}")
                problems += 1
        if len(ours) != len(ref["flows"]):
            print(f"FLOW COUNT {path}: {len(ref['flows'])} != {len(ours)}")
            problems += 1
        for kind in ("user_messages", "bot_messages"):
            if ref[kind] != getattr(doc, kind):
                print(f"{kind.upper()} {path}")
                for key in ref[kind]:
                    if ref[kind][key] != getattr(doc, kind).get(key):
                        print("   ", key, ref[kind][key], getattr(doc, kind).get(key))
                        break
                problems += 1
    print(f"{len(dump)} files, {problems} differences")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
