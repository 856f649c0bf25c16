"""States that cross HTTP are sealed by the server: compressed, base64url-encoded and signed
with HMAC-SHA256, and bound to the config that made them. A client holds its conversation
but cannot forge, alter or transplant it: flows trust the variables a state carries.

The key comes from `DIALOG_RAILS_STATE_KEY` when it is set, else from the thread store (a file
next to the SQLite database, or a key kept in Redis), so all server processes sharing a store
accept each other's states; without a store it is random per process."""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
import zlib
from typing import Any, Optional

from rails.errors import StateError
from rails.state.encoding import dumps, loads
from rails.state.store import ThreadConfigMismatch

KEY_ENV_VAR = "DIALOG_RAILS_STATE_KEY"
FORMAT = "dialog-rails.state.v1"
_CONTEXT = b"dialog-rails state v1\n"  # the signature covers the format too
MAX_STATE_BYTES = 64 * 1024 * 1024     # decompressed, after the signature checked out


def signing_key(store: Any = None, environ: Optional[dict] = None) -> bytes:
    environ = os.environ if environ is None else environ
    configured = environ.get(KEY_ENV_VAR)
    if configured:
        return configured.encode()
    if store is not None and hasattr(store, "signing_key"):
        return store.signing_key()
    return secrets.token_hex(32).encode()


class StateSeal:
    def __init__(self, key: bytes):
        if not key:
            raise ValueError("the state signing key is empty")
        self._key = hashlib.sha256(b"dialog-rails state signing key\0" + key).digest()

    def seal(self, config_id: str, state: dict) -> dict:
        """The signed form of `state` ({"events", "dialog"}) for a client to send back."""
        payload = dumps({"config_id": config_id, "events": state.get("events") or [],
                         "dialog": state.get("dialog")}).encode()
        data = base64.urlsafe_b64encode(zlib.compress(payload, 1)).decode()
        return {"format": FORMAT, "data": data, "signature": self._sign(data)}

    def open(self, sealed: Any, config_id: str) -> Optional[dict]:
        """The state a sealed one stands for; None for an empty state (a new conversation).
        Raises StateError when it is not one this server signed, ThreadConfigMismatch when
        it was made with another config."""
        if not isinstance(sealed, dict):
            raise StateError("`state` must be an object as returned in a previous response")
        if not sealed or (set(sealed) == {"events"} and sealed["events"] == []):
            return None
        if sealed.get("format") != FORMAT or not isinstance(sealed.get("data"), str) \
                or not isinstance(sealed.get("signature"), str):
            raise StateError(
                "`state` is not a state signed by this server (expected "
                f"{{'format': {FORMAT!r}, 'data', 'signature'}}); pass back the `state` of "
                "a previous response unchanged, or {} to start a new conversation")
        expected = self._sign(sealed["data"])
        if not hmac.compare_digest(expected, sealed["signature"]):
            raise StateError("`state` has an invalid signature: it was altered, or signed "
                             "by another server (another signing key); it was not used")
        try:
            payload = zlib.decompressobj().decompress(
                base64.urlsafe_b64decode(sealed["data"]), MAX_STATE_BYTES)
            state = loads(payload)
        except (binascii.Error, zlib.error, ValueError) as error:
            raise StateError(f"`state` cannot be decoded: {error}") from error
        owner = state.get("config_id")
        if owner != config_id:
            raise ThreadConfigMismatch("this `state`", str(owner), config_id)
        return {"events": state.get("events") or [], "dialog": state.get("dialog")}

    def _sign(self, data: str) -> str:
        return hmac.new(self._key, _CONTEXT + data.encode("ascii", "replace"),
                        hashlib.sha256).hexdigest()
