/// The `allow:` list of a destination whose template uses message data.
///
/// For MQTT destinations the entries are topic filters; for Kafka and AMQP they are
/// patterns over `.`-separated segments where `*` is exactly one segment and `#` any
/// number of segments (zero included), as in AMQP topic exchanges.
public struct AllowList: Sendable, CustomStringConvertible {
    public enum Style: Sendable { case mqtt, dotted }

    public let entries: [String]
    let style: Style
    let filters: [TopicFilter]
    let patterns: [[Substring]]

    /// Builds the list; returns the entries that are not valid for the style.
    public init(_ entries: [String], style: Style) throws(InvalidEntry) {
        self.entries = entries
        self.style = style
        var filters: [TopicFilter] = []
        var patterns: [[Substring]] = []
        for entry in entries {
            switch style {
            case .mqtt:
                do { filters.append(try TopicFilter(entry)) } catch { throw InvalidEntry(entry: entry, problem: error.description) }
            case .dotted:
                guard !entry.isEmpty else { throw InvalidEntry(entry: entry, problem: "an empty pattern matches nothing") }
                let segments = entry.split(separator: ".", omittingEmptySubsequences: false)
                if let bad = segments.first(where: { $0 != "*" && $0 != "#" && ($0.contains("*") || $0.contains("#")) }) {
                    throw InvalidEntry(entry: entry, problem: "'*' and '#' must fill a whole segment, not '\(bad)'")
                }
                patterns.append(segments)
            }
        }
        self.filters = filters
        self.patterns = patterns
    }

    /// An entry that is not a valid filter or pattern.
    public struct InvalidEntry: Error, Sendable {
        public var entry: String
        public var problem: String
    }

    /// Whether a computed destination is allowed.
    public func allows(_ value: String) -> Bool {
        switch style {
        case .mqtt:
            return filters.contains { $0.matches(value) }
        case .dotted:
            let segments = value.split(separator: ".", omittingEmptySubsequences: false)[...]
            return patterns.contains { AllowList.match($0[...], segments) }
        }
    }

    static func match(_ pattern: ArraySlice<Substring>, _ value: ArraySlice<Substring>) -> Bool {
        guard let head = pattern.first else { return value.isEmpty }
        if head == "#" {
            let rest = pattern.dropFirst()
            if rest.isEmpty { return true }
            var v = value
            while true {
                if match(rest, v) { return true }
                guard !v.isEmpty else { return false }
                v = v.dropFirst()
            }
        }
        guard let first = value.first else { return false }
        guard head == "*" || head == first else { return false }
        return match(pattern.dropFirst(), value.dropFirst())
    }

    public var description: String { "[" + entries.joined(separator: ", ") + "]" }
}
