import CRdKafka

/// librdkafka's mock Kafka cluster, owned by one object.
///
/// The mock cluster lives inside an `rd_kafka_t` producer handle (as in librdkafka's own
/// tests): the handle's background threads run the mock brokers, which listen on
/// 127.0.0.1 with ports the kernel picks. Both C objects are destroyed in `deinit`, the
/// cluster first. Used from the main thread only, so it needs no locking.
final class MockCluster {
    /// The producer handle that hosts the cluster.
    private let handle: OpaquePointer
    /// The `rd_kafka_mock_cluster_t *`.
    private let cluster: OpaquePointer
    /// Number of brokers; their ids are 1...brokerCount.
    let brokerCount: Int

    /// The failure of a librdkafka call, with librdkafka's own words.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Starts a mock cluster.
    /// - Parameters:
    ///   - brokerCount: how many brokers to start (ids 1...brokerCount).
    init(brokerCount: Int) throws {
        precondition(brokerCount > 0)
        let conf = rd_kafka_conf_new()
        var errorText = [CChar](repeating: 0, count: 512)
        // The handle itself never connects anywhere; keep its own chatter down.
        for (key, value) in [("client.id", "kafka-mock-broker"), ("log_level", "3")] {
            guard rd_kafka_conf_set(conf, key, value, &errorText, errorText.count) == RD_KAFKA_CONF_OK else {
                rd_kafka_conf_destroy(conf)
                throw Failure(description: "config \(key): \(Self.text(errorText))")
            }
        }
        // rd_kafka_new takes ownership of conf on success only.
        guard let handle = rd_kafka_new(RD_KAFKA_PRODUCER, conf, &errorText, errorText.count) else {
            rd_kafka_conf_destroy(conf)
            throw Failure(description: "rd_kafka_new: \(Self.text(errorText))")
        }
        guard let cluster = rd_kafka_mock_cluster_new(handle, Int32(brokerCount)) else {
            rd_kafka_destroy(handle)
            throw Failure(description: "rd_kafka_mock_cluster_new failed")
        }
        self.handle = handle
        self.cluster = cluster
        self.brokerCount = brokerCount
    }

    deinit {
        rd_kafka_mock_cluster_destroy(cluster)
        rd_kafka_destroy(handle)
    }

    /// The `bootstrap.servers` list of the cluster, e.g. `127.0.0.1:37001,127.0.0.1:41263`.
    var bootstrapServers: String {
        String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
    }

    /// Creates a topic; replication factor is min(3, brokerCount).
    func createTopic(_ name: String, partitions: Int) throws {
        let replication = min(3, brokerCount)
        try check(rd_kafka_mock_topic_create(cluster, name, Int32(partitions), Int32(replication)))
    }

    /// Disconnects a broker and refuses new connections (`up == false`), or accepts them again.
    /// - Parameters:
    ///   - id: broker id, or -1 for every broker.
    ///   - up: the new state.
    func setBroker(_ id: Int32, up: Bool) throws {
        try check(up ? rd_kafka_mock_broker_set_up(cluster, id) : rd_kafka_mock_broker_set_down(cluster, id))
    }

    /// Makes the next `count` requests with `apiKey`, to any broker, fail with `error`.
    func pushRequestErrors(apiKey: Int16, count: Int, error: Int32) {
        let errors = [rd_kafka_resp_err_t](repeating: rd_kafka_resp_err_t(rawValue: error), count: count)
        rd_kafka_mock_push_request_errors_array(cluster, apiKey, count, errors)
    }

    /// Serves the handle's own queue (it produces nothing, so this only drains events).
    func poll() {
        rd_kafka_poll(handle, 0)
    }

    /// The NUL-terminated text librdkafka wrote into `buffer`.
    private static func text(_ buffer: [CChar]) -> String {
        buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    private func check(_ error: rd_kafka_resp_err_t) throws {
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw Failure(description: "\(String(cString: rd_kafka_err2name(error))): \(String(cString: rd_kafka_err2str(error)))")
        }
    }

    /// Looks up a librdkafka error code by its name (`NOT_LEADER_FOR_PARTITION`, `_TRANSPORT`).
    static func errorCode(named name: String) -> Int32? {
        var descriptions: UnsafePointer<rd_kafka_err_desc>?
        var count = 0
        rd_kafka_get_err_descs(&descriptions, &count)
        guard let descriptions else { return nil }
        for index in 0..<count {
            let entry = descriptions[index]
            if let entryName = entry.name, String(cString: entryName).uppercased() == name.uppercased() {
                return entry.code.rawValue
            }
        }
        return nil
    }
}
