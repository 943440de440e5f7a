"""Faust's Kafka transport with the fetch's longest wait set by us, not fixed at 1.5 s.

Faust builds its worker's aiokafka consumer with `fetch_max_wait_ms=1500` and no setting to
change it. A fetch asks the broker for the partitions whose last records the worker has
taken; partitions whose records still wait to be taken are left out of it, and the broker
holds the request until any of the partitions in it has data, or that long. When the
partitions in the request are quiet (another domain's command topic, say) while commands
keep coming to a partition left out, those commands wait for the request to run out: 1.5 s,
the stall that a few times a minute held up every create at 200/s (docs/interactive-latency.md).
With `KAFKA_FETCH_MAX_WAIT_MS` (100) they wait at most that; an idle worker then asks the
broker ten times a second instead of once in 1.5 s (measured with `make dev` idle: the
broker at 7.9 % of a core against 2.8 %, the workers unchanged).

The analytics worker asks for more at a time (`ANALYTICS_FETCH_MIN_BYTES`, waiting at most
`ANALYTICS_FETCH_MAX_WAIT_MS`): nobody waits on it the way a client waits on a command.

The consumer is otherwise Faust's own (`super()`), logged in as before; the transport is
always aiokafka's, which is what the workers' `kafka://` URL names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import aiokafka
import faust
from faust.transport.drivers import aiokafka as faust_aiokafka


@dataclass(frozen=True)
class FetchPolicy:
    """What a worker's fetch asks the broker to gather, and for how long at most."""

    min_bytes: int
    max_wait_ms: int


class _ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: Any) -> aiokafka.AIOKafkaConsumer:
        consumer = super()._create_worker_consumer(transport)
        # Read by the consumer's start(), when it makes its fetcher: set before that.
        fetch = cast(WorkerApp, self.app).fetch
        consumer._fetch_max_wait_ms = fetch.max_wait_ms
        consumer._fetch_min_bytes = fetch.min_bytes
        return consumer


class _Consumer(faust_aiokafka.Consumer):
    def _new_consumer_thread(self) -> _ConsumerThread:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)


class Transport(faust_aiokafka.Transport):
    Consumer = _Consumer


class WorkerApp(faust.App):
    """A Faust app whose consumer's fetch asks what `fetch` says."""

    def __init__(self, *args: Any, fetch: FetchPolicy, **kwargs: Any) -> None:
        self.fetch = fetch
        super().__init__(*args, **kwargs)

    def _new_transport(self) -> Transport:
        return Transport(self.conf.broker_consumer, self)
