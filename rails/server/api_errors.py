"""Errors the HTTP API answers with, in OpenAI's error shape so that existing clients surface
the message: `{"error": {"message", "type", "param", "code"}}`."""
from __future__ import annotations

from typing import Any, Optional


class ApiError(Exception):
    """A request the server answers with `status` and a JSON error body naming the cause."""

    def __init__(self, status: int, message: str, *, type: str = "invalid_request_error",
                 param: Optional[str] = None, code: Optional[str] = None,
                 extra: Optional[dict] = None):
        super().__init__(message)
        self.status, self.message, self.type = status, message, type
        self.param, self.code, self.extra = param, code, extra or {}

    def body(self) -> dict[str, Any]:
        error = {"message": self.message, "type": self.type, "param": self.param,
                 "code": self.code, **self.extra}
        return {"error": error}


def bad_request(message: str, *, param: Optional[str] = None,
                code: str = "invalid_value") -> ApiError:
    return ApiError(400, message, param=param, code=code)
