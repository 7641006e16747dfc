/// The headers an egress adapter writes for one publish (CONTRACT section 4): the message's
/// own headers, then the bridge's (`bridge-id`, `bridge-hops`, `bridge-redelivered`, and for
/// a dead letter `bridge-error`, `bridge-route`, `bridge-destination`, `bridge-attempts`,
/// `bridge-source`).
///
/// Generic over protocols: the adapter says whether its headers carry bytes (Kafka) or only
/// text (MQTT user properties, AMQP 1.0 application properties as strings); a value that a
/// text-only destination cannot carry is dropped and counted through ``FieldsDropped``.
public enum OutgoingHeaders {
    /// One outgoing header value.
    public enum Value: Sendable, Hashable {
        case text(String)
        case bytes([UInt8])
    }

    /// Builds the header list of a publish.
    ///
    /// - Parameters:
    ///   - request: What the core asked to publish.
    ///   - carriesBytes: True when the destination's headers are byte strings (Kafka): a
    ///     `.bytes` value then passes as it is instead of as text.
    ///   - dropped: Counts and logs what cannot be carried.
    ///   - skip: Names the adapter writes elsewhere (e.g. an AMQP property); not copied.
    /// - Returns: Name/value pairs in order, bridge headers last.
    public static func build(
        for request: PublishRequest,
        carriesBytes: Bool,
        dropped: FieldsDropped?,
        skip: (String) -> Bool = { _ in false }
    ) -> [(name: String, value: Value)] {
        let envelope = request.envelope
        var out: [(name: String, value: Value)] = []
        out.reserveCapacity(envelope.headers.count + 8)
        for field in envelope.headers {
            // The bridge's own headers are written below from the envelope's fields.
            if isBridgeOwned(field.name) || skip(field.name) { continue }
            if carriesBytes, case .bytes(let bytes) = field.value {
                out.append((field.name, .bytes(bytes)))
            } else if let text = field.value.text {
                out.append((field.name, .text(text)))
            } else {
                dropped?.record("header:\(field.name)")
            }
        }
        out.append((BridgeHeader.id, .text(envelope.bridgeID)))
        out.append((BridgeHeader.hops, .text(String(request.hopsToWrite))))
        if envelope.redelivered { out.append((BridgeHeader.redelivered, .text("true"))) }
        if let deadLetter = request.deadLetter {
            for field in deadLetter.headers {
                out.append((field.name, .text(field.value.text ?? "")))
            }
        }
        return out
    }

    /// Headers the bridge writes itself; a copy arriving in the message's headers is replaced.
    public static func isBridgeOwned(_ name: String) -> Bool {
        switch name {
        case BridgeHeader.id, BridgeHeader.hops, BridgeHeader.redelivered, BridgeHeader.error, BridgeHeader.route,
            BridgeHeader.destination, BridgeHeader.attempts, BridgeHeader.source:
            return true
        default:
            return false
        }
    }

    /// The bytes a header list adds to a message (names and values), for size checks.
    public static func byteCount(_ headers: [(name: String, value: Value)]) -> Int {
        var total = 0
        for header in headers {
            total += header.name.utf8.count
            switch header.value {
            case .text(let s): total += s.utf8.count
            case .bytes(let b): total += b.count
            }
        }
        return total
    }
}
