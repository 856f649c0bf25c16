"""The injection-detection rail: YARA rules run over the bot message, so an answer that would
inject SQL, script, code or template expressions into what consumes it is refused (`reject`)
or has the matched text removed (`omit`). Needs `yara-python` (the `injection` extra)."""
from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional

from rails.actions import action
from rails.errors import ActionError

RULES_DIR = Path(__file__).parent / "rules"
log = logging.getLogger(__name__)


def _yara() -> Any:
    try:
        import yara
    except ImportError as error:
        raise ActionError("the injection detection rail needs yara-python: pip install "
                          "'dialog-rails[injection]' (or yara-python)",
                          action_name="injection_detection") from error
    return yara


@lru_cache(maxsize=32)
def _compiled(names: tuple, folder: str, inline: tuple) -> Any:
    """The rules, compiled once per distinct setting (a process serves many turns)."""
    yara = _yara()
    sources = dict(inline)
    try:
        if sources:
            return yara.compile(sources={name: sources[name] for name in names})
        paths = {name: str(Path(folder) / f"{name}.yara") for name in names}
        missing = [path for path in paths.values() if not Path(path).is_file()]
        if missing:
            raise ActionError(f"injection detection: no rule file {', '.join(missing)}",
                              action_name="injection_detection")
        return yara.compile(filepaths=paths)
    except yara.Error as error:  # a syntax error in a user's rules
        raise ActionError(f"injection detection: the YARA rules do not compile: {error}",
                          action_name="injection_detection") from error


def _rules(settings: Any) -> Any:
    inline = tuple(sorted((settings.yara_rules or {}).items()))
    folder = settings.yara_path or str(RULES_DIR)
    return _compiled(tuple(settings.injections), folder, inline)


def _without(text: str, matches: list) -> str:
    for match in matches:
        for string in match.strings:
            for instance in string.instances:
                fragment = instance.matched_data.decode("utf-8", errors="ignore")
                if fragment:
                    text = text.replace(fragment, "")
    return text


@action(is_system_action=True)
async def injection_detection(text: Optional[str], config: Any) -> dict:
    """{"is_injection", "detections", "text", "action"}: `text` is the message with the matched
    parts removed when the action is `omit`, else unchanged."""
    settings = config.rails.config.injection_detection
    if settings is None:
        raise ActionError("the injection detection rail needs rails.config.injection_detection "
                          "in config.yml (injections: [sqli, xss, code, template])",
                          action_name="injection_detection")
    if not text or not settings.injections:
        return {"is_injection": False, "detections": [], "text": text or "",
                "action": settings.action}
    matches = _rules(settings).match(data=text)
    detections = sorted({match.rule for match in matches})
    if detections:
        log.info("injection detection matched: %s", ", ".join(detections))
    cleaned = _without(text, matches) if matches and settings.action == "omit" else text
    return {"is_injection": bool(detections), "detections": detections,
            "detections_text": ", ".join(detections), "text": cleaned,
            "action": settings.action}
