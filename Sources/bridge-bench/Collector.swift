import Glibc
import Histogram
import NIOConcurrencyHelpers
import NIOCore

/// Nanoseconds of the monotonic clock; senders and receivers are in this one process.
@inline(__always)
func monotonicNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// The first 16 bytes of every bench message: the pass it belongs to, its sequence number
/// and the monotonic time it was handed to the producer; the rest is filler up to `size`.
enum Stamp {
    static let size = 16

    static func write(pass: UInt32, seq: UInt32, into pointer: UnsafeMutableRawBufferPointer) {
        pointer.storeBytes(of: pass.bigEndian, toByteOffset: 0, as: UInt32.self)
        pointer.storeBytes(of: seq.bigEndian, toByteOffset: 4, as: UInt32.self)
        pointer.storeBytes(of: monotonicNanos().bigEndian, toByteOffset: 8, as: UInt64.self)
    }

    static func write(pass: UInt32, seq: UInt32, into buffer: inout ByteBuffer) {
        let index = buffer.readerIndex
        buffer.setInteger(pass, at: index)
        buffer.setInteger(seq, at: index + 4)
        buffer.setInteger(monotonicNanos(), at: index + 8)
    }

    /// A payload of `size` bytes (at least the stamp) whose stamp is rewritten per message.
    static func template(size: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: UInt8(ascii: "x"), count: max(size, Self.size))
        for i in 0..<Self.size { bytes[i] = 0 }
        return bytes
    }
}

/// What one receiver saw of one pass: unique sequence numbers, duplicates, latency.
final class Collector: @unchecked Sendable {
    struct Snapshot: Sendable {
        var pass: UInt32
        var expected: Int
        var unique: Int
        var duplicates: Int
        var foreign: Int
        var firstReceive: UInt64
        var lastReceive: UInt64
        var histogram: Histogram<UInt64>
    }

    private let lock = NIOLock()
    private var pass: UInt32 = 0
    private var expected = 0
    private var seen: [Bool] = []
    private var unique = 0
    private var duplicates = 0
    private var foreign = 0
    private var firstReceive: UInt64 = 0
    private var lastReceive: UInt64 = 0
    private var histogram = Histogram<UInt64>(highestTrackableValue: 120_000_000_000, numberOfSignificantValueDigits: .three)

    /// Starts counting `pass`; messages of any other pass count as foreign.
    func begin(pass: UInt32, expected: Int) {
        lock.withLock {
            self.pass = pass
            self.expected = expected
            seen = [Bool](repeating: false, count: expected)
            unique = 0
            duplicates = 0
            foreign = 0
            firstReceive = 0
            lastReceive = 0
            histogram.reset()
        }
    }

    /// One received message (its payload bytes).
    @inline(__always)
    func receive(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= Stamp.size else {
            lock.withLock { foreign += 1 }
            return
        }
        let pass = UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt32.self))
        let seq = Int(UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: 4, as: UInt32.self)))
        let sent = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        let now = monotonicNanos()
        lock.withLock {
            guard pass == self.pass, seq < expected else {
                foreign += 1
                return
            }
            if seen[seq] {
                duplicates += 1
                return
            }
            seen[seq] = true
            unique += 1
            if firstReceive == 0 { firstReceive = now }
            lastReceive = now
            _ = histogram.record(now > sent ? now - sent : 0)
        }
    }

    func receive(_ buffer: ByteBuffer) {
        buffer.withUnsafeReadableBytes { receive($0) }
    }

    var uniqueCount: Int { lock.withLock { unique } }

    /// The sequence numbers of the current pass not seen yet.
    func missing() -> [Int] {
        lock.withLock { seen.indices.filter { !seen[$0] } }
    }

    func snapshot() -> Snapshot {
        lock.withLock {
            Snapshot(
                pass: pass, expected: expected, unique: unique, duplicates: duplicates, foreign: foreign,
                firstReceive: firstReceive, lastReceive: lastReceive, histogram: histogram
            )
        }
    }

    /// Waits until every expected message arrived, or nothing new arrived for `idle` seconds.
    /// Then waits `grace` seconds more to catch late duplicates.
    func wait(idle: Double, grace: Double = 0.3) -> Snapshot {
        var last = -1
        var lastChange = monotonicNanos()
        while true {
            let (count, expected) = lock.withLock { (unique, self.expected) }
            if count >= expected { break }
            if count != last {
                last = count
                lastChange = monotonicNanos()
            } else if Double(monotonicNanos() - lastChange) / 1e9 > idle {
                break
            }
            usleep(5_000)
        }
        if grace > 0 { usleep(UInt32(grace * 1e6)) }
        return snapshot()
    }
}

/// Sends at a steady rate: `due(now)` is how many messages should have been sent by now.
struct Pacer {
    let start: UInt64
    let rate: Double?

    init(rate: Double?) {
        self.start = monotonicNanos()
        self.rate = rate
    }

    func due(_ total: Int) -> Int {
        guard let rate else { return total }
        let elapsed = Double(monotonicNanos() - start) / 1e9
        return min(total, Int(elapsed * rate) + 1)
    }
}

/// A broker that stops answering must not hang the bench (a RabbitMQ restarted mid-handshake did).
struct BenchTimeout: Error, CustomStringConvertible {
    var description: String
}

extension EventLoopFuture {
    /// `wait()`, failing after `seconds`.
    func wait(within seconds: Int64, _ what: String) throws -> Value {
        let promise = eventLoop.makePromise(of: Value.self)
        let done = NIOLockedValueBox(false)
        /// True for the first caller only.
        @Sendable func first() -> Bool {
            done.withLockedValue { done in
                defer { done = true }
                return !done
            }
        }
        let task = eventLoop.scheduleTask(in: .seconds(seconds)) {
            if first() { promise.fail(BenchTimeout(description: "no answer within \(seconds) s: \(what)")) }
        }
        whenComplete { result in
            task.cancel()
            if first() { promise.completeWith(result) }
        }
        return try promise.futureResult.wait()
    }
}
