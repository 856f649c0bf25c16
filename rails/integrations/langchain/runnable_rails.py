"""`RunnableRails`: a rails configuration as a LangChain Runnable (NeMo's class of that name).

`guardrails | llm` puts the rails around a model; `guardrails | chain` (or
`RunnableRails(config, runnable=chain)`) around any runnable, which the rails then call in
passthrough mode with the original input. The output has the shape the input asks for:

| input                                        | output                               |
| -------------------------------------------- | ------------------------------------ |
| `str`, `StringPromptValue`                   | `str`                                |
| `ChatPromptValue`, a message, a message list | `AIMessage`                          |
| `{input_key: str}`                           | `{output_key: str}`                  |
| `{input_key: [{"role", "content"}, ...]}`    | `{output_key: {"role", "content"}}`  |
| `{input_key: [BaseMessage, ...]}`            | `{output_key: AIMessage}`            |
| anything, around a chain (passthrough)       | the chain's output, with the text the output rails approved |
"""
from __future__ import annotations

from typing import Any, AsyncIterator, Iterator, Optional

from langchain_core.language_models import BaseLanguageModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.prompt_values import ChatPromptValue, StringPromptValue
from langchain_core.runnables import Runnable
from langchain_core.runnables.config import RunnableConfig

from rails.config import RailsConfig
from rails.llmrails import LLMRails

_ROLE_OF_TYPE = {"human": "user", "ai": "assistant", "system": "system", "tool": "tool"}


def _message_dict(message: BaseMessage) -> dict:
    role = _ROLE_OF_TYPE.get(message.type)
    if role is None:
        raise ValueError(f"RunnableRails cannot pass a message of type {message.type!r} to the "
                         "rails; use human, ai or system messages")
    return {"role": role, "content": message.content}


def _is_message_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(
        isinstance(item, BaseMessage) for item in value)


