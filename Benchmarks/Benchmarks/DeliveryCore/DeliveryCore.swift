import Benchmark
import DeliveryBenchSupport

/// Pushes messages through ``RouteDelivery`` with an in-memory source and sink: receive,
/// publish, confirm, ordered ack. One benchmark iteration is 1,000,000 messages.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .throughput, .mallocCountTotal, .memoryLeaked],
        timeUnits: .nanoseconds,
        warmupIterations: 1,
        scalingFactor: .mega,
        maxDuration: .seconds(30),
        maxIterations: 10
    )

    Benchmark("deliver, 1 destination") { benchmark in
        let bench = DeliveryBench(destinations: 1)
        benchmark.startMeasurement()
        bench.run(messages: benchmark.scaledIterations.count)
        benchmark.stopMeasurement()
        bench.check()
    }

    Benchmark("deliver, 2-destination fan-out") { benchmark in
        let bench = DeliveryBench(destinations: 2)
        benchmark.startMeasurement()
        bench.run(messages: benchmark.scaledIterations.count)
        benchmark.stopMeasurement()
        bench.check()
    }
}

