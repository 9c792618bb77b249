"""Public representations: the pydantic models the HTTP API returns and the CLI prints with ``--json``.

One module per resource; both :mod:`api` and :mod:`cli` import them from here, so a client reads the
same JSON from ``GET /api/v1/assets/{id}`` as from ``mam asset ID --json``. Times are timezone-aware
UTC (the catalog attaches UTC on load, :class:`mam.models.UTCDateTime`); states and kinds are enums.
"""

from mam.models import AssetStatus, JobState
from mam.public.analysis import (
    AudioMeasurements,
    InterlaceMeasurement,
    QcCheck,
    QcMeasurements,
    QcReport,
    QcStatus,
    Segment,
    ShotList,
    ShotPublic,
    SoundKind,
    SoundMeasurements,
    SoundSegment,
    SpeechPublic,
)
from mam.public.assets import (
    AssetDeleted,
    AssetList,
    AssetPublic,
    AssetSummary,
    AssetUpdate,
    ExportCreate,
    MediaKind,
    RenditionPublic,
)
from mam.public.audit import AuditEntryPublic, AuditList, AuditProblemPublic, AuditReportPublic
from mam.public.jobs import (
    AnalysisSummary,
    ExportOutput,
    ExportRequest,
    JobKind,
    JobList,
    JobPublic,
    JobResult,
    LoudnessPublic,
    OutputVideo,
    QcVerdict,
    RenditionMade,
)
from mam.public.metadata import CuePublic, FieldIn, FieldPublic, ImportResult, SpanCreate, SpanIn, SpanPublic
from mam.public.profiles import ProfilePublic
from mam.public.requests import RenditionsCreate, RenditionsRequested, RetryCreate
from mam.public.screen_text import ScreenTextLinePublic, ScreenTextList, TextRegion
from mam.public.search import (
    FacetCount,
    FacetsPublic,
    HitPublic,
    InnerHitKind,
    InnerHitPublic,
    SearchResponse,
    marked,
)
from mam.public.shares import ShareCreate, SharePublic, ShareTarget
from mam.public.timecode import timecode

__all__ = [
    "AnalysisSummary",
    "AssetDeleted",
    "AssetList",
    "AssetPublic",
    "AssetStatus",
    "AssetSummary",
    "AssetUpdate",
    "AudioMeasurements",
    "AuditEntryPublic",
    "AuditList",
    "AuditProblemPublic",
    "AuditReportPublic",
    "CuePublic",
    "ExportCreate",
    "ExportOutput",
    "ExportRequest",
    "FacetCount",
    "FacetsPublic",
    "FieldIn",
    "FieldPublic",
    "HitPublic",
    "ImportResult",
    "InnerHitKind",
    "InnerHitPublic",
    "InterlaceMeasurement",
    "JobKind",
    "JobList",
    "JobPublic",
    "JobResult",
    "JobState",
    "LoudnessPublic",
    "MediaKind",
    "OutputVideo",
    "ProfilePublic",
    "QcCheck",
    "QcMeasurements",
    "QcReport",
    "QcStatus",
    "QcVerdict",
    "RenditionMade",
    "RenditionPublic",
    "RenditionsCreate",
    "RenditionsRequested",
    "RetryCreate",
    "ScreenTextLinePublic",
    "ScreenTextList",
    "SearchResponse",
    "Segment",
    "ShareCreate",
    "SharePublic",
    "ShareTarget",
    "ShotList",
    "ShotPublic",
    "SoundKind",
    "SoundMeasurements",
    "SoundSegment",
    "SpanCreate",
    "SpanIn",
    "SpanPublic",
    "SpeechPublic",
    "TextRegion",
    "marked",
    "timecode",
]
