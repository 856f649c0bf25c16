"""Load every Colang 1.0 config folder under a directory and report what does not load.

    python benchmarks/check_reference_configs.py [ROOT ...]

Without ROOT it looks for the example folders shipped inside an installed `nemoguardrails`
package (or the interpreter named by DIALOG_RAILS_REFERENCE_PYTHON). Each folder is loaded with
`RailsConfig.from_path` and an `LLMRails` is built on it with a fake model; folders whose models
need a provider package that is not installed are reported as such, not as failures.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def reference_roots() -> list[Path]:
    python = os.environ.get("DIALOG_RAILS_REFERENCE_PYTHON")
    code = "import nemoguardrails, os; print(os.path.dirname(nemoguardrails.__file__))"
    try:
        if python:
            package = Path(subprocess.check_output([python, "-c", code], text=True).strip())
        else:
            import nemoguardrails

            package = Path(nemoguardrails.__file__).parent
    except Exception:
        return []
    return [package / "examples", package / "evaluate"]


def config_folders(root: Path) -> list[Path]:
    found = set()
    for marker in list(root.rglob("config.yml")) + list(root.rglob("config.yaml")):
        folder = marker.parent
        text = marker.read_text(encoding="utf-8", errors="replace")
        if "colang_version" in text and "2.x" in text:
            continue
        if "v2_x" in folder.parts:
            continue
        found.add(folder)
    return sorted(found)


def check(folder: Path) -> tuple[str, str]:
    from rails import LLMRails, RailsConfig
    from rails.errors import ConfigError
    from rails.testing import FakeLLM

    try:
        config = RailsConfig.from_path(str(folder))
    except Exception as error:  # report every kind of failure
        return "FAIL load", f"{type(error).__name__}: {error}"
    try:
        LLMRails(config, llm=FakeLLM(responses=[]))
    except ConfigError as error:
        if "install" in str(error).lower() or "engine" in str(error).lower():
            return "needs provider", str(error).splitlines()[0]
        return "FAIL build", f"ConfigError: {error}"
    except Exception as error:
        return "FAIL build", f"{type(error).__name__}: {error}"
    return "ok", f"{len(config.flows)} flows, {len(config.user_messages)} intents"


def main() -> int:
    roots = [Path(arg) for arg in sys.argv[1:]] or reference_roots()
    if not roots:
        print("no folders given and no reference package found; nothing to check")
        return 0
    failures = 0
    for root in roots:
        for folder in config_folders(root):
            status, detail = check(folder)
            failures += status.startswith("FAIL")
            print(f"{status:<15} {folder.relative_to(root.parent)}  {detail[:160]}")
    print(f"\n{failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
