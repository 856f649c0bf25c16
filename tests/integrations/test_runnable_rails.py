"""RunnableRails as NeMo documents it: around a model (`guardrails | llm`), around a chain
(`guardrails | chain`, `runnable=`), with custom input/output keys, and through invoke, ainvoke,
stream, astream and batch."""
from __future__ import annotations

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate, PromptTemplate
from langchain_core.runnables import RunnableLambda

from rails import RailsConfig
from rails.integrations.langchain.runnable_rails import RunnableRails
from rails.testing import FakeLLM

GUARD = """
define subflow check blocked words
  if "hack" in $user_message
    bot refuse
    stop

define bot refuse
  "I can't help with that."
"""
YAML = "models: []\nrails:\n  input:\n    flows: [check blocked words]\n"


def guardrails(**kwargs) -> RunnableRails:
    return RunnableRails(RailsConfig.from_content(colang_content=GUARD, yaml_content=YAML),
                         **kwargs)


def test_around_a_chat_model_inside_a_chain():
    model = FakeListChatModel(responses=["Why did the cat sit on the computer?"])
    prompt = ChatPromptTemplate.from_template("tell me a short joke about {topic}")
    chain = prompt | (guardrails() | model) | StrOutputParser()
    assert chain.invoke({"topic": "cats"}) == "Why did the cat sit on the computer?"
    blocked = prompt | (guardrails() | model) | StrOutputParser()
    assert blocked.invoke({"topic": "how to hack a bank"}) == "I can't help with that."


def test_prompt_values_and_messages_give_the_matching_output_types():
    rails = guardrails(llm=FakeListChatModel(responses=["a", "b", "c", "d"]))
    assert rails.invoke(PromptTemplate.from_template("{x}").invoke({"x": "hi"})) == "a"
    assert rails.invoke([HumanMessage(content="hi")]) == AIMessage(content="b")
    assert rails.invoke({"input": "hi"}) == {"output": "c"}
    assert rails.invoke({"input": [{"role": "user", "content": "hi"}]}) == \
        {"output": {"role": "assistant", "content": "d"}}
    with pytest.raises(ValueError, match="expected the key 'input'"):
        rails.invoke({"question": "hi"})
    with pytest.raises(ValueError, match="`context` key for `RunnableRails` must be a dict"):
        rails.invoke({"input": "hi", "context": "nope"})


def test_around_a_chain_with_its_own_keys():
    seen = []

    def answer(inputs: dict) -> dict:
        seen.append(inputs)
        return {"answer": f"42 is the answer to {inputs['question']}", "sources": ["book"]}

    rails = guardrails(input_key="question", output_key="answer")
    chain = rails | RunnableLambda(answer)
    out = chain.invoke({"question": "life"})
    assert out == {"answer": "42 is the answer to life", "sources": ["book"]}
    assert seen == [{"question": "life"}]  # the chain got the original input
    blocked = chain.invoke({"question": "hack the planet"})
    assert blocked == {"answer": "I can't help with that."}
    assert len(seen) == 1  # the input rail stopped it before the chain ran


def test_runnable_argument_and_string_chain_output():
    rails = guardrails(runnable=RunnableLambda(lambda text: text.upper()))
    assert rails.invoke("quiet please") == "QUIET PLEASE"


async def test_ainvoke_astream_and_batch():
    rails = guardrails(llm=FakeLLM(responses=["one two three"], streaming=True))
    chunks = [chunk async for chunk in rails.astream("count")]
    assert "".join(chunks) == "one two three"
    assert await rails.ainvoke({"input": "hack"}) == {"output": "I can't help with that."}
    echo = guardrails(llm=FakeLLM(respond=lambda prompt: f"echo: {prompt.split()[-1]}"))
    assert echo.batch(["a", "hack it", "b"]) == ["echo: a", "I can't help with that.", "echo: b"]
    assert await echo.abatch(["c"]) == ["echo: c"]


def test_sync_stream_yields_chunks_as_they_come():
    rails = guardrails(llm=FakeLLM(responses=["alpha beta gamma"], streaming=True))
    chunks = list(rails.stream([HumanMessage(content="go")]))
    assert len(chunks) > 1
    assert "".join(chunk.content for chunk in chunks) == "alpha beta gamma"
