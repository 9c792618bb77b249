"""Which profiles a request means: the one place where names become profiles and are checked.

Every entry (the API's upload, tus, export and renditions routes, ``mam ingest``, ``mam render``,
``mam export``, watch folders) and the worker go through :func:`resolve_profiles`. Unknown names are
refused first, before anything is read; whether each profile can be made from the source is decided
once the source is probed (:func:`transcode.plan.unusable_reason`), still before any byte is stored.

Names a person asked for must all apply: a ``vertical`` asked of a WAV is refused, saying which
profiles that source can have. Names no one chose for this file (the default profiles, a watch
folder's list) are made where they apply; the others are *skipped* and reported as such, but a list
of which none applies is refused too (a folder meant for vertical video is sent a WAV). An empty list
asks for nothing: the file is catalogued and nothing is rendered.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from mam.errors import JobRequestError
from mam.services import Services
from transcode.mediainfo import MediaInfo
from transcode.plan import unusable_reason
from transcode.profiles import Profile

__all__ = ["ProfileChoice", "resolve_profiles"]


@dataclass(frozen=True)
class ProfileChoice:
    """Profiles looked up by name; after :meth:`for_source`, the ones this source can feed."""

    available: Mapping[str, Profile]
    profiles: tuple[Profile, ...]
    where_applicable: bool
    """True for names no one chose for this file (defaults, a watch folder's list): a profile that
    cannot be made from the source is skipped rather than refused."""
    skipped: tuple[str, ...] = ()
    """Profiles left out because the source cannot feed them (only when ``where_applicable``)."""

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.profiles]

    def for_source(self, info: MediaInfo) -> ProfileChoice:
        """The profiles ``info`` can feed; a requested one it cannot feed raises :class:`JobRequestError`."""
        usable: list[Profile] = []
        skipped = list(self.skipped)
        for profile in self.profiles:
            reason = unusable_reason(profile, info)
            if reason is None:
                usable.append(profile)
            elif self.where_applicable:
                skipped.append(profile.name)
            else:
                raise JobRequestError(
                    f"{reason}; {self._can_have(info)}",
                    code="profile-not-applicable",
                    params={"profile": profile.name, "kind": info.kind, "available": self._usable(info)},
                )
        if self.profiles and not usable:  # a list meant for every file, of which none is for this one
            names = ", ".join(p.name for p in self.profiles)
            raise JobRequestError(
                f"none of {names} can be made from this {info.kind} source; {self._can_have(info)}",
                code="no-profile-applicable",
                params={"kind": info.kind, "available": self._usable(info)},
            )
        return ProfileChoice(self.available, tuple(usable), self.where_applicable, tuple(skipped))

    def _usable(self, info: MediaInfo) -> str:
        return ", ".join(sorted(p.name for p in self.available.values() if unusable_reason(p, info) is None))

    def _can_have(self, info: MediaInfo) -> str:
        return f"this {info.kind} source can have: {self._usable(info) or 'none'}"


def resolve_profiles(
    source: Services | Mapping[str, Profile],
    names: Sequence[str] | None,
    info: MediaInfo | None = None,
    *,
    where_applicable: bool = False,
) -> ProfileChoice:
    """Look ``names`` up (``None``: the default profiles, MAM_DEFAULT_PROFILES, made where they apply)
    and, given the source's ``info``, keep those it can feed.

    :class:`JobRequestError` for an unknown name (listing the known ones) or, unless
    ``where_applicable``, for a profile the source cannot feed (listing those it can)."""
    available = source.profiles if isinstance(source, Services) else source
    if names is None:
        if not isinstance(source, Services):
            raise TypeError("the default profiles come from the settings: pass the services")
        names, where_applicable = source.settings.default_profiles, True
    chosen: list[Profile] = []
    for name in names:
        profile = available.get(name)
        if profile is None:
            known = ", ".join(sorted(available))
            raise JobRequestError(
                f"unknown profile {name[:64]!r}; available: {known}",
                code="unknown-profile",
                params={"profile": name[:64], "available": known},
            )
        if profile not in chosen:
            chosen.append(profile)
    choice = ProfileChoice(available, tuple(chosen), where_applicable)
    return choice if info is None else choice.for_source(info)
