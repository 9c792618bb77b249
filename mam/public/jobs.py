"""What a job looks like from outside: its kind, state, progress and typed result."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from pydantic import AwareDatetime, BaseModel, Field, ValidationError

from mam.models import Job, JobLane, JobState

if TYPE_CHECKING:
    from mam.jobs.queries import JobPage

__all__ = [
    "AnalysisSummary",
    "ExportOutput",
    "ExportRequest",
    "JobKind",
    "JobList",
    "JobPublic",
    "JobResult",
    "LoudnessPublic",
    "OutputVideo",
    "QcVerdict",
    "RenditionMade",
]


class JobKind(StrEnum):
    RENDER = "render"
    """Make the asset's missing renditions (and analyse it)."""
    EXPORT = "export"
    """Make a sub-clip with one profile, kept under the job (``/api/v1/jobs/{id}/output``)."""


class LoudnessPublic(BaseModel):
    integrated: float = Field(
        description="programme loudness, LUFS (ITU-R BS.1770; a mono source as one channel, as BS.1770 defines it)"
    )
    range: float = Field(description="loudness range, LU")
    true_peak: float = Field(description="dBTP")
    dual_mono: float | None = Field(
        None,
        description="a mono source only: its loudness played as dual mono (the same channel on both sides of a "
        "stereo pair, as the renditions carry it, 3.01 LU over integrated), LUFS",
    )


class OutputVideo(BaseModel):
    codec: str
    size: str = Field(description="WIDTHxHEIGHT")
    frame_rate: float
    field_order: str
    duration: float | None = None


class RenditionMade(BaseModel):
    """One output of a render job, as its check after encoding measured it."""

    profile: str
    loudness: LoudnessPublic | None = None
    video: OutputVideo | None = None
    size: int | None = None
    seconds: float | None = Field(None, description="time spent making it, shared decode excluded")
    duration: float | None = None


class ExportOutput(RenditionMade):
    """The file an export job made."""

    content_type: str | None = None
    start: float | None = Field(None, description="in-point, seconds")
    end: float | None = Field(None, description="out-point (exclusive), seconds")


class ExportRequest(BaseModel):
    start: float | str | None = Field(None, description="in-point as asked: seconds or HH:MM:SS:FF")
    end: float | str | None = Field(None, description="out-point as asked: seconds or HH:MM:SS:FF")


class AnalysisSummary(BaseModel):
    shots: int = 0
    cuts: int = 0
    dissolves: int = 0
    fades_out: int = 0
    fades_in: int = 0
    storyboard_tiles: int = 0
    seconds: float = Field(0.0, description="time spent in the analysis branches")
    text_lines: int | None = Field(None, description="lines of on-screen text read (none: text was not read)")


class QcVerdict(BaseModel):
    profile: str
    verdict: str | None = Field(description="pass, warn or fail (the report: /api/v1/assets/{id}/qc)")


class JobResult(BaseModel):
    """What a job asked for and, once done, what it made and measured."""

    request: ExportRequest | None = Field(None, description="an export's in and out points")
    renditions: list[RenditionMade] = Field(default_factory=list, description="what a render job made")
    output: ExportOutput | None = Field(None, description="what an export job made")
    note: str | None = None
    loudness_before: LoudnessPublic | None = Field(None, description="the source's loudness")
    wall_seconds: float | None = None
    decode_seconds: float | None = None
    frames_decoded: int | None = None
    analysis: AnalysisSummary | None = None
    qc: QcVerdict | None = None


def _result(job: Job) -> JobResult:
    try:
        return JobResult.model_validate(job.result)
    except ValidationError:  # a result stored by an older version: keep what still reads
        known = {k: v for k, v in job.result.items() if k in JobResult.model_fields}
        return JobResult.model_validate({k: v for k, v in known.items() if _valid(k, v)})


def _valid(name: str, value: object) -> bool:
    try:
        JobResult.model_validate({name: value})
    except ValidationError:
        return False
    return True


class JobPublic(BaseModel):
    id: str
    asset_id: str
    kind: JobKind
    profiles: list[str]
    state: JobState
    lane: JobLane = Field(description="urgent, normal or bulk: a free worker takes the highest lane's job first")
    progress: float = Field(description="0 to 1")
    attempts: int
    error: str | None = Field(description="why it failed, for a person to act on")
    result: JobResult
    fps: float | None = Field(None, description="frames per second, while running")
    eta_seconds: float | None = Field(None, description="estimated seconds left, while running")
    output_url: str | None = Field(None, description="where a done export's file is downloaded")
    created_at: AwareDatetime
    started_at: AwareDatetime | None
    finished_at: AwareDatetime | None

    @classmethod
    def of(cls, job: Job) -> JobPublic:
        running = job.state == JobState.RUNNING
        result = _result(job)
        return cls(
            fps=job.result.get("fps") if running else None,
            eta_seconds=job.result.get("eta_seconds") if running else None,
            output_url=f"/api/v1/jobs/{job.id}/output" if result.output is not None else None,
            id=job.id,
            asset_id=job.asset_id,
            kind=JobKind(job.kind),
            profiles=job.profiles,
            state=JobState(job.state),
            lane=JobLane(job.lane or JobLane.NORMAL),
            progress=job.progress,
            attempts=job.attempts,
            error=job.error,
            result=result,
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
        )


class JobList(BaseModel):
    items: list[JobPublic] = Field(description="newest first")
    total: int = Field(description="jobs matching the filter")
    limit: int
    offset: int

    @classmethod
    def of(cls, page: JobPage) -> JobList:
        return cls(items=[JobPublic.of(j) for j in page.items], total=page.total, limit=page.limit, offset=page.offset)
