/// `sasl-mechanisms`: the server's mechanisms, in its order of preference.
public struct AMQP10SASLMechanisms: AMQP10Composite {
    public static let descriptorCode: UInt64 = 0x40
    public static let descriptorName = "amqp:sasl-mechanisms:list"

    public var mechanisms: [String]

    public init(mechanisms: [String]) {
        self.mechanisms = mechanisms
    }

    public var fields: [AMQP10Value] {
        // Mandatory: an empty list is still sent, as an empty array.
        [.array(self.mechanisms.map { .symbol($0) })]
    }

    public init(fields: inout AMQP10FieldReader) throws(AMQP10ProtocolError) {
        self.mechanisms = try fields.mandatory("sasl-server-mechanisms", AMQP10Value.asSymbols)
    }
}
