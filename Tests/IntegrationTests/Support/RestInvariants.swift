import Foundation
import Testing

// CONTRACT section 7, checked on a running bridge at rest:
//
//   received = acked + in_flight + abandoned
//   acked    = (acked after every destination confirmed) + dead_lettered + dropped
//
// The bridge exports no counter of "acked after every destination confirmed" (the
// delivery core keeps it as `DeliveryStats.ackedConfirmed`). What /metrics exports is
// `bridge_messages_confirmed_total{route,destination}`, where `destination` is a
// connection name, and which counts (DeliveryStateMachine.confirmed):
//   - one per destination lane of a message that the broker confirmed, at most once per
//     lane (a late confirm of an earlier attempt is ignored), and
//   - one per dead letter confirmed, in the series of the dead letter's connection.
// Two destinations on one connection share one series. So with
//   A = acked, D = sum of dead_lettered{reason}, P = sum of dropped{reason},
//   B = abandoned, C = A - D - P (acked after every destination confirmed),
//   k(c) = the number of the route's destinations on connection c, W = all destinations,
// these hold at rest and are asserted:
//   1. received == A + in_flight + B, and in_flight == 0;
//   2. C >= 0;
//   3. for every destination connection c: k(c)*C <= confirmed(c) - dl(c) <= k(c)*(A + B),
//      where dl(c) is the dead letters confirmed on c: D <= dl <= W*D on the dead letter's
//      connection, else 0 (each dead-lettered message has 1..W dead-lettered destinations);
//   4. exactly, when nothing was dead-lettered, dropped or abandoned (D = P = B = 0):
//      confirmed(c) == k(c)*A, and a dead letter connection that is no destination shows 0;
//   5. exactly, for a single-destination route without abandoned messages (W = 1, B = 0):
//      confirmed(dest) == C (+ D when the dead letter uses the same connection) and
//      confirmed(dead letter connection) == D.
// k(c), W and the dead letter's connection come from `message-bridge check` on the
// bridge's own route file.

/// One route's destinations as `message-bridge check` prints them.
struct RouteTopology: Equatable {
    /// The connection of each destination, in order.
    var destinations: [String] = []
    /// The dead letter's connection, if the route has one.
    var deadLetter: String?

    /// How many of the route's destinations publish on `connection`.
    func count(on connection: String) -> Int { destinations.filter { $0 == connection }.count }
}

/// One sample of /metrics: name, labels, value.
struct MetricSample {
    var name: String
    var labels: [String: String]
    var value: Double

    /// Parses the `name{a="x",b="y"}` keys of ``BridgeProcess/metrics()``.
    static func parse(_ metrics: [String: Double]) -> [MetricSample] {
        metrics.compactMap { key, value in
            guard let brace = key.firstIndex(of: "{") else {
                return MetricSample(name: key, labels: [:], value: value)
            }
            let name = String(key[..<brace])
            var labels: [String: String] = [:]
            var rest = key[key.index(after: brace)...].dropLast()  // drop "}"
            while let equals = rest.firstIndex(of: "=") {
                let label = String(rest[..<equals])
                var index = rest.index(equals, offsetBy: 2)  // skip ="
                var text = ""
                while index < rest.endIndex, rest[index] != "\"" {
                    if rest[index] == "\\", rest.index(after: index) < rest.endIndex {
                        index = rest.index(after: index)
                        text.append(rest[index] == "n" ? "\n" : rest[index])
                    } else {
                        text.append(rest[index])
                    }
                    index = rest.index(after: index)
                }
                labels[label] = text
                rest = index < rest.endIndex ? rest[rest.index(after: index)...] : rest[rest.endIndex...]
                if rest.first == "," { rest = rest.dropFirst() }
            }
            return MetricSample(name: name, labels: labels, value: value)
        }
    }
}

extension RouteCounts {
    /// The route's series of `name`, summed over the samples whose labels also match `labels`.
    static func sum(_ samples: [MetricSample], _ name: String, route: String, _ labels: [String: String] = [:]) -> Int {
        Int(
            samples.filter { sample in
                sample.name == name && sample.labels["route"] == route
                    && labels.allSatisfy { sample.labels[$0.key] == $0.value }
            }.reduce(0) { $0 + $1.value }
        )
    }
}

