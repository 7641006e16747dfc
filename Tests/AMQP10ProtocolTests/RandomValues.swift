import AMQP10Protocol
import NIOCore

/// Random valid values, performatives and messages, for round-trip properties and as seeds
/// for the fuzz tests.
struct RandomAMQP10 {
    var rng: SplitMix64

    init(seed: UInt64) { self.rng = SplitMix64(seed: seed) }

    mutating func bool() -> Bool { self.rng.bool() }
    mutating func pick<T>(_ values: [T]) -> T { values[self.rng.below(values.count)] }
    mutating func maybe<T>(_ make: (inout RandomAMQP10) -> T) -> T? { self.rng.below(3) == 0 ? nil : make(&self) }

    /// Integers biased to the boundaries of the compact forms.
    mutating func u32() -> UInt32 {
        self.pick([0, 1, 255, 256, UInt32.max, UInt32(truncatingIfNeeded: self.rng.next()), UInt32(self.rng.below(300))])
    }

    mutating func u64() -> UInt64 {
        self.pick([0, 1, 255, 256, UInt64.max, self.rng.next(), UInt64(self.rng.below(300))])
    }

    mutating func i32() -> Int32 {
        self.pick([0, -1, 127, 128, -128, -129, .min, .max, Int32(truncatingIfNeeded: self.rng.next())])
    }

    mutating func i64() -> Int64 {
        self.pick([0, -1, 127, 128, -128, -129, .min, .max, Int64(bitPattern: self.rng.next())])
    }

    mutating func string(max: Int = 12) -> String {
        let pieces = ["a", "b", "z", "/", "-", "ü", "€", "😀", " ", "$", "A", "0", "\u{0}"]
        return (0 ..< self.rng.below(max + 1)).map { _ in self.pick(pieces) }.joined()
    }

    mutating func symbol() -> String {
        let pieces = ["amqp:", "x-opt-", "a", "b", ":", "-", "Z", "9"]
        return (0 ..< self.rng.below(6)).map { _ in self.pick(pieces) }.joined()
    }

    mutating func symbols() -> [String] { (0 ..< self.rng.below(4)).map { _ in self.symbol() } }

    mutating func bytes(max: Int = 16) -> ByteBuffer {
        ByteBuffer(bytes: (0 ..< self.rng.below(max + 1)).map { _ in self.rng.byte() })
    }

    /// A long string or binary now and then, to reach the 32-bit forms.
    mutating func length() -> Int { self.rng.below(10) == 0 ? 250 + self.rng.below(20) : 12 }

    mutating func uuid() -> AMQP10UUID { AMQP10UUID(high: self.rng.next(), low: self.rng.next()) }

    mutating func float() -> Float {
        // No NaN: NaN != NaN would fail the equality check of a correct round trip.
        self.pick([0, -0.5, 1.5, .infinity, -.infinity, .greatestFiniteMagnitude, Float(self.rng.below(1000)) / 7])
    }

    mutating func double() -> Double {
        self.pick([0, -0.25, 3.5, .infinity, .leastNonzeroMagnitude, Double(self.rng.below(100_000)) / 13])
    }

    /// Any scalar (non-compound) value.
    mutating func scalar() -> AMQP10Value {
        switch self.rng.below(22) {
        case 0: .null
        case 1: .boolean(self.bool())
        case 2: .ubyte(self.rng.byte())
        case 3: .ushort(UInt16(truncatingIfNeeded: self.rng.next()))
        case 4: .uint(self.u32())
        case 5: .ulong(self.u64())
        case 6: .byte(Int8(bitPattern: self.rng.byte()))
        case 7: .short(Int16(truncatingIfNeeded: self.rng.next()))
        case 8: .int(self.i32())
        case 9: .long(self.i64())
        case 10: .float(self.float())
        case 11: .double(self.double())
        case 12: .decimal32(UInt32(truncatingIfNeeded: self.rng.next()))
        case 13: .decimal64(self.rng.next())
        case 14: .decimal128(high: self.rng.next(), low: self.rng.next())
        case 15: .char(self.pick(["a", "ü", "😀", "\u{0}", "\u{10FFFF}"]))
        case 16: .timestamp(self.i64())
        case 17: .uuid(self.uuid())
        case 18: .binary(self.bytes(max: self.length()))
        case 19: .string(self.string(max: self.length()))
        default: .symbol(self.symbol())
        }
    }

    /// Any value, compounds nested up to `depth`.
    mutating func value(depth: Int = 3) -> AMQP10Value {
        guard depth > 0 else { return self.scalar() }
        switch self.rng.below(10) {
        case 0: return .list((0 ..< self.rng.below(5)).map { _ in self.value(depth: depth - 1) })
        case 1: return .map(self.map(depth: depth - 1))
        case 2: return .array(self.array(depth: depth - 1))
        case 3: return .described(descriptor: self.bool() ? .ulong(self.u64()) : .symbol(self.symbol()), value: self.value(depth: depth - 1))
        case 4 where self.rng.below(8) == 0:
            // A list of more than 255 bytes or elements: the 32-bit form.
            return .list((0 ..< 260).map { _ in .uint(self.u32()) })
        default: return self.scalar()
        }
    }

