/// Ordered name/value pairs: MQTT 5 user properties, Kafka headers, AMQP header tables.
///
/// Names may repeat (MQTT and Kafka allow it); lookups return the first match.
public struct Headers: Sendable, Hashable, RandomAccessCollection, ExpressibleByArrayLiteral {
    /// One header.
    public struct Field: Sendable, Hashable {
        public var name: String
        public var value: HeaderValue

        public init(name: String, value: HeaderValue) {
            self.name = name
            self.value = value
        }
    }

    public private(set) var fields: [Field]

    public init() { self.fields = [] }
    public init(_ fields: [Field]) { self.fields = fields }
    public init(arrayLiteral elements: (String, HeaderValue)...) {
        self.fields = elements.map { Field(name: $0.0, value: $0.1) }
    }

    public var startIndex: Int { fields.startIndex }
    public var endIndex: Int { fields.endIndex }
    public subscript(position: Int) -> Field { fields[position] }

    /// The first value named `name`.
    public subscript(name: String) -> HeaderValue? {
        fields.first { $0.name == name }?.value
    }

    /// Appends a header, keeping any earlier one of the same name.
    public mutating func append(_ name: String, _ value: HeaderValue) {
        fields.append(Field(name: name, value: value))
    }

    /// Replaces every header named `name` with one value, in the place of the first.
    public mutating func set(_ name: String, _ value: HeaderValue) {
        if let i = fields.firstIndex(where: { $0.name == name }) {
            fields[i].value = value
            let rest = fields[(i + 1)...].filter { $0.name != name }
            fields.replaceSubrange((i + 1)..., with: rest)
        } else {
            fields.append(Field(name: name, value: value))
        }
    }

    /// Removes every header named `name`; returns whether one was there.
    @discardableResult
    public mutating func remove(_ name: String) -> Bool {
        let before = fields.count
        fields.removeAll { $0.name == name }
        return fields.count != before
    }

    /// Removes the headers for which `shouldRemove` is true.
    public mutating func removeAll(where shouldRemove: (Field) throws -> Bool) rethrows {
        try fields.removeAll(where: shouldRemove)
    }
}
