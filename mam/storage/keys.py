"""Storage keys: which are valid, and how errors about them are worded.

A key is a relative, ``/``-separated path. A key that could leave the store raises
:class:`~mam.errors.InvalidKeyError`. Storage errors may reach a client (the API answers with their
message), so a message says what failed in plain words and never holds a key, a bucket or a path
on disk: those go into a note (:func:`located`), which logs and tracebacks show.
"""

from __future__ import annotations

from typing import TypeVar

from mam.errors import InvalidKeyError, StorageError

__all__ = ["check_key", "located"]

E = TypeVar("E", bound=StorageError)

_SHOWN = 60
"""Characters of an offending name quoted in a message."""


def check_key(key: str) -> list[str]:
    """Split ``key`` into its ``/``-separated parts, refusing any key that could leave the store.

    Refused with :class:`InvalidKeyError`: empty keys, absolute keys, backslashes, NUL bytes, empty
    parts (``a//b``, ``a/``), and ``.`` or ``..`` parts. The message quotes the offending part only.
    """
    if not isinstance(key, str) or not key:
        raise InvalidKeyError("an empty name cannot be stored")
    if key.startswith("/"):
        raise located(InvalidKeyError("a name cannot start with '/'"), key)
    parts = key.split("/")
    for part in parts:
        if part in ("", ".", ".."):
            what = "an empty name" if not part else f"the name {part!r}"
            raise located(InvalidKeyError(f"{what} cannot be part of a stored file's path"), key)
        if "\\" in part or "\x00" in part:
            raise located(
                InvalidKeyError(f"the name {part[:_SHOWN]!r} cannot be stored: it holds a backslash or a NUL byte"),
                key,
            )
    return parts


def located(error: E, key: str | None, where: str | None = None) -> E:
    """``error`` with the key (and the store's location) in a note for the logs, not in its message."""
    place = f" in {where}" if where else ""
    error.add_note(f"storage key {key!r}{place}" if key is not None else f"storage{place}")
    return error