/// The counters of one route that CONTRACT section 7's equalities are made of.
struct RouteRest: CustomStringConvertible, Equatable {
    var route: String
    var received: Int
    var acked: Int
    var inFlight: Int
    var abandoned: Int
    var deadLettered: Int
    var dropped: Int
    /// `bridge_messages_confirmed_total{route,destination}` by destination connection.
    var confirmed: [String: Int]
    /// Whether every one of the route's own series (received, acked, in flight, abandoned) exists.
    var present: Bool

    init(_ samples: [MetricSample], route: String) {
        self.route = route
        let own = samples.filter { $0.labels["route"] == route }
        func one(_ name: String) -> Int? { own.first { $0.name == name }.map { Int($0.value) } }
        let r = one("bridge_messages_received_total")
        let a = one("bridge_messages_acked_total")
        let i = one("bridge_in_flight_messages")
        let b = one("bridge_messages_abandoned_total")
        present = r != nil && a != nil && i != nil && b != nil
        received = r ?? -1
        acked = a ?? -1
        inFlight = i ?? -1
        abandoned = b ?? -1
        deadLettered = RouteCounts.sum(samples, "bridge_messages_dead_lettered_total", route: route)
        dropped = RouteCounts.sum(samples, "bridge_messages_dropped_total", route: route)
        var confirmed: [String: Int] = [:]
        for sample in own where sample.name == "bridge_messages_confirmed_total" {
            confirmed[sample.labels["destination"] ?? "", default: 0] += Int(sample.value)
        }
        self.confirmed = confirmed
    }

    /// Acked after every destination confirmed: acked minus dead-lettered minus dropped.
    var ackedConfirmed: Int { acked - deadLettered - dropped }

    var description: String {
        let conf = confirmed.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        return
            "route \(route): received \(received), acked \(acked), in flight \(inFlight), abandoned \(abandoned), dead-lettered \(deadLettered), dropped \(dropped), confirmed [\(conf)]"
    }

    /// The violations of the equalities above for a route with `topology`; empty when all hold.
    func violations(_ topology: RouteTopology) -> [String] {
        var out: [String] = []
        guard present else { return ["the route's series are missing from /metrics"] }
        if inFlight != 0 { out.append("in_flight is \(inFlight), not 0") }
        if received != acked + inFlight + abandoned {
            out.append("received \(received) != acked \(acked) + in_flight \(inFlight) + abandoned \(abandoned)")
        }
        let a = acked, b = abandoned, d = deadLettered, c = ackedConfirmed
        let w = topology.destinations.count
        if c < 0 { out.append("acked \(a) < dead_lettered \(d) + dropped \(dropped)") }
        for connection in Set(topology.destinations).sorted() {
            let k = topology.count(on: connection)
            guard let value = confirmed[connection] else {
                out.append("no bridge_messages_confirmed_total series for destination \(connection)")
                continue
            }
            let isDL = topology.deadLetter == connection
            let dlLow = isDL ? d : 0
            let dlHigh = isDL ? w * d : 0
            if value - dlLow < k * c || value - dlHigh > k * (a + b) {
                out.append(
                    "confirmed{\(connection)} \(value) outside [\(k)*C + dl, \(k)*(acked+abandoned) + dl] with C = \(c), dl in \(dlLow)...\(dlHigh)"
                )
            }
            if d == 0 && dropped == 0 && b == 0 && value != k * a {
                out.append("nothing failed, so confirmed{\(connection)} \(value) must be \(k) x acked \(a) = \(k * a)")
            }
        }
        if let dl = topology.deadLetter, !topology.destinations.contains(dl) {
            let value = confirmed[dl] ?? -1
            if value < d || value > w * d {
                out.append("dead letters confirmed{\(dl)} \(value) outside [dead_lettered \(d), \(w) x \(d)]")
            }
        }
        if w == 1 && b == 0, let dest = topology.destinations.first {
            let value = confirmed[dest] ?? -1
            let expected = topology.deadLetter == dest ? c + d : c
            if value != expected {
                out.append("one destination: confirmed{\(dest)} \(value) must be acked-confirmed \(c)\(topology.deadLetter == dest ? " + dead letters \(d)" : "") = \(expected)")
            }
            if let dl = topology.deadLetter, dl != dest, confirmed[dl] != d {
                out.append("one destination: dead letters confirmed{\(dl)} \(confirmed[dl] ?? -1) must equal dead_lettered \(d)")
            }
        }
        return out
    }
}

