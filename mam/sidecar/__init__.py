"""Sidecar metadata: a JSON or XML file beside a media file (or a camera card's clip XML) describes it.

:func:`pair_files` finds each media file's sidecar (and the clips of XDCAM and P2 card folders),
:func:`read_sidecar` reads one (untrusted XML is parsed without DTDs or entities), and
:func:`ingest_item` ingests the media with the fields the tenant accepts, and :func:`merge_sidecar` merges
a sidecar that came late into the asset its media became.
"""

from mam.sidecar.apply import SidecarIngest, checked_fields, ingest_item, merge_sidecar
from mam.sidecar.formats import SidecarMetadata, read_sidecar
from mam.sidecar.pairing import SIDECAR_SUFFIXES, MediaItem, is_sidecar, pair_files
from mam.sidecar.safexml import parse_untrusted

__all__ = [
    "SIDECAR_SUFFIXES",
    "MediaItem",
    "SidecarIngest",
    "SidecarMetadata",
    "checked_fields",
    "ingest_item",
    "is_sidecar",
    "merge_sidecar",
    "pair_files",
    "parse_untrusted",
    "read_sidecar",
]
