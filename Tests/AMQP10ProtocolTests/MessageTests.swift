import AMQP10Protocol
import NIOCore
import Testing

/// The message format: every section, random messages, section order, and the bytes of a
/// known message.
@Suite(.serialized, .timeLimit(.minutes(1))) struct MessageTests {
    @Test func randomMessagesRoundTrip() throws {
        var random = RandomAMQP10(seed: 0x3E55_A6E)
        for _ in 0 ..< 1500 {
            let message = random.message()
            #expect(try AMQP10Message(decoding: message.encoded()) == message)
        }
    }

    @Test func aFullMessageHasTheSpecBytes() throws {
        let message = AMQP10Message(
            header: AMQP10Header(durable: true),
            messageAnnotations: [.symbol("x-opt-k"): .string("v")],
            properties: AMQP10Properties(messageID: .ulong(7), to: "q", contentType: "text/plain", creationTime: 1000),
            applicationProperties: [.string("n"): .int(-1)],
            body: .data([ByteBuffer(string: "hi")])
        )
        let expected = [
            "005370c0020141",  // header: durable
            "005372c10d02a307782d6f70742d6ba10176",  // message-annotations
            "005373c0210a5307 40 a10171 40 40 40 a30a746578742f706c61696e 40 40 8300000000000003e8",  // properties
            "005374c10602a1016e54ff",  // application-properties
            "005375a0026869",  // data
        ].joined().filter { $0 != " " }
        #expect(hex(try message.encoded()) == expected)
        #expect(try AMQP10Message(decoding: bytes(hex: expected)) == message)
        #expect(message.data == ByteBuffer(string: "hi"))
    }

    @Test func bodyKinds() throws {
        // Several data sections; the joined bytes.
        let data = AMQP10Message(body: .data([ByteBuffer(string: "ab"), ByteBuffer(), ByteBuffer(string: "c")]))
        let decoded = try AMQP10Message(decoding: data.encoded())
        #expect(decoded == data)
        #expect(decoded.data == ByteBuffer(string: "abc"))
        // Several amqp-sequence sections.
        let sequence = AMQP10Message(body: .sequence([[.uint(1)], [], [.string("x"), .null]]))
        #expect(try AMQP10Message(decoding: sequence.encoded()) == sequence)
        #expect(sequence.data == nil)
        // One amqp-value of any type, a null included.
        for value: AMQP10Value in [.null, .string("text"), .map([.string("k"): .list([])]), .binary(ByteBuffer(bytes: [0]))] {
            let message = AMQP10Message(body: .value(value))
            #expect(try AMQP10Message(decoding: message.encoded()) == message)
        }
        // No body section at all: an empty data body.
        let bare = try AMQP10Message(decoding: bytes(hex: "005370c0020141"))
        #expect(bare.body == .data([]))
        #expect(bare.header?.durable == true)
    }

    @Test func messageAndCorrelationIDsOfEveryType() throws {
        let ids: [AMQP10MessageID] = [
            .ulong(.max), .uuid(AMQP10UUID("01234567-89ab-cdef-0123-456789abcdef")!),
            .binary(ByteBuffer(bytes: [0, 255])), .string("id-ü"),
        ]
        for id in ids {
            let message = AMQP10Message(properties: AMQP10Properties(messageID: id, correlationID: id), body: .data([ByteBuffer()]))
            #expect(try AMQP10Message(decoding: message.encoded()).properties?.messageID == id)
            #expect(try AMQP10Message(decoding: message.encoded()).properties?.correlationID == id)
        }
        // A symbol is not a valid message-id.
        #expect(throws: AMQP10ProtocolError.invalidField(type: "amqp:properties:list", field: "message-id", found: "symbol")) {
            try AMQP10Message(decoding: bytes(hex: "005373c00401a30161"))
        }
    }

    @Test func sectionsOutOfOrderAreRefused() {
        let header = "005370c0020141"
        let properties = "005373c00201" + "40"
        let data = "005375a0026869"
        let value = "00537740"
        let sequence = "00537645"
        let footer = "005378c10100"
        let refused = [
            properties + header,
            header + header,
            data + properties,
            data + value,
            value + value,
            value + data,
            sequence + data,
            footer + data,
            footer + footer,
        ]
        for hexString in refused {
            #expect(throws: AMQP10ProtocolError.self, "\(hexString)") { try AMQP10Message(decoding: bytes(hex: hexString)) }
        }
        #expect(throws: AMQP10ProtocolError.unexpectedDescriptor(expected: "message section", found: "0x14")) {
            try AMQP10Message(decoding: bytes(hex: "00531445"))
        }
        #expect(throws: AMQP10ProtocolError.unexpectedDescriptor(expected: "message section", found: "binary")) {
            try AMQP10Message(decoding: bytes(hex: "a0026869"))
        }
        #expect(throws: AMQP10ProtocolError.invalidField(type: "amqp:data:binary", field: "(body)", found: "string")) {
            try AMQP10Message(decoding: bytes(hex: "005375a1026869"))
        }
    }

    @Test func applicationPropertiesKeepTheirOrder() throws {
        var properties = AMQP10Map()
        for name in ["z", "a", "m", "b"] { properties[string: name] = .string(name) }
        let message = AMQP10Message(applicationProperties: properties, body: .data([ByteBuffer()]))
        let decoded = try AMQP10Message(decoding: message.encoded())
        #expect(decoded.applicationProperties?.entries.map(\.key) == ["z", "a", "m", "b"].map { .string($0) })
    }
}
