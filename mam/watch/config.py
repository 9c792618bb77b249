"""Watch folders as data: a TOML file validated by frozen pydantic models (unknown keys refused).

::

    poll_seconds = 1.0                 # how often every folder is looked at

    [[folder]]
    path = "/srv/drop/recorder-1"      # the folder to watch
    tenant = "county-a"                # whose assets the files become (default: MAM_DEFAULT_TENANT)
    profiles = ["proxy", "web_720p"]   # what to render (default: MAM_DEFAULT_PROFILES)
    lane = "bulk"                      # urgent | normal (default) | bulk: the lane of its jobs
    quiet_seconds = 10                 # size and mtime unchanged this long = the file is complete
    late_sidecar_seconds = 600         # a sidecar landing this long after its media is merged into its asset
    after = "move"                     # keep | move (to done/) | delete (once the original is stored)
    recursive = true                   # also watch sub-folders (needed for camera-card folders)
    share_with = ["county-a"]          # a feed folder: each asset is shared with these tenants

    [folder.metadata]                  # given to every asset made from this folder
    title = "录播"                     # default: the file name
    description = ""
    tags = ["录播", "新闻"]
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mam.errors import ConfigError
from mam.models import JobLane

__all__ = ["After", "FolderMetadata", "WatchConfig", "WatchFolder", "load_watch_config"]

After = Literal["keep", "move", "delete"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FolderMetadata(_Model):
    title: str | None = None
    description: str = ""
    tags: tuple[str, ...] = ()


class WatchFolder(_Model):
    path: Path
    tenant: str | None = None
    profiles: tuple[str, ...] | None = None
    lane: JobLane = JobLane.NORMAL
    """The lane of the jobs of this folder's files (an archive import: bulk; a breaking-news drop: urgent)."""
    quiet_seconds: Annotated[float, Field(ge=0.05, le=86400)] = 5.0
    """A file is complete once its size and modification time have not changed for this long."""
    late_sidecar_seconds: Annotated[float, Field(ge=0, le=30 * 86400)] = 600.0
    """A sidecar that lands (and is complete) at most this long after its media was handled is merged
    into the asset the media became; one landing later is left alone."""
    after: After = "keep"
    recursive: bool = False
    metadata: FolderMetadata = FolderMetadata()
    share_with: tuple[str, ...] = ()
    """A feed folder: each file is ingested once into ``tenant`` and shared (read-only) with these tenants."""

    @field_validator("path")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().absolute()


class WatchConfig(_Model):
    poll_seconds: Annotated[float, Field(ge=0.02, le=3600)] = 1.0
    folder: tuple[WatchFolder, ...] = ()

    @field_validator("folder")
    @classmethod
    def _distinct(cls, folders: tuple[WatchFolder, ...]) -> tuple[WatchFolder, ...]:
        paths = [f.path for f in folders]
        for i, a in enumerate(paths):
            for b in paths[i + 1 :]:
                if a == b or a in b.parents or b in a.parents:
                    raise ValueError(f"watch folders {a} and {b} overlap; give each file one folder")
        return folders


def load_watch_config(path: Path) -> WatchConfig:
    """Read and validate ``path``; a bad file raises :class:`ConfigError` saying what is wrong."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read the watch configuration {path}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    try:
        return WatchConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
