/// An MQTT topic filter (`plant/+/batch/#`), validated and ready to match topics.
public struct TopicFilter: Sendable, Hashable, CustomStringConvertible {
    public let text: String
    let levels: [Substring]

    /// What is wrong with a filter.
    public enum Problem: Error, Sendable, Equatable, CustomStringConvertible {
        case empty
        case tooLong
        case nullCharacter
        case hashNotLast
        case wildcardInLevel(String)
        case sharedInFilter

        public var description: String {
            switch self {
            case .empty: return "an empty topic filter matches nothing"
            case .tooLong: return "a topic filter is at most 65,535 bytes"
            case .nullCharacter: return "a topic filter must not contain U+0000"
            case .hashNotLast: return "'#' must be the last level of a filter, alone"
            case .wildcardInLevel(let level): return "'+' and '#' must fill a whole level, not '\(level)'"
            case .sharedInFilter: return "'$share/' belongs in share_group, not in the topic"
            }
        }
    }

    /// Validates `text` as an MQTT topic filter (MQTT 5 section 4.7).
    public init(_ text: String) throws(Problem) {
        guard !text.isEmpty else { throw .empty }
        guard text.utf8.count <= 65_535 else { throw .tooLong }
        guard !text.unicodeScalars.contains("\u{0}") else { throw .nullCharacter }
        if text.hasPrefix("$share/") { throw .sharedInFilter }
        let levels = text.split(separator: "/", omittingEmptySubsequences: false)
        for (i, level) in levels.enumerated() {
            if level == "#" {
                guard i == levels.count - 1 else { throw .hashNotLast }
            } else if level != "+", level.contains(where: { $0 == "+" || $0 == "#" }) {
                throw .wildcardInLevel(String(level))
            }
        }
        self.text = text
        self.levels = levels
    }

    /// True when the filter has no wildcard.
    public var isLiteral: Bool { !levels.contains { $0 == "+" || $0 == "#" } }

    /// True when the filter takes every topic (`#`, `+/#`, …): such a source needs `allow_all`.
    public var matchesEverything: Bool {
        levels == ["#"] || levels == ["+", "#"]
    }

    /// Whether `topic` matches this filter. Topics starting with `$` are not matched by a
    /// filter whose first level is a wildcard (MQTT 5 section 4.7.2).
    public func matches(_ topic: String) -> Bool {
        TopicFilter.match(levels: levels[...], topic: topic)
    }

    static func match(levels: ArraySlice<Substring>, topic: String) -> Bool {
        if topic.hasPrefix("$"), let first = levels.first, first == "+" || first == "#" { return false }
        let parts = topic.split(separator: "/", omittingEmptySubsequences: false)
        var j = 0
        for level in levels {
            if level == "#" { return true }  // the rest, including none ("a/#" matches "a")
            guard j < parts.count, level == "+" || level == parts[j] else { return false }
            j += 1
        }
        return j == parts.count
    }

    public var description: String { text }
}

/// Why an MQTT topic cannot be published to.
public enum TopicNameProblem: Sendable, Equatable {
    case empty, wildcard, nullCharacter, tooLong
}

extension TopicFilter {
    /// Checks a topic name for publishing: non-empty, no `+`/`#`, no U+0000, at most 65,535 bytes.
    public static func checkTopicName(_ topic: String) -> TopicNameProblem? {
        if topic.isEmpty { return .empty }
        if topic.utf8.count > 65_535 { return .tooLong }
        for scalar in topic.unicodeScalars {
            if scalar == "+" || scalar == "#" { return .wildcard }
            if scalar == "\u{0}" { return .nullCharacter }
        }
        return nil
    }
}
