/// `detach` (transport 2.7.7): detaches a link; `closed` also ends it.
public struct AMQP10Detach: AMQP10Composite {
    public static let descriptorCode: UInt64 = 0x16
    public static let descriptorName = "amqp:detach:list"

    public var handle: UInt32
    public var closed: Bool
    public var error: AMQP10Error?

    public init(handle: UInt32, closed: Bool = false, error: AMQP10Error? = nil) {
        self.handle = handle
        self.closed = closed
        self.error = error
    }

    public var fields: [AMQP10Value] {
        [.uint(self.handle), .defaulted(self.closed, false, AMQP10Value.boolean), .optional(self.error) { $0.value }]
    }

    public init(fields: inout AMQP10FieldReader) throws(AMQP10ProtocolError) {
        self.handle = try fields.mandatory("handle", AMQP10Value.asUInt)
        self.closed = try fields.optional("closed", AMQP10Value.asBool) ?? false
        self.error = try fields.composite("error", AMQP10Error.self)
    }
}
