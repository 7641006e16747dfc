/// `end` (transport 2.7.8): ends a session.
public struct AMQP10End: AMQP10Composite {
    public static let descriptorCode: UInt64 = 0x17
    public static let descriptorName = "amqp:end:list"

    public var error: AMQP10Error?

    public init(error: AMQP10Error? = nil) {
        self.error = error
    }

    public var fields: [AMQP10Value] { [.optional(self.error) { $0.value }] }

    public init(fields: inout AMQP10FieldReader) throws(AMQP10ProtocolError) {
        self.error = try fields.composite("error", AMQP10Error.self)
    }
}
