#!/usr/bin/python3
"""An AMQP 1.0 peer for message-bridge's integration tests, written with python-qpid-proton
(Debian: python3-qpid-proton), independent of our own codec.

  amqp10_broker.py serve [--port N] [--idle-timeout S]
      A small in-memory broker: every address is a queue. Clients that attach a receiving
      link get its messages, unsettled, within their link credit; `accepted` removes a
      message, `rejected` drops it (counted), `released` and `modified` put it back at the
      front (`modified` with delivery-failed increments its delivery-count; each is logged
      as a JSON line {"settled": id, "outcome", "delivery_failed", "delivery_count"}). Messages not
      settled when a link or connection goes away are put back. Messages sent to an address
      that starts with `/reject/` are rejected with an error description. Prints
      `listening <port>` on stdout once it accepts connections. SASL ANONYMOUS.

  amqp10_broker.py send --url URL --address A --count N [--start I] [--tag T]
      Sends N messages m-<tag>-<i> with a data section, properties, application-properties
      and a partition key, waits until the peer accepted each (prints `sent N`).

  amqp10_broker.py receive --url URL --address A --count N [--timeout S] [--unique]
      Receives and accepts messages until N were received (N distinct ids with --unique)
      or S seconds passed without one;
      prints each as a JSON line, then `{"done": n}`.
"""

import argparse
import base64
import collections
import json
import signal
import socket
import sys
import uuid

from proton import Condition, Delivery, Message, symbol
from proton.handlers import MessagingHandler
from proton.reactor import Container

CREATION_TIME = 1_700_000_000.123  # seconds, as proton writes creation_time


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Broker(MessagingHandler):
    def __init__(self, port, idle_timeout):
        super().__init__(prefetch=500, auto_accept=False, auto_settle=True)
        self.port = port
        self.idle_timeout = idle_timeout
        self.queues = collections.defaultdict(collections.deque)
        self.consumers = collections.defaultdict(list)  # address -> sender links
        self.unsettled = {}  # delivery -> (address, message)
        self.rejected = 0

    def on_start(self, event):
        self.acceptor = event.container.listen("127.0.0.1:%d" % self.port)
        print("listening %d" % self.port, flush=True)

    def on_connection_init(self, event):
        if self.idle_timeout:
            event.transport.idle_timeout = self.idle_timeout
        sasl = event.transport.sasl()
        sasl.allowed_mechs("ANONYMOUS PLAIN")
        sasl.allow_insecure_mechs = True

    def on_link_opening(self, event):
        link = event.link
        if link.is_sender:
            address = link.remote_source.address
            link.source.address = address
            self.consumers[address].append(link)
        else:
            link.target.address = link.remote_target.address

    def _forget(self, link):
        if link.is_sender:
            address = link.source.address
            if link in self.consumers.get(address, []):
                self.consumers[address].remove(link)
            back = [d for d in list(self.unsettled) if d.link == link]
            # Put unsettled messages back in their original order, at the front.
            for delivery in reversed(back):
                address, message = self.unsettled.pop(delivery)
                self.queues[address].appendleft(message)
            for address in {self.unsettled_address(d) for d in back}:
                self.pump(address)

    def unsettled_address(self, delivery):
        return delivery.link.source.address

    def on_link_closing(self, event):
        self._forget(event.link)

    def on_connection_closing(self, event):
        self._remove_connection(event.connection)

    def on_disconnected(self, event):
        if event.connection:
            self._remove_connection(event.connection)

    def _remove_connection(self, connection):
        link = connection.link_head(0)
        while link:
            self._forget(link)
            link = link.next(0)

    def on_sendable(self, event):
        self.pump(event.link.source.address, only=event.link)

    def pump(self, address, only=None):
        queue = self.queues[address]
        links = [only] if only is not None else list(self.consumers.get(address, []))
        for link in links:
            while queue and link.credit > 0 and link.state & link.LOCAL_ACTIVE:
                message = queue.popleft()
                delivery = link.send(message)
                self.unsettled[delivery] = (address, message)

    def on_message(self, event):
        address = event.link.target.address
        if address and address.startswith("/reject/"):
            event.delivery.local.condition = Condition("amqp:precondition-failed", "this address rejects every message")
            self.reject(event.delivery)
            return
        self.queues[address].append(event.message)
        self.accept(event.delivery)
        self.pump(address)

    def on_accepted(self, event):
        self.unsettled.pop(event.delivery, None)

    def on_rejected(self, event):
        if self.unsettled.pop(event.delivery, None) is not None:
            self.rejected += 1

    def on_released(self, event):
        # Released and modified both arrive here.
        entry = self.unsettled.pop(event.delivery, None)
        if entry is None:
            return
        address, message = entry
        state = event.delivery.remote_state
        if state == Delivery.MODIFIED and event.delivery.remote.failed:
            message.delivery_count = (message.delivery_count or 0) + 1
        # One line per message given back, for the tests: its outcome and delivery-count.
        print(json.dumps({
            "settled": str(message.id),
            "outcome": "modified" if state == Delivery.MODIFIED else "released",
            "delivery_failed": bool(event.delivery.remote.failed),
            "delivery_count": message.delivery_count or 0,
        }), flush=True)
        self.queues[address].appendleft(message)
        self.pump(address)


