"""`RailsConfig.from_path` / `from_content` (spec §5.2): collect YAML, Colang files, knowledge-base
documents and imports into one raw dict, merge it with `join`, apply the defaults, validate."""
from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Optional

from rails.config.colang_files import merge_colang_documents, parse_colang_file
from rails.config.defaults import DEFAULT_GENERAL_INSTRUCTIONS
from rails.config.files import parse_yaml, read_text, scan_folder
from rails.config.join import join_config
from rails.errors import ConfigError

if TYPE_CHECKING:
    from rails.config.rails_config import RailsConfig

_YAML_SUFFIXES = (".yml", ".yaml")


def load_path(cls: type["RailsConfig"], config_path: str) -> "RailsConfig":
    raw: dict[str, Any] = {}
    colang_files: list[str] = []
    if config_path.endswith(_YAML_SUFFIXES) and os.path.isfile(config_path):
        _join_yaml_file(cls, raw, config_path)
    elif os.path.isdir(config_path):
        colang_files = _load_folder(cls, raw, config_path)
        _load_imports(cls, raw, colang_files, base_dir=config_path)
    elif config_path.endswith(".co") and os.path.isfile(config_path):
        colang_files = [config_path]
    elif not os.path.exists(config_path):
        raise ConfigError("the config path does not exist", file=config_path)
    else:
        raise ConfigError("a config path must be a folder, a .yml/.yaml file or a .co file",
                          file=config_path)

    documents = [parse_colang_file(path) for path in colang_files]
    merge_colang_documents(raw, documents, colang_files)
    raw["config_path"] = config_path
    return _finish(cls, raw)


def load_content(cls: type["RailsConfig"], colang_content: Optional[str],
                 yaml_content: Optional[str], config: Optional[dict]) -> "RailsConfig":
    raw: dict[str, Any] = {}
    if config:
        cls.validated(config, file="<config dict>", partial=True)
        join_config(raw, config)
    if yaml_content:
        data = parse_yaml(yaml_content, "<yaml_content>")
        cls.validated(data, file="<yaml_content>", partial=True)
        join_config(raw, data)
    documents, files = [], []
    if colang_content:
        documents.append(parse_colang_file("main.co", text=colang_content))
        files.append("main.co")
    imported: list[str] = []
    _load_imports(cls, raw, imported, base_dir=os.getcwd())
    documents += [parse_colang_file(path) for path in imported]
    merge_colang_documents(raw, documents, files + imported)
    return _finish(cls, raw)


def _finish(cls: type["RailsConfig"], raw: dict[str, Any]) -> "RailsConfig":
    if not raw.get("instructions"):
        raw["instructions"] = [{"type": "general", "content": DEFAULT_GENERAL_INSTRUCTIONS}]
    return cls.parse_object(raw)


def _join_yaml_file(cls: type["RailsConfig"], raw: dict[str, Any], path: str) -> None:
    data = parse_yaml(read_text(path), path)
    cls.validated(data, file=path, partial=True)  # located type errors, file by file
    join_config(raw, data)


def _load_folder(cls: type["RailsConfig"], raw: dict[str, Any], folder: str) -> list[str]:
    """Join the folder's YAML and documents into `raw`; return its Colang files."""
    contents = scan_folder(folder)
    for path in contents.yaml_files:
        _join_yaml_file(cls, raw, path)
    if contents.kb_documents:
        docs = [{"format": "md", "content": read_text(path, knowledge_base=True)}
                for path in contents.kb_documents]
        join_config(raw, {"docs": docs})
    return contents.colang_files


def _load_imports(cls: type["RailsConfig"], raw: dict[str, Any], colang_files: list[str],
                  base_dir: str) -> None:
    """Load every entry of `import_paths`, including those that imported configs add."""
    imported: dict[str, str] = dict(raw.get("imported_paths") or {})
    while True:
        pending = [p for p in raw.get("import_paths") or [] if p not in imported]
        if not pending:
            break
        for import_path in pending:
            actual = resolve_import_path(import_path, base_dir)
            if os.path.isdir(actual):
                colang_files += _load_folder(cls, raw, actual)
            elif actual.endswith(".co"):
                colang_files.append(actual)
            elif actual.endswith(_YAML_SUFFIXES):
                _join_yaml_file(cls, raw, actual)
            imported[import_path] = actual
    if imported:
        raw["imported_paths"] = imported


def colang_path_dirs() -> list[str]:
    """Directories of the COLANGPATH environment variable (read at every load)."""
    return [part.strip() for part in os.environ.get("COLANGPATH", "").split(os.pathsep)
            if part.strip()]


def resolve_import_path(import_path: str, base_dir: str) -> str:
    """An import path as given (absolute or relative to the working directory, as the
    reference does), else relative to the importing config folder, else in a COLANGPATH
    directory, with or without a `.co` suffix."""
    if not import_path.strip():
        raise ConfigError("an import path is empty", file=base_dir, key="import_paths")
    candidates = [import_path, os.path.join(base_dir, import_path)]
    for root in colang_path_dirs():
        candidates.append(os.path.join(root, import_path))
        if not import_path.endswith(".co"):
            candidates.append(os.path.join(root, import_path + ".co"))
    for candidate in candidates:
        if os.path.exists(candidate):
            return candidate
    searched = ["the working directory", base_dir] + colang_path_dirs()
    raise ConfigError(f"import path '{import_path}' could not be found (looked in: "
                      f"{', '.join(searched)}; set COLANGPATH to add directories)",
                      file=base_dir, key="import_paths")
