"""The one place where errors become HTTP answers: RFC 9457 problem details (``application/problem+json``).

Package errors get their status from one table (:data:`_KINDS`); FastAPI's request validation, HTTP
exceptions, routing's 404 and 405 and anything unexpected answer with the same :class:`Problem` body.
Routes declare the problems they can answer with :func:`problems`, and :func:`document_problems` puts the
schema into the OpenAPI document in place of FastAPI's own validation error.
"""

from __future__ import annotations

import json
import logging
import os
from http import HTTPStatus
from typing import Any, NamedTuple

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.routing import iter_route_contexts
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import MalformedRangeHeader, RangeNotSatisfiable
from starlette.routing import Match
from starlette.types import Receive, Scope, Send

from mam.errors import (
    AuthenticationError,
    BusyError,
    ConfigError,
    ConflictError,
    CsrfError,
    ForbiddenError,
    IdentityError,
    IngestError,
    InvalidKeyError,
    JobRequestError,
    LinkError,
    MamError,
    MetadataError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    SearchError,
    ShareError,
    StorageError,
    WebhookError,
)
from mam.identity.keys import looks_like_key
from mam.public.problem import PROBLEM_MEDIA_TYPE, FieldProblem, Param, Problem, code_of, excerpt
from mam.tus import (
    BadUploadRequestError,
    ChecksumMismatchError,
    MetadataTooLargeError,
    UploadGoneError,
    UploadLockedError,
    UploadTooLargeError,
)
from transcode.errors import ProfileError, TranscodeError

_log = logging.getLogger("mam.api")

__all__ = [
    "ProblemFileResponse",
    "ProblemResponse",
    "document_problems",
    "error_response",
    "install_error_handlers",
    "problem_response",
    "problems",
    "status_for",
]


class _Kind(NamedTuple):
    status: int
    name: str  # the last part of the problem's type URI
    title: str


_KINDS: list[tuple[type[Exception], _Kind]] = [
    (AuthenticationError, _Kind(401, "unauthenticated", "Authentication required")),
    (CsrfError, _Kind(403, "csrf-refused", "CSRF token missing or wrong")),
    (PermissionDeniedError, _Kind(403, "forbidden", "Not allowed for this role")),
    (RateLimitedError, _Kind(429, "rate-limited", "Too many requests: try again")),
    (LinkError, _Kind(403, "link-refused", "Signed link refused")),
    (IdentityError, _Kind(422, "identity-refused", "Refused")),
    (UploadGoneError, _Kind(410, "upload-gone", "Upload expired or abandoned")),
    (NotFoundError, _Kind(404, "not-found", "Not found")),
    (ForbiddenError, _Kind(403, "read-only", "Shared with this tenant: read-only")),
    (ShareError, _Kind(422, "share-refused", "Share refused")),
    (ConflictError, _Kind(409, "conflict", "Conflicts with the current state")),
    (UploadTooLargeError, _Kind(413, "too-large", "Larger than the upload limit")),
    (ChecksumMismatchError, _Kind(460, "checksum-mismatch", "Checksum mismatch")),
    (UploadLockedError, _Kind(423, "upload-locked", "Upload busy")),
    (BadUploadRequestError, _Kind(400, "bad-upload-request", "Malformed upload request")),
    (MetadataTooLargeError, _Kind(431, "metadata-too-large", "Upload-Metadata too large")),
    (IngestError, _Kind(422, "not-ingestible", "Cannot be ingested")),
    (JobRequestError, _Kind(422, "request-refused", "Request refused")),
    (WebhookError, _Kind(422, "webhook-refused", "Webhook refused")),
    (MetadataError, _Kind(422, "invalid-metadata", "Invalid metadata")),
    (SearchError, _Kind(422, "invalid-search", "Invalid search")),
    (ProfileError, _Kind(422, "profile-refused", "Profile refused")),
    (TranscodeError, _Kind(422, "media-refused", "Media refused")),
    (InvalidKeyError, _Kind(400, "invalid-name", "Invalid name")),
    (StorageError, _Kind(503, "storage-unavailable", "Storage unavailable")),
    (BusyError, _Kind(503, "busy", "Server busy: try again")),
    (ConfigError, _Kind(500, "misconfigured", "Server misconfigured")),
    (MamError, _Kind(500, "internal-error", "Internal error")),
]
_INTERNAL = _Kind(500, "internal-error", "Internal error")
_TYPE_PREFIX = "urn:mam:problem:"
_DETAIL_CHARS = 1000


def _kind(exc: Exception) -> _Kind:
    return next((kind for cls, kind in _KINDS if isinstance(exc, cls)), _INTERNAL)


