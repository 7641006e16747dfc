/// A destination's address computed for one message.
public enum ResolvedAddress: Sendable, Hashable {
    case amqp(exchange: String, routingKey: String)
    case kafka(topic: String, key: String?)
    case mqtt(topic: String)
    case amqp10(address: String)

    /// `bridge-destination` of the computed address.
    public func description(connection: String) -> String {
        switch self {
        case .amqp(let exchange, let routingKey): return "\(connection)/\(exchange)/\(routingKey)"
        case .kafka(let topic, _): return "\(connection)/\(topic)"
        case .mqtt(let topic): return "\(connection)/\(topic)"
        case .amqp10(let address): return "\(connection)/\(address)"
        }
    }
}

/// Why a destination cannot be computed for a message: a permanent failure with the
/// reason word of CONTRACT section 3 (`template` or `not_allowed`).
public struct AddressFailure: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Reason: String, Sendable { case template, notAllowed = "not_allowed" }
    public var reason: Reason
    public var message: String
    public var description: String { "\(reason.rawValue): \(message)" }
}

extension DestinationConfig {
    /// Computes the address for one message: fills the templates, checks the value is a
    /// legal name for the destination's protocol (else `template`) and, when an `allow`
    /// list is set, that the computed topic or routing key is on it (else `not_allowed`).
    public func resolve(_ envelope: Envelope, route: String) -> Result<ResolvedAddress, AddressFailure> {
        do {
            switch target {
            case .amqp(let exchange, let routingKeyTemplate):
                let routingKey = try routingKeyTemplate.render(envelope, route: route)
                guard routingKey.utf8.count <= 255 else {
                    return .failure(AddressFailure(reason: .template, message: "routing key of \(routingKey.utf8.count) bytes exceeds 255"))
                }
                if let allow, !allow.allows(routingKey) {
                    return .failure(AddressFailure(reason: .notAllowed, message: "routing key '\(routingKey)' is not in allow \(allow)"))
                }
                return .success(.amqp(exchange: exchange, routingKey: routingKey))
            case .kafka(let topicTemplate, let keyTemplate):
                let topic = try topicTemplate.render(envelope, route: route)
                if let problem = DestinationConfig.kafkaTopicProblem(topic) {
                    return .failure(AddressFailure(reason: .template, message: "Kafka topic '\(topic)': \(problem)"))
                }
                if let allow, !allow.allows(topic) {
                    return .failure(AddressFailure(reason: .notAllowed, message: "topic '\(topic)' is not in allow \(allow)"))
                }
                let key = try keyTemplate?.render(envelope, route: route)
                return .success(.kafka(topic: topic, key: key))
            case .mqtt(let topicTemplate, _, _, _):
                let topic = try topicTemplate.render(envelope, route: route)
                switch TopicFilter.checkTopicName(topic) {
                case .empty?: return .failure(AddressFailure(reason: .template, message: "empty MQTT topic"))
                case .wildcard?: return .failure(AddressFailure(reason: .template, message: "MQTT topic '\(topic)' contains '+' or '#'"))
                case .nullCharacter?: return .failure(AddressFailure(reason: .template, message: "MQTT topic contains U+0000"))
                case .tooLong?: return .failure(AddressFailure(reason: .template, message: "MQTT topic over 65,535 bytes"))
                case nil: break
                }
                if let allow, !allow.allows(topic) {
                    return .failure(AddressFailure(reason: .notAllowed, message: "topic '\(topic)' is not in allow \(allow)"))
                }
                return .success(.mqtt(topic: topic))
            case .amqp10(let addressTemplate):
                let address = try addressTemplate.render(envelope, route: route)
                guard !address.isEmpty else { return .failure(AddressFailure(reason: .template, message: "empty address")) }
                if let allow, !allow.allows(address) {
                    return .failure(AddressFailure(reason: .notAllowed, message: "address '\(address)' is not in allow \(allow)"))
                }
                return .success(.amqp10(address: address))
            }
        } catch {
            return .failure(AddressFailure(reason: .template, message: error.message))
        }
    }

    /// Why `name` is not a legal Kafka topic name, or nil: 1…249 bytes of `[a-zA-Z0-9._-]`,
    /// not `.` or `..`.
    public static func kafkaTopicProblem(_ name: String) -> String? {
        if name.isEmpty { return "empty topic name" }
        if name.utf8.count > 249 { return "\(name.utf8.count) bytes, over Kafka's 249" }
        if name == "." || name == ".." { return "'.' and '..' are not topic names" }
        if let bad = name.unicodeScalars.first(where: { !($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "." || $0 == "_" || $0 == "-")) }) {
            return "character '\(bad)' is not allowed (only a-z A-Z 0-9 . _ -)"
        }
        return nil
    }
}