class Sender(MessagingHandler):
    def __init__(self, url, address, count, start, tag):
        super().__init__()
        self.url, self.address, self.count, self.start, self.tag = url, address, count, start, tag
        self.sent = 0
        self.confirmed = 0
        self.failed = []

    def on_start(self, event):
        conn = event.container.connect(self.url, allowed_mechs="PLAIN ANONYMOUS", allow_insecure_mechs=True)
        event.container.create_sender(conn, self.address)

    def message(self, i):
        return Message(
            id="m-%s-%d" % (self.tag, i),
            body=("payload-%d" % i).encode(),
            inferred=True,  # bytes as a data section
            content_type="text/plain",
            correlation_id="c-%d" % i,
            reply_to="/queue/replies",
            subject="s-%d" % i,
            creation_time=CREATION_TIME,
            durable=True,
            ttl=3600,
            properties={"seq": i, "site": "site-%d" % (i % 3), "flag": True, "traceparent": "00-%032x-%016x-01" % (i + 1, i + 1)},
            annotations={symbol("x-opt-partition-key"): "k-%d" % i},
        )

    def on_sendable(self, event):
        while event.sender.credit and self.sent < self.count:
            event.sender.send(self.message(self.start + self.sent))
            self.sent += 1

    def on_accepted(self, event):
        self.confirmed += 1
        self.done(event)

    def on_rejected(self, event):
        self.failed.append("rejected")
        self.done(event)

    def on_released(self, event):
        self.failed.append("released")
        self.done(event)

    def done(self, event):
        if self.confirmed + len(self.failed) == self.count:
            event.connection.close()


class Receiver(MessagingHandler):
    def __init__(self, url, address, count, timeout, unique):
        super().__init__(prefetch=500)
        self.url, self.address, self.count, self.timeout, self.unique = url, address, count, timeout, unique
        self.received = 0
        self.ids = set()
        self.timer = None

    def on_start(self, event):
        self.container = event.container
        conn = event.container.connect(self.url, allowed_mechs="PLAIN ANONYMOUS", allow_insecure_mechs=True)
        event.container.create_receiver(conn, self.address)
        self.arm()

    def arm(self):
        if self.timer:
            self.timer.cancel()
        self.timer = self.container.schedule(self.timeout, self)

    def on_timer_task(self, event):
        event.container.stop()

    def on_message(self, event):
        m = event.message
        body = m.body
        if isinstance(body, memoryview):
            body = bytes(body)
        record = {
            "id": str(m.id) if m.id is not None else None,
            "body": base64.b64encode(body).decode() if isinstance(body, (bytes, bytearray)) else None,
            "body_value": None if isinstance(body, (bytes, bytearray)) else repr(body),
            "inferred": bool(m.inferred),
            "content_type": str(m.content_type) if m.content_type else None,
            "correlation_id": (m.correlation_id.decode() if isinstance(m.correlation_id, bytes) else str(m.correlation_id))
            if m.correlation_id is not None
            else None,
            "reply_to": m.reply_to,
            "subject": m.subject,
            "creation_time_ms": int(round(m.creation_time * 1000)) if m.creation_time else None,
            "ttl_ms": int(round(m.ttl * 1000)) if m.ttl else None,
            "durable": bool(m.durable),
            "delivery_count": m.delivery_count,
            "properties": {str(k): (v if isinstance(v, (int, float, bool, str)) or v is None else repr(v)) for k, v in (m.properties or {}).items()},
            "annotations": {str(k): str(v) for k, v in (m.annotations or {}).items()},
        }
        print(json.dumps(record), flush=True)
        self.received += 1
        self.ids.add(record["id"])
        self.arm()
        if (len(self.ids) if self.unique else self.received) >= self.count:
            self.timer.cancel()
            event.connection.close()


def main():
    # A parent that ignores SIGTERM passes that on through exec: take the default back.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve")
    serve.add_argument("--port", type=int, default=0)
    serve.add_argument("--idle-timeout", type=float, default=0)
    send = sub.add_parser("send")
    send.add_argument("--url", required=True)
    send.add_argument("--address", required=True)
    send.add_argument("--count", type=int, required=True)
    send.add_argument("--start", type=int, default=0)
    send.add_argument("--tag", default=uuid.uuid4().hex[:8])
    receive = sub.add_parser("receive")
    receive.add_argument("--url", required=True)
    receive.add_argument("--address", required=True)
    receive.add_argument("--count", type=int, required=True)
    receive.add_argument("--timeout", type=float, default=10)
    receive.add_argument("--unique", action="store_true", help="count distinct message ids, not messages")
    args = parser.parse_args()
    if args.command == "serve":
        Container(Broker(args.port or free_port(), args.idle_timeout)).run()
    elif args.command == "send":
        sender = Sender(args.url, args.address, args.count, args.start, args.tag)
        Container(sender).run()
        print("sent %d" % sender.confirmed, flush=True)
        if sender.failed:
            print("failed %d" % len(sender.failed), file=sys.stderr, flush=True)
            sys.exit(1)
    else:
        receiver = Receiver(args.url, args.address, args.count, args.timeout, args.unique)
        Container(receiver).run()
        print(json.dumps({"done": receiver.received}), flush=True)


if __name__ == "__main__":
    main()
