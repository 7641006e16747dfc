/// Topic name and topic filter rules (MQTT 5 section 4.7).
enum Topic {
    /// A topic name: at least one character, no wildcard.
    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && !name.utf8.contains { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "#") }
    }

    /// A topic filter: at least one character; `+` fills a whole level, `#` fills the whole
    /// last level.
    static func isValidFilter(_ filter: String) -> Bool {
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
