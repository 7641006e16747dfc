import NIOCore

/// `sasl-challenge`: server data for the mechanism.
public struct AMQP10SASLChallenge: AMQP10Composite {
    public static let descriptorCode: UInt64 = 0x42
    public static let descriptorName = "amqp:sasl-challenge:list"

    public var challenge: ByteBuffer

    public init(challenge: ByteBuffer) {
        self.challenge = challenge
    }

    public var fields: [AMQP10Value] { [.binary(self.challenge)] }

    public init(fields: inout AMQP10FieldReader) throws(AMQP10ProtocolError) {
        self.challenge = try fields.mandatory("challenge", AMQP10Value.asBinary)
    }
}
