import AMQP10Protocol
import NIOCore
import Testing

/// Performatives and SASL frames: random round trips through whole frames, spec defaults,
/// the symbolic descriptors, and field errors.
@Suite(.serialized, .timeLimit(.minutes(1))) struct PerformativeTests {
    @Test func randomFramesRoundTrip() throws {
        var random = RandomAMQP10(seed: 0xF4A_3E5)
        for _ in 0 ..< 2000 {
            let frame = random.frame()
            #expect(try roundTrip(frame) == frame)
        }
        // Every performative at least 50 times, so none is left to chance.
        for kind in 0 ..< 9 {
            for _ in 0 ..< 50 {
                let frame = AMQP10Frame(channel: 3, random.performative(kind))
                #expect(try roundTrip(frame) == frame)
            }
        }
        for kind in 0 ..< 5 {
            for _ in 0 ..< 30 {
                let frame = AMQP10Frame(random.sasl(kind))
                #expect(try roundTrip(frame) == frame)
            }
        }
    }

    @Test func defaultsAreLeftOffAndReadBack() throws {
        // open with only the mandatory container-id: one field in the list.
        let open = AMQP10Open(containerID: "c")
        #expect(hex(try open.value.encoded()) == "005310c00401a10163")
        let decoded = try AMQP10Open(try decodeValue(bytes(hex: "005310c00401a10163")))
        #expect(decoded.maxFrameSize == .max)
        #expect(decoded.channelMax == .max)
        #expect(decoded.idleTimeOut == nil)
        #expect(decoded.offeredCapabilities.isEmpty)

        // attach: snd-settle-mode mixed, rcv-settle-mode first, no source/target.
        let attach = try AMQP10Attach(try decodeValue(bytes(hex: "005312c00903a1046c696e6b43 41")))
        #expect(attach == AMQP10Attach(name: "link", handle: 0, role: .receiver))
        #expect(attach.sndSettleMode == .mixed)
        #expect(attach.rcvSettleMode == .first)

        // A source with only an address: durable none, expiry session-end, timeout 0.
        let source = try AMQP10Source(try decodeValue(bytes(hex: "005328c00301a100")))
        #expect(source == AMQP10Source(address: ""))
        #expect(source.expiryPolicy == .sessionEnd)

        // Explicit nulls in the middle and trailing fields left off read the same.
        let flow = try AMQP10Flow(try decodeValue(bytes(hex: "005313c0090640520a43520a4043")))
        #expect(flow == AMQP10Flow(incomingWindow: 10, nextOutgoingID: 0, outgoingWindow: 10, deliveryCount: 0))
        let header = try AMQP10Header(try decodeValue(bytes(hex: "00537045")))
        #expect(header == AMQP10Header())
        #expect(header.priority == 4)
    }

    @Test func symbolicDescriptorsAreAccepted() throws {
        // close as amqp:close:list with an error described as amqp:error:list.
        var wire = ByteBuffer()
        try AMQP10Value.described(
            descriptor: .symbol("amqp:close:list"),
            value: .list([.described(descriptor: .symbol("amqp:error:list"), value: .list([.symbol("amqp:not-found"), .string("gone")]))])
        ).encode(into: &wire)
        let performative = try AMQP10Performative.decode(from: &wire)
        #expect(performative == .close(AMQP10Close(error: AMQP10Error(condition: "amqp:not-found", description: "gone"))))
        var state = ByteBuffer()
        try AMQP10Value.described(descriptor: .symbol("amqp:accepted:list"), value: .list([])).encode(into: &state)
        #expect(try AMQP10DeliveryState(decodeValue(state)) == .accepted)
    }

    @Test func deliveryStatesRoundTrip() throws {
        let states: [AMQP10DeliveryState] = [
            .accepted, .released, .rejected(nil),
            .rejected(AMQP10Error(condition: AMQP10Error.Condition.decodeError, description: "bad", info: [.symbol("k"): .uint(1)])),
            .modified(), .modified(deliveryFailed: true), .modified(deliveryFailed: true, undeliverableHere: true, messageAnnotations: [.symbol("x-opt-a"): .string("b")]),
            .received(sectionNumber: 2, sectionOffset: 1000),
            .other(.described(descriptor: .ulong(0x34), value: .list([.binary(ByteBuffer(bytes: [1]))]))),
        ]
        for state in states {
            #expect(try AMQP10DeliveryState(roundTrip(state.value)) == state)
        }
        #expect(hex(try AMQP10DeliveryState.accepted.value.encoded()) == "00532445")
        #expect(hex(try AMQP10DeliveryState.modified(deliveryFailed: true).value.encoded()) == "005327c0020141")
        #expect(AMQP10DeliveryState.accepted.isOutcome)
        #expect(!AMQP10DeliveryState.received(sectionNumber: 0, sectionOffset: 0).isOutcome)
    }

    @Test func saslPlainAndAnonymous() throws {
        let plain = AMQP10SASLInit.plain(username: "guest", password: "secret")
        #expect(plain.mechanism == "PLAIN")
        #expect(hex(plain.initialResponse!) == "00" + "6775657374" + "00" + "736563726574")
        // The frame: type 1 (SASL), channel 0.
        let wire = try AMQP10Frame(.initial(plain)).encoded()
        #expect(hex(wire) == "0000002402010000005341c01702a305504c41494ea00d00677565737400736563726574")
        #expect(try roundTrip(AMQP10Frame(.initial(plain))) == AMQP10Frame(.initial(plain)))
        #expect(AMQP10SASLInit.anonymous().initialResponse == ByteBuffer())
    }

    @Test func fieldErrorsNameTheTypeAndField() {
        let cases: [(String, AMQP10ProtocolError)] = [
            // open without container-id
            ("005310 45", .missingMandatoryField(type: "amqp:open:list", field: "container-id")),
            // open with a uint container-id
            ("005310c0020143", .invalidField(type: "amqp:open:list", field: "container-id", found: "uint")),
            // attach with snd-settle-mode 7
            ("005312c00804a1016e434150 07", .invalidFieldValue(type: "amqp:attach:list", field: "snd-settle-mode", value: "7")),
            // source with an unknown expiry policy
            ("005328c008034040a30378797a", .invalidFieldValue(type: "amqp:source:list", field: "expiry-policy", value: "xyz")),
            // begin whose body is a map, not a list
            ("005311c10100", .invalidField(type: "amqp:begin:list", field: "(body)", found: "map")),
            // a described value that is no performative
            ("005399 45", .unexpectedDescriptor(expected: "performative", found: "0x99")),
            // a performative that is not described at all
            ("45", .unexpectedDescriptor(expected: "performative", found: "list")),
            // sasl-outcome code 9
            ("005344c003015009", .invalidFieldValue(type: "amqp:sasl-outcome:list", field: "code", value: "9")),
        ]
        for (hexString, error) in cases {
            #expect(throws: error, "\(hexString)") {
                var buffer = bytes(hex: hexString)
                if hexString.hasPrefix("005344") {
                    _ = try AMQP10SASLPerformative.decode(from: &buffer)
                } else if hexString.hasPrefix("005328") {
                    _ = try AMQP10Source(decodeValue(buffer))
                } else {
                    _ = try AMQP10Performative.decode(from: &buffer)
                }
            }
        }
    }

    @Test func multipleSymbolFieldsAcceptOneSymbolOrAnArray() throws {
        // offered-capabilities as a single symbol, desired-capabilities as an array.
        var fields: [AMQP10Value] = [.string("c"), .null, .null, .null, .null, .null, .null]
        fields += [.symbol("ANONYMOUS-RELAY"), .array([.symbol("a"), .symbol("b")])]
        let open = try AMQP10Open(.described(descriptor: .ulong(0x10), value: .list(fields)))
        #expect(open.offeredCapabilities == ["ANONYMOUS-RELAY"])
        #expect(open.desiredCapabilities == ["a", "b"])
        #expect(throws: AMQP10ProtocolError.invalidField(type: "amqp:open:list", field: "offered-capabilities", found: "array")) {
            var bad = fields
            bad[7] = .array([.string("x")])
            _ = try AMQP10Open(.described(descriptor: .ulong(0x10), value: .list(bad)))
        }
    }
}
