#!/usr/bin/env python3
"""Captures frames from a real RabbitMQ for Tests/AMQPProtocolTests/CapturedFrames.swift.

    python3 scripts/amqp/capture-rabbitmq.py 127.0.0.1 5672 > Tests/AMQPProtocolTests/CapturedFrames.swift

Speaks just enough AMQP 0-9-1 over a raw socket (independently of the Swift codec, so the
tests compare our decoder with what the broker sends): handshake with frame-max 4096 so
that bodies are split, exclusive queues (gone when the connection closes), a publish with
a headers table of many types, basic.get of it, a reject that dead-letters it so the
broker adds x-death, basic.get-empty, and a mandatory publish that comes back as
basic.return. Prints each received frame's bytes as hex, grouped per step.
"""

import os
import socket
import struct
import sys
import time

host = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"
port = int(sys.argv[2]) if len(sys.argv) > 2 else 5672
sock = socket.create_connection((host, port), timeout=5)
buf = b""


def frame(kind, channel, payload):
    return struct.pack(">BHI", kind, channel, len(payload)) + payload + b"\xce"


def shortstr(s):
    b = s.encode()
    return struct.pack(">B", len(b)) + b


def longstr(b):
    if isinstance(b, str):
        b = b.encode()
    return struct.pack(">I", len(b)) + b


def value(v):
    kind, x = v
    if kind == "S":
        return b"S" + longstr(x)
    if kind == "F":
        return b"F" + table(x)
    if kind == "A":
        return b"A" + longstr(b"".join(value(e) for e in x))
    if kind == "V":
        return b"V"
    fmt = {"t": ">B", "b": ">b", "B": ">B", "s": ">h", "u": ">H", "I": ">i", "i": ">I",
           "l": ">q", "f": ">f", "d": ">d", "T": ">Q"}[kind]
    return kind.encode() + struct.pack(fmt, x)


def table(entries):
    return longstr(b"".join(shortstr(k) + value(v) for k, v in entries))


def method(channel, class_id, method_id, args=b""):
    sock.sendall(frame(1, channel, struct.pack(">HH", class_id, method_id) + args))


def read_frame():
    global buf
    while True:
        if len(buf) >= 7:
            kind, channel, size = struct.unpack(">BHI", buf[:7])
            if len(buf) >= size + 8:
                raw, buf = buf[: size + 8], buf[size + 8:]
                return raw
        chunk = sock.recv(65536)
        if not chunk:
            raise SystemExit("connection closed by the broker")
        buf += chunk


def read_until(class_method, extra_frames=0):
    """Reads frames up to the method (class, method) and `extra_frames` after it."""
    frames = []
    while True:
        raw = read_frame()
        frames.append(raw)
        if raw[0] == 1 and struct.unpack(">HH", raw[7:11]) == class_method:
            for _ in range(extra_frames):
                frames.append(read_frame())
            return frames


def read_content(class_method):
    """Reads a content method, its header, and body frames up to the declared size."""
    frames = read_until(class_method, extra_frames=1)
    size = struct.unpack(">Q", frames[-1][11:19])[0]
    got = 0
    while got < size:
        raw = read_frame()
        frames.append(raw)
        got += len(raw) - 8
    return frames


def properties(content_type, headers, delivery_mode, message_id, timestamp):
    flags = (1 << 15) | (1 << 13) | (1 << 12) | (1 << 7) | (1 << 6)
    return (struct.pack(">H", flags) + shortstr(content_type) + table(headers)
            + struct.pack(">B", delivery_mode) + shortstr(message_id) + struct.pack(">Q", timestamp))


def publish(channel, exchange, routing_key, mandatory, props, body, frame_max):
    args = struct.pack(">H", 0) + shortstr(exchange) + shortstr(routing_key) + struct.pack(">B", 1 if mandatory else 0)
    method(channel, 60, 40, args)
    sock.sendall(frame(2, channel, struct.pack(">HHQ", 60, 0, len(body)) + props))
    chunk = frame_max - 8
    for i in range(0, len(body), chunk):
        sock.sendall(frame(3, channel, body[i:i + chunk]))


captured = []  # (name, description, frames)


def keep(name, description, frames):
    captured.append((name, description, frames))


FRAME_MAX = 4096
suffix = f"{os.getpid()}"
main_queue = f"amqp-protocol-capture-{suffix}"
dead_queue = f"amqp-protocol-capture-dead-{suffix}"

sock.sendall(b"AMQP\x00\x00\x09\x01")
keep("connectionStart", "connection.start: server properties (nested capabilities table), mechanisms, locales",
     read_until((10, 10)))
method(0, 10, 11, table([("product", ("S", "amqp-protocol-capture"))]) + shortstr("PLAIN")
       + longstr(b"\x00guest\x00guest") + shortstr("en_US"))
