/// An AMQP map: key/value pairs in wire order. Keys are unique when built through
/// `subscript(set)`; decoding rejects nothing about duplicates and keeps the order it read.
public struct AMQP10Map: Sendable, Hashable, ExpressibleByDictionaryLiteral, Sequence {
    public struct Entry: Sendable, Hashable {
        public var key: AMQP10Value
        public var value: AMQP10Value

        public init(key: AMQP10Value, value: AMQP10Value) {
            self.key = key
            self.value = value
        }
    }

    public var entries: [Entry]

    public init(_ entries: [Entry] = []) {
        self.entries = entries
    }

    public init(dictionaryLiteral elements: (AMQP10Value, AMQP10Value)...) {
        self.entries = elements.map { Entry(key: $0.0, value: $0.1) }
    }

    public var count: Int { self.entries.count }
    public var isEmpty: Bool { self.entries.isEmpty }

    public func makeIterator() -> IndexingIterator<[Entry]> { self.entries.makeIterator() }

    /// The value of the first entry with `key`; setting replaces it, appends it, or (nil)
    /// removes every entry with that key.
    public subscript(key: AMQP10Value) -> AMQP10Value? {
        get { self.entries.first { $0.key == key }?.value }
        set {
            if let newValue {
                if let index = self.entries.firstIndex(where: { $0.key == key }) {
                    self.entries[index].value = newValue
                } else {
                    self.entries.append(Entry(key: key, value: newValue))
                }
            } else {
                self.entries.removeAll { $0.key == key }
            }
        }
    }

    /// The value under a symbol key (annotations, fields).
    public subscript(symbol key: String) -> AMQP10Value? {
        get { self[.symbol(key)] }
        set { self[.symbol(key)] = newValue }
    }

    /// The value under a string key (application-properties).
    public subscript(string key: String) -> AMQP10Value? {
        get { self[.string(key)] }
        set { self[.string(key)] = newValue }
    }
}
