"""Settings of the library rails that need more than a prompt: `rails.config.regex_detection`
and `rails.config.injection_detection` (NeMo's keys). Checked when the config loads, so a bad
pattern or action is an error naming it, not a failure in the middle of a conversation."""
from __future__ import annotations

import re
from typing import Any, Optional

from rails.config.schema import Section, field

INJECTION_RULES = ("code", "sqli", "template", "xss")
INJECTION_ACTIONS = ("reject", "omit")


class RegexDetectionOptions(Section):
    """Patterns (Python `re` syntax) that block a text when one matches anywhere in it."""

    patterns: list[str] = field(default_factory=list)
    case_insensitive: bool = False

    def _check(self) -> None:
        flags = re.IGNORECASE if self.case_insensitive else 0
        compiled = []
        for number, pattern in enumerate(self.patterns):
            try:
                compiled.append(re.compile(pattern, flags))
            except re.error as error:
                raise ValueError(f"pattern {number} ({pattern!r}) is not a valid regular "
                                 f"expression: {error}") from None
        self.__dict__["_compiled"] = compiled

    def matching(self, text: str) -> list[str]:
        """The patterns that match somewhere in `text`."""
        return [pattern for pattern, compiled in zip(self.patterns, self.__dict__["_compiled"])
                if compiled.search(text)]


class RegexDetection(Section):
    input: RegexDetectionOptions = field(default_factory=RegexDetectionOptions)
    output: RegexDetectionOptions = field(default_factory=RegexDetectionOptions)
    retrieval: RegexDetectionOptions = field(default_factory=RegexDetectionOptions)
    tool_input: RegexDetectionOptions = field(default_factory=RegexDetectionOptions)
    tool_output: RegexDetectionOptions = field(default_factory=RegexDetectionOptions)


class InjectionDetection(Section):
    """YARA rules run over the bot message: `injections` names the rule sets (built-in: code,
    sqli, template, xss, or `.yara` files in `yara_path`, or texts in `yara_rules`);
    `action: reject` refuses the message, `omit` removes the matched text."""

    injections: list[str] = field(default_factory=list)
    action: str = "reject"
    yara_path: Optional[str] = ""
    yara_rules: Optional[dict[str, Any]] = field(default_factory=dict)

    def _check(self) -> None:
        if self.action not in INJECTION_ACTIONS:
            hint = " (sanitizing is not offered: it cannot be made safe)" \
                if self.action == "sanitize" else ""
            raise ValueError(f"action must be one of {', '.join(INJECTION_ACTIONS)}, not "
                             f"{self.action!r}{hint}")
        known = set(INJECTION_RULES) | set(self.yara_rules or {})
        if not self.yara_path:
            unknown = [name for name in self.injections if name not in known]
            if unknown:
                raise ValueError(f"unknown injection rule set(s) {', '.join(map(repr, unknown))}"
                                 f"; built-in ones are {', '.join(INJECTION_RULES)}, or give "
                                 "`yara_path` / `yara_rules`")
