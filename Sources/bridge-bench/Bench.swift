import Foundation
import Glibc
import NIOCore
import NIOPosix

/// Command-line options of bridge-bench.
struct Options {
    var pairs: [(Broker, Broker)] = Bench.allPairs
    var count: Int?
    var size = 100
    var window = 1024
    var json: String?
    var markdown: String?
    var brokersEnv = ProcessInfo.processInfo.environment["BRIDGE_BROKERS_ENV"] ?? "/tmp/message-bridge-brokers/brokers.env"
    var binDir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().path
    var anchors = true
    var latency = true
    var memory = false
    var memoryBacklog = 1_000_000
    var memoryPair: (Broker, Broker) = (.kafka, .amqp)
    var partitions: Int?
    var workDir = "/tmp/bridge-bench"
    /// Runs the bridge under valgrind's callgrind and reports instructions per message.
    var callgrind = false
    /// Records the bridge with `perf record -g` during the throughput pass (`--perf`).
    var perf = false
    /// Extra librdkafka properties for the bridge's Kafka connection (`--kafka-property k=v`).
    var kafkaProperties: [(String, String)] = []

    static let usage = """
        usage: bridge-bench [--pairs mqtt-amqp,mqtt-kafka,...|all|none] [--count N] [--size BYTES] [--window N]
                            [--json FILE] [--markdown FILE] [--brokers-env FILE] [--bin-dir DIR]
                            [--no-anchors] [--no-latency] [--partitions N] [--callgrind] [--perf] [--kafka-property NAME=VALUE]
                            [--memory] [--memory-backlog N] [--memory-pair kafka-amqp]
        pairs: mqtt, kafka, amqp as source-destination; MQTT->MQTT goes to the second mosquitto,
        AMQP->AMQP to vhost b (like the Shovel anchor).
        """

    init(_ arguments: [String]) throws {
        var rest = arguments[...]
        func value(_ flag: String) throws -> String {
            guard let value = rest.popFirst() else { throw Bench.Failure(description: "\(flag) needs a value\n\(Self.usage)") }
            return value
        }
        while let flag = rest.popFirst() {
            switch flag {
            case "--pairs":
                let text = try value(flag)
                pairs = text == "all" ? Bench.allPairs : text == "none" ? [] : try text.split(separator: ",").map { try Bench.pair(String($0)) }
            case "--count": count = Int(try value(flag))
            case "--size": size = Int(try value(flag)) ?? 100
            case "--window": window = Int(try value(flag)) ?? 1024
            case "--json": json = try value(flag)
            case "--markdown": markdown = try value(flag)
            case "--brokers-env": brokersEnv = try value(flag)
            case "--bin-dir": binDir = try value(flag)
            case "--no-anchors": anchors = false
            case "--no-latency": latency = false
            case "--partitions": partitions = Int(try value(flag))
            case "--memory": memory = true
            case "--callgrind": callgrind = true
            case "--perf": perf = true
            case "--kafka-property":
                let pair = try value(flag).split(separator: "=", maxSplits: 1).map(String.init)
                guard pair.count == 2 else { throw Bench.Failure(description: "--kafka-property wants NAME=VALUE") }
                kafkaProperties.append((pair[0], pair[1]))
            case "--memory-backlog": memoryBacklog = Int(try value(flag)) ?? 1_000_000
            case "--memory-pair": memoryPair = try Bench.pair(try value(flag))
            case "--help", "-h":
                print(Self.usage)
                exit(0)
            default:
                throw Bench.Failure(description: "unknown argument \(flag)\n\(Self.usage)")
            }
        }
    }

    /// 100,000 messages of 100 B or 1 KiB; fewer of bigger ones (about 200 MB a pass).
    var messageCount: Int { count ?? min(100_000, max(1_000, 200_000_000 / max(size, 1))) }
}

/// Results of one measured pass.
struct PassResult: Codable {
    var messages: Int
    var received: Int
    var lost: Int
    var duplicates: Int
    var seconds: Double
    var rate: Double
    var p50Micros: Double
    var p99Micros: Double
    var p999Micros: Double
}

/// A producer/consumer run without a bridge, on one broker.
struct DirectResult: Codable {
    var broker: String
    var throughput: PassResult
    var latency: PassResult?
}

struct BridgeResult: Codable {
    var throughput: PassResult
    var latency: PassResult?
    var latencyRate: Double?
    var cpuSecondsPer100k: Double
    var cpuMicrosPerMessage: Double
    var peakRSSBytes: Int
    var rssAfterBytes: Int
    /// RSS once ready, before the first message: the floor under every load.
    var rssIdleBytes: Int
    var forwardP99Seconds: Double?
    /// `bridge_delivery_seconds` (receive to source ack) at 50% load: bucket upper bounds.
    var deliveryP50Seconds: Double?
    var deliveryP99Seconds: Double?
    /// With --callgrind: instructions the bridge executed per message of the throughput pass.
    var instructionsPerMessage: Double?
}

struct AnchorResult: Codable {
    var name: String
    var throughput: PassResult
}

struct PairResult: Codable {
    var pair: String
    var size: Int
    var messages: Int
    var sourceDirect: DirectResult
    var destinationDirect: DirectResult
    var ceiling: Double
    var bridge: BridgeResult?
    var ratio: Double?
    var anchor: AnchorResult?
    var target: String
    var targetMet: Bool?
    var error: String?
}

