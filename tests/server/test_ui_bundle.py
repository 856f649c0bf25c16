"""The chat page's modules joined into one script: every supported form, and a clear refusal
naming the file for every form it would bundle wrongly."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from rails.server.ui_bundle import BundleError, bundle


def modules(folder: Path, **sources: str) -> Path:
    for name, text in sources.items():
        (folder / f"{name}.js").write_text(textwrap.dedent(text), "utf-8")
    return folder / "main.js"


def test_dependencies_come_first_once_each_with_their_exports_bound(tmp_path):
    entry = modules(
        tmp_path,
        main='''
            import * as api from "./api.js";
            import {
              draw, Panel,
            } from "./draw.js";
            draw(new Panel(api.base));
        ''',
        draw='''
            import { base } from "./api.js";
            export class Panel { constructor(name) { this.name = name; } }
            export async function draw(panel) { return base + panel.name; }
        ''',
        api='''
            export const base = "v1/";
            export function call() {}
        ''')
    script = bundle(entry)
    assert script.count("// api.js") == 1  # imported twice, run once
    assert script.index("// api.js") < script.index("// draw.js") < script.index("// main.js")
    assert "return { base, call };" in script and "return { Panel, draw };" in script
    assert "const api = module_api;" in script
    assert "const { draw, Panel } = module_draw;" in script
    assert "const { base } = module_api;" in script
    assert "import " not in script and "export " not in script


@pytest.mark.parametrize("line", [
    "export default function () {}",
    "export let counter = 0;",  # a live binding the bundle could not keep live
    'export { call } from "./api.js";',
    'import "./api.js";',
    'import api from "./api.js";',
    'import { call as run } from "./api.js";',
    'import { call } from "https://cdn.example/api.js";',
])
def test_a_form_the_bundler_cannot_keep_is_refused_naming_the_file(tmp_path, line):
    entry = modules(tmp_path, main=line + "\n", api="export function call() {}\n")
    with pytest.raises(BundleError, match="main.js"):
        bundle(entry)


def test_a_missing_module_and_a_cycle_are_refused(tmp_path):
    with pytest.raises(BundleError, match="gone.js, which does not exist"):
        bundle(modules(tmp_path, main='import { x } from "./gone.js";\n'))
    cycle = modules(tmp_path, main='import { a } from "./a.js";\n',
                    a='import { b } from "./b.js";\nexport const a = 1;\n',
                    b='import { a } from "./a.js";\nexport const b = 2;\n')
    with pytest.raises(BundleError, match="cycle: main -> a -> b -> a"):
        bundle(cycle)


def test_the_shipped_page_bundles():
    script = bundle(Path(__file__).resolve().parents[2] / "rails/server/ui/js/main.js")
    for module in ("api", "dialogs", "render", "trace", "main"):
        assert script.count(f"// {module}.js\n") == 1
