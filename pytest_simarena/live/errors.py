"""ApiError: a failed request, carrying the Kubernetes ``Status`` an apiserver would answer.

kubectl prints a Status as ``Error from server (<reason>): <message>``; the official client raises
``ApiException`` with it as the body. Messages follow the apiserver's wording (kube-api.md §1 "Errors"):
``pods "web-1" not found``, ``deployments.apps "web" already exists``, ``Deployment.apps "web" is invalid:
spec.replicas: Invalid value: -1: ...``.
"""

from __future__ import annotations

from typing import Any

from pytest_simarena.errors import SimArenaError

Obj = dict[str, Any]

# HTTP code -> the reason an apiserver gives with it (k8s.io/apimachinery metav1.StatusReason).
REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    406: "NotAcceptable",
    409: "Conflict",
    413: "RequestEntityTooLarge",
    415: "UnsupportedMediaType",
    422: "Invalid",
    500: "InternalError",
}


class ApiError(SimArenaError):
    """A request the API refuses; ``status`` is the ``kind: Status`` object to answer with."""

    def __init__(
        self,
        code: int,
        message: str,
        *,
        reason: str | None = None,
        details: Obj | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason or REASONS.get(code, "Unknown")
        self.message = message
        self.details = details

    @property
    def status(self) -> Obj:
        """The ``v1 Status`` body (a fresh dict each time)."""
        out: Obj = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details:
            out["details"] = dict(self.details)
        return out


def qualified(resource: str, group: str) -> str:
    """``deployments.apps`` / ``pods``: how the apiserver names a resource in messages."""
    return f"{resource}.{group}" if group else resource


def not_found(resource: str, group: str, name: str) -> ApiError:
    return ApiError(
        404,
        f'{qualified(resource, group)} "{name}" not found',
        details={"name": name, "group": group, "kind": resource},
    )


def already_exists(resource: str, group: str, name: str) -> ApiError:
    return ApiError(
        409,
        f'{qualified(resource, group)} "{name}" already exists',
        reason="AlreadyExists",
        details={"name": name, "group": group, "kind": resource},
    )


def conflict(resource: str, group: str, name: str, why: str) -> ApiError:
    return ApiError(
        409,
        f'Operation cannot be fulfilled on {qualified(resource, group)} "{name}": {why}',
        details={"name": name, "group": group, "kind": resource},
    )


def invalid(kind: str, group: str, name: str, causes: list[tuple[str, str]]) -> ApiError:
    """422 Invalid; ``causes`` are ``(field path, "Invalid value: ...")`` pairs, as field.ErrorList."""
    texts = [f"{field}: {problem}" if field else problem for field, problem in causes]
    joined = texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"
    return ApiError(
        422,
        f'{qualified(kind, group)} "{name}" is invalid: {joined}',
        details={
            "name": name,
            "group": group,
            "kind": kind,
            "causes": [
                {"reason": "FieldValueInvalid", "message": problem, "field": field}
                for field, problem in causes
            ],
        },
    )


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)


def forbidden(message: str) -> ApiError:
    return ApiError(403, message)


def method_not_allowed(message: str) -> ApiError:
    return ApiError(405, message)
