@testable import BridgeService
import Foundation
import Testing

struct HTTPReadinessTests {
    @Test func everyConfiguredNameStartsDown() {
        let readiness = ReadinessRegistry(connections: ["plant", "erp"], routes: ["r1"])
        let snapshot = readiness.snapshot()
        #expect(snapshot.connections == ["plant": .down, "erp": .down])
        #expect(snapshot.routes == ["r1": .down])
        #expect(!readiness.isReady)
    }

    @Test func readyNeedsEveryConnectionUpAndEveryRouteConsuming() {
        let readiness = ReadinessRegistry(connections: ["a", "b"], routes: ["r1", "r2"])
        readiness.setConnection("a", to: .up)
        readiness.setConnection("b", to: .up)
        readiness.setRoute("r1", to: .consuming)
        #expect(!readiness.isReady)
        for state in [ReadinessRegistry.RouteState.blocked, .paused, .down] {
            readiness.setRoute("r2", to: state)
            #expect(!readiness.isReady, "\(state)")
        }
        readiness.setRoute("r2", to: .consuming)
        #expect(readiness.isReady)
        readiness.setConnection("b", to: .connecting)
        #expect(!readiness.isReady)
        readiness.removeConnection("b")
        #expect(readiness.isReady)
    }

    @Test func jsonIsValidAndExact() throws {
        let readiness = ReadinessRegistry(connections: ["z", "a"], routes: ["batch-events"])
        #expect(
            readiness.snapshot().json()
                == #"{"status":"not_ready","connections":{"a":"down","z":"down"},"routes":{"batch-events":"down"}}"#
        )
        let empty = ReadinessRegistry(connections: [], routes: [])
        #expect(empty.snapshot().json() == #"{"status":"ready","connections":{},"routes":{}}"#)
    }

    @Test func jsonEscapesNames() throws {
        let odd = "quo\"te\\back\nline\u{1}ctl-é"
        let readiness = ReadinessRegistry(connections: [odd], routes: [])
        let json = readiness.snapshot().json()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect((object["connections"] as? [String: String]) == [odd: "down"])
    }

    @Test func concurrentUpdatesAreSafe() async {
        let names = (0..<50).map { "c\($0)" }
        let readiness = ReadinessRegistry(connections: names, routes: [])
        await withTaskGroup(of: Void.self) { group in
            for name in names {
                group.addTask {
                    for _ in 0..<100 {
                        readiness.setConnection(name, to: .connecting)
                        _ = readiness.snapshot().json()
                        readiness.setConnection(name, to: .up)
                    }
                }
            }
        }
        #expect(readiness.isReady)
    }
}
