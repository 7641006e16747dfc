import NIOCore

/// The body of an AMQP frame (type 0): one of the nine performatives.
public enum AMQP10Performative: Sendable, Hashable {
    case open(AMQP10Open)
    case begin(AMQP10Begin)
    case attach(AMQP10Attach)
    case flow(AMQP10Flow)
    /// A transfer, with the frame's payload in `AMQP10Transfer.payload`.
    case transfer(AMQP10Transfer)
    case disposition(AMQP10Disposition)
    case detach(AMQP10Detach)
    case end(AMQP10End)
    case close(AMQP10Close)

    /// The performative's name in the spec ("open", "transfer"...), for logs and errors.
    public var name: String {
        switch self {
        case .open: "open"
        case .begin: "begin"
        case .attach: "attach"
        case .flow: "flow"
        case .transfer: "transfer"
        case .disposition: "disposition"
        case .detach: "detach"
        case .end: "end"
        case .close: "close"
        }
    }

    /// The described list (without a transfer's payload).
    public var value: AMQP10Value {
        switch self {
        case .open(let body): body.value
        case .begin(let body): body.value
        case .attach(let body): body.value
        case .flow(let body): body.value
        case .transfer(let body): body.value
        case .disposition(let body): body.value
        case .detach(let body): body.value
        case .end(let body): body.value
        case .close(let body): body.value
        }
    }

    /// Reads a performative from a frame body; a transfer takes the bytes after it as its
    /// payload (a slice, not a copy), the other performatives ignore trailing bytes.
    ///
    /// - Throws: `AMQP10ProtocolError.unexpectedDescriptor` for a body that is not a
    ///   performative, or a field error.
    public static func decode(from body: inout ByteBuffer, maxDepth: Int = AMQP10Value.defaultMaxDepth) throws(AMQP10ProtocolError) -> AMQP10Performative {
        let value = try AMQP10Value.decode(from: &body, maxDepth: maxDepth)
        switch value.descriptorCode {
        case AMQP10Open.descriptorCode: return .open(try AMQP10Open(value))
        case AMQP10Begin.descriptorCode: return .begin(try AMQP10Begin(value))
        case AMQP10Attach.descriptorCode: return .attach(try AMQP10Attach(value))
        case AMQP10Flow.descriptorCode: return .flow(try AMQP10Flow(value))
        case AMQP10Transfer.descriptorCode:
            var transfer = try AMQP10Transfer(value)
            transfer.payload = body.readSlice(length: body.readableBytes)!
            return .transfer(transfer)
        case AMQP10Disposition.descriptorCode: return .disposition(try AMQP10Disposition(value))
        case AMQP10Detach.descriptorCode: return .detach(try AMQP10Detach(value))
        case AMQP10End.descriptorCode: return .end(try AMQP10End(value))
        case AMQP10Close.descriptorCode: return .close(try AMQP10Close(value))
        default: throw .unexpectedDescriptor(expected: "performative", found: value.descriptorDescription)
        }
    }

    /// Writes the performative (and a transfer's payload after it).
    public func encode(into buffer: inout ByteBuffer) throws(AMQP10ProtocolError) {
        try self.value.encode(into: &buffer)
        if case .transfer(let transfer) = self {
            buffer.writeImmutableBuffer(transfer.payload)
        }
    }
}
