import NIOCore

/// The brokers a bench can talk to.
enum Broker: String, CaseIterable, Sendable {
    case mqtt, mqtt2, amqp, amqpB = "amqp-b", kafka

    var protocolName: String {
        switch self {
        case .mqtt, .mqtt2: "mqtt"
        case .amqp, .amqpB: "amqp"
        case .kafka: "kafka"
        }
    }
}

/// Sends messages of one pass and returns when the broker confirmed all of them.
protocol LoadProducer: AnyObject {
    func send(pass: UInt32, count: Int, rate: Double?) throws -> UInt64
    func close()
}

/// Receives messages; what it saw is in `collector`.
protocol LoadConsumer: AnyObject {
    var collector: Collector { get }
    func close()
}

final class MQTTProducer: LoadProducer {
    let load: MQTTLoad
    let topic: String
    let size: Int
    init(load: MQTTLoad, topic: String, size: Int) {
        self.load = load
        self.topic = topic
        self.size = size
    }
    func send(pass: UInt32, count: Int, rate: Double?) throws -> UInt64 {
        try load.send(topic: topic, pass: pass, count: count, size: size, rate: rate)
    }
    func close() { load.close() }
}

final class MQTTConsumer: LoadConsumer {
    let load: MQTTLoad
    var collector: Collector { load.collector }
    init(load: MQTTLoad) { self.load = load }
    func close() { load.close() }
}

final class AMQPProducer: LoadProducer {
    let load: AMQPLoad
    let exchange: String
    let routingKey: String
    let size: Int
    init(load: AMQPLoad, exchange: String, routingKey: String, size: Int) throws {
        self.load = load
        self.exchange = exchange
        self.routingKey = routingKey
        self.size = size
        try load.confirmSelect()
    }
    func send(pass: UInt32, count: Int, rate: Double?) throws -> UInt64 {
        try load.send(exchange: exchange, routingKey: routingKey, pass: pass, count: count, size: size, rate: rate)
    }
    func close() { load.close() }
}

final class AMQPConsumer: LoadConsumer {
    let load: AMQPLoad
    var collector: Collector { load.collector }
    init(load: AMQPLoad) { self.load = load }
    func close() { load.close() }
}

final class KafkaProducerLoad: LoadProducer {
    let producer: KafkaLoad.Producer
    let topic: String
    let partitions: Int
    let size: Int
    init(producer: KafkaLoad.Producer, topic: String, partitions: Int, size: Int) {
        self.producer = producer
        self.topic = topic
        self.partitions = partitions
        self.size = size
    }
    func send(pass: UInt32, count: Int, rate: Double?) throws -> UInt64 {
        try producer.send(topic: topic, partitions: partitions, pass: pass, count: count, size: size, rate: rate)
    }
    func close() {}
}

final class KafkaConsumerLoad: LoadConsumer {
    let consumer: KafkaLoad.Consumer
    var collector: Collector { consumer.collector }
    init(consumer: KafkaLoad.Consumer) { self.consumer = consumer }
    func close() { consumer.close() }
}
