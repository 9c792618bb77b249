"""/api/v1/webhooks: the tenant's webhook endpoints, their delivery log and redelivery (``webhook:manage``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.auth import CurrentPrincipal
from api.authz import require
from api.deps import ServicesDep, SessionDep
from api.errors import problems
from mam.public.webhooks import (
    DeliveryList,
    DeliveryPublic,
    DeliveryState,
    WebhookCreate,
    WebhookCreated,
    WebhookList,
    WebhookPublic,
    WebhookUpdate,
)
from mam.webhooks import (
    create_endpoint,
    delete_endpoint,
    get_endpoint,
    list_deliveries,
    list_endpoints,
    redeliver,
    update_endpoint,
)

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])

_MANAGE = (403, "the caller's role may not manage webhooks (webhook:manage)")
_NO_HOOK = (404, "no such webhook in the caller's tenant")
_REFUSED = (422, "a URL that is not http(s), holds a user or password, or names an address refused; unknown types")


@router.get(
    "",
    response_model=WebhookList,
    name="list_webhooks",
    responses=problems(_MANAGE),
    dependencies=[require("webhook:manage")],
)
def list_all(session: SessionDep, principal: CurrentPrincipal) -> WebhookList:
    """The caller's tenant's webhook endpoints (never their secrets)."""
    return WebhookList(items=[WebhookPublic.of(e) for e in list_endpoints(session, principal.tenant_id)])


@router.post(
    "",
    response_model=WebhookCreated,
    status_code=201,
    name="create_webhook",
    responses=problems(_MANAGE, _REFUSED),
    dependencies=[require("webhook:manage")],
)
def create(
    body: WebhookCreate, services: ServicesDep, session: SessionDep, principal: CurrentPrincipal
) -> WebhookCreated:
    """Register an endpoint: each event of the chosen types is POSTed to it, signed with ``secret``
    (returned this once) the Standard Webhooks way."""
    endpoint, secret = create_endpoint(
        session,
        principal.tenant_id,
        body.url,
        [str(t) for t in body.event_types],
        body.description,
        allow_private=services.settings.events.webhook_allow_private,
    )
    return WebhookCreated(**WebhookPublic.of(endpoint).model_dump(), secret=secret)


@router.get(
    "/{webhook_id}",
    response_model=WebhookPublic,
    name="get_webhook",
    responses=problems(_MANAGE, _NO_HOOK),
    dependencies=[require("webhook:manage")],
)
def get_one(webhook_id: str, session: SessionDep, principal: CurrentPrincipal) -> WebhookPublic:
    return WebhookPublic.of(get_endpoint(session, principal.tenant_id, webhook_id))


@router.patch(
    "/{webhook_id}",
    response_model=WebhookPublic,
    name="update_webhook",
    responses=problems(_MANAGE, _NO_HOOK, _REFUSED),
    dependencies=[require("webhook:manage")],
)
def change(
    webhook_id: str, body: WebhookUpdate, services: ServicesDep, session: SessionDep, principal: CurrentPrincipal
) -> WebhookPublic:
    """Change the URL, the event types, the description, or pause it (``active``: false)."""
    endpoint = update_endpoint(
        session,
        principal.tenant_id,
        webhook_id,
        url=body.url,
        event_types=None if body.event_types is None else [str(t) for t in body.event_types],
        description=body.description,
        active=body.active,
        allow_private=services.settings.events.webhook_allow_private,
    )
    return WebhookPublic.of(endpoint)


@router.delete(
    "/{webhook_id}",
    status_code=204,
    name="delete_webhook",
    responses=problems(_MANAGE, _NO_HOOK),
    dependencies=[require("webhook:manage")],
)
def remove(webhook_id: str, session: SessionDep, principal: CurrentPrincipal) -> Response:
    """Remove the endpoint, its deliveries and their log."""
    delete_endpoint(session, principal.tenant_id, webhook_id)
    return Response(status_code=204)


@router.get(
    "/{webhook_id}/deliveries",
    response_model=DeliveryList,
    name="list_webhook_deliveries",
    responses=problems(_MANAGE, _NO_HOOK, 422),
    dependencies=[require("webhook:manage")],
)
def deliveries(
    webhook_id: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    state: Annotated[DeliveryState | None, Query(description="only deliveries in this state")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> DeliveryList:
    """The endpoint's deliveries, newest event first, each with its attempts (time, status code, error)."""
    rows, total = list_deliveries(
        session,
        principal.tenant_id,
        webhook_id,
        state=None if state is None else str(state),
        limit=limit,
        offset=offset,
    )
    return DeliveryList(items=[DeliveryPublic.of(d, e, a) for d, e, a in rows], total=total)


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/redeliver",
    response_model=DeliveryPublic,
    status_code=202,
    name="redeliver_webhook",
    responses=problems(_MANAGE, (404, "no such webhook in the caller's tenant, or no such delivery of it")),
    dependencies=[require("webhook:manage")],
)
def send_again(webhook_id: str, delivery_id: str, session: SessionDep, principal: CurrentPrincipal) -> DeliveryPublic:
    """Send the delivery again now (a dead one too), with a fresh count of attempts."""
    return DeliveryPublic.of(*redeliver(session, principal.tenant_id, webhook_id, delivery_id))
