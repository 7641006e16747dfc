/// MQTT 3.1.1 and 5 control packets and their codec: NIOCore only, no I/O.
public enum MQTTProtocol {}