    mutating func map(depth: Int = 1) -> AMQP10Map {
        var map = AMQP10Map()
        for _ in 0 ..< self.rng.below(4) {
            map[self.scalar()] = self.value(depth: depth)
        }
        return map
    }

    /// A homogeneous array: all elements of one type (and one descriptor).
    mutating func array(depth: Int) -> [AMQP10Value] {
        let count = self.rng.below(5)
        let kind = self.rng.below(depth > 0 ? 12 : 9)
        let descriptor: AMQP10Value? = self.rng.below(6) == 0 ? .ulong(UInt64(self.rng.below(300))) : nil
        let elements: [AMQP10Value] = (0 ..< count).map { _ in
            switch kind {
            case 0: .boolean(self.bool())
            case 1: .uint(self.u32())
            case 2: .ulong(self.u64())
            case 3: .int(self.i32())
            case 4: .long(self.i64())
            case 5: .symbol(self.symbol())
            case 6: .string(self.string(max: self.length()))
            case 7: .binary(self.bytes(max: self.length()))
            case 8: .uuid(self.uuid())
            case 9: .list((0 ..< self.rng.below(3)).map { _ in self.value(depth: depth - 1) })
            case 10: .map(self.map(depth: depth - 1))
            default: .array(self.array(depth: depth - 1))
            }
        }
        guard let descriptor, !elements.isEmpty else { return elements }
        return elements.map { .described(descriptor: descriptor, value: $0) }
    }

    mutating func fields() -> AMQP10Map? {
        self.maybe { random in
            var map = AMQP10Map()
            for _ in 0 ..< random.rng.below(3) { map[symbol: random.symbol()] = random.value(depth: 1) }
            return map
        }
    }

    mutating func error() -> AMQP10Error {
        AMQP10Error(condition: self.pick([AMQP10Error.Condition.notFound, AMQP10Error.Condition.internalError, self.symbol()]),
                    description: self.maybe { $0.string() }, info: self.fields())
    }

    mutating func deliveryState() -> AMQP10DeliveryState {
        switch self.rng.below(6) {
        case 0: .accepted
        case 1: .rejected(self.maybe { $0.error() })
        case 2: .released
        case 3: .modified(deliveryFailed: self.bool(), undeliverableHere: self.bool(), messageAnnotations: self.fields())
        case 4: .received(sectionNumber: self.u32(), sectionOffset: self.u64())
        default: .other(.described(descriptor: .ulong(0x34), value: .list([.binary(self.bytes())])))
        }
    }

    mutating func source() -> AMQP10Source {
        AMQP10Source(
            address: self.maybe { $0.string() },
            durable: self.pick(AMQP10TerminusDurability.allCases),
            expiryPolicy: self.pick(AMQP10TerminusExpiryPolicy.allCases),
            timeout: self.u32(),
            dynamic: self.bool(),
            dynamicNodeProperties: self.fields(),
            distributionMode: self.maybe { $0.pick(["move", "copy"]) },
            filter: self.maybe { random in
                [.symbol("jms-selector"): .described(descriptor: .ulong(0x0000_468C_0000_0004), value: .string(random.string()))]
            },
            defaultOutcome: self.maybe { $0.deliveryState() },
            outcomes: self.symbols(),
            capabilities: self.symbols()
        )
    }

    mutating func target() -> AMQP10Target {
        AMQP10Target(
            address: self.maybe { $0.string() },
            durable: self.pick(AMQP10TerminusDurability.allCases),
            expiryPolicy: self.pick(AMQP10TerminusExpiryPolicy.allCases),
            timeout: self.u32(),
            dynamic: self.bool(),
            dynamicNodeProperties: self.fields(),
            capabilities: self.symbols()
        )
    }

