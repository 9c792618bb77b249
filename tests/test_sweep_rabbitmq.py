"""The sweep on RabbitMQ: a queued job whose message a consumer holds fetched ahead (the queue shows
no message) is not sent again while the broker's loss mark stands; once the broker has lost its
queues (the mark with them), the next sweep sends it again, once."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pika  # type: ignore[import-untyped]
import pytest
from conftest import catalog_asset, make_settings, need_server
from dramatiq import Broker
from sqlalchemy import update

from mam.catalog import ensure_tenant
from mam.jobs import create_asset_with_job
from mam.models import Job, utcnow
from mam.services import Services, open_services
from workers.loss_mark import LossMark, mark_queue
from workers.runtime import attach_broker, sweep

RABBITMQ = "amqp://guest:guest@127.0.0.1:5672/%2F"


@dataclass
class Setup:
    services: Services
    broker: Broker
    mark: LossMark
    namespace: str


@pytest.fixture
def rabbit(tmp_path: Path) -> Iterator[Setup]:
    need_server("RabbitMQ", "127.0.0.1", 5672)
    namespace = f"mam-test-{uuid.uuid4().hex[:10]}"
    settings = make_settings(
        tmp_path / "home", MAM_BROKER_URL=RABBITMQ, MAM_BROKER_NAMESPACE=namespace, MAM_JOB_SWEEP_SECONDS="1"
    )
    services = open_services(settings)
    broker = attach_broker(services)
    yield Setup(services, broker, LossMark(broker, settings), namespace)
    broker.close()
    services.close()
    _delete_queues(namespace, with_mark=True)


def _channel() -> pika.BlockingConnection:
    return pika.BlockingConnection(pika.URLParameters(RABBITMQ))


def _delete_queues(namespace: str, *, with_mark: bool) -> None:
    """What a broker restarted on empty data does: our queues, and the loss mark, are gone."""
    connection = _channel()
    try:
        channel = connection.channel()
        names = [f"{namespace}-{lane}{s}" for lane in ("urgent", "normal", "bulk") for s in ("", ".DQ", ".XQ")]
        for name in [*names, *([f"{namespace}-loss-mark"] if with_mark else [])]:
            channel.queue_delete(name)
    finally:
        connection.close()


def _earlier_worker_placed_the_mark(setup: Setup) -> None:
    """The mark as a worker started earlier left it (this process has seen no loss)."""
    assert LossMark(setup.broker, setup.services.settings).look() is not None  # it found none, put one
    assert setup.mark.look() is None


def _job(setup: Setup) -> Job:
    with setup.services.session() as session:
        ensure_tenant(session, "default")
        job = create_asset_with_job(session, catalog_asset("default", 1, "防汛"), ["poster"])
        assert job is not None
        session.expunge(job)
    setup.services.enqueue(job.id)
    return _reload(setup, job.id)


def _reload(setup: Setup, job_id: str) -> Job:
    with setup.services.session() as session:
        job = session.get(Job, job_id)
        assert job is not None
        session.expunge(job)
        return job


def _age(setup: Setup, job_id: str, seconds: float) -> None:
    """The job's last message went out ``seconds`` ago (more than a sweep)."""
    with setup.services.session() as session:
        session.execute(update(Job).where(Job.id == job_id).values(sent_at=utcnow() - timedelta(seconds=seconds)))
        session.commit()


def test_a_message_a_consumer_holds_unacknowledged_counts_as_present_while_the_loss_mark_stands(
    rabbit: Setup,
) -> None:
    _earlier_worker_placed_the_mark(rabbit)
    job = _job(rabbit)
    connection = _channel()
    try:
        channel = connection.channel()
        queue = f"{rabbit.namespace}-normal"
        method, _, _ = channel.basic_get(queue, auto_ack=False)  # fetched ahead, not acknowledged
        assert method is not None
        assert channel.queue_declare(queue, durable=True, passive=True).method.message_count == 0
        _age(rabbit, job.id, 5)
        assert sweep(rabbit.services, rabbit.broker, rabbit.mark) == 0
        assert _reload(rabbit, job.id).message_id == job.message_id
        marks = channel.queue_declare(mark_queue(rabbit.services.settings), durable=True, passive=True)
        assert marks.method.message_count == 1
    finally:
        connection.close()


def test_a_queued_job_is_sent_again_by_the_first_sweep_after_the_broker_lost_its_queues_and_then_not_again(
    rabbit: Setup,
) -> None:
    _earlier_worker_placed_the_mark(rabbit)
    job = _job(rabbit)
    _age(rabbit, job.id, 5)
    assert sweep(rabbit.services, rabbit.broker, rabbit.mark) == 0  # held: the mark stands

    _delete_queues(rabbit.namespace, with_mark=True)
    assert sweep(rabbit.services, rabbit.broker, rabbit.mark) == 1
    resent = _reload(rabbit, job.id)
    assert resent.message_id != job.message_id
    time.sleep(1.2)  # the new message is older than a sweep now, and later than the loss
    assert sweep(rabbit.services, rabbit.broker, rabbit.mark) == 0
    assert _reload(rabbit, job.id).message_id == resent.message_id


def test_queues_lost_while_the_mark_stands_are_not_guessed_at(rabbit: Setup) -> None:
    """Without the mark's word the sweep falls back to the ten-minute wait (a queue purged by hand)."""
    _earlier_worker_placed_the_mark(rabbit)
    job = _job(rabbit)
    _delete_queues(rabbit.namespace, with_mark=False)
    _age(rabbit, job.id, 5)
    assert sweep(rabbit.services, rabbit.broker, rabbit.mark) == 0
    _age(rabbit, job.id, 11 * 60)
    assert sweep(rabbit.services, rabbit.broker, rabbit.mark) == 1
