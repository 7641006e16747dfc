/// Partition states by partition number, in an array: partition numbers are small
/// (Kafka partitions count from 0; MQTT and AMQP sources use 0), and the hot path looks
/// one up several times per message, so no hashing.
struct PartitionTable<Value>: Sendable where Value: Sendable {
    private var storage: [Value?] = []

    subscript(id: Int) -> Value? {
        get { id >= 0 && id < storage.count ? storage[id] : nil }
        _modify {
            precondition(id >= 0, "partition numbers are not negative")
            if id >= storage.count { storage.append(contentsOf: repeatElement(nil, count: id - storage.count + 1)) }
            yield &storage[id]
        }
    }

    @discardableResult
    mutating func removeValue(forKey id: Int) -> Value? {
        guard id >= 0 && id < storage.count else { return nil }
        defer { storage[id] = nil }
        return storage[id]
    }

    /// The partitions present.
    var keys: [Int] { storage.indices.filter { storage[$0] != nil } }
}
