"""A config backed by a model (the built-in OpenAI-compatible engine, pointed at a fake model
server on loopback): tokens are streamed to the client as the model produces them, and token
usage is reported."""
from __future__ import annotations

import openai


def test_model_tokens_stream_through_to_the_openai_client(server_factory, model_config_dir,
                                                          fake_llm, fake_llm_words):
    server = server_factory("--config-dir", str(model_config_dir))
    client = openai.OpenAI(base_url=server.base_url + "/v1", api_key="x", max_retries=0,
                           timeout=30)
    chunks = list(client.chat.completions.create(
        model="assistant", stream=True, messages=[{"role": "user", "content": "hi"}]))
    pieces = [chunk.choices[0].delta.content for chunk in chunks
              if chunk.choices and chunk.choices[0].delta.content]
    assert "".join(pieces) == "".join(fake_llm_words)
    assert len(pieces) >= len(fake_llm_words)  # token by token, not one final block
    assert any(request.get("stream") for request in fake_llm.requests)

    completion = client.chat.completions.create(
        model="assistant", messages=[{"role": "user", "content": "hi again"}],
        temperature=0.25, max_tokens=40)
    assert completion.choices[0].message.content == "".join(fake_llm_words)
    assert completion.usage.total_tokens == 16
    # OpenAI sampling parameters reach the model as the request's llm_params.
    assert fake_llm.requests[-1]["temperature"] == 0.25
    assert fake_llm.requests[-1]["max_tokens"] == 40
    # Shutdown closes the pooled model connections without complaint.
    assert "Traceback" not in server.stop()
