/// Topic name and topic filter rules (MQTT 5 section 4.7).
enum Topic {
    /// A topic name: at least one character, no wildcard.
    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && !name.utf8.contains { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "#") }
    }

    /// A topic filter: at least one character; `+` fills a whole level, `#` fills the whole
    /// last level. A shared subscription, `$share/{ShareName}/{filter}`, needs a share name
    /// without wildcards and a valid filter after it (MQTT 5 section 4.8.2).
    static func isValidFilter(_ filter: String) -> Bool {
        guard isShared(filter) else { return isValidPlainFilter(Substring(filter)) }
        let rest = filter.dropFirst(sharePrefix.count)
        guard let slash = rest.firstIndex(of: "/") else { return false }
        let name = rest[..<slash]
        guard !name.isEmpty, !name.contains("+"), !name.contains("#") else { return false }
        return isValidPlainFilter(rest[rest.index(after: slash)...])
    }

    /// Whether the filter names a shared subscription.
    static func isShared(_ filter: String) -> Bool {
        filter.utf8.starts(with: sharePrefix.utf8)
    }

    private static let sharePrefix = "$share/"

    private static func isValidPlainFilter(_ filter: Substring) -> Bool {
        guard !filter.isEmpty else { return false }
        let slash = UInt8(ascii: "/")
        let plus = UInt8(ascii: "+")
        let hash = UInt8(ascii: "#")
        var previous: UInt8? = nil
        var hashSeen = false
        for byte in filter.utf8 {
            if hashSeen { return false }
            if byte == plus || byte == hash {
                guard previous == nil || previous == slash else { return false }
                if byte == hash { hashSeen = true }
            } else if previous == plus || previous == hash {
                guard byte == slash else { return false }
            }
            previous = byte
        }
        return true
    }
}
