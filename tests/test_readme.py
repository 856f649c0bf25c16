"""The README's Python example runs as written (from the repository root)."""
from __future__ import annotations

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_readme_python_example_runs(capsys):
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    code = re.search(r"### From Python\s+```python\n(.*?)```", text, re.S).group(1)
    previous = os.getcwd()
    os.chdir(ROOT)
    try:
        exec(compile(code, "README.md", "exec"), {})
    finally:
        os.chdir(previous)
    out = capsys.readouterr().out
    assert "Order JP-1001: on its way. It arrives tomorrow." in out
    assert "Welcome to Juniper & Pine" in out and "'greeting'" in out  # the flow that answered
    assert 'user "hi"' in out
