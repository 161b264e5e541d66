"""Relay of live topics between app processes through Redis pub/sub (when REDIS_URL is set).

Only the topic's name travels (`<origin>|<topic>`): each process re-reads the figures and emits one update to its
own rooms, so a figure is never older than the database read of the process that shows it. Publishing goes through
a bounded outbox drained by one task with a timeout per message: a slow or dead Redis drops notifications (pages
keep a stale figure until the next one reaches them), it never delays the caller. The listener reconnects with a
back-off; messages from this process itself are ignored (it has already pushed locally).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import Any

log = logging.getLogger(__name__)

PUBLISH_TIMEOUT = 1.0
OUTBOX_SIZE = 1000
RETRY_SECONDS = (0.5, 1.0, 2.0, 5.0)


class Relay:
    """Publishes this process's notifications and feeds the other processes' ones to `hub.notify`."""

    def __init__(self, hub: Any, url: str, channel: str) -> None:
        self.hub, self.url, self.channel = hub, url, channel
        self.origin = uuid.uuid4().hex[:12]
        self.outbox: asyncio.Queue[str] = asyncio.Queue(maxsize=OUTBOX_SIZE)
        self.dropped = 0
        self.received = 0
        self._tasks: list[asyncio.Task] = []

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._sender(), name="live-relay-send"),
                       loop.create_task(self._listener(), name="live-relay-listen")]

    def publish(self, topic: str) -> None:
        """Queue `topic` for the other processes (on the loop; never waits)."""
        try:
            self.outbox.put_nowait(topic)
        except asyncio.QueueFull:
            self.dropped += 1

    def _client(self):
        import redis.asyncio as aioredis

        return aioredis.from_url(self.url, socket_timeout=PUBLISH_TIMEOUT * 2, socket_connect_timeout=PUBLISH_TIMEOUT,
                                 health_check_interval=10)

    async def _sender(self) -> None:
        client = self._client()
        while True:
            topic = await self.outbox.get()
            pending = {topic}
            while not self.outbox.empty():  # a burst goes out as one message per distinct topic
                pending.add(self.outbox.get_nowait())
            for name in sorted(pending):
                try:
                    await asyncio.wait_for(client.publish(self.channel, f"{self.origin}|{name}"), PUBLISH_TIMEOUT)
                except Exception as exc:  # Redis slow or down: this notification is lost for the other processes
                    self.dropped += 1
                    log.warning("live relay publish of %s failed: %s", name, exc)
                    client = await self._reset(client)

    async def _reset(self, client):
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.aclose(), PUBLISH_TIMEOUT)
        return self._client()

    async def _listener(self) -> None:
        attempt = 0
        while True:
            client = self._client()
            try:
                pubsub = client.pubsub(ignore_subscribe_messages=True)
                await asyncio.wait_for(pubsub.subscribe(self.channel), PUBLISH_TIMEOUT * 5)
                attempt = 0
                while True:
                    message = await pubsub.get_message(timeout=5.0)
                    if message is None:
                        await asyncio.wait_for(pubsub.ping(), PUBLISH_TIMEOUT * 5)  # notice a silent Redis
                        continue
                    data = message.get("data")
                    text = data.decode() if isinstance(data, bytes) else str(data)
                    origin, _, topic = text.partition("|")
                    if topic and origin != self.origin:
                        self.received += 1
                        self.hub.notify(topic, relay=False)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("live relay listener: %s (retrying)", exc)
            finally:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(client.aclose(), PUBLISH_TIMEOUT)
            await asyncio.sleep(RETRY_SECONDS[min(attempt, len(RETRY_SECONDS) - 1)])
            attempt += 1
