import ArgumentParser

@main
struct MessageBridge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "message-bridge",
        abstract: "Moves messages between MQTT, Kafka and AMQP brokers, acknowledging the source only after every destination confirmed.",
        version: "0.1.0"
    )
}