struct MemorySample: Codable {
    var seconds: Double
    var drained: Int
    var rssBytes: Int
}

struct MemoryResult: Codable {
    var pair: String
    var backlog: Int
    var maxInFlight: Int
    var drainSeconds: Double
    var lost: Int
    var duplicates: Int
    var samples: [MemorySample]
    var rssMinBytes: Int
    var rssMaxBytes: Int
    var rssAt10PercentBytes: Int
    var rssAt90PercentBytes: Int
    var peakRSSBytes: Int
    var error: String?
}

struct Report: Codable {
    var date: String
    var machine: String
    var loadAverageBefore: String
    var loadAverageAfter: String
    var size: Int
    var window: Int
    var pairs: [PairResult]
    var memory: [MemoryResult]
}

final class Bench {
    struct Failure: Error, CustomStringConvertible { var description: String }

    static let allPairs: [(Broker, Broker)] = [
        (.mqtt, .amqp), (.mqtt, .kafka), (.kafka, .amqp), (.kafka, .mqtt), (.amqp, .mqtt), (.amqp, .kafka),
        (.mqtt, .mqtt2), (.kafka, .kafka), (.amqp, .amqpB),
    ]

    static func pair(_ text: String) throws -> (Broker, Broker) {
        let parts = text.lowercased().replacingOccurrences(of: "->", with: "-").split(separator: "-")
        guard parts.count == 2, let from = Broker(rawValue: String(parts[0])), let to = Broker(rawValue: String(parts[1])) else {
            throw Failure(description: "pair '\(text)': write source-destination with mqtt, kafka, amqp")
        }
        // The same protocol on both ends goes to the second broker (mosquitto 2, vhost b).
        if from == to, from == .mqtt { return (.mqtt, .mqtt2) }
        if from == to, from == .amqp { return (.amqp, .amqpB) }
        return (from, to)
    }

    static func name(_ pair: (Broker, Broker)) -> String {
        "\(pair.0.protocolName.uppercased())→\(pair.1.protocolName.uppercased())"
    }

    let options: Options
    let env: [String: String]
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
    var kafkaMock: Child?
    var kafkaBootstrap = ""
    var kafkaControl = ""
    var pass: UInt32 = 1

