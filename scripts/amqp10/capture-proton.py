#!/usr/bin/python3
"""Captures the AMQP 1.0 bytes between python-qpid-proton and RabbitMQ's AMQP 1.0 plugin.

A TCP proxy on 127.0.0.1 records both directions while a proton client (BlockingConnection,
SASL PLAIN guest/guest, max-frame-size 512 so RabbitMQ splits deliveries to it) publishes
three messages to a fresh queue and consumes them back. Prints the frames of each direction
as hex, one frame per line, for Tests/AMQP10ProtocolTests/CapturedFrames.swift.

Run: /usr/bin/python3 scripts/amqp10/capture-proton.py [host:port] [MECHANISM]
     (default 127.0.0.1:5672 PLAIN, user guest/guest; ANONYMOUS for
     Tests/IntegrationTests/Support/amqp10_broker.py serve)
Then, on RabbitMQ, delete the queue it names (stderr) with `$RABBITMQCTL delete_queue NAME`.
"""
import socket
import sys
import threading
import uuid

from proton import Message, symbol, ulong
from proton.utils import BlockingConnection

upstream = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:5672"
mechanism = sys.argv[2] if len(sys.argv) > 2 else "PLAIN"
up_host, up_port = upstream.rsplit(":", 1)
recorded = {"client": bytearray(), "server": bytearray()}

listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(1)
port = listener.getsockname()[1]


def pump(source, sink, key):
    while True:
        try:
            data = source.recv(65536)
        except OSError:
            data = b""
        if not data:
            try:
                sink.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            return
        recorded[key] += data
        sink.sendall(data)


def proxy():
    client, _ = listener.accept()
    server = socket.create_connection((up_host, int(up_port)))
    threads = [
        threading.Thread(target=pump, args=(client, server, "client")),
        threading.Thread(target=pump, args=(server, client, "server")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


proxy_thread = threading.Thread(target=proxy)
proxy_thread.start()

queue = "amqp10-capture-" + uuid.uuid4().hex[:8]
print("queue:", queue, file=sys.stderr)
connection = BlockingConnection(
    "amqp://127.0.0.1:%d" % port, allowed_mechs=mechanism,
    **({"user": "guest", "password": "guest"} if mechanism == "PLAIN" else {}),
    max_frame_size=512, container_id="capture-client", virtual_host="/",
)
sender = connection.create_sender("/queue/" + queue)
sender.send(Message(
    id="id-1", correlation_id=uuid.UUID("01234567-89ab-cdef-0123-456789abcdef"), subject="subj",
    reply_to="/queue/replies", content_type="text/plain", creation_time=1700000000.5,
    durable=True, priority=7, ttl=60,
    properties={"k": "v", "n": 7, "f": 1.5, "b": True},
    annotations={symbol("x-opt-a"): "b"},
    body="hello",
))
sender.send(Message(id=ulong(42), body=bytes(range(256)) * 8))
sender.send(Message(id=uuid.UUID("f81d4fae-7dec-11d0-a765-00a0c91e6bf6"), body=[1, "two", None], inferred=True))
receiver = connection.create_receiver("/queue/" + queue, credit=10)
for _ in range(3):
    receiver.receive(timeout=10)
    receiver.accept()
connection.close()
proxy_thread.join()


def frames(data):
    out = []
    while data:
        if data[:4] == b"AMQP":
            out.append(bytes(data[:8]))
            data = data[8:]
            continue
        size = int.from_bytes(data[:4], "big")
        out.append(bytes(data[:size]))
        data = data[size:]
    return out


for key in ("client", "server"):
    print("//", key)
    for frame in frames(recorded[key]):
        print('        "%s",' % frame.hex())