extension BridgeProcess {
    /// The routes' destinations, from `message-bridge check` on this bridge's route file.
    func routeTopology() throws -> [String: RouteTopology] {
        let output = try ProcessRunner.run([Self.executable.path, "check", "--config", config.path], timeout: .seconds(20))
        guard output.succeeded else { throw TopologyError(description: "check failed: \(output)") }
        return try Self.parseTopology(output.stdout)
    }

    struct TopologyError: Error, CustomStringConvertible {
        var description: String
    }

    /// Parses the `routes:` part of `check`'s summary.
    static func parseTopology(_ text: String) throws -> [String: RouteTopology] {
        var out: [String: RouteTopology] = [:]
        var current: String?
        var inRoutes = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "routes:" {
                inRoutes = true
                continue
            }
            guard inRoutes else { continue }
            if line.hasPrefix("  ") && !line.hasPrefix("   "), let colon = line.firstIndex(of: ":") {
                let name = String(line.dropFirst(2)[..<colon])
                current = name
                out[name] = RouteTopology()
            } else if let route = current, line.hasPrefix("    -> ") || line.hasPrefix("    dead letter -> ") {
                let isDL = line.hasPrefix("    dead letter -> ")
                let words = line.split(separator: " ")
                // "-> <protocol> <connection> ..." / "dead letter -> <protocol> <connection> ..."
                guard let arrow = words.firstIndex(of: "->"), words.count > arrow + 2 else {
                    throw TopologyError(description: "cannot read destination line: \(line)")
                }
                let connection = String(words[arrow + 2])
                if isDL { out[route]!.deadLetter = connection } else { out[route]!.destinations.append(connection) }
            }
        }
        if out.isEmpty { throw TopologyError(description: "no routes in check output:\n\(text)") }
        return out
    }

    /// The CONTRACT section 7 counters of `routes`, read once.
    func rest(_ routes: [String]) -> [RouteRest] {
        let samples = MetricSample.parse(metrics())
        return routes.map { RouteRest(samples, route: $0) }
    }

    /// Waits until every route in `routes` is at rest (in flight 0, counters unchanged over
    /// two reads 300 ms apart), then records an issue for each equality of CONTRACT
    /// section 7 that does not hold (see the top of this file for the exact form).
    ///
    /// - Parameters:
    ///   - routes: The route names.
    ///   - timeout: How long the routes may take to come to rest.
    ///   - sourceLocation: Where the issues are reported.
    func assertAtRest(routes: [String], timeout: TimeInterval = 15, sourceLocation: SourceLocation = #_sourceLocation) {
        let topology: [String: RouteTopology]
        do {
            topology = try routeTopology()
        } catch {
            Issue.record("cannot read the route table: \(error)", sourceLocation: sourceLocation)
            return
        }
        var last: [RouteRest] = []
        let settled = Self.wait(timeout) {
            let first = rest(routes)
            guard first.allSatisfy({ $0.present && $0.inFlight == 0 }) else {
                last = first
                return false
            }
            Thread.sleep(forTimeInterval: 0.3)
            last = rest(routes)
            return last == first
        }
        if !settled {
            Issue.record(
                "routes not at rest after \(timeout) s: \(last.map(\.description).joined(separator: "; "))\nlog:\n\(logTail)",
                sourceLocation: sourceLocation
            )
            return
        }
        for counts in last {
            guard let shape = topology[counts.route] else {
                Issue.record("route \(counts.route) is not in the route file", sourceLocation: sourceLocation)
                continue
            }
            for violation in counts.violations(shape) {
                Issue.record("CONTRACT 7 at rest, \(violation) (\(counts))", sourceLocation: sourceLocation)
            }
        }
    }
}