    init(options: Options) throws {
        self.options = options
        var env: [String: String] = [:]
        let text = try String(contentsOfFile: options.brokersEnv, encoding: .utf8)
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            env[String(line[..<eq])] = String(line[line.index(after: eq)...])
        }
        self.env = env
        try FileManager.default.createDirectory(atPath: options.workDir, withIntermediateDirectories: true)
    }

    func log(_ message: String) {
        FileHandle.standardError.write(Data("bench: \(message)\n".utf8))
    }

    func url(_ broker: Broker) -> String {
        switch broker {
        case .mqtt: env["MQTT_URL"] ?? "mqtt://127.0.0.1:1883"
        case .mqtt2: env["MQTT2_URL"] ?? "mqtt://127.0.0.1:1893"
        case .amqp: env["AMQP_URL"] ?? "amqp://guest:guest@127.0.0.1:5672/%2f"
        case .amqpB: env["AMQP_URL_B"] ?? "amqp://guest:guest@127.0.0.1:5672/b"
        case .kafka: kafkaBootstrap
        }
    }

    // MARK: Kafka: a private mock cluster, so no test's injected faults land in a measurement

    func startKafka() throws {
        guard kafkaMock == nil else { return }
        let dir = options.workDir + "/kafka-\(getpid())"
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        kafkaControl = dir + "/control.sock"
        let bootstrapFile = dir + "/bootstrap"
        let mock = try Child(
            [options.binDir + "/kafka-mock-broker", "--brokers", "1", "--bootstrap-file", bootstrapFile, "--control", kafkaControl],
            log: dir + "/mock.log"
        )
        kafkaMock = mock
        for _ in 0..<200 {
            if let text = try? String(contentsOfFile: bootstrapFile, encoding: .utf8), !text.isEmpty,
                FileManager.default.fileExists(atPath: kafkaControl)
            {
                kafkaBootstrap = text.trimmingCharacters(in: .whitespacesAndNewlines)
                return
            }
            usleep(50_000)
        }
        throw Failure(description: "kafka-mock-broker did not start; see \(dir)/mock.log")
    }

    func createTopic(_ name: String, partitions: Int) throws {
        let result = try run(["socat", "-t", "5", "-", "UNIX-CONNECT:\(kafkaControl)"], input: "topic create \(name) \(partitions)\n")
        guard result.output.contains("ok") else { throw Failure(description: "topic create \(name): \(result.output)") }
    }

    /// Partitions for a Kafka topic that takes about 2.5 passes: the mock keeps ~5 MiB each.
    var kafkaPartitions: Int {
        if let partitions = options.partitions { return partitions }
        let bytes = Double(options.messageCount) * Double(options.size + 80) * 2.6
        return min(256, max(16, Int((bytes / 3_000_000).rounded(.up))))
    }

    // MARK: Clients

    func nextPass() -> UInt32 {
        pass += 1
        return pass
    }

    /// A consumer of what arrives at `name` on `broker` (a queue bound to amq.direct, a topic).
    func consumer(_ broker: Broker, name: String, tag: String, partitions: Int) throws -> any LoadConsumer {
        switch broker {
        case .mqtt, .mqtt2:
            let load = try MQTTLoad.connect(group: group, url: url(broker), clientID: "bench-\(tag)-sub-\(broker.rawValue)")
            try load.subscribe(name)
            return MQTTConsumer(load: load)
        case .amqp, .amqpB:
            let load = try AMQPLoad.connect(group: group, url: url(broker))
            try load.declareQueue(name)
            try load.bind(queue: name, exchange: "amq.direct", routingKey: name)
            try load.consume(name, prefetch: 2048)
            return AMQPConsumer(load: load)
        case .kafka:
            return KafkaConsumerLoad(consumer: try KafkaLoad.Consumer(bootstrap: kafkaBootstrap, topic: name, partitions: partitions))
        }
    }

    /// A producer to `name` on `broker`; AMQP publishes to amq.direct with `name` as routing key.
    func producer(_ broker: Broker, name: String, tag: String, partitions: Int) throws -> any LoadProducer {
        switch broker {
        case .mqtt, .mqtt2:
            let load = try MQTTLoad.connect(group: group, url: url(broker), clientID: "bench-\(tag)-pub-\(broker.rawValue)")
            return MQTTProducer(load: load, topic: name, size: options.size)
        case .amqp, .amqpB:
            let load = try AMQPLoad.connect(group: group, url: url(broker))
            return try AMQPProducer(load: load, exchange: "amq.direct", routingKey: name, size: options.size)
        case .kafka:
            return KafkaProducerLoad(producer: try KafkaLoad.Producer(bootstrap: kafkaBootstrap), topic: name, partitions: partitions, size: options.size)
        }
    }

    /// The name of a fresh topic or queue on `broker` (created where it must exist first).
    func resource(_ broker: Broker, tag: String, role: String) throws -> String {
        switch broker {
        case .mqtt, .mqtt2: return "bench/\(tag)/\(role)"
        case .amqp, .amqpB: return "bench.\(tag).\(role)"
        case .kafka:
            let name = "bench.\(tag).\(role)"
            try createTopic(name, partitions: kafkaPartitions)
            return name
        }
    }

    func deleteQueue(_ broker: Broker, _ name: String) {
        guard broker == .amqp || broker == .amqpB, let load = try? AMQPLoad.connect(group: group, url: url(broker)) else { return }
        try? load.deleteQueue(name)
        load.close()
    }

    // MARK: Passes

    func measure(_ producer: any LoadProducer, _ consumer: any LoadConsumer, count: Int, rate: Double?, idle: Double = 30) throws -> PassResult {
        let pass = nextPass()
        consumer.collector.begin(pass: pass, expected: count)
        let start = monotonicNanos()
        _ = try producer.send(pass: pass, count: count, rate: rate)
        let snapshot = consumer.collector.wait(idle: idle)
        let end = snapshot.lastReceive > 0 ? snapshot.lastReceive : monotonicNanos()
        let seconds = Double(end - start) / 1e9
        let h = snapshot.histogram
        return PassResult(
            messages: count, received: snapshot.unique, lost: count - snapshot.unique, duplicates: snapshot.duplicates,
            seconds: seconds, rate: Double(snapshot.unique) / max(seconds, 1e-9),
            p50Micros: Double(h.valueAtPercentile(50)) / 1000, p99Micros: Double(h.valueAtPercentile(99)) / 1000,
            p999Micros: Double(h.valueAtPercentile(99.9)) / 1000
        )
    }

    /// Messages in a latency pass: about four seconds at `rate`, at most the throughput count.
    func latencyCount(rate: Double) -> Int {
        min(options.messageCount, max(2_000, Int(rate * 4)))
    }

    func warmUp(_ producer: any LoadProducer, _ consumer: any LoadConsumer, idle: Double = 20) throws -> PassResult {
        try measure(producer, consumer, count: 1_000, rate: nil, idle: idle)
    }

    /// Producer and consumer on one broker, no bridge.
    func direct(_ broker: Broker, tag: String) throws -> DirectResult {
        let partitions = kafkaPartitions
        let name = try resource(broker, tag: tag, role: "direct-\(broker.rawValue)")
        let consumer = try consumer(broker, name: name, tag: tag + "d", partitions: partitions)
        let producer = try producer(broker, name: name, tag: tag + "d", partitions: partitions)
        defer {
            producer.close()
            consumer.close()
            deleteQueue(broker, name)
        }
        _ = try warmUp(producer, consumer)
        let throughput = try measure(producer, consumer, count: options.messageCount, rate: nil)
        var latency: PassResult?
        if options.latency {
            let rate = throughput.rate / 2
            latency = try measure(producer, consumer, count: latencyCount(rate: rate), rate: rate)
        }
        log("direct \(broker.rawValue): \(Int(throughput.rate)) msg/s")
        return DirectResult(broker: broker.rawValue, throughput: throughput, latency: latency)
    }

    // MARK: The bridge

    func connectionYAML(_ broker: Broker, tag: String) -> String {
        switch broker {
        case .mqtt, .mqtt2:
            return """
                  \(broker.rawValue):
                    protocol: mqtt
                    url: \(url(broker))
                    mqtt_version: 5
                    client_id: bench-\(tag)
                    session_expiry: 1h
                """
        case .amqp, .amqpB:
            return """
                  \(broker.rawValue):
                    protocol: amqp
                    url: \(url(broker))
                    prefetch: auto
                """
        case .kafka:
            return """
                  kafka:
                    protocol: kafka
                    bootstrap_servers: \(kafkaBootstrap)
                    group_id: bench-\(tag)
                """ + (bridgeKafkaProperties.isEmpty ? "" : "\n    properties:\n" + bridgeKafkaProperties.map { "      \($0.0): \"\($0.1)\"" }.joined(separator: "\n"))
        }
    }

    /// The bridge's Kafka connection properties: `--kafka-property`, and for messages of
    /// 16 KiB and more `sticky.partitioning.linger.ms: 0` unless given. The bridge's producer
    /// sends keyless records; librdkafka's sticky partitioner puts all of them from 10 ms
    /// into one partition, and the bridge forwards a Kafka source's fetch (about 64 records
    /// of 64 KiB) in one burst: single destination partitions got up to 264 records (16.5 MiB)
    /// where the average was 23. The mock keeps about 5 MiB per partition and drops the
    /// oldest, so records the reader had not reached yet were gone (docs/bench/RESULTS.md).
    /// With 0 every record picks a random partition: an even spread under the mock's limit.
    var bridgeKafkaProperties: [(String, String)] {
        var properties = options.kafkaProperties
        if options.size >= 16384, !properties.contains(where: { $0.0 == "sticky.partitioning.linger.ms" }) {
            properties.append(("sticky.partitioning.linger.ms", "0"))
        }
        return properties
    }

    func sourceYAML(_ broker: Broker, _ name: String) -> String {
        switch broker {
        case .mqtt, .mqtt2: "{ connection: \(broker.rawValue), topic: \"\(name)\", qos: 1 }"
        case .amqp, .amqpB: "{ connection: \(broker.rawValue), queue: \"\(name)\" }"
        case .kafka: "{ connection: kafka, topic: \"\(name)\", start: earliest }"
        }
    }

    func destinationYAML(_ broker: Broker, _ name: String) -> String {
        switch broker {
        case .mqtt, .mqtt2: "{ connection: \(broker.rawValue), topic: \"\(name)\", qos: 1 }"
        case .amqp, .amqpB: "{ connection: \(broker.rawValue), exchange: amq.direct, routing_key: \"\(name)\" }"
        case .kafka: "{ connection: kafka, topic: \"\(name)\" }"
        }
    }

    /// Starts `message-bridge run` with one route from `source` to `destination`; returns once /readyz says ready.
    func startBridge(from: Broker, _ source: String, to: Broker, _ destination: String, tag: String, maxInFlight: Int) throws -> (Child, Int) {
        let port = freePort()
        var connections = [connectionYAML(from, tag: tag)]
        if to != from { connections.append(connectionYAML(to, tag: tag)) }
        let config = """
            version: 1
            bridge:
              name: bench-\(tag)
              instance: bench
              http: 127.0.0.1:\(port)
              shutdown_timeout: 5s
              max_in_flight: \(maxInFlight)
              max_message_size: 1MiB
            connections:
            \(connections.joined(separator: "\n"))
            routes:
              - name: bench
                from: \(sourceYAML(from, source))
                to: \(destinationYAML(to, destination))
            """
        let path = options.workDir + "/bridge-\(tag).yaml"
        try config.write(toFile: path, atomically: true, encoding: .utf8)
        var command = [options.binDir + "/message-bridge", "run", "--config", path, "--log-format", "json", "--log-level", ProcessInfo.processInfo.environment["BENCH_BRIDGE_LOG_LEVEL"] ?? "warning"]
        if options.callgrind {
            // Instructions per message: the bench zeroes the counters before the throughput
            // pass and dumps them after it (callgrind_control), so start-up is not counted.
            command = ["/usr/bin/valgrind", "--tool=callgrind", "--collect-atstart=yes",
                       "--callgrind-out-file=\(options.workDir)/callgrind-\(tag).out"] + command
        }
        let child = try Child(command, log: options.workDir + "/bridge-\(tag).log")
        for _ in 0..<(options.callgrind ? 3000 : 600) {
            if let answer = httpGet(port: port, path: "/readyz"), answer.status == 200 { return (child, port) }
            guard child.process.isRunning else { break }
            usleep(100_000)
        }
        child.stop()
        let log = (try? String(contentsOfFile: child.logPath, encoding: .utf8)) ?? ""
        throw Failure(description: "the bridge never became ready: \(log.suffix(2000))")
    }

    func runBridge(from: Broker, to: Broker, tag: String) throws -> BridgeResult {
        let partitions = kafkaPartitions
        let source = try resource(from, tag: tag, role: "in")
        let destination = try resource(to, tag: tag, role: "out")
        if from == .amqp || from == .amqpB {
            let load = try AMQPLoad.connect(group: group, url: url(from))
            try load.declareQueue(source)
            try load.bind(queue: source, exchange: "amq.direct", routingKey: source)
            load.close()
        }
        let consumer = try consumer(to, name: destination, tag: tag, partitions: partitions)
        let producer = try producer(from, name: source, tag: tag, partitions: partitions)
        defer {
            producer.close()
            consumer.close()
            deleteQueue(from, source)
            deleteQueue(to, destination)
        }
        let (bridge, port) = try startBridge(from: from, source, to: to, destination, tag: tag, maxInFlight: options.window)
        defer { bridge.stop() }
        let idleRSS = bridge.statusBytes("VmRSS")
        let warm = try warmUp(producer, consumer, idle: 30)
        if warm.lost > 0 { log("warm-up through the bridge: \(warm.lost) of 1000 missing") }
        if options.callgrind { _ = try run(["callgrind_control", "--zero", String(bridge.pid)]) }
        var perf: Child?
        if options.perf {
            let data = options.workDir + "/perf-\(from.rawValue)-\(to.rawValue)-\(tag).data"
            perf = try Child(["/usr/bin/perf", "record", "-F", "999", "-e", "cpu-clock", "-g", "-p", String(bridge.pid), "-o", data],
                             log: data + ".log")
            usleep(500_000)
        }
        let cpu0 = bridge.cpuSeconds()
        let throughput = try measure(producer, consumer, count: options.messageCount, rate: nil)
        let cpu1 = bridge.cpuSeconds()
        if throughput.lost > 0 { explainLoss(consumer, bridgePort: port, partitions: partitions) }
        if let perf {
            kill(perf.pid, SIGINT)
            perf.process.waitUntilExit()
        }
        var instructions: Double?
        if options.callgrind {
            _ = try run(["callgrind_control", "--dump=bench", String(bridge.pid)])
            instructions = callgrindTotal(prefix: options.workDir + "/callgrind-\(tag).out").map { $0 / Double(throughput.received) }
        }
        var latency: PassResult?
        var forward: Double?
        var deliveryP50: Double?
        var deliveryP99: Double?
        var latencyRate: Double?
        if options.latency {
            let before = httpGet(port: port, path: "/metrics")?.body ?? ""
            let rate = throughput.rate / 2
            latencyRate = rate
            latency = try measure(producer, consumer, count: latencyCount(rate: rate), rate: rate)
            let after = httpGet(port: port, path: "/metrics")?.body ?? ""
            forward = histogramQuantile(
                0.99, before: histogramBuckets(before, name: "bridge_forward_seconds", route: "bench"),
                after: histogramBuckets(after, name: "bridge_forward_seconds", route: "bench")
            )
            let deliveryBefore = histogramBuckets(before, name: "bridge_delivery_seconds", route: "bench")
            let deliveryAfter = histogramBuckets(after, name: "bridge_delivery_seconds", route: "bench")
            deliveryP50 = histogramQuantile(0.5, before: deliveryBefore, after: deliveryAfter)
            deliveryP99 = histogramQuantile(0.99, before: deliveryBefore, after: deliveryAfter)
        }
        let cpu = cpu1 - cpu0
        let result = BridgeResult(
            throughput: throughput, latency: latency, latencyRate: latencyRate,
            cpuSecondsPer100k: cpu / Double(options.messageCount) * 100_000,
            cpuMicrosPerMessage: cpu / Double(options.messageCount) * 1e6,
            peakRSSBytes: bridge.statusBytes("VmHWM"), rssAfterBytes: bridge.statusBytes("VmRSS"), rssIdleBytes: idleRSS,
            forwardP99Seconds: forward, deliveryP50Seconds: deliveryP50, deliveryP99Seconds: deliveryP99,
            instructionsPerMessage: instructions
        )
        log("bridge \(from.rawValue)->\(to.rawValue): \(Int(throughput.rate)) msg/s, \(String(format: "%.2f", result.cpuMicrosPerMessage)) µs CPU/msg")
        return result
    }

    /// Logs what tells a loss from a stall or a broker that dropped records: the bridge's
    /// counters and in-flight messages, the missing sequence numbers (and the source partition
    /// the bench's round-robin producer put each in), the reader's errors and, for a Kafka
    /// destination, the partitions whose oldest records the broker dropped (low watermark > 0).
    /// `BENCH_LOSS_WAIT=N` first waits N more seconds with the bridge running.
    func explainLoss(_ consumer: any LoadConsumer, bridgePort port: Int, partitions: Int) {
        if let wait = ProcessInfo.processInfo.environment["BENCH_LOSS_WAIT"].flatMap(Double.init), wait > 0 {
            let before = consumer.collector.uniqueCount
            usleep(UInt32(wait * 1e6))
            log("loss: \(consumer.collector.uniqueCount - before) more arrived in \(Int(wait)) s more")
        }
        let missing = consumer.collector.missing()
        log("loss: \(missing.count) missing; first: \(missing.prefix(20).map { "\($0) (p\($0 % partitions))" }.joined(separator: ", "))")
        let metrics = httpGet(port: port, path: "/metrics")?.body ?? ""
        for line in metrics.split(separator: "\n") where !line.hasPrefix("#") {
            if ["bridge_in_flight_messages", "bridge_messages_", "bridge_kafka_consumer_lag", "bridge_dead", "bridge_publish"]
                .contains(where: { line.hasPrefix($0) }), !line.contains("_bucket")
            {
                log("loss: bridge \(line)")
            }
        }
        guard let kafka = consumer as? KafkaConsumerLoad else { return }
        log("loss: reader errors \(kafka.consumer.errors)")
        let marks = kafka.consumer.watermarks()
        let dropped = marks.filter { $0.low > 0 }
        let highs = marks.map(\.high)
        log("loss: destination \(marks.count) partitions, \(highs.reduce(0, +)) records, at most \(highs.max() ?? 0) in one; \(dropped.count) partitions dropped their oldest records: \(dropped.prefix(20).map { "p\($0.partition) low \($0.low) high \($0.high)" }.joined(separator: ", "))")
    }

    /// The `summary:`/`totals:` of the newest callgrind dump whose name starts with `prefix`.
    func callgrindTotal(prefix: String) -> Double? {
        let dir = (prefix as NSString).deletingLastPathComponent
        let base = (prefix as NSString).lastPathComponent
        for _ in 0..<100 {
            let files = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasPrefix(base + ".") }
            if let newest = files.sorted(by: { $0.count == $1.count ? $0 < $1 : $0.count < $1.count }).last,
                let text = try? String(contentsOfFile: dir + "/" + newest, encoding: .utf8)
            {
                for line in text.split(separator: "\n") where line.hasPrefix("summary:") || line.hasPrefix("totals:") {
                    if let value = line.split(separator: " ").dropFirst().first.flatMap({ Double($0) }) { return value }
                }
            }
            usleep(100_000)
        }
        return nil
    }

    // MARK: Anchors

    /// RabbitMQ Shovel (ack-mode on-confirm) from a queue in vhost / to amq.direct in vhost b.
    func shovel(tag: String) throws -> AnchorResult {
        let ctl = env["RABBITMQCTL"] ?? "rabbitmqctl"
        let source = "bench.\(tag).shovel-in"
        let destination = "bench.\(tag).shovel-out"
        let setup = try AMQPLoad.connect(group: group, url: url(.amqp))
        try setup.declareQueue(source)
        try setup.bind(queue: source, exchange: "amq.direct", routingKey: source)
        setup.close()
        let consumer = try consumer(.amqpB, name: destination, tag: tag, partitions: 1)
        let producer = try producer(.amqp, name: source, tag: tag, partitions: 1)
        let name = "bench-\(tag)"
        let src = try AMQPLoad.Address(url(.amqp))
        let dst = try AMQPLoad.Address(url(.amqpB))
        func uri(_ address: AMQPLoad.Address) -> String {
            let vhost = address.vhost == "/" ? "%2f" : address.vhost
            return "amqp://\(address.user):\(address.password)@\(address.host):\(address.port)/\(vhost)"
        }
        let definition = """
            {"src-protocol":"amqp091","src-uri":"\(uri(src))","src-queue":"\(source)","src-prefetch-count":\(options.window),\
            "dest-protocol":"amqp091","dest-uri":"\(uri(dst))","dest-exchange":"amq.direct","dest-exchange-key":"\(destination)",\
            "ack-mode":"on-confirm"}
            """
        defer {
            _ = try? run([ctl, "clear_parameter", "-p", "/", "shovel", name])
            producer.close()
            consumer.close()
            deleteQueue(.amqp, source)
            deleteQueue(.amqpB, destination)
        }
        let set = try run([ctl, "set_parameter", "-p", "/", "shovel", name, definition])
        guard set.status == 0 else { throw Failure(description: "set_parameter shovel: \(set.output)") }
        _ = try warmUp(producer, consumer, idle: 30)
        let throughput = try measure(producer, consumer, count: options.messageCount, rate: nil)
        log("shovel: \(Int(throughput.rate)) msg/s")
        return AnchorResult(name: "RabbitMQ Shovel (ack-mode on-confirm)", throughput: throughput)
    }

    /// mosquitto's own bridge at QoS 1: a private mosquitto whose `connection` forwards to the second broker.
    func mosquittoBridge(tag: String) throws -> AnchorResult {
        let port = freePort()
        let topic = "bench/\(tag)/anchor"
        let (remoteHost, remotePort) = try MQTTLoad.parse(url(.mqtt2))
        let dir = options.workDir + "/mosquitto-\(tag)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let config = """
            listener \(port) 127.0.0.1
            allow_anonymous true
            persistence false
            max_inflight_messages 1000
            max_queued_messages 0
            log_dest stderr
            log_type error
            log_type warning
            connection bench-\(tag)
            address \(remoteHost):\(remotePort)
            topic \(topic) out 1
            cleansession true
            bridge_protocol_version mqttv50
            """
        try config.write(toFile: dir + "/mosquitto.conf", atomically: true, encoding: .utf8)
        let mosquitto = try Child(["/usr/sbin/mosquitto", "-c", dir + "/mosquitto.conf"], log: dir + "/mosquitto.log")
        defer { mosquitto.stop() }
        let consumer = try consumer(.mqtt2, name: topic, tag: tag, partitions: 1)
        defer { consumer.close() }
        var producer: (any LoadProducer)?
        for _ in 0..<100 where producer == nil {
            if let load = try? MQTTLoad.connect(group: group, url: "mqtt://127.0.0.1:\(port)", clientID: "bench-\(tag)-anchor") {
                producer = MQTTProducer(load: load, topic: topic, size: options.size)
            } else {
                usleep(100_000)
            }
        }
        guard let producer else { throw Failure(description: "private mosquitto on \(port) did not start") }
        defer { producer.close() }
        usleep(1_000_000)  // its bridge connects to the remote broker
        _ = try warmUp(producer, consumer, idle: 5)
        let throughput = try measure(producer, consumer, count: options.messageCount, rate: nil)
        log("mosquitto bridge: \(Int(throughput.rate)) msg/s")
        return AnchorResult(name: "mosquitto bridge (QoS 1)", throughput: throughput)
    }

    // MARK: One pair

    func target(_ pair: (Broker, Broker)) -> String {
        switch pair {
        case (.mqtt, .kafka): "≥ 90% of the slower broker's direct rate"
        case (.amqp, .amqpB): "≥ 1.3 × RabbitMQ Shovel on-confirm"
        case (.mqtt, .mqtt2): "≥ 90% of mosquitto's bridge"
        case (.kafka, .kafka): "≥ 80% of the direct rate"
        default: "≥ 80% of the slower broker's direct rate"
        }
    }

    func runPair(_ pair: (Broker, Broker)) -> PairResult {
        let tag = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        let name = Self.name(pair)
        log("\(name): tag \(tag)")
        var result = PairResult(
            pair: name, size: options.size, messages: options.messageCount,
            sourceDirect: DirectResult(broker: pair.0.rawValue, throughput: .empty), destinationDirect: DirectResult(broker: pair.1.rawValue, throughput: .empty),
            ceiling: 0, target: target(pair)
        )
        do {
            result.sourceDirect = try direct(pair.0, tag: tag)
            result.destinationDirect = pair.1 == pair.0 ? result.sourceDirect : try direct(pair.1, tag: tag)
            result.ceiling = min(result.sourceDirect.throughput.rate, result.destinationDirect.throughput.rate)
            let bridge = try runBridge(from: pair.0, to: pair.1, tag: tag)
            result.bridge = bridge
            result.ratio = bridge.throughput.rate / result.ceiling
            if options.anchors, pair == (.amqp, .amqpB) { result.anchor = try shovel(tag: tag) }
            if options.anchors, pair == (.mqtt, .mqtt2) { result.anchor = try mosquittoBridge(tag: tag) }
            let ratio = bridge.throughput.rate / result.ceiling
            switch pair {
            case (.mqtt, .kafka): result.targetMet = ratio >= 0.9
            case (.amqp, .amqpB): result.targetMet = result.anchor.map { bridge.throughput.rate >= 1.3 * $0.throughput.rate }
            case (.mqtt, .mqtt2): result.targetMet = result.anchor.map { bridge.throughput.rate >= 0.9 * $0.throughput.rate }
            default: result.targetMet = ratio >= 0.8
            }
            if bridge.throughput.lost != 0 || bridge.throughput.duplicates != 0 { result.targetMet = false }
        } catch {
            log("\(name) failed: \(error)")
            result.error = "\(error)"
        }
        return result
    }

    // MARK: Memory under a backlog

    /// Fills the source with `backlog` messages first, then starts the bridge and samples its
    /// RSS while it drains.
    func memoryTest(backlog: Int, maxInFlight: Int) -> MemoryResult {
        let pair = options.memoryPair
        let tag = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        var result = MemoryResult(
            pair: Self.name(pair), backlog: backlog, maxInFlight: maxInFlight, drainSeconds: 0, lost: 0, duplicates: 0,
            samples: [], rssMinBytes: 0, rssMaxBytes: 0, rssAt10PercentBytes: 0, rssAt90PercentBytes: 0, peakRSSBytes: 0
        )
        do {
            let bytes = Double(backlog) * Double(options.size + 80) * 1.3
            let partitions = options.partitions ?? min(256, max(16, Int((bytes / 3_000_000).rounded(.up))))
            let (from, to) = pair
            let source = "bench.\(tag).backlog"
            let destination = "bench.\(tag).drained"
            if from == .kafka { try createTopic(source, partitions: partitions) }
            if to == .kafka { try createTopic(destination, partitions: partitions) }
            if from == .amqp || from == .amqpB {
                let load = try AMQPLoad.connect(group: group, url: url(from))
                try load.declareQueue(source)
                try load.bind(queue: source, exchange: "amq.direct", routingKey: source)
                load.close()
            }
            let sourceName = from == .mqtt || from == .mqtt2 ? "bench/\(tag)/backlog" : source
            let destinationName = to == .mqtt || to == .mqtt2 ? "bench/\(tag)/drained" : destination
            let consumer = try consumer(to, name: destinationName, tag: tag, partitions: partitions)
            let producer = try producer(from, name: sourceName, tag: tag, partitions: partitions)
            defer {
                producer.close()
                consumer.close()
                deleteQueue(from, source)
                deleteQueue(to, destination)
            }
            var bridge: Child?
            if from == .mqtt || from == .mqtt2 {
                // The bridge's persistent session must exist before the backlog is published.
                let (child, _) = try startBridge(from: from, sourceName, to: to, destinationName, tag: tag, maxInFlight: maxInFlight)
                child.stop()
            }
            let pass = nextPass()
            consumer.collector.begin(pass: pass, expected: backlog)
            log("memory: filling \(backlog) messages into \(from.rawValue) \(sourceName)")
            _ = try producer.send(pass: pass, count: backlog, rate: nil)
            log("memory: draining with max_in_flight \(maxInFlight)")
            let start = monotonicNanos()
            let (child, _) = try startBridge(from: from, sourceName, to: to, destinationName, tag: tag, maxInFlight: maxInFlight)
            bridge = child
            defer { bridge?.stop() }
            var lastCount = -1
            var lastChange = monotonicNanos()
            while true {
                let drained = consumer.collector.uniqueCount
                result.samples.append(MemorySample(
                    seconds: Double(monotonicNanos() - start) / 1e9, drained: drained, rssBytes: child.statusBytes("VmRSS")
                ))
                if drained >= backlog { break }
                if drained != lastCount {
                    lastCount = drained
                    lastChange = monotonicNanos()
                } else if Double(monotonicNanos() - lastChange) / 1e9 > 30 {
                    break
                }
                usleep(250_000)
            }
            let snapshot = consumer.collector.wait(idle: 1, grace: 0.5)
            result.drainSeconds = Double(monotonicNanos() - start) / 1e9
            result.lost = backlog - snapshot.unique
            result.duplicates = snapshot.duplicates
            result.peakRSSBytes = child.statusBytes("VmHWM")
            let rss = result.samples.map(\.rssBytes).filter { $0 > 0 }
            result.rssMinBytes = rss.min() ?? 0
            result.rssMaxBytes = rss.max() ?? 0
            func at(_ fraction: Double) -> Int {
                result.samples.first { Double($0.drained) >= fraction * Double(backlog) }?.rssBytes ?? 0
            }
            result.rssAt10PercentBytes = at(0.1)
            result.rssAt90PercentBytes = at(0.9)
            log("memory: drained \(snapshot.unique) in \(String(format: "%.1f", result.drainSeconds)) s, RSS \(result.rssMinBytes >> 20)–\(result.rssMaxBytes >> 20) MiB")
        } catch {
            log("memory test failed: \(error)")
            result.error = "\(error)"
        }
        return result
    }

    /// When the fault tests last cut RabbitMQ (they touch this file while they do).
    func rabbitCut() -> Date? {
        let path = (env["BRIDGE_RUN_DIR"] ?? "/tmp/message-bridge-brokers") + "/RABBIT-CUT"
        return (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
    }

    /// Waits while a RabbitMQ cut is fresh (touched in the last 20 s), then until it accepts connections.
    func waitForRabbit() {
        while let cut = rabbitCut(), Date().timeIntervalSince(cut) < 20 {
            log("RabbitMQ is being cut by the fault tests; waiting")
            sleep(2)
        }
        for _ in 0..<60 {
            if let load = try? AMQPLoad.connect(group: group, url: url(.amqp)) {
                load.close()
                return
            }
            sleep(1)
        }
    }

    // MARK: Main

    func runAll() throws -> Report {
        let loadBefore = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        if options.pairs.contains(where: { $0.0 == .kafka || $0.1 == .kafka }) || options.memory { try startKafka() }
        defer { kafkaMock?.stop() }
        var pairs: [PairResult] = []
        for pair in options.pairs {
            let touchesRabbit = [pair.0, pair.1].contains { $0 == .amqp || $0 == .amqpB }
            if touchesRabbit { waitForRabbit() }
            let started = Date()
            var result = runPair(pair)
            let failed = result.error != nil || (result.bridge.map { $0.throughput.lost > 0 } ?? false)
            if failed, touchesRabbit, let cut = rabbitCut(), cut > started {
                log("RabbitMQ was cut by the fault tests during \(result.pair): running it again")
                waitForRabbit()
                result = runPair(pair)
            }
            pairs.append(result)
        }
        var memory: [MemoryResult] = []
        if options.memory {
            memory.append(memoryTest(backlog: options.memoryBacklog, maxInFlight: 1024))
            memory.append(memoryTest(backlog: max(100_000, options.memoryBacklog / 5), maxInFlight: 10_000))
        }
        let loadAfter = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        let formatter = ISO8601DateFormatter()
        return Report(
            date: formatter.string(from: Date()), machine: Self.machine(), loadAverageBefore: loadBefore, loadAverageAfter: loadAfter,
            size: options.size, window: options.window, pairs: pairs, memory: memory
        )
    }

    static func machine() -> String {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .map { $0.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "" } ?? "unknown CPU"
        var memory = ""
        if let meminfo = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
            let line = meminfo.split(separator: "\n").first(where: { $0.hasPrefix("MemTotal") }),
            let kib = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) })
        {
            memory = ", \(kib >> 20) GiB RAM"
        }
        var uts = utsname()
        uname(&uts)
        let release = withUnsafeBytes(of: &uts.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return "\(ProcessInfo.processInfo.activeProcessorCount) × \(model)\(memory), Linux \(release)"
    }
}

extension PassResult {
    static let empty = PassResult(messages: 0, received: 0, lost: 0, duplicates: 0, seconds: 0, rate: 0, p50Micros: 0, p99Micros: 0, p999Micros: 0)
}
