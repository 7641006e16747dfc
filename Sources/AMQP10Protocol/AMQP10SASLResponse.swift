import NIOCore

/// `sasl-response`: client data for the mechanism.
public struct AMQP10SASLResponse: AMQP10Composite {
    public static let descriptorCode: UInt64 = 0x43
    public static let descriptorName = "amqp:sasl-response:list"

    public var response: ByteBuffer

    public init(response: ByteBuffer) {
        self.response = response
    }

    public var fields: [AMQP10Value] { [.binary(self.response)] }

    public init(fields: inout AMQP10FieldReader) throws(AMQP10ProtocolError) {
        self.response = try fields.mandatory("response", AMQP10Value.asBinary)
    }
}
