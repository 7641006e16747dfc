import AMQP10Protocol
import NIOCore
import PropertyBased
import Testing

/// Properties over generated input (x-sheep/swift-property-based, which shrinks a failing
/// case to a small one): integers take their smallest form and round-trip, strings and
/// binaries pick the 8- or 32-bit size by length, and any payload splits into frames that
/// fit and reassembles.
@Suite(.serialized, .timeLimit(.minutes(1))) struct PropertyTests {
    @Test func integersTakeTheirSmallestFormAndRoundTrip() async {
        await propertyCheck(count: 300, input: Gen.uint32(), Gen.uint64(), Gen.int32(), Gen.int64()) { u32, u64, i32, i64 throws in
            #expect(try roundTrip(.uint(u32)) == .uint(u32))
            #expect(try roundTrip(.ulong(u64)) == .ulong(u64))
            #expect(try roundTrip(.int(i32)) == .int(i32))
            #expect(try roundTrip(.long(i64)) == .long(i64))
            #expect(try AMQP10Value.uint(u32).encoded().readableBytes == (u32 == 0 ? 1 : u32 <= 255 ? 2 : 5))
            #expect(try AMQP10Value.ulong(u64).encoded().readableBytes == (u64 == 0 ? 1 : u64 <= 255 ? 2 : 9))
            #expect(try AMQP10Value.int(i32).encoded().readableBytes == ((-128 ... 127).contains(i32) ? 2 : 5))
            #expect(try AMQP10Value.long(i64).encoded().readableBytes == ((-128 ... 127).contains(i64) ? 2 : 9))
        }
    }

    @Test func variableWidthValuesPickTheirSizeByLength() async {
        await propertyCheck(
            count: 200,
            input: Gen<UInt8>.value(in: 0 ... 255).array(of: 0 ... 600), Gen.latin1.string(of: 0 ... 300), Gen.ascii.string(of: 0 ... 300)
        ) { bytes, text, ascii throws in
            let binary = AMQP10Value.binary(ByteBuffer(bytes: bytes))
            #expect(try roundTrip(binary) == binary)
            #expect(try binary.encoded().readableBytes == bytes.count + (bytes.count <= 255 ? 2 : 5))
            for (value, length) in [(AMQP10Value.string(text), text.utf8.count), (.symbol(ascii), ascii.utf8.count)] {
                #expect(try roundTrip(value) == value)
                #expect(try value.encoded().readableBytes == length + (length <= 255 ? 2 : 5))
            }
            let list = AMQP10Value.list(bytes.map { .ubyte($0) })
            #expect(try roundTrip(list) == list)
        }
    }

    @Test func anyPayloadSplitsIntoFittingFramesAndReassembles() async {
        await propertyCheck(count: 150, input: Gen.int(in: 0 ... 6000), Gen.uint32(in: 512 ... 2048), Gen.uint32()) { length, maxFrameSize, deliveryID throws in
            let payload = ByteBuffer(bytes: (0 ..< length).map { UInt8(truncatingIfNeeded: $0 &* 7) })
            let delivery = AMQP10Transfer(handle: 1, deliveryID: deliveryID, deliveryTag: ByteBuffer(bytes: [1, 2]), messageFormat: 0, payload: payload)
            let transfers = try delivery.split(maxFrameSize: maxFrameSize)
            var assembler = AMQP10TransferAssembler(maxMessageSize: 6000)
            var result: AMQP10TransferAssembler.Result = .incomplete
            for transfer in transfers {
                #expect(try AMQP10Frame(channel: 0, .transfer(transfer)).encoded().readableBytes <= Int(maxFrameSize))
                result = try assembler.receive(transfer)
            }
            #expect(result == .complete(delivery))
        }
    }
}
