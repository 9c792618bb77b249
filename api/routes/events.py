"""GET /api/v1/events: the caller's tenant's events as server-sent events (permission ``event:read``).

Each event is ``id: N``, ``event: <type>`` and one ``data:`` line of JSON (:class:`EventPublic`).
``Last-Event-ID`` (what a browser's EventSource sends when it reconnects) or ``?after=N`` resumes
after event N: the stored events after it first, then the live ones, without a gap or a repeat.
Without either, the stream starts with what happens next. A comment line is sent while idle
(``MAM_EVENT_HEARTBEAT_SECONDS``), and the stream ends after ``?timeout=`` seconds (default and
most ``MAM_EVENT_STREAM_SECONDS``): the client reconnects with the last id it saw.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from api.auth import CurrentPrincipal
from api.authz import require
from api.deps import ServicesDep
from api.errors import problems
from mam.events import EventBus, EventRecord, EventType, events_after
from mam.public.events import EventPublic
from mam.services import Services

__all__ = ["end_streams_on_exit_signal", "router"]

router = APIRouter(prefix="/api/v1/events", tags=["events"])

_BACKLOG_PAGE = 500
_QUEUE = 2000
"""Events waiting for a slow client; beyond, the stream reads them again from the catalog."""
_RETRY_MS = 3000
_SLICE = 0.5
"""How often a waiting stream looks whether the server is stopping."""
_SSE_EVENT = {
    "description": "one event of the stream: its id, its type, and as data the EventPublic JSON",
    "type": "object",
    "properties": {
        "id": {"type": "string", "pattern": "^[0-9]+$"},
        "event": {"type": "string", "enum": [t.value for t in EventType]},
        "data": {"type": "string", "contentMediaType": "application/json"},
    },
    "required": ["id", "event", "data"],
}


class _Frames(OrderedDict[int, str]):
    """An app's latest events as written on the wire: made once, not once per stream (all in its event loop)."""

    def of(self, record: EventRecord) -> str:
        frame = self.get(record.id)
        if frame is None:
            data = EventPublic.of(record).model_dump_json()
            frame = self[record.id] = f"id: {record.id}\nevent: {record.type}\ndata: {data}\n\n"
            if len(self) > 1000:
                self.popitem(last=False)
        return frame


def _backlog(services: Services, tenant_id: str, after: int, types: list[str]) -> list[EventRecord]:
    with services.session() as session:
        rows = events_after(session, after, tenant_id=tenant_id, types=types, limit=_BACKLOG_PAGE)
        return [EventRecord.of(row) for row in rows]


class _Inbox:
    """The live events of one stream."""

    def __init__(self, types: list[str]) -> None:
        self.types = set(types)
        self.queue: asyncio.Queue[EventRecord] = asyncio.Queue(_QUEUE)
        self.overflowed = False

    def put(self, record: EventRecord) -> None:
        if self.types and record.type not in self.types:
            return
        try:
            self.queue.put_nowait(record)
        except asyncio.QueueFull:
            self.overflowed = True


class _Hubs(dict[str, "_Hub"]):
    """An app's hubs by tenant, and its frames."""

    def __init__(self) -> None:
        super().__init__()
        self.frames = _Frames()


class _Hub:
    """The streams of one tenant in this event loop: one subscription to the bus, and each event
    handed over from the bus's thread once, then to every stream within the loop."""

    def __init__(self, bus: EventBus, tenant_id: str, hubs: _Hubs) -> None:
        self.loop = asyncio.get_running_loop()
        self.inboxes: set[_Inbox] = set()
        self.hubs, self.tenant_id = hubs, tenant_id
        self.unsubscribe = bus.subscribe(tenant_id, self.offer)

    def offer(self, record: EventRecord) -> None:  # on the bus's thread
        self.loop.call_soon_threadsafe(self._fan_out, record)

    def _fan_out(self, record: EventRecord) -> None:
        for inbox in self.inboxes:
            inbox.put(record)

    def leave(self, inbox: _Inbox) -> None:
        self.inboxes.discard(inbox)
        if not self.inboxes:
            self.unsubscribe()
            del self.hubs[self.tenant_id]

    @classmethod
    def join(cls, hubs: _Hubs, bus: EventBus, tenant_id: str, inbox: _Inbox) -> _Hub:
        hub = hubs.get(tenant_id) or hubs.setdefault(tenant_id, cls(bus, tenant_id, hubs))
        hub.inboxes.add(inbox)
        return hub


