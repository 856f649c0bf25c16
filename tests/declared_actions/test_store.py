"""The stores behind organisations' declared actions (SQLite, Redis) and the registry over
them: one contract, organisations kept apart, nothing stored from a refused write."""
from __future__ import annotations

import pytest

from rails.actions.declared.errors import DeclarationError, DuplicateActionError
from rails.actions.declared.registry import DeclaredActionRegistry
from rails.actions.declared.store import check_org_id, open_action_store
from rails.actions.declared.store_redis import RedisActionStore
from rails.testing import FakeLLM

BODY = {"action_name": "summarize", "kind": "llm", "template": "Summarize: {{text}}"}


async def contract(store) -> None:
    assert await store.create("acme", "a", '{"v": 1}') is True
    assert await store.create("acme", "a", '{"v": 2}') is False
    assert await store.get("acme", "a") == '{"v": 1}'
    assert await store.get("globex", "a") is None
    assert await store.put("acme", "b", '{"v": 3}') is True
    assert await store.put("acme", "b", '{"v": 4}') is False
    assert await store.list("acme") == ['{"v": 1}', '{"v": 4}']
    assert await store.list("globex") == []
    assert await store.delete("globex", "a") is False
    assert await store.delete("acme", "a") is True
    assert await store.get("acme", "a") is None
    await store.close()


async def test_sqlite_store_contract(tmp_path):
    await contract(open_action_store(sqlite_path=str(tmp_path / "a.db")))


async def test_sqlite_store_keeps_data_across_instances(tmp_path):
    path = str(tmp_path / "kept.db")
    first = open_action_store(sqlite_path=path)
    await first.create("acme", "a", "{}")
    await first.close()
    second = open_action_store(sqlite_path=path)
    assert await second.get("acme", "a") == "{}"
    await second.close()


async def test_redis_store_contract_with_fakeredis():
    fakeredis = pytest.importorskip("fakeredis")
    await contract(RedisActionStore("redis://fake", client=fakeredis.FakeAsyncRedis()))


async def test_redis_store_contract_with_a_real_server(redis_url):
    await contract(open_action_store(redis_url=redis_url))


def test_an_unopenable_sqlite_file_is_a_clear_error(tmp_path):
    (tmp_path / "dir.db").mkdir()
    with pytest.raises(ValueError, match="cannot open the declared-actions database"):
        open_action_store(sqlite_path=str(tmp_path / "dir.db"))


@pytest.mark.parametrize("org, problem", [("", "empty"), ("a" * 201, "longer"),
                                          ("a\nb", "control")])
def test_bad_organisation_ids(org, problem):
    assert problem in check_org_id(org)
    assert check_org_id("acme-corp") is None


async def test_registry_checks_before_storing_and_keeps_orgs_apart(tmp_path):
    store = open_action_store(sqlite_path=str(tmp_path / "r.db"))
    registry = DeclaredActionRegistry(store, {"main": FakeLLM(responses=["x"])})
    action = await registry.create("acme", BODY)
    assert action.name == "summarize"
    with pytest.raises(DuplicateActionError):
        await registry.create("acme", BODY)
    with pytest.raises(DeclarationError) as caught:
        await registry.create("acme", {**BODY, "action_name": "other", "model": "gpt-9"})
    assert caught.value.field == "model" and "configured: main" in caught.value.message
    with pytest.raises(DeclarationError):
        await registry.put("acme", "summarize", {**BODY, "temperature": 9})
    assert (await registry.get("acme", "summarize")).declaration.temperature == 0.7
    assert [a.name for a in await registry.list("acme")] == ["summarize"]
    assert await registry.get("globex", "summarize") is None
    assert await registry.list("globex") == []
    await store.close()


async def test_registry_reuses_compiled_actions_until_the_text_changes(tmp_path):
    store = open_action_store(sqlite_path=str(tmp_path / "c.db"))
    registry = DeclaredActionRegistry(store, {"main": object()})
    await registry.create("acme", BODY)
    first = await registry.get("acme", "summarize")
    assert await registry.get("acme", "summarize") is first
    await registry.put("acme", "summarize", {**BODY, "max_tokens": 9})
    changed = await registry.get("acme", "summarize")
    assert changed is not first and changed.declaration.max_tokens == 9
    await store.close()
