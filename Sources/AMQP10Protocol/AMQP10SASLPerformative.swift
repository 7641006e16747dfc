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
