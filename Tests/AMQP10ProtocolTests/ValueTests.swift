import AMQP10Protocol
import NIOCore
import Testing

@Suite struct ValueTests {
    @Test func uintUsesTheCompactForms() throws {
        #expect(Array(try AMQP10Value.uint(0).encoded().readableBytesView) == [0x43])
        #expect(Array(try AMQP10Value.uint(7).encoded().readableBytesView) == [0x52, 7])
        #expect(Array(try AMQP10Value.uint(256).encoded().readableBytesView) == [0x70, 0, 0, 1, 0])
    }
}
