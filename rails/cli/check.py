"""`dialog-rails check PATH...`: load and validate config folders (or single `.co` / YAML files)
without running anything, and print a one-screen summary of each, or every error found with
its location. Exit code 0 when every path is valid, 1 otherwise."""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rails.errors import ColangSyntaxError, ConfigError

MAX_LISTED = 8


@dataclass
class CheckReport:
    path: str
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    summary: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def render(self) -> str:
        lines = [f"{'OK' if self.ok else 'FAILED'}  {self.path}"]
        if self.ok:
            width = max((len(label) for label, _ in self.summary), default=0)
            lines += [f"  {label + ':':<{width + 1}} {value}" for label, value in self.summary]
        lines += [f"  warning: {text}" for text in self.warnings]
        for text in self.errors:
            first, *rest = text.splitlines() or [""]
            lines.append(f"  error: {first}")
            lines += [f"    {line}" for line in rest]
        return "\n".join(lines)


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "check", help="validate config folders or .co files without running them",
        description="Parse and validate each PATH (a config folder, a .co file or a YAML "
                    "file): YAML keys, Colang syntax, rail flow names, prompts, config.py and "
                    "actions, with a warning for each action the flows execute that nothing "
                    "defines. Prints a summary per path, or every error with its location. "
                    "Exit code 1 if any path has errors.")
    parser.add_argument("paths", nargs="+", metavar="PATH", help="what to check")
    parser.set_defaults(func=run)


def run(args: Any) -> int:
    failed = False
    for position, path in enumerate(args.paths):
        report = check_path(path)
        if position:
            print()
        print(report.render(), flush=True)
        failed = failed or not report.ok
    return 1 if failed else 0


def check_path(path: str) -> CheckReport:
    """Every problem of one path; a bug of ours is reported as such, not raised."""
    report = CheckReport(path)
    with _captured_warnings(report):
        try:
            if path.endswith(".co") and os.path.isfile(path):
                _check_colang_file(path, report)
            else:
                _check_config(path, report)
        except (ConfigError, ColangSyntaxError) as exc:
            report.errors.append(str(exc))
        except Exception as exc:  # keep checking the other paths; say what broke
            report.errors.append(f"unexpected {type(exc).__name__} while checking: {exc}")
    return report


def _check_colang_file(path: str, report: CheckReport) -> None:
    from rails.config.files import read_text
    from rails.lang import parse

    document = parse(read_text(path), path)
    report.summary += [
        ("flows", _listing(flow["id"] for flow in document.flows)),
        ("user intents", _listing(document.user_messages)),
        ("bot messages", _listing(document.bot_messages)),
    ]


def _check_config(path: str, report: CheckReport) -> None:
    from rails.config import RailsConfig, validate_rail_flows

    if not os.path.exists(path):
        raise ConfigError("the config path does not exist", file=path)
    if os.path.isdir(path):
        # Loading stops at the first error; look at every file first to list them all.
        report.errors += _file_by_file_errors(path)
        if report.errors:
            return
    config = RailsConfig.from_path(path)
    try:
        validate_rail_flows(config)
    except ConfigError as exc:
        report.errors.append(str(exc))
    folders = [p for p in [path, *(config.imported_paths or {}).values()] if os.path.isdir(p)]
    actions = _actions(folders, report)
    declared = _declared_actions(config, report)
    report.warnings += _unknown_actions(config, declared)
    from rails.cli.check_model_needs import model_needs, nothing_to_answer

    empty = nothing_to_answer(config)
    if empty:
        report.errors.append(f"{path}: {empty}")
    else:
        report.warnings += list(dict.fromkeys(model_needs(config)))
    rails = config.rails
    report.summary += [
        ("flows", _listing(flow.get("id") for flow in config.flows)),
        ("user intents", _listing(config.user_messages)),
        ("bot messages", _listing(config.bot_messages)),
        ("input rails", _listing(rails.input.flows)),
        ("output rails", _listing(rails.output.flows)),
        ("retrieval rails", _listing(rails.retrieval.flows)),
        ("models", _listing(f"{m.type}: {m.engine}" + (f"/{m.model}" if m.model else "")
                            for m in config.models)),
        ("knowledge base", f"{len(config.docs or [])} document(s)"),
        ("search index", _search_index(config)),
        ("actions", _listing(actions)),
    ]
    if declared:
        report.summary.append(("declared actions", _listing(declared)))
    tool_rails = [(kind, getattr(rails, kind)) for kind in ("tool_output", "tool_input")]
    for kind, section in tool_rails:
        names = list(section.flows) + [f for flows in section.per_tool.values() for f in flows]
        if names and config.passthrough:
            report.summary.append((kind.replace("_", " ") + " rails", _listing(names)))
        elif names:
            report.warnings.append(f"rails.{kind} checks the main model's tool calls in "
                                   "passthrough mode only; without `passthrough: true` they "
                                   "never run")


