"""Decorators that check an action's input and output (NeMo's `nemoguardrails.actions.validation`).

`@validate_input("query", validators=["length", "quote"], max_len=100)` checks a parameter (or an
attribute of the object whose method runs); `@validate_response(validators=["ip_filter"])`
checks or cleans what the action returns. On a class, they wrap its `run` method."""
from __future__ import annotations

import functools
import json
import re
from typing import Any, Callable, Sequence
from urllib.parse import quote

MAX_LEN = 50
_IP_ADDRESS = re.compile(r"\b(?:[0-9]{1,3}\.){3}[0-9]{1,3}\b")
_DEFAULT_TOOL_ANSWER = re.compile(r"^No good.*result(?: was)? found$", re.IGNORECASE)


def _on_run_or_function(wrap: Callable[[Callable], Callable]) -> Callable[[Any], Any]:
    def decorator(target: Any) -> Any:
        if isinstance(target, type):
            if callable(getattr(target, "run", None)):
                target.run = wrap(target.run)
            return target
        return wrap(target)
    return decorator


def validate_input(attribute: str, validators: Sequence[str] = (), **validation_args: Any):
    """`length` (at most `max_len` characters, default 50) and `quote` (URL-quote the value);
    an empty value is always an error."""
    max_len = validation_args.get("max_len", MAX_LEN)

    def wrap(function: Callable) -> Callable:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            owner = None if attribute in kwargs else args[0]
            value = kwargs.get(attribute) if owner is None else getattr(owner, attribute)
            if not value:
                raise ValueError(f"Attribute {attribute} is empty.")
            if "length" in validators and len(value) > max_len:
                raise ValueError(f"Attribute {attribute} is too long.")
            if "quote" in validators:
                if owner is None:
                    kwargs[attribute] = quote(value)
                else:
                    setattr(owner, attribute, quote(value))
            return function(*args, **kwargs)
        return wrapper

    return _on_run_or_function(wrap)


def _contains_secrets(text: str) -> bool:
    try:
        from detect_secrets import SecretsCollection
        from detect_secrets.settings import default_settings
    except ImportError as exc:
        raise ImportError("the `filter_secrets` validator needs the detect-secrets package: "
                          "pip install detect-secrets") from exc
    import os
    import tempfile

    with tempfile.NamedTemporaryFile("w", delete=False, suffix=".txt") as handle:
        handle.write(text)
    try:
        secrets = SecretsCollection()
        with default_settings():
            secrets.scan_file(handle.name)
        return bool(list(secrets))
    finally:
        os.unlink(handle.name)


def validate_response(validators: Sequence[str] = (), **validation_args: Any):
    """`length` (at most 50 characters), `ip_filter` (remove IPv4 addresses from a text or from
    a dict's values), `is_default_resp` (reject a LangChain tool's "No good ... result found"),
    `filter_secrets` (reject anything detect-secrets flags)."""

    def strip_ips(value: Any) -> Any:
        if isinstance(value, str):
            return _IP_ADDRESS.sub("", value)
        if isinstance(value, dict):
            return {key: strip_ips(item) for key, item in value.items()}
        return value

    def wrap(function: Callable) -> Callable:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            response = function(*args, **kwargs)
            if "length" in validators and len(response) > MAX_LEN:
                raise ValueError(f"Response Attribute {response} is too long.")
            if "ip_filter" in validators:
                response = strip_ips(response)
            if "is_default_resp" in validators and isinstance(response, str) \
                    and _DEFAULT_TOOL_ANSWER.search(response):
                raise ValueError("Default Response received from action")
            if "filter_secrets" in validators and _contains_secrets(json.dumps(response)):
                raise ValueError("The response contains sensitive data.")
            return response
        return wrapper

    return _on_run_or_function(wrap)
