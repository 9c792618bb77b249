"""Webhooks: a tenant's endpoints (:mod:`mam.webhooks.endpoints`) and the signed, retried delivery of
its events to them (:mod:`mam.webhooks.delivery`)."""

from mam.webhooks.delivery import (
    DeliveryPolicy,
    attempt_delivery,
    due_deliveries,
    list_deliveries,
    redeliver,
    take_delivery,
)
from mam.webhooks.endpoints import (
    check_url,
    create_endpoint,
    delete_endpoint,
    get_endpoint,
    list_endpoints,
    new_secret,
    update_endpoint,
)

__all__ = [
    "DeliveryPolicy",
    "attempt_delivery",
    "check_url",
    "create_endpoint",
    "delete_endpoint",
    "due_deliveries",
    "get_endpoint",
    "list_deliveries",
    "list_endpoints",
    "new_secret",
    "redeliver",
    "take_delivery",
    "update_endpoint",
]