tune = read_until((10, 30))
keep("connectionTune", "connection.tune", tune)
channel_max, = struct.unpack(">H", tune[-1][11:13])
method(0, 10, 31, struct.pack(">HIH", channel_max, FRAME_MAX, 0))
method(0, 10, 40, shortstr("/") + shortstr("") + b"\x00")
keep("connectionOpenOk", "connection.open-ok", read_until((10, 41)))

method(1, 20, 10, shortstr(""))
keep("channelOpenOk", "channel.open-ok (a reserved long string)", read_until((20, 11)))
method(1, 85, 10, b"\x00")
keep("confirmSelectOk", "confirm.select-ok", read_until((85, 11)))

# queue.declare: reserved, queue, bits (passive durable exclusive auto-delete no-wait), arguments.
method(1, 50, 10, struct.pack(">H", 0) + shortstr(dead_queue) + b"\x04" + table([]))
keep("queueDeclareOk", "queue.declare-ok", read_until((50, 11)))
method(1, 50, 10, struct.pack(">H", 0) + shortstr(main_queue) + b"\x04" + table([
    ("x-dead-letter-exchange", ("S", "")),
    ("x-dead-letter-routing-key", ("S", dead_queue)),
]))
read_until((50, 11))

headers = [
    ("string", ("S", "text ü")),
    ("bool", ("t", 1)),
    ("int8", ("b", -8)),
    ("uint8", ("B", 200)),
    ("int16", ("s", -1600)),
    ("uint16", ("u", 60000)),
    ("int32", ("I", -320000)),
    ("uint32", ("i", 4000000000)),
    ("int64", ("l", -6400000000)),
    ("float", ("f", 1.5)),
    ("double", ("d", -2.25)),
    ("timestamp", ("T", 1700000000)),
    ("void", ("V", None)),
    ("nested", ("F", [("inner", ("F", [("deep", ("S", "yes"))])), ("list", ("A", [("I", 1), ("S", "two")]))])),
    ("array", ("A", [("F", [("k", ("S", "v"))]), ("A", [("t", 0)])])),
]
body = bytes((i * 7) % 251 for i in range(5000))
props = properties("application/octet-stream", headers, 2, "capture-1", 1700000001)
publish(1, "", main_queue, True, props, body, FRAME_MAX)
keep("publishAck", "basic.ack confirming the publish", read_until((60, 80)))

# basic.get: reserved, queue, no-ack.
method(1, 60, 70, struct.pack(">H", 0) + shortstr(main_queue) + b"\x00")
got = read_content((60, 71))
keep("getOk", "basic.get-ok, content header with headers of every type, body of 5000 bytes in two frames", got)
# get-ok's delivery-tag follows the class and method ids directly.
delivery_tag, = struct.unpack(">Q", got[0][11:19])
method(1, 60, 90, struct.pack(">QB", delivery_tag, 0))  # reject, requeue=false: dead-letter

for _ in range(50):
    method(1, 60, 70, struct.pack(">H", 0) + shortstr(dead_queue) + b"\x00")
    frames = []
    raw = read_frame()
    frames.append(raw)
    if struct.unpack(">HH", raw[7:11]) == (60, 72):  # get-empty: not dead-lettered yet
        time.sleep(0.05)
        continue
    header = read_frame()
    frames.append(header)
    size = struct.unpack(">Q", header[11:19])[0]
    got = 0
    while got < size:
        raw = read_frame()
        frames.append(raw)
        got += len(raw) - 8
    keep("deadLettered", "basic.get-ok of the dead-lettered message: headers now hold x-death (array of tables)", frames)
    break
else:
    raise SystemExit("the rejected message was not dead-lettered")

method(1, 60, 70, struct.pack(">H", 0) + shortstr(dead_queue) + b"\x01")
keep("getEmpty", "basic.get-empty", read_until((60, 72)))

publish(1, "", f"no-such-queue-{suffix}", True, properties("text/plain", [], 1, "capture-2", 1700000002), b"", FRAME_MAX)
keep("returned", "basic.return (312 NO_ROUTE) of an empty body, its header, then basic.ack", read_until((60, 80)))

method(0, 10, 50, struct.pack(">H", 200) + shortstr("bye") + struct.pack(">HH", 0, 0))
keep("connectionCloseOk", "connection.close-ok", read_until((10, 51)))
sock.close()

print("// Generated by scripts/amqp/capture-rabbitmq.py: frames RabbitMQ sent, as received.")
print("")
print("enum CapturedFrames {")
for name, description, frames in captured:
    print(f"    /// {description}")
    print(f"    static let {name}: [String] = [")
    for raw in frames:
        print(f"        \"{raw.hex()}\",")
    print("    ]")
    print("")
print(f"    static let frameMax: UInt32 = {FRAME_MAX}")
print(f"    static let publishedBodyCount = {len(body)}")
print("}")