def status_for(exc: Exception) -> int:
    """The HTTP status of a package error."""
    return _kind(exc).status


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_MEDIA_TYPE


def problem_response(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    type: str = "about:blank",
    errors: list[FieldProblem] | None = None,
    headers: dict[str, str] | None = None,
    code: str | None = None,
    params: dict[str, Param] | None = None,
) -> ProblemResponse:
    """An ``application/problem+json`` answer; the title defaults to the status's phrase, the code to the
    kind of problem (the type's last part, else ``http-<status>``)."""
    if title is None:
        title = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    problem = Problem(
        type=type,
        title=title,
        status=status,
        detail=excerpt(detail, _DETAIL_CHARS),
        code=code or code_of(type, status),
        params=params or {},
        errors=errors,
    )
    return ProblemResponse(problem.model_dump(mode="json", exclude_none=True), status_code=status, headers=headers)


class ProblemFileResponse(FileResponse):
    """A file served with HTTP Range whose refused ranges (400 malformed, 416 past the end) are problem
    details: Starlette answers those in plain text."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope)
        asked = headers.get("range")
        ranged = scope["type"] == "http" and scope["method"].upper() in ("GET", "HEAD") and self.status_code == 200
        if ranged and asked is not None and "if-range" not in headers:  # with If-Range, the whole file may be due
            refusal: ProblemResponse | None = None
            try:
                self._parse_range_header(asked, os.stat(self.path).st_size)
            except MalformedRangeHeader as exc:
                refusal = problem_response(400, f"malformed Range header: {exc.content}")
            except RangeNotSatisfiable as exc:
                detail = f"the range is past the end of the file ({exc.max_size} bytes)"
                refusal = problem_response(416, detail, headers={"Content-Range": f"bytes */{exc.max_size}"})
            except OSError:
                pass  # Starlette's own answer: the file has gone
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


def error_response(exc: Exception, headers: dict[str, str] | None = None) -> ProblemResponse:
    """The answer to a package error (its message is the detail, its code and params say it in other words;
    anything unexpected says nothing more); a busy server says when to try again (Retry-After)."""
    kind = _kind(exc)
    known = isinstance(exc, MamError | TranscodeError)
    detail = str(exc) if known else "an unexpected error; the server's log has the details"
    code = exc.code if isinstance(exc, MamError) else None
    params = dict(exc.params) if isinstance(exc, MamError) else {}
    if isinstance(exc, BusyError | RateLimitedError):
        headers = {**(headers or {}), "Retry-After": str(exc.retry_after)}
        params.setdefault("seconds", exc.retry_after)
    if isinstance(exc, AuthenticationError):
        headers = {**(headers or {}), "WWW-Authenticate": 'Bearer realm="mam"'}
    return problem_response(
        kind.status,
        detail,
        title=kind.title,
        type=_TYPE_PREFIX + kind.name,
        headers=headers,
        code=code,
        params=params,
    )


_SECRET_FIELDS = ("password", "secret", "token", "key")
"""A refused field whose name holds one of these never has its value repeated (it may be a secret)."""


def _secret(loc: list[int | str], sent: object) -> bool:
    named = any(isinstance(part, str) and any(word in part.lower() for word in _SECRET_FIELDS) for part in loc)
    return named or (isinstance(sent, str) and looks_like_key(sent))


def _limits(context: object) -> dict[str, Param] | None:
    """The limits a refused value broke (pydantic's error context: ``max_length``, ``ge``...), plain values only."""
    if not isinstance(context, dict):
        return None
    found: dict[str, Param] = {
        str(name): value
        for name, value in context.items()
        if isinstance(value, str | int | float) and not isinstance(value, bool)
    }
    return found or None


def _field_problems(exc: RequestValidationError) -> list[FieldProblem]:
    found = []
    for error in exc.errors():
        loc = [part if isinstance(part, int) else str(part) for part in error.get("loc", ())]
        kind = str(error.get("type", "value_error"))
        sent = error.get("input") if kind != "missing" and "input" in error else None
        found.append(
            FieldProblem(
                field=".".join(str(part) for part in loc[1:]) or (str(loc[0]) if loc else ""),
                loc=loc,
                message=str(error.get("msg", "invalid")),
                type=kind,
                input=None if sent is None or _secret(loc, sent) else excerpt(sent),
                params=_limits(error.get("ctx")),
            )
        )
    return found


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route answers at this path (Starlette names only the first route's)."""
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.router.routes):
        if route.methods and route.matches(dict(request.scope))[0] is not Match.NONE:
            methods.update(route.methods)
    return sorted(methods)


def install_error_handlers(app: FastAPI) -> None:
    """Answer every error of ``app`` with problem details."""

    async def package_error(request: Request, exc: Exception) -> ProblemResponse:
        answer = error_response(exc)
        if answer.status_code >= 500:  # the store or the catalog failed: the operator's business
            _log.warning("%s %s answered %d: %s", request.method, request.url.path, answer.status_code, exc)
        return answer

    async def invalid_request(request: Request, exc: Exception) -> ProblemResponse:
        assert isinstance(exc, RequestValidationError)
        errors = _field_problems(exc)
        listed = "; ".join(f"{e.field or e.loc[0]}: {e.message}" for e in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        detail = f"the request was refused: {listed}{more}"
        return problem_response(
            422, detail, title="Invalid request", type=_TYPE_PREFIX + "validation-error", errors=errors
        )

    async def http_error(request: Request, exc: Exception) -> ProblemResponse:
        assert isinstance(exc, StarletteHTTPException)
        headers = dict(exc.headers or {})
        detail = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail, default=str)
        if exc.status_code == 405:  # routes' methods; a mount (static files) names its own
            allowed = ", ".join(_allowed_methods(request)) or headers.get("Allow", "")
            headers["Allow"] = allowed
            detail = f"{request.method} is not allowed here; allowed: {allowed}"
        elif exc.status_code == 404 and detail == HTTPStatus.NOT_FOUND.phrase:
            detail = f"nothing at {excerpt(request.url.path)}"
        return problem_response(exc.status_code, detail, headers=headers)

    async def unexpected(request: Request, exc: Exception) -> ProblemResponse:
        return error_response(exc)

    app.add_exception_handler(MamError, package_error)
    app.add_exception_handler(TranscodeError, package_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)


_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_UNPARSABLE = "the body cannot be parsed (JSON that is not UTF-8, a malformed multipart form)"
_DESCRIPTIONS = {
    400: "a malformed request (a missing or malformed header)",
    401: "no credential, or an unknown, expired or revoked one (WWW-Authenticate: Bearer)",
    403: "the caller's role does not allow this, or the asset is shared with the caller (read-only)",
    404: "no such resource for this tenant",
    409: "the request conflicts with the current state",
    410: "the upload expired (Upload-Expires) or could not be made an asset; start a new upload",
    412: "the Tus-Resumable header is missing or names a version other than 1.0.0",
    413: "larger than MAM_MAX_UPLOAD_MB",
    416: "the Range is beyond the end of the file",
    422: "a field of the request is invalid (listed in `errors`), or the content or profile is refused",
    423: "another request is appending to this upload",
    429: "too many attempts (failed sign-ins): try again after Retry-After seconds",
    431: "the Upload-Metadata header is larger than the server allows",
    460: "the Upload-Checksum does not match the bytes received",
    503: "the store is unavailable, or the server is busy (try again after Retry-After seconds)",
}


def problems(*codes: int | tuple[int, str]) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` of a route for the problems it can answer with: a status, or (status, description)."""
    declared: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        status, description = code if isinstance(code, tuple) else (code, _DESCRIPTIONS.get(code, ""))
        declared[status] = {
            "description": description or HTTPStatus(status).phrase,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": dict(_PROBLEM_REF)}},
        }
    return declared


def _refusable(operation: dict[str, Any]) -> bool:
    """Whether validation can refuse a request of ``operation``: it takes a body, or a parameter that is
    required (beyond the path) or more than a plain string."""
    if "requestBody" in operation:
        return True
    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema", {})
        if parameter.get("required") and parameter.get("in") != "path":
            return True
        for branch in schema.get("anyOf", [schema]):
            if branch.get("type") not in ("string", "null") or set(branch) - _ANNOTATIONS:
                return True
        if set(schema) - _ANNOTATIONS - {"anyOf"}:
            return True
    return False


_ANNOTATIONS = {"type", "title", "description", "default", "examples"}


def document_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """Put :class:`Problem` into an OpenAPI document, in place of FastAPI's ``HTTPValidationError`` (which
    it adds to every operation with a parameter: dropped where validation cannot refuse anything); every
    operation that takes a body can answer 400 (a body that cannot be parsed: not UTF-8, a broken form)."""
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}", mode="serialization")
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.update(problem.pop("$defs", {}))
    components["Problem"] = problem
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            if "requestBody" in operation and "400" not in responses:
                responses["400"] = problems((400, _UNPARSABLE))[400]
            default = responses.get("422", {}).get("content", {}).get("application/json", {}).get("schema", {})
            if default.get("$ref", "").endswith("/HTTPValidationError"):
                if _refusable(operation):
                    responses["422"] = problems(422)[422]
                else:
                    del responses["422"]
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    return schema