async def _stream(
    services: Services,
    bus: EventBus,
    hubs: _Hubs,
    tenant_id: str,
    after: int | None,
    types: list[str],
    seconds: float,
) -> AsyncIterator[str]:
    inbox = _Inbox(types)
    hub = _Hub.join(hubs, bus, tenant_id, inbox)  # before the backlog is read: nothing falls between
    heartbeat = services.settings.events.heartbeat_seconds
    deadline = time.monotonic() + seconds
    try:
        yield f"retry: {_RETRY_MS}\n: events of {tenant_id}\n\n"
        last = after
        while last is not None:  # the stored events after the client's last one, then the live ones
            page = await run_in_threadpool(_backlog, services, tenant_id, last, types)
            for record in page:
                yield hubs.frames.of(record)
            last = page[-1].id if page else last
            if len(page) < _BACKLOG_PAGE:
                break
        written = time.monotonic()
        while (left := deadline - time.monotonic()) > 0 and not bus.closing.is_set():
            if inbox.overflowed and last is not None:  # a slow client: catch up from the catalog
                inbox.overflowed = False
                while not inbox.queue.empty():
                    inbox.queue.get_nowait()
                page = await run_in_threadpool(_backlog, services, tenant_id, last, types)
                for record in page:
                    yield hubs.frames.of(record)
                last = page[-1].id if page else last
                continue
            try:
                async with asyncio.timeout(min(_SLICE, left)):  # no task per wait, unlike wait_for
                    ready = [await inbox.queue.get()]
            except TimeoutError:
                if time.monotonic() - written >= heartbeat:
                    written = time.monotonic()
                    yield ": keep-alive\n\n"
                continue
            while not inbox.queue.empty():  # what else arrived meanwhile: one write
                ready.append(inbox.queue.get_nowait())
            fresh = [r for r in ready if last is None or r.id > last]
            if fresh:
                written, last = time.monotonic(), fresh[-1].id
                yield "".join(hubs.frames.of(r) for r in fresh)
    finally:
        hub.leave(inbox)


def _last_id(header: str | None, after: int | None) -> int | None:
    return int(header) if header else after


@router.get(
    "",
    name="stream_events",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "a server-sent event stream (text/event-stream) of the tenant's events",
            "content": {"text/event-stream": {"schema": _SSE_EVENT}},
        },
        **problems((403, "the caller's role may not follow events (event:read)"), 422),
    },
    dependencies=[require("event:read")],
)
async def stream_events(
    request: Request,
    services: ServicesDep,
    principal: CurrentPrincipal,
    after: Annotated[
        int | None, Query(ge=0, le=2**62, description="resume after this event id (0: every stored event)")
    ] = None,
    type: Annotated[list[EventType] | None, Query(description="only events of this type (repeat for several)")] = None,
    timeout: Annotated[
        float | None, Query(gt=0, le=86400, description="end the stream after this many seconds")
    ] = None,
    last_event_id: Annotated[
        str | None, Header(pattern=r"^[0-9]{1,18}$", description="resume after this event id (EventSource sends it)")
    ] = None,
) -> StreamingResponse:
    """The caller's tenant's events (asset, job, rendition and share), resumable; see the module docstring."""
    start = _last_id(last_event_id, after)
    longest = services.settings.events.stream_seconds
    seconds = min(timeout, longest) if timeout is not None else longest
    bus: EventBus = request.app.state.event_bus
    hubs: _Hubs | None = getattr(request.app.state, "event_hubs", None)
    if hubs is None:  # the first stream of this app (all streams run in its one event loop)
        hubs = request.app.state.event_hubs = _Hubs()
    types = [str(t) for t in type or []]
    return StreamingResponse(
        _stream(services, bus, hubs, principal.tenant_id, start, types, seconds),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def end_streams_on_exit_signal(bus: EventBus) -> None:
    """End the open streams as soon as SIGTERM or SIGINT arrives (uvicorn otherwise waits for every
    open response before it stops, an hour for a stream), then let uvicorn's own handler run. Only
    in the main thread (``mam serve``); elsewhere the streams end when the bus stops."""
    for signum in (signal.SIGTERM, signal.SIGINT):
        previous = signal.getsignal(signum)

        def handler(sig: int, frame: object, previous: object = previous) -> None:
            bus.closing.set()
            if callable(previous):
                previous(sig, frame)

        try:
            signal.signal(signum, handler)
        except ValueError:  # not the main thread
            return
