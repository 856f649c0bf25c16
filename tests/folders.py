"""Writing a test's config folder: `write_files(root, {"config.yml": "...", "rails/a.co":
"..."})`. Texts are dedented (tests may indent them) and a leading newline dropped."""
from __future__ import annotations

import textwrap
from pathlib import Path


def write_files(root: Path, files: dict[str, str]) -> Path:
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root
