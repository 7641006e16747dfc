import Foundation
import Testing
import Yams

/// The deployment files under `deploy/`, read as a container engine, Kubernetes, systemd and
/// Grafana would read them (no engine runs here): the ports, probes, grace periods and paths
/// that matter agree with each other and with the bridge, and the route files they mount pass
/// `message-bridge check`.
@Suite("deploy files", .serialized, .timeLimit(.minutes(1)))
struct DeployTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let deploy = root.appendingPathComponent("deploy")

    static func text(_ path: String) throws -> String {
        try String(contentsOf: deploy.appendingPathComponent(path), encoding: .utf8)
    }

    static func yaml(_ path: String) throws -> [String: Any] {
        try #require(try Yams.load(yaml: try text(path)) as? [String: Any], "\(path) is not a YAML mapping")
    }

    /// `20s`, `1m`, `45` (seconds) → seconds.
    static func seconds(_ value: Any?) -> Double? {
        guard let value else { return nil }
        if let n = value as? Int { return Double(n) }
        let s = "\(value)"
        for (suffix, factor) in [("ms", 0.001), ("s", 1.0), ("m", 60.0), ("h", 3600.0)] where s.hasSuffix(suffix) {
            if let n = Double(s.dropLast(suffix.count)) { return n * factor }
        }
        return Double(s)
    }

    /// The `bridge:` section of a route file.
    static func bridgeSection(of routes: String) throws -> [String: Any] {
        let file = try #require(try Yams.load(yaml: routes) as? [String: Any])
        return try #require(file["bridge"] as? [String: Any])
    }

    /// The Kafka topics a route file reads or writes on connections named in `kafka`.
    static func kafkaTopics(of routes: String) throws -> Set<String> {
        let file = try #require(try Yams.load(yaml: routes) as? [String: Any])
        let connections = try #require(file["connections"] as? [String: [String: Any]])
        let kafka = Set(connections.filter { ($0.value["protocol"] as? String) == "kafka" }.keys)
        var topics: Set<String> = []
        for route in (file["routes"] as? [[String: Any]]) ?? [] {
            var ends: [[String: Any]] = []
            if let from = route["from"] as? [String: Any] { ends.append(from) }
            if let to = route["to"] as? [String: Any] { ends.append(to) }
            if let to = route["to"] as? [[String: Any]] { ends += to }
            for end in ends where kafka.contains(end["connection"] as? String ?? "") {
                if let topic = end["topic"] as? String { topics.insert(topic) }
            }
        }
        return topics
    }

    @Test("compose.yaml: the brokers, KRaft Kafka with the example's topics, the bridge on the example routes")
    func compose() throws {
        let compose = try Self.yaml("compose.yaml")
        let services = try #require(compose["services"] as? [String: [String: Any]])
        for name in ["mosquitto", "mosquitto2", "rabbitmq", "kafka", "bridge"] {
            #expect(services[name] != nil, "no service \(name)")
        }
        // Every file the services mount from the repository exists.
        for (name, service) in services {
            for volume in (service["volumes"] as? [String]) ?? [] where volume.hasPrefix(".") {
                let source = String(volume.split(separator: ":")[0])
                #expect(FileManager.default.fileExists(atPath: Self.deploy.appendingPathComponent(source).path), "\(name) mounts missing \(source)")
            }
        }
        // RabbitMQ: management, MQTT and AMQP 1.0 plugins.
        let rabbitVolumes = (services["rabbitmq"]?["volumes"] as? [String]) ?? []
        let pluginsMount = try #require(rabbitVolumes.first { $0.contains("/etc/rabbitmq/enabled_plugins") })
        let plugins = try Self.text(String(pluginsMount.split(separator: ":")[0]))
        for plugin in ["rabbitmq_management", "rabbitmq_mqtt", "rabbitmq_amqp1_0"] {
            #expect(plugins.contains(plugin), "RabbitMQ plugin \(plugin) not enabled")
        }
        // mosquitto keeps sessions across restarts and does not bound the queue (CONTRACT 5.10).
        let mosquitto = try Self.text("compose/mosquitto.conf")
        #expect(mosquitto.contains("persistence true") && mosquitto.contains("max_queued_messages 0"))
        // Kafka in KRaft mode, topics created for every Kafka topic the example names.
        let kafkaEnv = try #require(services["kafka"]?["environment"] as? [String: Any])
        #expect("\(kafkaEnv["KAFKA_PROCESS_ROLES"] ?? "")".contains("controller"), "Kafka is not in KRaft mode")
        #expect(!services.keys.contains { $0.contains("zookeeper") })
        let example = try String(contentsOf: Self.root.appendingPathComponent("routes/example.yaml"), encoding: .utf8)
        let created = "\(services["kafka-topics"]?["command"] ?? "")"
        for topic in try Self.kafkaTopics(of: example) {
            #expect(created.contains(topic), "compose does not create the Kafka topic \(topic)")
        }
        // The bridge: example routes at /etc/message-bridge, http on 0.0.0.0:9464 published,
        // a grace period above shutdown_timeout, and the environment makes the file valid.
        let bridge = try #require(services["bridge"])
        let environment = try #require(bridge["environment"] as? [String: Any]).mapValues { "\($0)" }
        #expect(environment["BRIDGE_HTTP"] == "0.0.0.0:9464")
        #expect(((bridge["ports"] as? [String]) ?? []).contains("9464:9464"))
        let mount = try #require(((bridge["volumes"] as? [String]) ?? []).first { $0.contains(":/etc/message-bridge/") })
        #expect(mount.hasPrefix("../routes/example.yaml:"), "the bridge mounts \(mount)")
        #expect(environment["BRIDGE_CONFIG"] == "/etc/message-bridge/routes.yaml")
        let shutdown = try #require(Self.seconds(try Self.bridgeSection(of: example)["shutdown_timeout"]))
        #expect((Self.seconds(bridge["stop_grace_period"]) ?? 10) > shutdown, "stop_grace_period must exceed shutdown_timeout \(shutdown)")
        let check = try BridgeCLI.run(["check", "--config", Self.root.appendingPathComponent("routes/example.yaml").path], environment: environment)
        #expect(check.status == 0, "example.yaml with the compose environment: \(check.stderr)")
        #expect(check.stdout.contains("0.0.0.0:9464"), "http not taken from BRIDGE_HTTP: \(check.stdout)")
        // Every host name the bridge is given is a compose service.
        for value in environment.values {
            for service in ["mosquitto:", "mosquitto2:", "rabbitmq:", "kafka:"] where value.contains("@\(service)") || value.contains("//\(service)") || value.hasPrefix(service) {
                #expect(services[String(service.dropLast())] != nil)
            }
        }
    }

    @Test("Dockerfile: multi-stage on the Swift image, slim runtime, non-root, HEALTHCHECK on /healthz, SIGTERM")
    func dockerfile() throws {
        let text = try Self.text("Dockerfile")
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.hasPrefix("#") }
        let froms = lines.filter { $0.hasPrefix("FROM ") }
        #expect(froms.count == 2 && froms[0].contains("swift:6") && froms[1].contains("debian:bookworm-slim"), "\(froms)")
        let user = try #require(lines.last { $0.hasPrefix("USER ") })
        #expect(!user.contains("root") && !user.hasPrefix("USER 0"), "\(user)")
        #expect(lines.contains { $0.hasPrefix("HEALTHCHECK") } && text.contains("/healthz"))
        #expect(lines.contains("STOPSIGNAL SIGTERM"))
        #expect(text.contains("BRIDGE_CONFIG=/etc/message-bridge/routes.yaml") && text.contains("BRIDGE_HTTP=0.0.0.0:9464"))
        #expect(lines.contains("EXPOSE 9464"))
        // The runtime stage installs the shared libraries the binary needs and no toolchain.
        let runtime = text.components(separatedBy: "FROM debian:bookworm-slim").last ?? ""
        #expect(runtime.contains("librdkafka1") && runtime.contains("libssl3") && !runtime.contains("-dev"))
        // The health check uses what the slim image has (bash), not curl or wget.
        let health = try #require(lines.first { $0.hasPrefix("CMD [\"bash\"") || $0.contains("/dev/tcp/") })
        #expect(!health.contains("curl") && !health.contains("wget"))
        // The files COPY needs exist.
        for path in ["Package.swift", "Package.resolved", "Sources", "Tests", "routes/example.yaml"] {
            #expect(FileManager.default.fileExists(atPath: Self.root.appendingPathComponent(path).path), "\(path) missing")
        }
    }

    @Test("Kubernetes: replicas with their own instance, probes, grace period above shutdown_timeout, ConfigMap routes pass check")
    func kubernetes() throws {
        let deployment = try Self.yaml("k8s/deployment.yaml")
        let configMap = try Self.yaml("k8s/configmap.yaml")
        let secret = try Self.yaml("k8s/secret.yaml")
        let service = try Self.yaml("k8s/service.yaml")
        let kustomization = try Self.yaml("k8s/kustomization.yaml")
        for resource in (kustomization["resources"] as? [String]) ?? [] {
            #expect(FileManager.default.fileExists(atPath: Self.deploy.appendingPathComponent("k8s/\(resource)").path), "\(resource) missing")
        }
        #expect(deployment["kind"] as? String == "Deployment")
        let spec = try #require(deployment["spec"] as? [String: Any])
        #expect((spec["replicas"] as? Int ?? 1) >= 2, "scale-out: more than one replica")
        let template = try #require(spec["template"] as? [String: Any])
        let podMeta = try #require(template["metadata"] as? [String: Any])
        let podLabels = try #require(podMeta["labels"] as? [String: String])
        let annotations = try #require(podMeta["annotations"] as? [String: String])
        #expect(annotations["prometheus.io/scrape"] == "true" && annotations["prometheus.io/port"] == "9464")
        let pod = try #require(template["spec"] as? [String: Any])
        let container = try #require((pod["containers"] as? [[String: Any]])?.first)

        // Environment: the instance from the pod name, credentials from the Secret.
        let env = try #require(container["env"] as? [[String: Any]])
        let podName = try #require(env.first { (($0["valueFrom"] as? [String: Any])?["fieldRef"] as? [String: Any])?["fieldPath"] as? String == "metadata.name" })
        let instanceVariable = try #require(podName["name"] as? String)
        let secretName = try #require((secret["metadata"] as? [String: Any])?["name"] as? String)
        let envFrom = (container["envFrom"] as? [[String: Any]]) ?? []
        #expect(envFrom.contains { ($0["secretRef"] as? [String: Any])?["name"] as? String == secretName })
        let configPath = try #require(env.first { $0["name"] as? String == "BRIDGE_CONFIG" }?["value"] as? String)

        // The ConfigMap is mounted where BRIDGE_CONFIG points.
        let configMapName = try #require((configMap["metadata"] as? [String: Any])?["name"] as? String)
        let volume = try #require((pod["volumes"] as? [[String: Any]])?.first { ($0["configMap"] as? [String: Any])?["name"] as? String == configMapName })
        let mount = try #require((container["volumeMounts"] as? [[String: Any]])?.first { $0["name"] as? String == volume["name"] as? String })
        let mountPath = try #require(mount["mountPath"] as? String)
        let data = try #require(configMap["data"] as? [String: String])
        let fileName = String(configPath.dropFirst(mountPath.count + 1))
        #expect(configPath.hasPrefix(mountPath + "/") && mountPath == "/etc/message-bridge", "\(configPath)")
        let routes = try #require(data[fileName], "the ConfigMap has no \(fileName)")

        // The route file: its own instance per pod, http reachable from the kubelet, valid.
        let bridge = try Self.bridgeSection(of: routes)
        #expect(bridge["instance"] as? String == "${\(instanceVariable)}")
        #expect(bridge["http"] as? String == "0.0.0.0:9464")
        let shutdown = try #require(Self.seconds(bridge["shutdown_timeout"] ?? "20s"))
        let grace = try #require(pod["terminationGracePeriodSeconds"] as? Int)
        #expect(Double(grace) > shutdown, "terminationGracePeriodSeconds \(grace) must exceed shutdown_timeout \(shutdown)")
        var environment = try #require(secret["stringData"] as? [String: String])
        environment[instanceVariable] = "message-bridge-7d9f-abcde"
        let file = try BridgeCLI.writeTemp(routes)
        let check = try BridgeCLI.run(["check", "--config", file], environment: environment)
        #expect(check.status == 0, "ConfigMap routes.yaml: \(check.stderr)")
        #expect(check.stdout.contains("message-bridge-7d9f-abcde"), "the instance is not the pod name: \(check.stdout)")
        #expect(!check.stdout.contains("change-me"), "check printed a secret")

        // Probes on the http port: readiness /readyz, liveness /healthz.
        let ports = try #require(container["ports"] as? [[String: Any]])
        let http = try #require(ports.first { $0["name"] as? String == "http" })
        #expect(http["containerPort"] as? Int == 9464)
        let readiness = try #require((container["readinessProbe"] as? [String: Any])?["httpGet"] as? [String: Any])
        let liveness = try #require((container["livenessProbe"] as? [String: Any])?["httpGet"] as? [String: Any])
        #expect(readiness["path"] as? String == "/readyz" && "\(readiness["port"] ?? "")" == "http")
        #expect(liveness["path"] as? String == "/healthz" && "\(liveness["port"] ?? "")" == "http")

        // The Service selects the pods and exposes the http port.
        let serviceSpec = try #require(service["spec"] as? [String: Any])
        let selector = try #require(serviceSpec["selector"] as? [String: String])
        #expect(selector.allSatisfy { podLabels[$0.key] == $0.value }, "the Service selects no pod")
        let servicePort = try #require((serviceSpec["ports"] as? [[String: Any]])?.first)
        #expect("\(servicePort["targetPort"] ?? "")" == "http")
        let monitor = try Self.yaml("k8s/podmonitor.yaml")
        #expect(monitor["kind"] as? String == "PodMonitor")
    }

    @Test("systemd unit: hardening, ExecReload sends SIGHUP, stop timeout above shutdown_timeout")
    func systemd() throws {
        let unit = try Self.text("systemd/message-bridge.service")
        var settings: [String: [String]] = [:]
        for line in unit.split(separator: "\n") where !line.hasPrefix("#") && line.contains("=") {
            let parts = line.split(separator: "=", maxSplits: 1)
            settings[String(parts[0]), default: []].append(parts.count > 1 ? String(parts[1]) : "")
        }
        for (key, value) in [("DynamicUser", "yes"), ("ProtectSystem", "strict"), ("NoNewPrivileges", "yes"), ("ProtectHome", "yes"), ("PrivateTmp", "yes")] {
            #expect(settings[key]?.last == value, "\(key)=\(value)")
        }
        #expect(settings["ExecReload"]?.last?.contains("kill -HUP $MAINPID") == true)
        #expect(settings["ExecStart"]?.last?.contains("message-bridge run --config /etc/message-bridge/") == true)
        #expect(settings["KillSignal"]?.last == "SIGTERM")
        #expect((Self.seconds(settings["TimeoutStopSec"]?.last) ?? 0) > 20, "TimeoutStopSec must exceed the default shutdown_timeout (20s)")
    }

    @Test("Grafana dashboard: valid JSON; every metric it queries is one the bridge serves; the key views are there")
    func dashboard() throws {
        let data = try Data(contentsOf: Self.deploy.appendingPathComponent("grafana/message-bridge.json"))
        let dashboard = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let panels = try #require(dashboard["panels"] as? [[String: Any]])
        let expressions = panels.flatMap { ($0["targets"] as? [[String: Any]] ?? []).compactMap { $0["expr"] as? String } }
        #expect(!expressions.isEmpty)
        // Names as /metrics serves them (RunCommandTests proves it does, from the start).
        let served = Set(RunCommandTests.metricNames)
        let histograms: Set<String> = ["bridge_delivery_seconds", "bridge_forward_seconds"]
        let regex = try NSRegularExpression(pattern: #"\b(bridge|process)_[a-z_]+"#)
        var used: Set<String> = []
        for expr in expressions {
            for match in regex.matches(in: expr, range: NSRange(expr.startIndex..., in: expr)) {
                var name = String(expr[Range(match.range, in: expr)!])
                for suffix in ["_bucket", "_sum", "_count"] where histograms.contains(String(name.dropLast(suffix.count))) && name.hasSuffix(suffix) {
                    name = String(name.dropLast(suffix.count))
                }
                used.insert(name)
            }
        }
        #expect(used.subtracting(served).isEmpty, "the dashboard queries metrics the bridge does not serve: \(used.subtracting(served))")
        for required in [
            "bridge_messages_received_total", "bridge_messages_acked_total", "bridge_in_flight_messages", "bridge_delivery_seconds",
            "bridge_messages_failed_total", "bridge_messages_dead_lettered_total", "bridge_connection_up", "bridge_kafka_consumer_lag",
        ] {
            #expect(used.contains(required), "no panel shows \(required)")
        }
        #expect(expressions.contains { $0.contains("bridge_delivery_seconds_bucket") && $0.contains("histogram_quantile") })
    }
}
