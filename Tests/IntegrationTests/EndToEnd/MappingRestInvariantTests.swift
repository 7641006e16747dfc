import Testing

/// The CONTRACT section 7 check that every end-to-end test ends with
/// (``BridgeProcess/assertAtRest(routes:timeout:sourceLocation:)``) must be able to fail:
/// fed with counters that break each equality, it reports each one. No brokers needed.
@Suite("RestInvariants: the at-rest check catches what breaks CONTRACT 7")
struct MappingRestInvariantTests {
    /// /metrics samples of route `r`.
    static func samples(
        received: Int, acked: Int, inFlight: Int = 0, abandoned: Int = 0, deadLettered: Int = 0, dropped: Int = 0,
        confirmed: [String: Int]
    ) -> [MetricSample] {
        var out = [
            MetricSample(name: "bridge_messages_received_total", labels: ["route": "r"], value: Double(received)),
            MetricSample(name: "bridge_messages_acked_total", labels: ["route": "r"], value: Double(acked)),
            MetricSample(name: "bridge_in_flight_messages", labels: ["route": "r"], value: Double(inFlight)),
            MetricSample(name: "bridge_messages_abandoned_total", labels: ["route": "r"], value: Double(abandoned)),
        ]
        if deadLettered > 0 {
            out.append(MetricSample(name: "bridge_messages_dead_lettered_total", labels: ["route": "r", "reason": "template"], value: Double(deadLettered)))
        }
        if dropped > 0 {
            out.append(MetricSample(name: "bridge_messages_dropped_total", labels: ["route": "r", "reason": "expired"], value: Double(dropped)))
        }
        for (destination, value) in confirmed {
            out.append(MetricSample(name: "bridge_messages_confirmed_total", labels: ["route": "r", "destination": destination], value: Double(value)))
        }
        return out
    }

    static let fanOut = RouteTopology(destinations: ["a", "k"], deadLetter: "dl")
    static let single = RouteTopology(destinations: ["k"], deadLetter: "k")

    @Test func balancedCountsPass() {
        let ok = RouteRest(Self.samples(received: 10, acked: 10, confirmed: ["a": 10, "k": 10, "dl": 0]), route: "r")
        #expect(ok.violations(Self.fanOut).isEmpty, "\(ok.violations(Self.fanOut))")
        // Two of ten dead-lettered (one destination each), one dropped; the others confirmed by both.
        let mixed = RouteRest(
            Self.samples(received: 10, acked: 10, deadLettered: 2, dropped: 1, confirmed: ["a": 9, "k": 7, "dl": 2]), route: "r")
        #expect(mixed.violations(Self.fanOut).isEmpty, "\(mixed.violations(Self.fanOut))")
        // One destination whose dead letter shares its connection: confirmed = C + D.
        let shared = RouteRest(Self.samples(received: 5, acked: 5, deadLettered: 2, confirmed: ["k": 5]), route: "r")
        #expect(shared.violations(Self.single).isEmpty, "\(shared.violations(Self.single))")
    }

    @Test func eachBrokenEqualityIsReported() {
        // A message received and never acked, not in flight: lost.
        let lost = RouteRest(Self.samples(received: 10, acked: 9, confirmed: ["a": 9, "k": 9, "dl": 0]), route: "r")
        #expect(lost.violations(Self.fanOut).contains { $0.hasPrefix("received 10 != acked 9") })
        // Still in flight: not at rest.
        let busy = RouteRest(Self.samples(received: 10, acked: 9, inFlight: 1, confirmed: ["a": 9, "k": 9, "dl": 0]), route: "r")
        #expect(busy.violations(Self.fanOut).contains { $0.hasPrefix("in_flight is 1") })
        // Acked as confirmed by all while one destination confirmed fewer.
        let unconfirmed = RouteRest(Self.samples(received: 10, acked: 10, confirmed: ["a": 10, "k": 8, "dl": 0]), route: "r")
        #expect(unconfirmed.violations(Self.fanOut).contains { $0.contains("confirmed{k} 8") })
        // Dead-lettered without a confirmed dead letter.
        let noDL = RouteRest(Self.samples(received: 4, acked: 4, deadLettered: 1, confirmed: ["a": 4, "k": 3, "dl": 0]), route: "r")
        #expect(noDL.violations(Self.fanOut).contains { $0.contains("dead letters confirmed{dl} 0") })
        // More dead-lettered and dropped than acked.
        let overcounted = RouteRest(Self.samples(received: 2, acked: 2, deadLettered: 2, dropped: 1, confirmed: ["k": 2]), route: "r")
        #expect(overcounted.violations(Self.single).contains { $0.hasPrefix("acked 2 < dead_lettered 2 + dropped 1") })
        // A destination that confirmed more than it was sent.
        let extra = RouteRest(Self.samples(received: 3, acked: 3, confirmed: ["a": 3, "k": 5, "dl": 0]), route: "r")
        #expect(!extra.violations(Self.fanOut).isEmpty)
        // Missing series.
        #expect(RouteRest([], route: "r").violations(Self.fanOut) == ["the route's series are missing from /metrics"])
    }

    @Test func topologyFromCheckOutput() throws {
        let text = """
            /tmp/x.yaml: valid
            bridge b, instance i, http 127.0.0.1:1, shutdown_timeout 5s

            connections:
              mq  mqtt    mqtt://127.0.0.1:1883 (MQTT 5, client id b)

            routes:
              fan: from mqtt mq topic "a/#" qos 1, retained forward
                -> amqp rb exchange "" routing_key "q"
                -> kafka kf topic "t"
                   max_in_flight 1024, max_message_size 1000000, retry 5 attempts 100ms..10s, exhausted dead_letter
                dead letter -> amqp rb exchange "x" routing_key "dead.{route}"
              one: from kafka kf topics t (start earliest)
                -> mqtt mq topic "b" qos 1
                   max_in_flight 1024, max_message_size 1000000, retry 5 attempts 100ms..10s, exhausted block
            """
        let topology = try BridgeProcess.parseTopology(text)
        #expect(topology["fan"] == RouteTopology(destinations: ["rb", "kf"], deadLetter: "rb"))
        #expect(topology["one"] == RouteTopology(destinations: ["mq"], deadLetter: nil))
    }
}
