"""Problem details (RFC 9457): the body of every error answer of the HTTP API.

Served as ``application/problem+json``. ``type`` names the kind of problem (``urn:mam:problem:not-found``,
``urn:mam:problem:validation-error``, ... or ``about:blank`` for a plain HTTP status), ``title`` says it in
a few words, ``detail`` says what went wrong with this request in words a person can act on. A refused
request body, query, header or form field lists each offending field in ``errors``; the input it quotes
is a short excerpt, never the whole value.

``detail`` is English, for scripts and logs. A client that speaks to people in another language says the
problem from ``code`` and ``params`` instead: ``code`` is a stable name of the refusal (one of
:data:`mam.errors.CODES`, else the kind of problem, the last part of ``type``, else ``http-<status>``) and
``params`` the specifics its sentence needs (a field's name and length limit, the source's valid range).
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from mam.errors import CODES, Param

__all__ = ["EXCERPT_CHARS", "PROBLEM_MEDIA_TYPE", "FieldProblem", "Param", "Problem", "code_of", "excerpt"]

PROBLEM_MEDIA_TYPE = "application/problem+json"
EXCERPT_CHARS = 80


_TYPE_PREFIX = "urn:mam:problem:"


def code_of(type: str, status: int) -> str:
    """The code of a problem that has no finer one: its kind (the type URI's last part), else ``http-<status>``."""
    return type.removeprefix(_TYPE_PREFIX) if type.startswith(_TYPE_PREFIX) else f"http-{status}"


def excerpt(value: object, limit: int = EXCERPT_CHARS) -> str:
    """``value`` as text, cut to ``limit`` characters (with ``…`` and the full length when cut)."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text)} characters)"


class FieldProblem(BaseModel):
    """One refused field of a request."""

    field: str = Field(description="the field, dotted (`tags.3`, `date_to`, `X-Tenant`)")
    loc: list[str | int] = Field(description="where it is: `body`, `query`, `path`, `header` or `form`, then the path")
    message: str = Field(description="what is wrong with it")
    type: str = Field(description="a stable name of the kind of error (`missing`, `date_from_datetime_parsing`, ...)")
    input: str | None = Field(None, description="a short excerpt of the value that was sent, if one was")
    params: dict[str, Param] | None = Field(
        None, description="the limits the value broke, by name (`max_length`, `min_length`, `ge`, `le`, ...)"
    )


class Problem(BaseModel):
    """An error answer (RFC 9457 problem details)."""

    type: str = Field("about:blank", description="a URI naming the kind of problem")
    title: str = Field(description="the kind of problem, in a few words")
    status: int = Field(description="the HTTP status code of this answer")
    detail: str = Field(description="what went wrong with this request, and what to do about it")
    code: str = Field(
        description="a stable name of this refusal, to say it in the user's language: "
        + ", ".join(f"`{name}`" for name in CODES)
        + "; else the kind (the last part of `type`: `not-found`, `validation-error`, ...), else `http-<status>`"
    )
    params: dict[str, Param] = Field(
        default_factory=dict, description="the specifics a sentence about it needs, by name (see `code`)"
    )
    errors: list[FieldProblem] | None = Field(None, description="each refused field, for a request that was refused")
