"""The chat page's ES modules joined into one script when the server starts, so the page needs
no request for code and the browser compiles one script instead of fetching five modules one
import level at a time. No build step: the modules in `rails/server/ui/js/` stay the source,
readable and testable on their own.

Each module becomes a function scope that returns its exports, in dependency order; an import
becomes a `const` bound to what that scope returned. That holds for the forms the page uses
(named or namespace imports of `./x.js`, exported functions, classes and consts); anything else
(a default export, `export let`, a re-export, a bare import) is refused when the server starts,
naming the file and the statement, rather than bundled into something that behaves
differently."""
from __future__ import annotations

import re
from pathlib import Path

IMPORT = re.compile(r'^import\s+(?:\*\s+as\s+(?P<namespace>\w+)|\{(?P<names>[^}]*)\})\s+'
                    r'from\s+"\./(?P<module>[\w-]+)\.js";\s*$', re.M)
EXPORT = re.compile(r"^export\s+(?:async\s+function\*?|function\*?|class|const)\s+(?P<name>\w+)",
                    re.M)
ANY_IMPORT_OR_EXPORT = re.compile(r"^(?:import|export)\b.*$", re.M)


class BundleError(RuntimeError):
    """A page module uses a form the bundler does not handle."""


def _scope_name(module: str) -> str:
    return "module_" + module.replace("-", "_")


def _translate(path: Path, source: str) -> tuple[str, list[str], list[str]]:
    """(body with imports and `export` keywords rewritten, modules it imports, its exports)."""
    imports: list[str] = []

    def rewrite_import(match: re.Match) -> str:
        imports.append(match["module"])
        if match["namespace"]:
            return f"const {match['namespace']} = {_scope_name(match['module'])};"
        names = [name.strip() for name in match["names"].split(",") if name.strip()]
        if not all(re.fullmatch(r"\w+", name) for name in names):
            raise BundleError(f"{path}: renamed imports ({match['names'].strip()}) are not "
                              f"supported; import the names as they are exported")
        return f"const {{ {', '.join(names)} }} = {_scope_name(match['module'])};"

    # Imports may span lines; collapse each one before matching.
    flat = re.sub(r"^import\s+\{[^}]*\}", lambda m: " ".join(m.group(0).split()), source,
                  flags=re.M)
    body = IMPORT.sub(rewrite_import, flat)
    exports = EXPORT.findall(body)
    body = EXPORT.sub(lambda m: m.group(0)[len("export"):].lstrip(), body)
    leftover = ANY_IMPORT_OR_EXPORT.search(body)
    if leftover:
        raise BundleError(f"{path}: the page bundler does not handle "
                          f"{leftover.group(0).strip()!r}")
    return body, imports, exports


def bundle(entry: Path) -> str:
    """One script that runs `entry` and every module it imports, each once, dependencies
    first."""
    folder = entry.parent
    translated: dict[str, tuple[str, list[str], list[str]]] = {}
    order: list[str] = []

    def visit(module: str, importers: tuple[str, ...]) -> None:
        if module in importers:
            raise BundleError(f"{folder}: the modules import each other in a cycle: "
                              f"{' -> '.join(importers + (module,))}")
        if module in translated:
            return
        path = folder / f"{module}.js"
        if not path.is_file():
            raise BundleError(f"{importers[-1]}.js imports {path}, which does not exist")
        translated[module] = _translate(path, path.read_text("utf-8"))
        for dependency in translated[module][1]:
            visit(dependency, importers + (module,))
        order.append(module)

    visit(entry.stem, ())
    parts = []
    for module in order:
        body, _, exports = translated[module]
        if module == entry.stem:
            parts.append(f"// {module}.js\n{{\n{body}}}\n")
        else:
            parts.append(f"// {module}.js\nconst {_scope_name(module)} = (() => {{\n{body}"
                         f"return {{ {', '.join(exports)} }};\n}})();\n")
    return "".join(parts)
