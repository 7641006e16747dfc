import DeliveryBenchSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs the same loop as the DeliveryCore benchmark and prints the rate, by wall clock and
/// by this thread's CPU time (the machine may be shared: CPU time shows what one core
/// does). A plain executable, so it also runs under `perf record`.
/// Usage: `delivery-rate [messages]`.
let messages = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1])! : 1_000_000

func threadCPUSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

for destinations in [1, 2] {
    let bench = DeliveryBench(destinations: destinations)
    bench.run(messages: 100_000)  // warm up: buffers and slots reach their size
    let clock = ContinuousClock()
    let cpuStart = threadCPUSeconds()
    let start = clock.now
    bench.run(messages: messages)
    let elapsed = clock.now - start
    let cpu = threadCPUSeconds() - cpuStart
    bench.check()
    let wall = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    print(
        "\(destinations) destination(s): \(messages) messages, wall \(wall) s = \(Int(Double(messages) / wall)) msg/s, "
            + "CPU \(cpu) s = \(Int(Double(messages) / cpu)) msg/s on one core"
    )
}
