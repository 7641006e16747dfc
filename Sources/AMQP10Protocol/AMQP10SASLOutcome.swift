import NIOCore

/// The result of a SASL exchange.
public enum AMQP10SASLCode: UInt8, Sendable, Hashable, CaseIterable {
    case ok = 0
    /// Authentication failed: bad credentials.
    case auth = 1
    /// A system error.
    case sys = 2
    /// A system error that will not go away by retrying.
    case sysPerm = 3
    /// A transient system error.
    case sysTemp = 4
}

/// `sasl-outcome`: the end of the SASL exchange.
public struct AMQP10SASLOutcome: AMQP10Composite {
    public static let descriptorCode: UInt64 = 0x44
    public static let descriptorName = "amqp:sasl-outcome:list"

    public var code: AMQP10SASLCode
    public var additionalData: ByteBuffer?

    public init(code: AMQP10SASLCode, additionalData: ByteBuffer? = nil) {
        self.code = code
        self.additionalData = additionalData
    }

    public var fields: [AMQP10Value] {
        [.ubyte(self.code.rawValue), .optional(self.additionalData, AMQP10Value.binary)]
    }

    public init(fields: inout AMQP10FieldReader) throws(AMQP10ProtocolError) {
        guard let code: AMQP10SASLCode = try fields.restricted("code", AMQP10Value.asUByte) else {
            throw .missingMandatoryField(type: Self.descriptorName, field: "code")
        }
        self.code = code
        self.additionalData = try fields.optional("additional-data", AMQP10Value.asBinary)
    }
}
