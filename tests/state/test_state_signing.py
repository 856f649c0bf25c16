"""States that cross HTTP: sealed by the server, refused when forged, altered, signed with
another key or made for another config."""
from __future__ import annotations

import base64
import zlib

import pytest

from rails.errors import StateError
from rails.state.signing import KEY_ENV_VAR, StateSeal, signing_key
from rails.state.store import ThreadConfigMismatch

STATE = {"events": [{"type": "ContextUpdate", "data": {"n": 3}}], "dialog": {"v": 1}}


def test_a_sealed_state_opens_to_what_was_sealed():
    seal = StateSeal(b"k" * 32)
    sealed = seal.seal("counter", STATE)
    assert set(sealed) == {"format", "data", "signature"}
    assert seal.open(sealed, "counter") == STATE
    assert StateSeal(b"k" * 32).open(sealed, "counter") == STATE  # another process, same key


def test_an_empty_state_starts_a_new_conversation():
    seal = StateSeal(b"k" * 32)
    assert seal.open({}, "counter") is None
    assert seal.open({"events": []}, "counter") is None


@pytest.mark.parametrize("forged", [
    {"events": [{"type": "ContextUpdate", "data": {"is_admin": True}}]},
    {"format": "dialog-rails.state.v1", "data": "abc"},
    {"format": "other", "data": "abc", "signature": "00"},
])
def test_unsigned_or_incomplete_states_are_refused(forged):
    with pytest.raises(StateError, match="not a state signed by this server"):
        StateSeal(b"k" * 32).open(forged, "counter")


def test_altered_and_foreign_states_are_refused():
    seal = StateSeal(b"k" * 32)
    sealed = seal.seal("counter", STATE)
    payload = zlib.decompress(base64.urlsafe_b64decode(sealed["data"]))
    altered = {**sealed, "data": base64.urlsafe_b64encode(
        zlib.compress(payload.replace(b'"n":3', b'"n":99'))).decode()}
    for bad in (altered, {**sealed, "signature": "0" * 64},
                StateSeal(b"another key").seal("counter", STATE)):
        with pytest.raises(StateError, match="invalid signature"):
            seal.open(bad, "counter")


def test_a_state_belongs_to_its_config():
    seal = StateSeal(b"k" * 32)
    with pytest.raises(ThreadConfigMismatch, match="belongs to config 'counter'.*'other'"):
        seal.open(seal.seal("counter", STATE), "other")


def test_the_key_comes_from_the_environment_first(tmp_path):
    class Store:
        def signing_key(self):
            return b"from the store"

    assert signing_key(Store(), {KEY_ENV_VAR: "from env"}) == b"from env"
    assert signing_key(Store(), {}) == b"from the store"
    assert signing_key(None, {}) != signing_key(None, {})  # random per process without a store
