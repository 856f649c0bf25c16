"""What kind of callable an action is, how it is called, and which parameters it names.

Introspection runs once per registered callable (`describe`) and the result is kept by the
registry, so executing an action costs no `inspect` work."""
from __future__ import annotations

import inspect
from dataclasses import dataclass, replace
from typing import Any

FUNCTION = "function"     # functions, bound methods, other plain callables: fn(**kwargs)
CLASS = "class"           # instantiated once, lazily, with no arguments; then .run(**kwargs)
INSTANCE = "instance"     # an object with a `run` method (e.g. an instantiated class action)
RUNNABLE = "runnable"     # LangChain Runnable (duck-typed): await ainvoke(kwargs)
CHAIN = "chain"           # LangChain Chain (duck-typed): await ainvoke(kwargs), output keys picked

CONTEXT_PREFIX = "__context__"
_NAMED = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


@dataclass(frozen=True)
class CallSpec:
    kind: str
    params: frozenset           # parameter names that may be passed by keyword
    ordered: tuple              # the same names in signature order (for schemas)
    positional: tuple           # parameters that may take a positional `$1`, `$2`... in order
    context_params: tuple       # `__context__<var>` parameters
    var_keyword: bool           # the callable takes **kwargs
    is_async: bool              # calling it returns a coroutine for sure
    signature: Any = None       # inspect.Signature, when there is one
    method: str = "run"         # CLASS / INSTANCE: the method called (`action`: Open WebUI)


def describe(target: Any) -> CallSpec:
    """Classify `target` and read its signature once."""
    if inspect.isclass(target):
        method = _method_name(target)
        return replace(_from_signature(CLASS, getattr(target, method, None)), method=method)
    if inspect.isfunction(target) or inspect.ismethod(target):
        return _from_signature(FUNCTION, target)
    if _is_chain(target):
        keys = tuple(getattr(target, "input_keys", ()) or ())
        return CallSpec(CHAIN, frozenset(keys), keys, keys,
                        tuple(k for k in keys if k.startswith(CONTEXT_PREFIX)), False, True)
    if callable(getattr(target, "ainvoke", None)):
        return CallSpec(RUNNABLE, frozenset(), (), (), (), True, True)
    method = _method_name(target)
    run = getattr(target, method, None)
    if callable(run):
        return replace(_from_signature(INSTANCE, run), method=method)
    if callable(target):
        return _from_signature(FUNCTION, target)
    raise TypeError(f"{target!r} is not callable: an action must be a function, a class with a "
                    "`run` method, an object with `run`, or a LangChain Runnable/Chain")


def _method_name(target: Any) -> str:
    """`run`, or `action` for an Open WebUI Action class that has no `run`."""
    if getattr(target, "run", None) is None and callable(getattr(target, "action", None)):
        return "action"
    return "run"


def _is_chain(target: Any) -> bool:
    return (callable(getattr(target, "ainvoke", None)) and hasattr(target, "input_keys")
            and hasattr(target, "output_keys"))


def _from_signature(kind: str, fn: Any) -> CallSpec:
    if fn is None:  # a class without `run`: fails when called, with a clear message
        return CallSpec(kind, frozenset(), (), (), (), True, False)
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):  # some builtins have none: pass every parameter along
        return CallSpec(kind, frozenset(), (), (), (), True, False)
    items = list(signature.parameters.values())
    if kind == CLASS and items and items[0].name == "self":
        items = items[1:]  # `run` read from the class is unbound
    named = tuple(p.name for p in items if p.kind in _NAMED)
    return CallSpec(
        kind=kind,
        params=frozenset(named),
        ordered=named,
        positional=tuple(p.name for p in items if p.kind in _POSITIONAL),
        context_params=tuple(n for n in named if n.startswith(CONTEXT_PREFIX)),
        var_keyword=any(p.kind is inspect.Parameter.VAR_KEYWORD for p in items),
        is_async=inspect.iscoroutinefunction(fn),
        signature=signature,
    )


async def call(kind: str, target: Any, kwargs: dict, *, spec: CallSpec,
               in_thread: bool, threads: Any = None) -> Any:
    """Call an action of `kind` with `kwargs`; awaits whatever it returns that is awaitable.
    A synchronous callable runs on a thread of `threads` (an `ActionThreads`) when given, else
    in asyncio's default thread pool with `in_thread`, else on the loop itself."""
    if kind == FUNCTION:
        fn = target
    elif kind == INSTANCE:
        fn = getattr(target, spec.method)
    elif kind == RUNNABLE:
        return await target.ainvoke(kwargs)
    elif kind == CHAIN:
        return _chain_output(target, await target.ainvoke(kwargs))
    else:
        raise TypeError(f"cannot call an action of kind {kind!r}")
    if spec.is_async:
        return await fn(**kwargs)
    if threads is not None:
        import asyncio

        result = await asyncio.wrap_future(threads.submit(fn, **kwargs))
    elif in_thread:
        import asyncio

        result = await asyncio.to_thread(fn, **kwargs)
    else:
        result = fn(**kwargs)
    if inspect.isawaitable(result):
        result = await result
    return result


def _chain_output(chain: Any, output: Any) -> Any:
    """A chain with one output key gives that value, otherwise the dict of its outputs (what
    the reference's `arun` / `acall(return_only_outputs=True)` gave)."""
    keys = list(getattr(chain, "output_keys", ()) or ())
    if not isinstance(output, dict):
        return output
    if len(keys) == 1:
        return output.get(keys[0])
    return {key: output.get(key) for key in keys} if keys else output
