"""A built-in model for OpenAI-compatible HTTP endpoints (OpenAI, vLLM, llama.cpp, Ollama's
/v1, LM Studio, ...), over httpx: no provider package needed.

    models:
      - type: main
        engine: openai            # or openai_compatible
        model: gpt-4o-mini
        parameters:
          base_url: http://localhost:8000/v1   # default: $OPENAI_BASE_URL or api.openai.com
          api_key_env_var: MY_KEY              # default: $OPENAI_API_KEY; no key is fine locally
          temperature: 0.2
          max_tokens: 512
          timeout: 60                          # seconds; connect_timeout: 10

Any other parameter (top_p, seed, ...) is sent in the request body. Models whose name says
`instruct` (gpt-3.5-turbo-instruct) use the legacy /completions route; set `api: chat` or
`api: completions` to choose explicitly.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import os
from typing import Any, Optional

from rails.errors import ConfigError, LLMCallError
from rails.llm.call import Completion, TokenHandler

DEFAULT_BASE_URL = "https://api.openai.com/v1"
_CLIENT_KEYS = {"base_url", "api_base", "openai_api_base", "api_key", "api_key_env_var",
                "openai_api_key", "timeout", "connect_timeout", "headers", "api", "stream_usage",
                "model", "model_name"}
_EXCERPT = 500


class OpenAICompatibleModel:
    """Calls `POST {base_url}/chat/completions` (or `/completions`) and streams over SSE."""

    is_native_rails_model = True

    def __init__(self, model: str, *, base_url: Optional[str] = None,
                 api_key: Optional[str] = None, api_key_env_var: Optional[str] = None,
                 timeout: float = 60.0, connect_timeout: float = 10.0,
                 headers: Optional[dict] = None, api: Optional[str] = None,
                 stream_usage: bool = True, **body_params: Any):
        if not model:
            raise ConfigError("the openai engine needs a `model` name", key="models")
        self.model = model
        self.base_url = (base_url or os.environ.get("OPENAI_BASE_URL")
                         or DEFAULT_BASE_URL).rstrip("/")
        self.key_variable = api_key_env_var or "OPENAI_API_KEY"
        if api_key is None:
            env_var = self.key_variable
            api_key = os.environ.get(env_var)
            if api_key_env_var and api_key is None:
                raise ConfigError(f"the environment variable {api_key_env_var} named by "
                                  "api_key_env_var is not set", key="models.parameters")
        self.api_key = api_key
        self.timeout, self.connect_timeout = float(timeout), float(connect_timeout)
        self.headers = dict(headers or {})
        if api is None:
            api = "completions" if "instruct" in model else "chat"
        if api not in ("chat", "completions"):
            raise ConfigError(f"`api` must be 'chat' or 'completions', not {api!r}",
                              key="models.parameters.api")
        self.api = api
        self.stream_usage = stream_usage
        self.temperature = body_params.pop("temperature", None)
        self.max_tokens = body_params.pop("max_tokens", None)
        self.body_params = body_params
        self._clients: dict[int, Any] = {}

    @classmethod
    def from_parameters(cls, model: Optional[str],
                        parameters: Optional[dict]) -> "OpenAICompatibleModel":
        params = dict(parameters or {})
        model = model or params.pop("model", None) or params.pop("model_name", None)
        for alias in ("api_base", "openai_api_base"):
            if alias in params:
                params.setdefault("base_url", params.pop(alias))
        if "openai_api_key" in params:
            params.setdefault("api_key", params.pop("openai_api_key"))
        params.pop("model", None)
        params.pop("model_name", None)
        return cls(model, **params)

    @property
    def endpoint(self) -> str:
        return f"{self.base_url}/{'chat/completions' if self.api == 'chat' else 'completions'}"

    def _client(self) -> Any:
        """One httpx client per event loop (a client's connections belong to one loop)."""
        import httpx

        loop_id = id(asyncio.get_running_loop())
        client = self._clients.get(loop_id)
        if client is None or client.is_closed:
            client = httpx.AsyncClient(timeout=httpx.Timeout(self.timeout,
                                                             connect=self.connect_timeout))
            self._clients = {loop_id: client}  # clients of finished loops are dropped
        return client

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()

    def _body(self, prompt: Any, stop, temperature, max_tokens, params, stream: bool) -> dict:
        body: dict[str, Any] = {"model": self.model}
        if self.api == "chat":
            body["messages"] = _chat_messages(prompt)
        else:
            body["prompt"] = prompt if isinstance(prompt, str) else "\n".join(
                str(m.get("content", "")) for m in prompt)
        temperature = temperature if temperature is not None else self.temperature
        max_tokens = max_tokens if max_tokens is not None else self.max_tokens
        if temperature is not None:
            body["temperature"] = temperature
        if max_tokens is not None:
            body["max_tokens"] = max_tokens
        if stop:
            body["stop"] = list(stop)
        body.update(self.body_params)
        body.update(params or {})
        if stream:
            body["stream"] = True
            if self.stream_usage:
                body["stream_options"] = {"include_usage": True}
        return body

    def missing_key(self) -> Optional[str]:
        """Why a call cannot work, said before it is made: OpenAI's own endpoint without a key
        (local OpenAI-compatible servers usually need none, so only that one is checked)."""
        if self.api_key or self.base_url != DEFAULT_BASE_URL:
            return None
        return (f"no API key for the model {self.model} at {self.base_url}: set the "
                f"environment variable {self.key_variable} (or api_key_env_var on the model to "
                "name another one); to use another OpenAI-compatible endpoint (a local vLLM, "
                "Ollama, llama.cpp...), set OPENAI_BASE_URL or the model's parameters.base_url")

    def _require_key(self) -> None:
        problem = self.missing_key()
        if problem:
            raise LLMCallError(problem, endpoint=self.endpoint)

    def _headers(self) -> dict:
        headers = {"Content-Type": "application/json", **self.headers}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        return headers

    async def generate(self, prompt: Any, *, stop: Optional[list] = None,
                       temperature: Optional[float] = None, max_tokens: Optional[int] = None,
                       params: Optional[dict] = None,
                       on_token: Optional[TokenHandler] = None) -> Completion:

        self._require_key()
        body = self._body(prompt, stop, temperature, max_tokens, params, on_token is not None)
        with self._transport_errors():
            if on_token is None:
                response = await self._client().post(self.endpoint, json=body,
                                                     headers=self._headers())
                self._check(response.status_code, response.text)
                return self._parse(response.text)
            async with self._client().stream("POST", self.endpoint, json=body,
                                             headers=self._headers()) as response:
                if response.status_code >= 400:
                    text = (await response.aread()).decode("utf-8", "replace")
                    self._check(response.status_code, text)
                return await self._read_stream(response, on_token)

    @contextlib.contextmanager
    def _transport_errors(self):
        """A timeout or a connection failure as an LLMCallError naming the endpoint."""
        import httpx

        try:
            yield
        except httpx.TimeoutException as error:
            raise LLMCallError(f"the model endpoint {self.endpoint} (model {self.model}) did "
                               f"not answer within {self.timeout:g}s: {type(error).__name__}",
                               endpoint=self.endpoint) from error
        except httpx.HTTPError as error:
            raise LLMCallError(f"could not reach the model endpoint {self.endpoint} (model "
                               f"{self.model}): {type(error).__name__}: {error}",
                               endpoint=self.endpoint) from error

    async def chat_with_tools(self, messages: list[dict], tools: list[dict], *,
                              tool_choice: Any = None, temperature: Optional[float] = None,
                              max_tokens: Optional[int] = None,
                              params: Optional[dict] = None) -> Completion:
        """One chat call offering `tools` (OpenAI's function-tool form); `messages` are sent
        as they are (OpenAI's chat form, with assistant `tool_calls` and `tool` results).
        The completion's `tool_calls` holds what the model asked to run."""

        self._require_key()
        if self.api != "chat":
            raise LLMCallError(f"tool calls need the chat API; model {self.model} is set to "
                               f"`api: {self.api}`", endpoint=self.endpoint)
        body: dict[str, Any] = {"model": self.model, "messages": messages}
        if tools:
            body["tools"] = tools
            if tool_choice is not None:
                body["tool_choice"] = tool_choice
        temperature = temperature if temperature is not None else self.temperature
        max_tokens = max_tokens if max_tokens is not None else self.max_tokens
        if temperature is not None:
            body["temperature"] = temperature
        if max_tokens is not None:
            body["max_tokens"] = max_tokens
        body.update(self.body_params)
        body.update(params or {})
        with self._transport_errors():
            response = await self._client().post(self.endpoint, json=body,
                                                 headers=self._headers())
        self._check(response.status_code, response.text)
        return self._parse(response.text)  # (the chat API's: tool_calls read there)

    def _check(self, status: int, text: str) -> None:
        if status < 400:
            return
        excerpt = _excerpt(text)
        raise LLMCallError(f"the model endpoint {self.endpoint} (model {self.model}) answered "
                           f"HTTP {status}: {excerpt}", endpoint=self.endpoint, status=status,
                           body_excerpt=excerpt)

    def _bad_answer(self, what: str, text: str) -> LLMCallError:
        return LLMCallError(f"the model endpoint {self.endpoint} (model {self.model}) sent "
                            f"{what}: {_excerpt(text)}", endpoint=self.endpoint,
                            body_excerpt=_excerpt(text))

    def _parse(self, text: str) -> Completion:
        try:
            data = json.loads(text)
            choice = data["choices"][0]
            content = (choice["message"].get("content") if self.api == "chat"
                       else choice.get("text")) or ""
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as error:
            raise self._bad_answer("an answer without choices", text) from error
        completion = Completion(text=content, raw=data)
        if self.api == "chat":
            calls = choice["message"].get("tool_calls")
            if calls is not None and not isinstance(calls, list):
                raise self._bad_answer("`tool_calls` that is not a list", text)
            completion.tool_calls = calls or None
        _apply_usage(completion, data.get("usage"))
        return completion

    async def _read_stream(self, response: Any, on_token: TokenHandler) -> Completion:
        from rails.tool_shapes import ToolCallDeltas

        parts: list[str] = []
        usage = None
        calls = ToolCallDeltas()
        async for line in response.aiter_lines():
            if not line.startswith("data:"):
                continue
            payload = line[5:].strip()
            if payload == "[DONE]":
                break
            try:
                data = json.loads(payload)
            except ValueError as error:
                raise self._bad_answer("a malformed stream event", payload) from error
            if data.get("error"):
                raise self._bad_answer("an error in the stream", payload)
            usage = data.get("usage") or usage
            for choice in data.get("choices") or []:
                delta = choice.get("delta") or {}
                token = delta.get("content") if self.api == "chat" else choice.get("text")
                if delta.get("tool_calls"):
                    calls.add(delta["tool_calls"])
                if token:
                    parts.append(token)
                    await on_token(token)
        completion = Completion(text="".join(parts), tool_calls=calls.calls())
        _apply_usage(completion, usage)
        return completion

    def __repr__(self) -> str:
        return f"OpenAICompatibleModel(model={self.model!r}, base_url={self.base_url!r})"


def _chat_messages(prompt: Any) -> list[dict]:
    if isinstance(prompt, str):
        return [{"role": "user", "content": prompt}]
    roles = {"user": "user", "human": "user", "assistant": "assistant", "bot": "assistant",
             "ai": "assistant", "system": "system"}
    messages = []
    for message in prompt:
        kind = message.get("type") or message.get("role") or "user"
        if kind == "tool":  # passthrough of a tool conversation: OpenAI's own shapes
            messages.append({key: message[key] for key in ("role", "content", "tool_call_id",
                                                           "name") if key in message})
            messages[-1]["role"] = "tool"
            continue
        if kind not in roles:
            raise ValueError(f"unknown message type {kind!r} in a prompt; use system, user, "
                             "assistant or bot")
        messages.append({"role": roles[kind], "content": message.get("content", "")})
        if message.get("tool_calls") and roles[kind] == "assistant":
            from rails.tool_shapes import normalize_tool_calls

            messages[-1]["tool_calls"] = normalize_tool_calls(message["tool_calls"])
            messages[-1]["content"] = message.get("content") or None
    return messages


def _apply_usage(completion: Completion, usage: Any) -> None:
    if isinstance(usage, dict):
        completion.prompt_tokens = usage.get("prompt_tokens")
        completion.completion_tokens = usage.get("completion_tokens")
        completion.total_tokens = usage.get("total_tokens")


def _excerpt(text: str) -> str:
    text = (text or "").strip()
    return text if len(text) <= _EXCERPT else text[:_EXCERPT] + "..."