    mutating func performative(_ kind: Int) -> AMQP10Performative {
        switch kind {
        case 0:
            return .open(AMQP10Open(
                containerID: self.string(), hostname: self.maybe { $0.string() }, maxFrameSize: self.u32(),
                channelMax: UInt16(truncatingIfNeeded: self.rng.next()), idleTimeOut: self.maybe { $0.u32() },
                outgoingLocales: self.symbols(), incomingLocales: self.symbols(), offeredCapabilities: self.symbols(),
                desiredCapabilities: self.symbols(), properties: self.fields()))
        case 1:
            return .begin(AMQP10Begin(
                remoteChannel: self.maybe { UInt16(truncatingIfNeeded: $0.rng.next()) }, nextOutgoingID: self.u32(),
                incomingWindow: self.u32(), outgoingWindow: self.u32(), handleMax: self.u32(),
                offeredCapabilities: self.symbols(), desiredCapabilities: self.symbols(), properties: self.fields()))
        case 2:
            return .attach(AMQP10Attach(
                name: self.string(), handle: self.u32(), role: self.bool() ? .sender : .receiver,
                sndSettleMode: self.pick(AMQP10SenderSettleMode.allCases), rcvSettleMode: self.pick(AMQP10ReceiverSettleMode.allCases),
                source: self.maybe { $0.source() }, target: self.maybe { $0.target() },
                unsettled: self.maybe { random in [.binary(random.bytes()): random.deliveryState().value] },
                incompleteUnsettled: self.bool(), initialDeliveryCount: self.maybe { $0.u32() },
                maxMessageSize: self.maybe { $0.u64() }, offeredCapabilities: self.symbols(),
                desiredCapabilities: self.symbols(), properties: self.fields()))
        case 3:
            return .flow(AMQP10Flow(
                nextIncomingID: self.maybe { $0.u32() }, incomingWindow: self.u32(), nextOutgoingID: self.u32(),
                outgoingWindow: self.u32(), handle: self.maybe { $0.u32() }, deliveryCount: self.maybe { $0.u32() },
                linkCredit: self.maybe { $0.u32() }, available: self.maybe { $0.u32() }, drain: self.bool(), echo: self.bool(),
                properties: self.fields()))
        case 4:
            return .transfer(AMQP10Transfer(
                handle: self.u32(), deliveryID: self.maybe { $0.u32() }, deliveryTag: self.maybe { $0.bytes(max: 32) },
                messageFormat: self.maybe { $0.u32() }, settled: self.maybe { $0.bool() }, more: self.bool(),
                rcvSettleMode: self.maybe { $0.pick(AMQP10ReceiverSettleMode.allCases) }, state: self.maybe { $0.deliveryState() },
                resume: self.bool(), aborted: self.bool(), batchable: self.bool(), payload: self.bytes(max: 300)))
        case 5:
            return .disposition(AMQP10Disposition(
                role: self.bool() ? .sender : .receiver, first: self.u32(), last: self.maybe { $0.u32() }, settled: self.bool(),
                state: self.maybe { $0.deliveryState() }, batchable: self.bool()))
        case 6:
            return .detach(AMQP10Detach(handle: self.u32(), closed: self.bool(), error: self.maybe { $0.error() }))
        case 7:
            return .end(AMQP10End(error: self.maybe { $0.error() }))
        default:
            return .close(AMQP10Close(error: self.maybe { $0.error() }))
        }
    }

    mutating func sasl(_ kind: Int) -> AMQP10SASLPerformative {
        switch kind {
        case 0: .mechanisms(AMQP10SASLMechanisms(mechanisms: self.symbols()))
        case 1: .initial(AMQP10SASLInit(mechanism: self.symbol(), initialResponse: self.maybe { $0.bytes() }, hostname: self.maybe { $0.string() }))
        case 2: .challenge(AMQP10SASLChallenge(challenge: self.bytes()))
        case 3: .response(AMQP10SASLResponse(response: self.bytes()))
        default: .outcome(AMQP10SASLOutcome(code: self.pick(AMQP10SASLCode.allCases), additionalData: self.maybe { $0.bytes() }))
        }
    }

    mutating func frame() -> AMQP10Frame {
        switch self.rng.below(12) {
        case 0: return .heartbeat
        case 1, 2: return AMQP10Frame(self.sasl(self.rng.below(5)))
        default: return AMQP10Frame(channel: UInt16(truncatingIfNeeded: self.rng.next()), self.performative(self.rng.below(9)))
        }
    }

    mutating func messageID() -> AMQP10MessageID {
        switch self.rng.below(4) {
        case 0: .ulong(self.u64())
        case 1: .uuid(self.uuid())
        case 2: .binary(self.bytes())
        default: .string(self.string())
        }
    }

    mutating func message() -> AMQP10Message {
        let body: AMQP10Message.Body
        switch self.rng.below(3) {
        case 0: body = .data((0 ..< self.rng.below(3)).map { _ in self.bytes(max: self.length() * 4) })
        case 1: body = .value(self.value())
        default: body = .sequence((1 ... 1 + self.rng.below(2)).map { _ in (0 ..< self.rng.below(3)).map { _ in self.value(depth: 1) } })
        }
        return AMQP10Message(
            header: self.maybe { random in
                AMQP10Header(durable: random.bool(), priority: random.rng.byte(), ttl: random.maybe { $0.u32() },
                             firstAcquirer: random.bool(), deliveryCount: random.u32())
            },
            deliveryAnnotations: self.fields(),
            messageAnnotations: self.fields(),
            properties: self.maybe { random in
                AMQP10Properties(
                    messageID: random.maybe { $0.messageID() }, userID: random.maybe { $0.bytes() }, to: random.maybe { $0.string() },
                    subject: random.maybe { $0.string() }, replyTo: random.maybe { $0.string() },
                    correlationID: random.maybe { $0.messageID() }, contentType: random.maybe { $0.symbol() },
                    contentEncoding: random.maybe { $0.symbol() }, absoluteExpiryTime: random.maybe { $0.i64() },
                    creationTime: random.maybe { $0.i64() }, groupID: random.maybe { $0.string() },
                    groupSequence: random.maybe { $0.u32() }, replyToGroupID: random.maybe { $0.string() })
            },
            applicationProperties: self.maybe { random in
                var map = AMQP10Map()
                for _ in 0 ..< random.rng.below(4) { map[string: random.string()] = random.scalar() }
                return map
            },
            body: body,
            footer: self.fields()
        )
    }
}
