/// A delivery state (messaging 3.4): the outcomes accepted, rejected, released, modified,
/// and the non-terminal received. Other described states (transactional-state, declared)
/// are kept as they came.
public enum AMQP10DeliveryState: Sendable, Hashable {
    /// Where a partially received delivery stands (for resuming).
    case received(sectionNumber: UInt32, sectionOffset: UInt64)
    /// Processed successfully.
    case accepted
    /// Invalid and unprocessable: do not redeliver.
    case rejected(AMQP10Error?)
    /// Not (and will not be) processed: may be redelivered.
    case released
    /// Released with changes: `deliveryFailed` increments the delivery-count,
    /// `undeliverableHere` asks not to redeliver to this link.
    case modified(deliveryFailed: Bool = false, undeliverableHere: Bool = false, messageAnnotations: AMQP10Map? = nil)
    /// Any other described delivery state, kept whole.
    case other(AMQP10Value)

    /// The described list of this state.
    public var value: AMQP10Value {
        switch self {
        case .received(let number, let offset):
            Self.described(0x23, [.uint(number), .ulong(offset)])
        case .accepted:
            Self.described(0x24, [])
        case .rejected(let error):
            Self.described(0x25, error.map { [$0.value] } ?? [])
        case .released:
            Self.described(0x26, [])
        case .modified(let failed, let undeliverable, let annotations):
            Self.described(0x27, [
                failed ? .boolean(true) : .null,
                undeliverable ? .boolean(true) : .null,
                .optional(annotations, AMQP10Value.map),
            ])
        case .other(let value):
            value
        }
    }

    private static func described(_ code: UInt64, _ fields: [AMQP10Value]) -> AMQP10Value {
        var fields = fields
        while fields.last == .null { fields.removeLast() }
        return .described(descriptor: .ulong(code), value: .list(fields))
    }

    /// Reads a delivery state from a described value.
    ///
    /// - Throws: `AMQP10ProtocolError.unexpectedDescriptor` for a value that is not described,
    ///   or a field error for a known state with bad fields.
    public init(_ value: AMQP10Value) throws(AMQP10ProtocolError) {
        guard case .described(_, let body) = value, let code = value.descriptorCode, (0x23 ... 0x27).contains(code) else {
            guard case .described = value else {
                throw .unexpectedDescriptor(expected: "delivery-state", found: value.typeName)
            }
            self = .other(value)
            return
        }
        guard case .list(let elements) = body else {
            throw .invalidField(type: "delivery-state", field: "(body)", found: body.typeName)
        }
        switch code {
        case 0x23:
            var fields = AMQP10FieldReader(type: "amqp:received:list", values: elements)
            let number = try fields.mandatory("section-number", AMQP10Value.asUInt)
            self = .received(sectionNumber: number, sectionOffset: try fields.mandatory("section-offset", AMQP10Value.asULong))
        case 0x24:
            self = .accepted
        case 0x25:
            var fields = AMQP10FieldReader(type: "amqp:rejected:list", values: elements)
            self = .rejected(try fields.composite("error", AMQP10Error.self))
        case 0x26:
            self = .released
        default:
            var fields = AMQP10FieldReader(type: "amqp:modified:list", values: elements)
            let failed = try fields.optional("delivery-failed", AMQP10Value.asBool) ?? false
            let undeliverable = try fields.optional("undeliverable-here", AMQP10Value.asBool) ?? false
            let annotations = try fields.optional("message-annotations", AMQP10Value.asMap)
            self = .modified(deliveryFailed: failed, undeliverableHere: undeliverable, messageAnnotations: annotations)
        }
    }

    /// Whether this is an outcome (a terminal state), not `received`.
    public var isOutcome: Bool {
        switch self {
        case .received: false
        case .other: false
        default: true
        }
    }
}

extension AMQP10DeliveryState {
    /// The symbols naming the four outcomes, for a source's `outcomes` field.
    public enum OutcomeSymbol {
        public static let accepted = "amqp:accepted:list"
        public static let rejected = "amqp:rejected:list"
        public static let released = "amqp:released:list"
        public static let modified = "amqp:modified:list"
    }
}
