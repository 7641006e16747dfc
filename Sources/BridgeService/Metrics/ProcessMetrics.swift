#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import BridgeCore
public import Prometheus
import Synchronization

/// The `process_*` metrics every Prometheus client exposes, read from the kernel at scrape time.
///
/// swift-prometheus 2.4.1 has no process collector, so this is ours. On Linux the values
/// come from `/proc/self/stat` (CPU time, start time, virtual and resident memory),
/// `/proc/stat` (boot time) and `/proc/self/fd` (open descriptors). Elsewhere only the CPU
/// time is real (`getrusage`) and the start time is when this object was made.
///
/// Registered once per registry, by ``MetricsBootstrap``; call ``update()`` right before
/// emitting (``MetricsExporter`` does).
public final class ProcessMetrics: Sendable {
    /// One reading of the process's resources. A value the platform cannot give is `nil`.
    public struct Sample: Sendable, Hashable {
        /// Resident set size in bytes.
        public var residentMemoryBytes: Double?
        /// Virtual memory size in bytes.
        public var virtualMemoryBytes: Double?
        /// User plus system CPU time in seconds.
        public var cpuSeconds: Double?
        /// Start of the process in seconds since the Unix epoch.
        public var startTimeSeconds: Double?
        /// Number of open file descriptors.
        public var openFileDescriptors: Double?
    }

    private let residentMemory: Gauge
    private let virtualMemory: Gauge
    private let startTime: Gauge
    private let openFileDescriptors: Gauge
    private let cpuSeconds: Counter
    /// The CPU time already added to the counter, which can only be incremented.
    private let reportedCPUSeconds: Mutex<Double>
    private let fallbackStartTime: Double

    /// Registers the process metrics in `registry`.
    ///
    /// - Parameter registry: The registry `/metrics` emits. Register at most once per registry:
    ///   the names are fixed, and swift-prometheus traps on a second registration with other help text.
    public init(registry: PrometheusCollectorRegistry) {
        self.residentMemory = registry.makeGauge(
            descriptor: Self.descriptor(MetricNames.processResidentMemory, help: "Resident memory size in bytes.")
        )
        self.virtualMemory = registry.makeGauge(
            descriptor: Self.descriptor("process_virtual_memory_bytes", help: "Virtual memory size in bytes.")
        )
        self.startTime = registry.makeGauge(
            descriptor: Self.descriptor(
                MetricNames.processStartTime,
                help: "Start time of the process since unix epoch in seconds."
            )
        )
        self.openFileDescriptors = registry.makeGauge(
            descriptor: Self.descriptor("process_open_fds", help: "Number of open file descriptors.")
        )
        self.cpuSeconds = registry.makeCounter(
            descriptor: Self.descriptor(
                MetricNames.processCPUSeconds,
                help: "Total user and system CPU time spent in seconds."
            )
        )
        self.reportedCPUSeconds = Mutex(0)
        self.fallbackStartTime = Self.wallClockSeconds()
        self.update()
    }

    /// A descriptor with the full name in `metricName`: swift-prometheus joins the parts
    /// with `_` and drops empty ones.
    private static func descriptor(_ name: String, help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    /// Reads the current values and stores them in the metrics.
    public func update() {
        let sample = Self.sample()
        if let value = sample.residentMemoryBytes { self.residentMemory.set(value) }
        if let value = sample.virtualMemoryBytes { self.virtualMemory.set(value) }
        if let value = sample.openFileDescriptors { self.openFileDescriptors.set(value) }
        self.startTime.set(sample.startTimeSeconds ?? self.fallbackStartTime)
        if let cpu = sample.cpuSeconds {
            self.reportedCPUSeconds.withLock { reported in
                if cpu > reported {
                    self.cpuSeconds.increment(by: cpu - reported)
                    reported = cpu
                }
            }
        }
    }

    /// Reads the process's resources now.
    public static func sample() -> Sample {
        var sample = Sample()
        #if os(Linux)
        let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
        let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))
        if let stat = readFile("/proc/self/stat"), let fields = statFields(stat), fields.count > 21,
            ticksPerSecond > 0
        {
            // Field numbers of proc(5), counted from 1; `fields[0]` is field 3 (state).
            func field(_ number: Int) -> Double? { Double(fields[number - 3]) }
            if let utime = field(14), let stime = field(15) {
                sample.cpuSeconds = (utime + stime) / ticksPerSecond
            }
            if let startTicks = field(22), let bootTime = bootTimeSeconds() {
                sample.startTimeSeconds = bootTime + startTicks / ticksPerSecond
            }
            sample.virtualMemoryBytes = field(23)
            if let pages = field(24) {
                sample.residentMemoryBytes = pages * pageSize
            }
        }
        sample.openFileDescriptors = countOpenFileDescriptors()
        #else
        var usage = rusage()
        if getrusage(RUSAGE_SELF, &usage) == 0 {
            func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1_000_000 }
            sample.cpuSeconds = seconds(usage.ru_utime) + seconds(usage.ru_stime)
        }
        #endif
        return sample
    }

    private static func wallClockSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1_000_000_000
    }

    #if os(Linux)
    /// The space-separated fields after the command name, which is in parentheses and may
    /// itself hold spaces and parentheses: split after the last `)`.
    static func statFields(_ stat: [UInt8]) -> [Substring]? {
        guard let close = stat.lastIndex(of: UInt8(ascii: ")")) else {
            return nil
        }
        let rest = String(decoding: stat[(close + 1)...], as: UTF8.self)
        return rest.split(whereSeparator: { $0 == " " || $0 == "\n" })
    }

    /// `btime` of `/proc/stat`: boot time in seconds since the epoch.
    private static func bootTimeSeconds() -> Double? {
        guard let stat = readFile("/proc/stat") else {
            return nil
        }
        for line in String(decoding: stat, as: UTF8.self).split(separator: "\n") where line.hasPrefix("btime ") {
            return Double(line.dropFirst("btime ".count).trimmingPrefix(" "))
        }
        return nil
    }

    private static func countOpenFileDescriptors() -> Double? {
        guard let directory = opendir("/proc/self/fd") else {
            return nil
        }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            let isDot = withUnsafeBytes(of: entry.pointee.d_name) { name in
                name[0] == UInt8(ascii: ".") && (name[1] == 0 || (name[1] == UInt8(ascii: ".") && name[2] == 0))
            }
            if !isDot {
                count += 1
            }
        }
        // The directory stream's own descriptor is one of them.
        return Double(max(count - 1, 0))
    }

    /// Reads a whole file with POSIX calls; `/proc` files report a size of 0, so read to EOF.
    private static func readFile(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            return nil
        }
        defer { close(fd) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if count == 0 {
                return result
            }
            result.append(contentsOf: chunk[0..<count])
        }
    }
    #endif
}
