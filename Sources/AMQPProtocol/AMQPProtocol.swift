/// AMQP 0-9-1 frames, methods, field tables and their codec: NIOCore only, no I/O.
public enum AMQPProtocol {}
