/// `close` (transport 2.7.9): closes the connection.
public struct AMQP10Close: AMQP10Composite {
    public static let descriptorCode: UInt64 = 0x18
    public static let descriptorName = "amqp:close:list"

    public var error: AMQP10Error?

    public init(error: AMQP10Error? = nil) {
        self.error = error
    }

    public var fields: [AMQP10Value] { [.optional(self.error) { $0.value }] }

    public init(fields: inout AMQP10FieldReader) throws(AMQP10ProtocolError) {
        self.error = try fields.composite("error", AMQP10Error.self)
    }
}
