"""A tenant's webhook endpoints: registered, listed, changed and removed by its administrators.

The secret (``whsec_`` + 32 random bytes in base64, the Standard Webhooks form) is returned once, at
registration; the catalog keeps it in the clear because every delivery is signed with it, and no
public model, log line or error message ever carries it.

Addresses (the SSRF stance): only ``http`` and ``https`` URLs with a host and no user or password
in them. A county centre's systems live on private networks, so by default a URL may name a
private or loopback address (``MAM_WEBHOOK_ALLOW_PRIVATE=1``); with ``0``, only public addresses
are accepted, checked at registration and again before every delivery (the name may resolve
elsewhere by then). Link-local addresses (169.254.0.0/16, where clouds answer with instance
credentials, and fe80::/10), multicast and unspecified addresses are always refused. Deliveries
never follow redirects.
"""

from __future__ import annotations

import base64
import ipaddress
import secrets
import socket
from collections.abc import Sequence
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from mam.errors import NotFoundError, WebhookError
from mam.events import EVENT_TYPES
from mam.models import WebhookEndpoint

__all__ = [
    "check_address",
    "check_url",
    "create_endpoint",
    "delete_endpoint",
    "get_endpoint",
    "list_endpoints",
    "new_secret",
    "update_endpoint",
]


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _refused(address: ipaddress.IPv4Address | ipaddress.IPv6Address, allow_private: bool) -> str | None:
    if address.is_link_local or address.is_multicast or address.is_unspecified:
        return "a link-local, multicast or unspecified address"
    if not allow_private and not address.is_global:
        return "a private, loopback or reserved address (MAM_WEBHOOK_ALLOW_PRIVATE=0)"
    return None


def check_address(host: str, port: int, allow_private: bool) -> None:
    """Resolve ``host`` and refuse it if any of its addresses may not be called (see the module docstring)."""
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        raise WebhookError(f"the webhook's host {host!r} cannot be resolved") from exc
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        why = _refused(address, allow_private)
        if why is not None:
            raise WebhookError(f"the webhook's host {host!r} is {why}; name another")


def check_url(url: str, allow_private: bool) -> str:
    """The URL if a webhook may be sent to it; :class:`WebhookError` saying why not otherwise."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise WebhookError("the webhook URL is malformed") from exc
    if parts.scheme not in ("http", "https"):
        raise WebhookError("a webhook URL must start with http:// or https://")
    if not parts.hostname:
        raise WebhookError("a webhook URL must name a host")
    if parts.username is not None or parts.password is not None:
        raise WebhookError("a webhook URL may not hold a user or password (the secret signs each delivery)")
    if parts.fragment:
        raise WebhookError("a webhook URL may not have a #fragment")
    try:
        literal = ipaddress.ip_address(parts.hostname)
    except ValueError:
        literal = None
    if literal is not None:
        why = _refused(literal, allow_private)
        if why is not None:
            raise WebhookError(f"the webhook's host is {why}; name another")
    elif not allow_private:
        check_address(parts.hostname, port or (443 if parts.scheme == "https" else 80), allow_private)
    return url


def _types(event_types: Sequence[str]) -> list[str]:
    wanted = list(dict.fromkeys(str(t) for t in event_types))
    unknown = [t for t in wanted if t not in EVENT_TYPES]
    if unknown:
        raise WebhookError(f"unknown event type(s): {', '.join(unknown)}; known: {', '.join(EVENT_TYPES)}")
    return wanted


def create_endpoint(
    session: Session,
    tenant_id: str,
    url: str,
    event_types: Sequence[str] = (),
    description: str = "",
    *,
    allow_private: bool = True,
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint of the tenant; returns it and its secret (shown this once)."""
    secret = new_secret()
    endpoint = WebhookEndpoint(
        tenant_id=tenant_id,
        url=check_url(url, allow_private),
        event_types=_types(event_types),
        description=description,
        secret=secret,
        active=True,
    )
    session.add(endpoint)
    session.commit()
    return endpoint, secret


def list_endpoints(session: Session, tenant_id: str) -> list[WebhookEndpoint]:
    query = select(WebhookEndpoint).where(WebhookEndpoint.tenant_id == tenant_id)
    return list(session.scalars(query.order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)))


def get_endpoint(session: Session, tenant_id: str, endpoint_id: str) -> WebhookEndpoint:
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.tenant_id != tenant_id:
        raise NotFoundError(f"no webhook {endpoint_id} in tenant {tenant_id}")
    return endpoint


def update_endpoint(
    session: Session,
    tenant_id: str,
    endpoint_id: str,
    *,
    url: str | None = None,
    event_types: Sequence[str] | None = None,
    description: str | None = None,
    active: bool | None = None,
    allow_private: bool = True,
) -> WebhookEndpoint:
    """Change what is given; a paused endpoint (``active`` false) gets no new deliveries."""
    endpoint = get_endpoint(session, tenant_id, endpoint_id)
    if url is not None:
        endpoint.url = check_url(url, allow_private)
    if event_types is not None:
        endpoint.event_types = _types(event_types)
    if description is not None:
        endpoint.description = description
    if active is not None:
        endpoint.active = active
    session.commit()
    return endpoint


def delete_endpoint(session: Session, tenant_id: str, endpoint_id: str) -> None:
    """Remove the endpoint with its deliveries and their log."""
    session.delete(get_endpoint(session, tenant_id, endpoint_id))
    session.commit()
