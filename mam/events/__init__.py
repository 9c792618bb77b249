"""Events: what changed (assets, jobs, renditions, shares), per tenant, in the catalog.

Written in the transaction of the change they tell of (:mod:`mam.events.store`), streamed to
clients (``GET /api/v1/events``) through each process's :class:`EventBus`, and sent to webhooks
(:mod:`mam.webhooks`). Who sees an event: the tenant it happened in; an asset's changes, its
renditions and its shares also go to the tenants it is shared with (a share's grant or revoke to
the tenant granted or refused); jobs only to the owner.
"""

from mam.events.bus import EventBus, EventRecord, Listener
from mam.events.config import EVENT_SETTINGS_HELP, EventSettings
from mam.events.store import (
    CHANNEL,
    PROGRESS_EVENT_SECONDS,
    asset_audience,
    emit,
    emit_asset,
    emit_job,
    emit_job_progress,
    emit_renditions,
    emit_share,
    events_after,
    latest_event_id,
    on_events_committed,
    prune_events,
)
from mam.events.types import EVENT_TYPES, EventType

__all__ = [
    "CHANNEL",
    "EVENT_SETTINGS_HELP",
    "EVENT_TYPES",
    "PROGRESS_EVENT_SECONDS",
    "EventBus",
    "EventRecord",
    "EventSettings",
    "EventType",
    "Listener",
    "asset_audience",
    "emit",
    "emit_asset",
    "emit_job",
    "emit_job_progress",
    "emit_renditions",
    "emit_share",
    "events_after",
    "latest_event_id",
    "on_events_committed",
    "prune_events",
]
