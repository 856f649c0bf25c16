"""A streamed answer that asked for the rails log gets it on its last chunk, as an extra field
that the official openai client keeps on the chunk object."""
from __future__ import annotations

from openai import OpenAI


def test_the_last_chunk_carries_the_log(server_factory, model_config_dir, fake_llm_words):
    server = server_factory("--config-dir", str(model_config_dir))
    client = OpenAI(base_url=server.base_url + "/v1", api_key="unused")
    stream = client.chat.completions.create(
        model="assistant", messages=[{"role": "user", "content": "hi"}], stream=True,
        extra_body={"options": {"log": {"activated_rails": True, "llm_calls": True}}})
    chunks = list(stream)
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)
    assert text == "".join(fake_llm_words)
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop"
    log = last.model_extra["log"]
    assert [rail["name"] for rail in log["activated_rails"]]
    assert log["stats"]["llm_calls_count"] >= 1
    assert all("log" not in (chunk.model_extra or {}) for chunk in chunks[:-1])
