import AMQPProtocol
import NIOCore
import Testing

@Suite struct MethodTests {
    @Test func everyMethodRoundTripsWithRandomArguments() throws {
        var rng = SeededGenerator(seed: 0x6D65_7468)
        var checked = 0
        for _ in 0 ..< 300 {
            for method in Method.randomOfEach(using: &rng) {
                var buffer = ByteBuffer()
                try method.encode(into: &buffer)
                let bytes = buffer
                let decoded = try Method.decode(from: &buffer)
                #expect(decoded == method, "\(method.name)")
                #expect(buffer.readableBytes == 0, "\(method.name) left bytes")
                var again = ByteBuffer()
                try decoded.encode(into: &again)
                #expect(again == bytes, "\(method.name) re-encodes differently")
                checked += 1
            }
        }
        #expect(checked == 300 * Method.specMethodCount)
    }

    @Test func everyClassAndMethodTheBriefNamesIsPresentOnce() throws {
        var rng = SeededGenerator(seed: 1)
        let methods = Method.randomOfEach(using: &rng)
        let names = Set(methods.map(\.name))
        #expect(names.count == methods.count)
        let ids = Set(methods.map { "\($0.classID).\($0.methodID)" })
        #expect(ids.count == methods.count)
        let required = [
            "connection.start", "connection.start-ok", "connection.secure", "connection.secure-ok",
            "connection.tune", "connection.tune-ok", "connection.open", "connection.open-ok",
            "connection.close", "connection.close-ok", "connection.blocked", "connection.unblocked",
            "connection.update-secret", "connection.update-secret-ok",
            "channel.open", "channel.open-ok", "channel.flow", "channel.flow-ok", "channel.close", "channel.close-ok",
            "exchange.declare", "exchange.declare-ok", "exchange.delete", "exchange.delete-ok",
            "exchange.bind", "exchange.bind-ok", "exchange.unbind", "exchange.unbind-ok",
            "queue.declare", "queue.declare-ok", "queue.bind", "queue.bind-ok", "queue.purge", "queue.purge-ok",
            "queue.delete", "queue.delete-ok", "queue.unbind", "queue.unbind-ok",
            "basic.qos", "basic.qos-ok", "basic.consume", "basic.consume-ok", "basic.cancel", "basic.cancel-ok",
            "basic.publish", "basic.return", "basic.deliver", "basic.get", "basic.get-ok", "basic.get-empty",
            "basic.ack", "basic.reject", "basic.recover-async", "basic.recover", "basic.recover-ok", "basic.nack",
            "confirm.select", "confirm.select-ok",
            "tx.select", "tx.select-ok", "tx.commit", "tx.commit-ok", "tx.rollback", "tx.rollback-ok",
        ]
        for name in required {
            #expect(names.contains(name), "\(name) missing")
        }
        #expect(Set(required) == names)
        let content = Set(methods.filter(\.hasContent).map(\.name))
        #expect(content == ["basic.publish", "basic.return", "basic.deliver", "basic.get-ok"])
    }

    /// queue.declare packs passive, durable, exclusive, auto-delete, no-wait into one octet,
    /// passive in the lowest bit (spec 4.2.5.2).
    @Test func consecutiveBitsShareOneOctetLowBitFirst() throws {
        for bit in 0 ..< 5 {
            let flags = (0 ..< 5).map { $0 == bit }
            let method = Method.queueDeclare(QueueDeclare(
                queue: "q", passive: flags[0], durable: flags[1], exclusive: flags[2], autoDelete: flags[3], noWait: flags[4]
            ))
            var buffer = ByteBuffer()
            try method.encode(into: &buffer)
            // class 50, method 10, reserved short, "q", one octet of bits, empty table.
            let expected: String = "0032000a" + "0000" + "0171" + format2(1 << bit) + "00000000"
            #expect(hex(buffer) == expected)
        }
    }

    @Test func basicNackPacksMultipleAndRequeue() throws {
        var buffer = ByteBuffer()
        try Method.basicNack(BasicNack(deliveryTag: 0x0102_0304_0506_0708, multiple: false, requeue: true)).encode(into: &buffer)
        #expect(hex(buffer) == "003c0078" + "0102030405060708" + "02")
    }

    @Test func shortStringOver255BytesIsATypedError() throws {
        var buffer = ByteBuffer()
        let long = String(repeating: "é", count: 128)  // 256 bytes of UTF-8
        #expect(throws: AMQPProtocolError.shortStringTooLong(length: 256)) {
            try Method.queueDeclare(QueueDeclare(queue: long)).encode(into: &buffer)
        }
        var ok = ByteBuffer()
        try Method.queueDeclare(QueueDeclare(queue: String(repeating: "a", count: 255))).encode(into: &ok)
        var copy = ok
        #expect(try Method.decode(from: &copy) == .queueDeclare(QueueDeclare(queue: String(repeating: "a", count: 255))))
    }

    @Test func unknownMethodAndTruncatedArgumentsAreTypedErrors() throws {
        var unknown = bytes(hex: "003c00ff")
        #expect(throws: AMQPProtocolError.unknownMethod(classID: 60, methodID: 255)) { try Method.decode(from: &unknown) }
        var full = ByteBuffer()
        try Method.basicDeliver(BasicDeliver(consumerTag: "c", deliveryTag: 9, redelivered: true, exchange: "x", routingKey: "k")).encode(into: &full)
        for cut in 0 ..< full.readableBytes {
            var truncated = full.getSlice(at: 0, length: cut)!
            #expect(throws: AMQPProtocolError.self) { try Method.decode(from: &truncated) }
        }
    }
}

func format2(_ value: Int) -> String {
    let digits = String(value, radix: 16)
    return digits.count == 1 ? "0" + digits : digits
}
