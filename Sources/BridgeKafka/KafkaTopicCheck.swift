import BridgeCore
import CRdKafka

/// `check --connect` for a Kafka connection: fetch the cluster's metadata and check that
/// every topic the routes name exists.
public enum KafkaTopicCheck {
    /// - Parameters:
    ///   - settings: The connection.
    ///   - topics: The topics the routes name (sources, and destinations without templates).
    ///   - timeoutMilliseconds: How long the metadata request may take.
    /// - Returns: The problems, each naming what is wrong; empty when all is well.
    public static func run(settings: KafkaConnectionSettings, topics: Set<String>, timeoutMilliseconds: Int32 = 5000) -> [String] {
        let properties = KafkaProperties.producer(
            settings, clientID: "message-bridge-check", messageTimeoutMilliseconds: 5000, queueMessages: 1, queueKiB: 1
        )
        let client: KafkaClient
        do {
            client = try KafkaClient.make(.producer, properties: properties, opaque: nil) { _ in }
        } catch {
            return ["\(error)"]
        }
        switch client.topicNames(timeoutMilliseconds: timeoutMilliseconds) {
        case .failure(let error):
            return ["brokers \(settings.bootstrapServers.joined(separator: ",")) unreachable: \(error)"]
        case .success(let names):
            return topics.subtracting(names).sorted().map { "topic '\($0)' does not exist" }
        }
    }
}
