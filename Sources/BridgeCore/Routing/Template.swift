/// A destination template (`"{topic:dots}"`, `"erp/orders/{header.site}"`), compiled once at load.
///
/// Placeholders: `{topic}`, `{topic.N}` (N-th segment from 0), `{topic:dots}`,
/// `{topic:slashes}`, `{key}`, `{header.NAME}`, `{route}`; `{{` and `}}` are literal braces.
public struct Template: Sendable, Hashable, CustomStringConvertible {
    public enum Part: Sendable, Hashable {
        case literal(String)
        case topic
        case topicSegment(Int)
        case topicDots
        case topicSlashes
        case key
        case header(String)
        case route
    }

    /// The text as written in the route file.
    public let source: String
    public let parts: [Part]

    /// What is wrong with a template's syntax.
    public struct SyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// Compiles a template; throws for unknown placeholders, filters or unbalanced braces.
    public init(_ source: String) throws(SyntaxError) {
        self.source = source
        var parts: [Part] = []
        var literal = ""
        var i = source.startIndex
        while i < source.endIndex {
            let c = source[i]
            let next = source.index(after: i)
            if c == "{" {
                if next < source.endIndex, source[next] == "{" {
                    literal.append("{")
                    i = source.index(after: next)
                    continue
                }
                guard let close = source[next...].firstIndex(of: "}") else {
                    throw SyntaxError(message: "'{' at offset \(source.distance(from: source.startIndex, to: i)) is never closed (write '{{' for a literal brace)")
                }
                let name = String(source[next..<close])
                if !literal.isEmpty {
                    parts.append(.literal(literal))
                    literal = ""
                }
                parts.append(try Template.placeholder(name))
                i = source.index(after: close)
            } else if c == "}" {
                guard next < source.endIndex, source[next] == "}" else {
                    throw SyntaxError(message: "'}' without '{' (write '}}' for a literal brace)")
                }
                literal.append("}")
                i = source.index(after: next)
            } else {
                literal.append(c)
                i = next
            }
        }
        if !literal.isEmpty { parts.append(.literal(literal)) }
        self.parts = parts
    }

    static func placeholder(_ name: String) throws(SyntaxError) -> Part {
        switch name {
        case "topic": return .topic
        case "topic:dots": return .topicDots
        case "topic:slashes": return .topicSlashes
        case "key": return .key
        case "route": return .route
        default: break
        }
        if name.hasPrefix("topic.") {
            let n = name.dropFirst("topic.".count)
            guard !n.isEmpty, n.allSatisfy(\.isASCIIDigit), let index = Int(n), index < 1024 else {
                throw SyntaxError(message: "'{\(name)}': a topic segment is {topic.N} with N a number from 0")
            }
            return .topicSegment(index)
        }
        if name.hasPrefix("header.") {
            let header = String(name.dropFirst("header.".count))
            guard !header.isEmpty else { throw SyntaxError(message: "'{header.}' names no header: write {header.NAME}") }
            return .header(header)
        }
        if name.hasPrefix("topic:") {
            throw SyntaxError(message: "unknown filter '\(name.dropFirst("topic:".count))' in '{\(name)}'; known filters: dots, slashes")
        }
        throw SyntaxError(
            message: "unknown placeholder '{\(name)}'; known: {topic}, {topic.N}, {topic:dots}, {topic:slashes}, {key}, {header.NAME}, {route}"
        )
    }

    /// True when the template uses data a sender controls (`{key}`, `{header.*}`): the
    /// destination then needs an `allow` list.
    public var usesMessageData: Bool {
        parts.contains {
            switch $0 {
            case .key, .header: return true
            default: return false
            }
        }
    }

    /// The literal text when the template has no placeholder.
    public var literalValue: String? {
        if parts.isEmpty { return "" }
        if parts.count == 1, case .literal(let s) = parts[0] { return s }
        return nil
    }

    /// Why a template could not be filled for one message.
    public struct FillError: Error, Sendable, Hashable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// Fills the template for one message.
    /// - Parameters:
    ///   - envelope: the message; `{topic}` is its source topic, split on `/` for MQTT
    ///     sources and `.` for AMQP and Kafka sources.
    ///   - route: the route name for `{route}`.
    public func render(_ envelope: Envelope, route: String) throws(FillError) -> String {
        if let literal = literalValue { return literal }
        var out = ""
        for part in parts {
            switch part {
            case .literal(let s): out += s
            case .topic: out += envelope.source.topic
            case .topicDots: out += envelope.source.topic.replacing("/", with: ".")
            case .topicSlashes: out += envelope.source.topic.replacing(".", with: "/")
            case .topicSegment(let n):
                let separator: Character = envelope.source.protocol == .mqtt ? "/" : "."
                let segments = envelope.source.topic.split(separator: separator, omittingEmptySubsequences: false)
                guard n < segments.count else {
                    throw FillError(message: "{topic.\(n)}: topic '\(envelope.source.topic)' has \(segments.count) segment(s)")
                }
                out += segments[n]
            case .key:
                guard let key = envelope.keyText else {
                    throw FillError(message: envelope.key == nil ? "{key}: the message has no key" : "{key}: the key is not UTF-8 text")
                }
                out += key
            case .header(let name):
                guard let value = envelope.headers[name] else { throw FillError(message: "{header.\(name)}: the message has no header '\(name)'") }
                guard let text = value.text else { throw FillError(message: "{header.\(name)}: the header is not text") }
                out += text
            case .route: out += route
            }
        }
        return out
    }

    public var description: String { source }
}
