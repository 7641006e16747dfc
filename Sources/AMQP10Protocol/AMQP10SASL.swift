import NIOCore

/// The body of a SASL frame (type 1, security 5.3).
public enum AMQP10SASLPerformative: Sendable, Hashable {
    case mechanisms(AMQP10SASLMechanisms)
    /// `sasl-init`.
    case initial(AMQP10SASLInit)
    case challenge(AMQP10SASLChallenge)
    case response(AMQP10SASLResponse)
    case outcome(AMQP10SASLOutcome)

    public var name: String {
        switch self {
        case .mechanisms: "sasl-mechanisms"
        case .initial: "sasl-init"
        case .challenge: "sasl-challenge"
        case .response: "sasl-response"
        case .outcome: "sasl-outcome"
        }
    }

    public var value: AMQP10Value {
        switch self {
        case .mechanisms(let body): body.value
        case .initial(let body): body.value
        case .challenge(let body): body.value
        case .response(let body): body.value
        case .outcome(let body): body.value
        }
    }

    /// Reads a SASL performative from a frame body.
    public static func decode(from body: inout ByteBuffer, maxDepth: Int = AMQP10Value.defaultMaxDepth) throws(AMQP10ProtocolError) -> AMQP10SASLPerformative {
        let value = try AMQP10Value.decode(from: &body, maxDepth: maxDepth)
        switch value.descriptorCode {
        case AMQP10SASLMechanisms.descriptorCode: return .mechanisms(try AMQP10SASLMechanisms(value))
        case AMQP10SASLInit.descriptorCode: return .initial(try AMQP10SASLInit(value))
        case AMQP10SASLChallenge.descriptorCode: return .challenge(try AMQP10SASLChallenge(value))
        case AMQP10SASLResponse.descriptorCode: return .response(try AMQP10SASLResponse(value))
        case AMQP10SASLOutcome.descriptorCode: return .outcome(try AMQP10SASLOutcome(value))
        default: throw .unexpectedDescriptor(expected: "SASL performative", found: value.descriptorDescription)
        }
    }

    public func encode(into buffer: inout ByteBuffer) throws(AMQP10ProtocolError) {
        try self.value.encode(into: &buffer)
    }
}

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
