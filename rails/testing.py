"""Helpers for testing rails configurations without a real model.

`FakeLLM` is a LangChain LLM that answers with canned completions, in order:

    from rails.testing import FakeLLM
    llm = FakeLLM(responses=["  express greeting", 'Bot message: "Hi!"'])
    rails = LLMRails(config, llm=llm)
    rails.generate(messages=[{"role": "user", "content": "hello"}])
    llm.prompts      # every prompt it received, in order
    llm.calls        # [{"prompt": ..., "stop": ..., "kwargs": {...}}, ...]

It streams too (word by word), and when it runs out of responses it raises an error that says
how many calls it served and shows the last prompt, so a test fails with the reason.
`respond=lambda prompt: ...` answers each prompt by content instead (calls that run
concurrently, e.g. parallel rails, arrive in no fixed order); `latency=0.1` waits that many
seconds before each answer and `token_latency` per word (between streamed words, or all
at once for a whole answer), for benchmarks.

`TestChat` drives a conversation and checks the bot's answers:

    from rails.testing import TestChat
    chat = TestChat(config, llm_completions=["  express greeting", 'Bot message: "Hi!"'])
    chat >> "hello"          # the user says something
    chat << "Hi!"            # the bot must answer exactly this
    chat.user("bye"); chat.bot("Goodbye!")   # the same, as methods
    chat.history             # the messages so far

The completions are consumed by every LLM call of a turn (intent, next step, bot message,
self checks, ...), in the order the engine makes them. A bot message defined with several
variants always answers with the first one in a TestChat, so tests are deterministic.
"""
from __future__ import annotations

import asyncio
import re
import time
from typing import Any, AsyncIterator, Callable, Iterator, Optional

from langchain_core.language_models.llms import LLM
from langchain_core.outputs import GenerationChunk
from pydantic import Field, PrivateAttr

__all__ = ["FakeLLM", "FakeLLMExhausted", "TestChat"]


class FakeLLMExhausted(AssertionError):
    """The FakeLLM got more calls than it has responses."""


class FakeLLM(LLM):
    """A LangChain LLM returning `responses` one after another (sync, async and streaming)."""

    responses: list[str] = Field(default_factory=list)
    respond: Optional[Callable[[str], str]] = None
    latency: float = 0.0
    token_latency: float = 0.0
    temperature: Optional[float] = None   # accepted so tests can see what the engine asked
    max_tokens: Optional[int] = None
    _calls: list = PrivateAttr(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "rails-fake"

    @property
    def calls(self) -> list[dict]:
        return self._calls

    @property
    def prompts(self) -> list[str]:
        return [call["prompt"] for call in self._calls]

    def _next(self, prompt: str, stop: Optional[list[str]], kwargs: dict) -> str:
        served = len(self._calls)
        clean = {k: v for k, v in kwargs.items() if k not in ("run_manager", "callbacks")}
        if self.respond is not None:
            self._calls.append({"prompt": prompt, "stop": stop, "kwargs": clean})
            return self.respond(prompt)
        if served >= len(self.responses):
            last = prompt if len(prompt) <= 2000 else "..." + prompt[-2000:]
            raise FakeLLMExhausted(f"FakeLLM ran out of responses after {served} calls; last "
                                   f"prompt: {last}")
        self._calls.append({"prompt": prompt, "stop": stop, "kwargs": clean})
        return self.responses[served]

    def _call(self, prompt: str, stop: Optional[list[str]] = None, run_manager: Any = None,
              **kwargs: Any) -> str:
        if self.latency:
            time.sleep(self.latency)
        return self._next(prompt, stop, kwargs)

    async def _acall(self, prompt: str, stop: Optional[list[str]] = None,
                     run_manager: Any = None, **kwargs: Any) -> str:
        if self.latency:
            await asyncio.sleep(self.latency)
        answer = self._next(prompt, stop, kwargs)
        if self.token_latency:  # the same generation time as when streamed
            await asyncio.sleep(self.token_latency * len(_words(answer)))
        return answer

    def _stream(self, prompt: str, stop: Optional[list[str]] = None, run_manager: Any = None,
                **kwargs: Any) -> Iterator[GenerationChunk]:
        if self.latency:
            time.sleep(self.latency)
        for piece in _words(self._next(prompt, stop, kwargs)):
            if self.token_latency:
                time.sleep(self.token_latency)
            yield GenerationChunk(text=piece)

    async def _astream(self, prompt: str, stop: Optional[list[str]] = None,
                       run_manager: Any = None, **kwargs: Any) -> AsyncIterator[GenerationChunk]:
        if self.latency:
            await asyncio.sleep(self.latency)
        for piece in _words(self._next(prompt, stop, kwargs)):
            if self.token_latency:
                await asyncio.sleep(self.token_latency)
            yield GenerationChunk(text=piece)


def _first_variant(variants: list[str]) -> str:
    return variants[0]


def _words(text: str) -> list[str]:
    """Chunks that join back to `text` exactly: each word with the whitespace before it."""
    return re.findall(r"\s*\S+|\s+$", text) or ([text] if text else [])


class TestChat:
    """A conversation with an LLMRails built from `config` and a FakeLLM (or `llm`)."""

    __test__ = False  # not a pytest test class

    def __init__(self, config: Any, llm_completions: Optional[list[str]] = None,
                 llm: Any = None, **rails_kwargs: Any):
        from rails.llmrails import LLMRails

        self.llm = llm if llm is not None else FakeLLM(responses=list(llm_completions or []))
        self.app = LLMRails(config, llm=self.llm, **rails_kwargs)
        # Deterministic tests: a bot message with several variants always uses the first.
        generation = getattr(getattr(self.app, "_parts", None), "generation", None)
        if generation is not None:
            generation.choose_variant = _first_variant
        self.history: list[dict] = []

    def user(self, text: str) -> "TestChat":
        self.history.append({"role": "user", "content": text})
        return self

    def bot(self, expected: str) -> "TestChat":
        """Run the turn (if the user spoke last) and assert the bot's answer."""
        if not self.history or self.history[-1]["role"] != "user":
            raise AssertionError("TestChat.bot() needs a user message first (chat >> 'text')")
        response = self.app.generate(messages=self.history)
        content = response["content"] if isinstance(response, dict) else str(response)
        if isinstance(response, dict) and response.get("role") == "exception":
            raise AssertionError(f"the turn ended with an exception event instead of a bot "
                                 f"message: {content!r}")
        self.history.append({"role": "assistant", "content": content})
        if content != expected:
            raise AssertionError(f"the bot said {content!r}, expected {expected!r}")
        return self

    async def bot_async(self, expected: str) -> "TestChat":
        response = await self.app.generate_async(messages=self.history)
        content = response["content"]
        self.history.append({"role": "assistant", "content": content})
        if content != expected:
            raise AssertionError(f"the bot said {content!r}, expected {expected!r}")
        return self

    def __rshift__(self, text: str) -> "TestChat":
        return self.user(text)

    def __lshift__(self, expected: str) -> "TestChat":
        return self.bot(expected)
