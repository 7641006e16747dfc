@testable import BridgeService
import Foundation
import Prometheus
import Testing

struct MetricsProcessTests {
    /// The value of an unlabelled series in a text exposition.
    private func value(_ name: String, in text: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.dropFirst(name.count + 1))
        }
        return nil
    }

    @Test func sampleReadsRealValues() throws {
        let sample = ProcessMetrics.sample()
        let now = Date().timeIntervalSince1970
        #if os(Linux)
        let rss = try #require(sample.residentMemoryBytes)
        #expect(rss > 1_000_000)
        let virtual = try #require(sample.virtualMemoryBytes)
        #expect(virtual >= rss)
        let start = try #require(sample.startTimeSeconds)
        // The test process started a little while ago, not in the future and not days ago.
        #expect(start <= now + 1)
        #expect(start > now - 600)
        let fds = try #require(sample.openFileDescriptors)
        #expect(fds >= 3)
        #endif
        let cpu = try #require(sample.cpuSeconds)
        #expect(cpu > 0)
    }

    @Test func openFileDescriptorsFollowOpenAndClose() throws {
        #if os(Linux)
        let before = try #require(ProcessMetrics.sample().openFileDescriptors)
        let handles = try (0..<100).map { _ in
            try FileHandle(forReadingFrom: URL(fileURLWithPath: "/proc/self/stat"))
        }
        let during = try #require(ProcessMetrics.sample().openFileDescriptors)
        for handle in handles { try handle.close() }
        // Other tests run in parallel and open and close sockets: allow slack, not 100.
        #expect(during >= before + 50)
        #endif
    }

    @Test func scrapeExposesProcessMetricsWithRealValues() throws {
        let metrics = MetricsBootstrap(registry: PrometheusCollectorRegistry())
        // Burn a little CPU so that the counter must move between two scrapes.
        let first = String(decoding: metrics.exporter.render(), as: UTF8.self)
        let cpuBefore = try #require(value("process_cpu_seconds_total", in: first))
        var x: UInt64 = 1
        let deadline = Date().addingTimeInterval(0.3)
        while Date() < deadline {
            for i in 0..<100_000 { x = x &* 6364136223846793005 &+ UInt64(i) }
        }
        #expect(x != 0)
        let second = String(decoding: metrics.exporter.render(), as: UTF8.self)
        let cpuAfter = try #require(value("process_cpu_seconds_total", in: second))
        #expect(cpuAfter > cpuBefore)
        #expect(second.contains("# TYPE process_cpu_seconds_total counter"))

        let now = Date().timeIntervalSince1970
        #if os(Linux)
        let rss = try #require(value("process_resident_memory_bytes", in: second))
        #expect(rss > 1_000_000)
        #expect(try #require(value("process_virtual_memory_bytes", in: second)) >= rss)
        #expect(try #require(value("process_open_fds", in: second)) >= 3)
        #endif
        let start = try #require(value("process_start_time_seconds", in: second))
        #expect(abs(now - start) < 600)
    }

    @Test func statFieldsSurviveParenthesesInTheCommandName() throws {
        #if os(Linux)
        let stat = "42 (a) b (c)) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21\n"
        let fields = try #require(ProcessMetrics.statFields(Array(stat.utf8)))
        #expect(fields.first == "S")
        #expect(fields[14 - 3] == "11")
        #endif
    }
}