class RunnableRails(Runnable):
    def __init__(self, config: RailsConfig, llm: Optional[BaseLanguageModel] = None,
                 tools: Optional[list] = None, passthrough: bool = True,
                 runnable: Optional[Runnable] = None, input_key: str = "input",
                 output_key: str = "output", verbose: bool = False) -> None:
        self.llm = llm
        self.passthrough = passthrough
        self.passthrough_runnable = runnable
        self.passthrough_user_input_key = input_key
        self.passthrough_bot_output_key = output_key
        self.verbose = verbose
        self.config: Optional[RunnableConfig] = None
        self.kwargs: dict = {}
        config.passthrough = passthrough  # as NeMo: the wrapper decides
        self.rails = LLMRails(config=config, llm=llm, verbose=verbose)
        for tool in tools or []:
            self.passthrough = False  # tools are called from dialog rails, which need prompts
            self.rails.register_action(tool, tool.name)
        if runnable is not None:
            self._install_passthrough()

    # -- composition -----------------------------------------------------------------------

    def __or__(self, other: Any) -> Any:
        """`guardrails | llm` guards the model; `guardrails | chain` guards the chain."""
        if isinstance(other, BaseLanguageModel):
            self.llm = other
            self.rails.update_llm(other)
            return self
        if isinstance(other, Runnable):
            self.passthrough_runnable = other
            self.passthrough = True
            self._install_passthrough()
            return self
        return super().__or__(other)

    def _install_passthrough(self) -> None:
        async def call_runnable(context: dict, events: list) -> tuple[str, Any]:
            original = context.get("passthrough_input")
            output = await self.passthrough_runnable.ainvoke(original, self.config,
                                                             **self.kwargs)
            if isinstance(output, str):
                return output, output
            if isinstance(output, BaseMessage):
                return output.content, output
            if isinstance(output, dict):
                return output.get(self.passthrough_bot_output_key), output
            return str(output), output

        self.rails.llm_generation_actions.passthrough_fn = call_runnable

    @property
    def InputType(self) -> Any:
        return Any

    @property
    def OutputType(self) -> Any:
        return Any

    # -- input -----------------------------------------------------------------------------

    def _guards_a_chain(self) -> bool:
        return self.passthrough and self.passthrough_runnable is not None

    def _messages(self, value: Any) -> list[dict]:
        if self._guards_a_chain():
            if isinstance(value, dict):
                text = value.get(self.passthrough_user_input_key)
            elif isinstance(value, BaseMessage):
                text = value.content
            else:
                text = value if isinstance(value, str) else str(value)
            context = {"passthrough_input": value, **(value if isinstance(value, dict) else {})}
            return [{"role": "context", "content": context}, {"role": "user", "content": text}]
        if isinstance(value, str):
            return [{"role": "user", "content": value}]
        if isinstance(value, StringPromptValue):
            return [{"role": "user", "content": value.text}]
        if isinstance(value, ChatPromptValue):
            return [_message_dict(message) for message in value.messages]
        if isinstance(value, BaseMessage):
            return [_message_dict(value)]
        if _is_message_list(value):
            return [_message_dict(message) for message in value]
        if isinstance(value, dict):
            return self._dict_messages(value)
        raise ValueError(f"RunnableRails cannot take input of type {type(value).__name__}; "
                         "pass a str, a prompt value, messages or a dict with the "
                         f"{self.passthrough_user_input_key!r} key")

    def _user_input(self, value: dict) -> Any:
        for key in (self.passthrough_user_input_key, "input"):
            if key in value:
                return value[key]
        raise ValueError(f"RunnableRails expected the key {self.passthrough_user_input_key!r} "
                         f"(or 'input') in the input dict; it has {sorted(value)}")

    def _dict_messages(self, value: dict) -> list[dict]:
        user_input = self._user_input(value)
        if isinstance(user_input, str):
            messages = [{"role": "user", "content": user_input}]
        elif isinstance(user_input, BaseMessage):
            messages = [_message_dict(user_input)]
        elif _is_message_list(user_input):
            messages = [_message_dict(message) for message in user_input]
        elif isinstance(user_input, list) and all(
                isinstance(m, dict) and "role" in m and "content" in m for m in user_input):
            messages = [{"role": m["role"], "content": m["content"]} for m in user_input]
        else:
            raise ValueError("RunnableRails cannot take an input value of type "
                             f"{type(user_input).__name__}; use a str or a list of messages")
        if "context" in value:
            if not isinstance(value["context"], dict):
                raise ValueError("The input `context` key for `RunnableRails` must be a dict.")
            messages.insert(0, {"role": "context", "content": value["context"]})
        return messages

    # -- output ----------------------------------------------------------------------------

    def _output(self, value: Any, text: str, context: dict) -> Any:
        if self._guards_a_chain():
            output = context.get("passthrough_output")
            approved = context.get("bot_message", text)  # what the output rails let through
            if output is None or isinstance(output, str):
                return approved if isinstance(output, str) else \
                    {self.passthrough_bot_output_key: approved}
            if isinstance(output, BaseMessage):
                return AIMessage(content=approved)
            if isinstance(output, dict):
                return {**output, self.passthrough_bot_output_key: approved}
            return output
        if isinstance(value, (str, StringPromptValue)):
            return text
        if isinstance(value, (ChatPromptValue, BaseMessage)) or _is_message_list(value):
            return AIMessage(content=text)
        user_input = self._user_input(value)
        key = self.passthrough_bot_output_key
        if isinstance(user_input, list) and not _is_message_list(user_input):
            return {key: {"role": "assistant", "content": text}}
        if isinstance(user_input, BaseMessage) or _is_message_list(user_input):
            return {key: AIMessage(content=text)}
        return {key: text}

    def _chunk(self, value: Any, text: str) -> Any:
        if self._guards_a_chain() or isinstance(value, (str, StringPromptValue)):
            return text
        if isinstance(value, dict):
            return {self.passthrough_bot_output_key: text}
        return AIMessageChunk(content=text)

    # -- running ---------------------------------------------------------------------------

    def invoke(self, input: Any, config: Optional[RunnableConfig] = None, **kwargs: Any) -> Any:
        return self.rails._loop_thread.run(self.ainvoke(input, config, **kwargs))

    async def ainvoke(self, input: Any, config: Optional[RunnableConfig] = None,
                      **kwargs: Any) -> Any:
        self.config, self.kwargs = config, kwargs
        result = await self.rails.generate_async(messages=self._messages(input),
                                                 options={"output_vars": True})
        message = result.response[0] if isinstance(result.response, list) else result.response
        text = message["content"] if isinstance(message, dict) else str(message)
        return self._output(input, text, result.output_data or {})

    async def astream(self, input: Any, config: Optional[RunnableConfig] = None,
                      **kwargs: Any) -> AsyncIterator[Any]:
        self.config, self.kwargs = config, kwargs
        async for text in self.rails.stream_async(messages=self._messages(input)):
            yield self._chunk(input, text)

    def stream(self, input: Any, config: Optional[RunnableConfig] = None,
               **kwargs: Any) -> Iterator[Any]:
        yield from self.rails._loop_thread.iterate(self.astream(input, config, **kwargs))
