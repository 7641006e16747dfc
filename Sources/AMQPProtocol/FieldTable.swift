/// An AMQP field table: named values in wire order.
///
/// The wire allows a name twice; both entries are kept, in order, so a table decoded and
/// encoded again gives the same bytes. The subscript reads the first entry of a name.
public struct FieldTable: Sendable, Hashable {
    /// One named value.
    public struct Entry: Sendable, Hashable {
        public var name: String
        public var value: AMQPValue

        public init(name: String, value: AMQPValue) {
            self.name = name
            self.value = value
        }
    }

    /// The entries in wire order, duplicates included.
    public var entries: [Entry]

    /// Tables and arrays nested deeper than this are refused when decoding
    /// (`AMQPProtocolError.nestingTooDeep`): the decoder recurses, and a hostile peer
    /// could otherwise nest until the stack overflows. The outermost table is depth 1.
    public static let maximumDepth = 32

    public init(_ entries: [Entry] = []) {
        self.entries = entries
    }

    public var isEmpty: Bool { self.entries.isEmpty }

    public var count: Int { self.entries.count }

    /// The value of the first entry named `name`. Setting replaces that entry (or appends
    /// one); setting nil removes every entry of that name.
    public subscript(name: String) -> AMQPValue? {
        get { self.entries.first { $0.name == name }?.value }
        set {
            guard let newValue else {
                self.entries.removeAll { $0.name == name }
                return
            }
            if let index = self.entries.firstIndex(where: { $0.name == name }) {
                self.entries[index].value = newValue
            } else {
                self.entries.append(Entry(name: name, value: newValue))
            }
        }
    }

    /// Appends an entry, even when the name is already present.
    public mutating func append(name: String, value: AMQPValue) {
        self.entries.append(Entry(name: name, value: value))
    }
}

extension FieldTable: ExpressibleByDictionaryLiteral {
    /// A literal keeps its order and its duplicate names.
    public init(dictionaryLiteral elements: (String, AMQPValue)...) {
        self.entries = elements.map { Entry(name: $0.0, value: $0.1) }
    }
}
