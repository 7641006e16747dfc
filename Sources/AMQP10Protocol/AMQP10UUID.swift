/// A 16-byte UUID, kept as two big-endian halves (no Foundation dependency).
public struct AMQP10UUID: Sendable, Hashable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Parses the canonical `8-4-4-4-12` hexadecimal form (either case); nil if malformed.
    public init?(_ string: String) {
        let hex = string.utf8.filter { $0 != UInt8(ascii: "-") }
        guard string.utf8.count == 36, hex.count == 32 else { return nil }
        var value: (UInt64, UInt64) = (0, 0)
        for (index, char) in hex.enumerated() {
            let digit: UInt8
            switch char {
            case UInt8(ascii: "0") ... UInt8(ascii: "9"): digit = char - UInt8(ascii: "0")
            case UInt8(ascii: "a") ... UInt8(ascii: "f"): digit = char - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A") ... UInt8(ascii: "F"): digit = char - UInt8(ascii: "A") + 10
            default: return nil
            }
            if index < 16 { value.0 = value.0 << 4 | UInt64(digit) } else { value.1 = value.1 << 4 | UInt64(digit) }
        }
        let dashes = Array(string.utf8).enumerated().filter { $0.element == UInt8(ascii: "-") }.map(\.offset)
        guard dashes == [8, 13, 18, 23] else { return nil }
        self.init(high: value.0, low: value.1)
    }

    /// The canonical lower-case `8-4-4-4-12` form.
    public var description: String {
        let hex = String(self.high, radix: 16).leftPadded(to: 16) + String(self.low, radix: 16).leftPadded(to: 16)
        let chars = Array(hex)
        return [0 ..< 8, 8 ..< 12, 12 ..< 16, 16 ..< 20, 20 ..< 32].map { String(chars[$0]) }.joined(separator: "-")
    }
}

extension String {
    fileprivate func leftPadded(to count: Int) -> String {
        String(repeating: "0", count: Swift.max(0, count - self.count)) + self
    }
}