def _search_index(config: Any) -> str:
    from rails.index.factory import describe_config_search

    try:
        return describe_config_search(config)
    except ConfigError as exc:
        return f"cannot be built: {exc}"


def _file_by_file_errors(folder: str) -> list[str]:
    """Syntax and key errors of each YAML and `.co` file of a folder, all of them."""
    from rails.config import RailsConfig
    from rails.config.files import parse_yaml, read_text, scan_folder

    errors: list[str] = []
    contents = scan_folder(folder)
    for file in contents.yaml_files:
        try:
            RailsConfig.validated(parse_yaml(read_text(file), file), file=file, partial=True)
        except ConfigError as exc:
            errors.append(str(exc))
    for file in contents.colang_files:
        from rails.lang import parse

        try:
            parse(read_text(file), file)
        except (ColangSyntaxError, ConfigError) as exc:
            errors.append(str(exc))
    return errors


def _actions(folders: list[str], report: CheckReport) -> list[str]:
    """Names of the @action callables in each folder's actions.py / actions/ (found by
    importing them; import failures are errors of the config)."""
    from rails.actions.discovery import action_files, import_file, module_actions

    names: list[str] = []
    for folder in folders:
        for file in action_files(Path(folder)):
            try:
                module = import_file(file)
            except Exception as exc:
                report.errors.append(f"{file}: importing it failed: {type(exc).__name__}: {exc}")
                continue
            names += [name for name, _ in module_actions(module) if name not in names]
        config_py = Path(folder) / "config.py"
        if config_py.is_file():
            from rails.config.python import load_config_module

            try:
                load_config_module(folder)
            except ConfigError as exc:
                report.errors.append(str(exc))
    return names


def _declared_actions(config: Any, report: CheckReport) -> list[str]:
    """Names of the config's `declared_actions`; a bad declaration, or one naming a model
    the config does not have, is an error of the config."""
    if not config.declared_actions:
        return []
    from rails.actions.declared.registration import actions_of_config, check_models

    try:
        actions = actions_of_config(config)
        check_models(actions, config, {m.type: m for m in config.models
                                       if m.type != "embeddings"})
    except ConfigError as exc:
        report.errors.append(str(exc))
        return [entry["action_name"] for entry in config.declared_actions
                if isinstance(entry, dict) and isinstance(entry.get("action_name"), str)]
    return [action.name for action in actions]


def _unknown_actions(config: Any, declared: Any = ()) -> list[str]:
    """A warning per action the config's flows execute that neither the engine nor the
    config's action files define. Not an error: config.py, code or an actions server may
    register it; but a typo or a missing @action shows up here before a user meets it."""
    from rails.assembly import new_dispatcher
    from rails.llm.generation import LLMGenerationActions

    from rails.actions.choice.actions import ChoiceActions

    if getattr(config, "actions_server_url", None) or config.tool_use.mcp_servers:
        return []  # actions not found here are meant to run there (or are MCP tools)
    dispatcher = new_dispatcher(config)
    dispatcher.register_actions(LLMGenerationActions)  # only their names matter here
    dispatcher.register_actions(ChoiceActions)
    warnings, seen = [], set()
    for flow in config.flows or []:
        for element in flow.get("elements") or []:
            name = element.get("action_name") if element.get("_type") == "run_action" else None
            if not name or name == "utter" or name in seen or dispatcher.has(name) \
                    or name in declared:
                continue
            seen.add(name)
            mapping = element.get("_source_mapping") or {}
            where = (f" ({mapping.get('filename')}:{mapping['line_number']})"
                     if mapping.get("line_number") else "")
            text = f"flow '{flow.get('id')}'{where} executes '{name}': "
            text += dispatcher.not_found_message(name).rstrip(".") + "."
            if dispatcher.undecorated_file(name) is None:
                text += (" Unless config.py, your code or an actions server registers it, "
                         "a turn that reaches it will fail.")
            warnings.append(text)
    return warnings


def _listing(names: Any) -> str:
    items = [str(name) for name in names]
    if not items:
        return "(none)"
    shown = ", ".join(items[:MAX_LISTED])
    more = f", ... ({len(items)} in all)" if len(items) > MAX_LISTED else ""
    return f"{len(items)}: {shown}{more}" if len(items) > 1 else shown


class _WarningCollector(logging.Handler):
    def __init__(self, report: CheckReport):
        super().__init__(logging.WARNING)
        self.report = report

    def emit(self, record: logging.LogRecord) -> None:
        self.report.warnings.append(record.getMessage())


class _captured_warnings:
    """Warnings logged under `rails` while checking a path become lines of its report."""

    def __init__(self, report: CheckReport):
        self.handler = _WarningCollector(report)
        self.logger = logging.getLogger("rails")

    def __enter__(self) -> None:
        self.logger.addHandler(self.handler)
        self.previous_propagate = self.logger.propagate
        self.logger.propagate = False

    def __exit__(self, *exc_info: Any) -> None:
        self.logger.removeHandler(self.handler)
        self.logger.propagate = self.previous_propagate

