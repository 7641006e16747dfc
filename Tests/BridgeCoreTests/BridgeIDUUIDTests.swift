import BridgeCore
import Foundation
import Testing

/// `BridgeID.newUUID()`, the bridge-id of an AMQP message without a message id.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct BridgeIDUUIDTests {
    @Test func isALowerCaseVersion4UUID() throws {
        for _ in 0..<1000 {
            let id = BridgeID.newUUID()
            let parsed = try #require(UUID(uuidString: id), "\(id) is not a UUID")
            #expect(parsed.uuidString.lowercased() == id)
            let bytes = withUnsafeBytes(of: parsed.uuid) { Array($0) }
            #expect(bytes[6] >> 4 == 4, "version nibble of \(id)")
            #expect(bytes[8] >> 6 == 0b10, "variant bits of \(id)")
        }
    }

    @Test func neverRepeats() {
        var seen = Set<String>()
        for _ in 0..<200_000 { seen.insert(BridgeID.newUUID()) }
        #expect(seen.count == 200_000)
    }

    @Test func differsBetweenThreads() async {
        let ids = await withTaskGroup(of: [String].self) { group in
            for _ in 0..<4 { group.addTask { (0..<10_000).map { _ in BridgeID.newUUID() } } }
            var all: [String] = []
            for await part in group { all += part }
            return all
        }
        #expect(Set(ids).count == ids.count)
    }
}
