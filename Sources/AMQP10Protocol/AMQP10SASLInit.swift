import NIOCore

/// `sasl-init`: the client's chosen mechanism and initial response.
public struct AMQP10SASLInit: AMQP10Composite {
    public static let descriptorCode: UInt64 = 0x41
    public static let descriptorName = "amqp:sasl-init:list"

    public var mechanism: String
    public var initialResponse: ByteBuffer?
    public var hostname: String?

    public init(mechanism: String, initialResponse: ByteBuffer? = nil, hostname: String? = nil) {
        self.mechanism = mechanism
        self.initialResponse = initialResponse
        self.hostname = hostname
    }

    /// PLAIN (RFC 4616): `authzid NUL authcid NUL passwd`, with an empty authzid.
    public static func plain(username: String, password: String, hostname: String? = nil) -> AMQP10SASLInit {
        var response = ByteBuffer()
        response.writeInteger(UInt8(0))
        response.writeString(username)
        response.writeInteger(UInt8(0))
        response.writeString(password)
        return AMQP10SASLInit(mechanism: "PLAIN", initialResponse: response, hostname: hostname)
    }

    /// ANONYMOUS (RFC 4505), with an empty trace.
    public static func anonymous(hostname: String? = nil) -> AMQP10SASLInit {
        AMQP10SASLInit(mechanism: "ANONYMOUS", initialResponse: ByteBuffer(), hostname: hostname)
    }

    public var fields: [AMQP10Value] {
        [
            .symbol(self.mechanism),
            .optional(self.initialResponse, AMQP10Value.binary),
            .optional(self.hostname, AMQP10Value.string),
        ]
    }

    public init(fields: inout AMQP10FieldReader) throws(AMQP10ProtocolError) {
        self.mechanism = try fields.mandatory("mechanism", AMQP10Value.asSymbol)
        self.initialResponse = try fields.optional("initial-response", AMQP10Value.asBinary)
        self.hostname = try fields.optional("hostname", AMQP10Value.asString)
    }
}
