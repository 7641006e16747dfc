// kafka-mock-broker: librdkafka's mock cluster as a standalone Kafka broker for tests and demos.
//
//   kafka-mock-broker [--brokers N] [--topic NAME:PARTITIONS]... [--topics a:3,b:1]
//                     [--bootstrap-file PATH] [--control PATH]
//
// The mock keeps about 5 MiB per partition, has no CreateTopics API (topics come from
// --topic or the `topic create` command) and forgets everything when the process ends.
// Commands, one per line on the control socket or on standard input, each answered with
// one line, `ok` or `error: <why>`:
//   broker down <id|all>      broker up <id|all>
//   errors <api> <count> <error>   api: number or produce, fetch, offsetcommit, offsetfetch,
//                                  joingroup, heartbeat, syncgroup, ...; error: number or name
//   topic create <name> <partitions>
//   ping                      quit
import CRdKafka
import Glibc

let usage = """
    usage: kafka-mock-broker [--brokers N] [--topic NAME:PARTITIONS]... [--topics a:3,b:1]
                             [--bootstrap-file PATH] [--control PATH]
    """

/// Writes one line to stderr.
func log(_ message: String) {
    writeAll(STDERR_FILENO, "kafka-mock-broker[\(getpid())]: \(message)\n")
}

/// Write end of the self-pipe that the SIGTERM/SIGINT handler writes the signal number to.
/// Set once, before the handlers are installed; read only by the handler.
nonisolated(unsafe) var signalPipeWriteFD: Int32 = -1

// MARK: - Options

struct Options {
    var brokers = 3
    var topics: [(name: String, partitions: Int)] = []
    var bootstrapFile: String?
    var controlPath: String?

    struct Invalid: Error, CustomStringConvertible {
        var description: String
    }

    init(arguments: [String]) throws {
        var rest = arguments[...]
        func value(of flag: String) throws -> String {
            guard let value = rest.popFirst() else { throw Invalid(description: "\(flag) needs a value") }
            return value
        }
        while let flag = rest.popFirst() {
            switch flag {
            case "--brokers":
                let text = try value(of: flag)
                guard let count = Int(text), (1...64).contains(count) else {
                    throw Invalid(description: "--brokers: '\(text)' is not a number from 1 to 64")
                }
                brokers = count
            case "--topic":
                topics.append(try Self.topic(try value(of: flag)))
            case "--topics":
                for spec in try value(of: flag).split(separator: ",") {
                    topics.append(try Self.topic(String(spec)))
                }
            case "--bootstrap-file":
                bootstrapFile = try value(of: flag)
            case "--control":
                controlPath = try value(of: flag)
            case "--help", "-h":
                print(usage)
                exit(0)
            default:
                throw Invalid(description: "unknown argument '\(flag)'")
            }
        }
    }

    /// Parses `NAME:PARTITIONS`.
    static func topic(_ spec: String) throws -> (name: String, partitions: Int) {
        guard let colon = spec.lastIndex(of: ":"), let partitions = Int(spec[spec.index(after: colon)...]),
            partitions > 0, colon != spec.startIndex
        else {
            throw Invalid(description: "topic '\(spec)' is not NAME:PARTITIONS (e.g. orders:3)")
        }
        return (String(spec[..<colon]), partitions)
    }
}

// MARK: - Commands

/// Kafka API keys accepted by name in `errors`.
let apiKeys: [String: Int16] = [
    "produce": 0, "fetch": 1, "listoffsets": 2, "metadata": 3, "offsetcommit": 8, "offsetfetch": 9,
    "findcoordinator": 10, "joingroup": 11, "heartbeat": 12, "leavegroup": 13, "syncgroup": 14,
    "initproducerid": 22,
]

enum Command: Equatable {
    case broker(id: Int32, up: Bool)
    case errors(apiKey: Int16, count: Int, error: Int32)
    case createTopic(name: String, partitions: Int)
    case ping
    case quit

    /// Parses one command line; the error text says what would be right.
    static func parse(_ line: String, brokerCount: Int) -> Result<Command, Options.Invalid> {
        let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        func invalid(_ why: String) -> Result<Command, Options.Invalid> { .failure(Options.Invalid(description: why)) }
        switch words.first?.lowercased() {
        case "ping" where words.count == 1:
            return .success(.ping)
        case "quit" where words.count == 1:
            return .success(.quit)
        case "broker" where words.count == 3 && ["up", "down"].contains(words[1].lowercased()):
            let id: Int32
            if words[2].lowercased() == "all" {
                id = -1
            } else if let number = Int32(words[2]), (1...Int32(brokerCount)).contains(number) {
                id = number
            } else {
                return invalid("broker id '\(words[2])' is not 1...\(brokerCount) or 'all'")
            }
            return .success(.broker(id: id, up: words[1].lowercased() == "up"))
        case "errors" where words.count == 4:
            guard let apiKey = Int16(words[1]) ?? apiKeys[words[1].lowercased()], apiKey >= 0 else {
                return invalid("unknown api '\(words[1])': use a number or one of \(apiKeys.keys.sorted().joined(separator: ", "))")
            }
            guard let count = Int(words[2]), (1...100_000).contains(count) else {
                return invalid("count '\(words[2])' is not a number from 1 to 100000")
            }
            guard let error = Int32(words[3]) ?? MockCluster.errorCode(named: words[3]) else {
                return invalid("unknown error '\(words[3])': use a Kafka error code or name, e.g. 6 or NOT_LEADER_FOR_PARTITION")
            }
            return .success(.errors(apiKey: apiKey, count: count, error: error))
        case "topic" where words.count == 4 && words[1].lowercased() == "create":
            guard let partitions = Int(words[3]), (1...10_000).contains(partitions) else {
                return invalid("partitions '\(words[3])' is not a number from 1 to 10000")
            }
            return .success(.createTopic(name: words[2], partitions: partitions))
        default:
            return invalid(
                "unknown command '\(line)': use broker down|up <id>, errors <api> <count> <error>, topic create <name> <partitions>, ping, quit"
            )
        }
    }
}

extension MockCluster {
    /// Runs a command and returns the answer line (`ok` or `error: ...`).
    func execute(_ line: String) -> (answer: String, quit: Bool) {
        let command: Command
        switch Command.parse(line, brokerCount: brokerCount) {
        case .success(let parsed): command = parsed
        case .failure(let invalid): return ("error: \(invalid)", false)
        }
        do {
            switch command {
            case .ping:
                return ("ok", false)
            case .quit:
                log("quit requested")
                return ("ok", true)
            case .broker(let id, let up):
                try setBroker(id, up: up)
                log("broker \(id == -1 ? "all" : String(id)) \(up ? "up" : "down")")
            case .errors(let apiKey, let count, let error):
                pushRequestErrors(apiKey: apiKey, count: count, error: error)
                log("next \(count) requests with api key \(apiKey) fail with error \(error)")
            case .createTopic(let name, let partitions):
                try createTopic(name, partitions: partitions)
                log("topic \(name) created with \(partitions) partitions")
            }
            return ("ok", false)
        } catch {
            return ("error: \(error)", false)
        }
    }
}

// MARK: - Control socket and standard input

/// A connected reader of command lines: a control socket client or standard input.
struct LineReader {
    let fd: Int32
    let outputFD: Int32
    var buffer: [UInt8] = []
}

/// Creates a listening Unix domain socket at `path`, replacing a stale one.
func listenUnix(at path: String) throws -> Int32 {
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let capacity = MemoryLayout.size(ofValue: address.sun_path)
    guard path.utf8.count < capacity else {
        throw Options.Invalid(description: "--control path is longer than \(capacity - 1) bytes: \(path)")
    }
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
        raw.copyBytes(from: path.utf8)
        raw[path.utf8.count] = 0
    }
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw Options.Invalid(description: "socket: \(String(cString: strerror(errno)))") }
    unlink(path)
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    guard bound == 0, listen(fd, 16) == 0 else {
        let why = String(cString: strerror(errno))
        close(fd)
        throw Options.Invalid(description: "cannot listen on \(path): \(why)")
    }
    return fd
}

/// Writes the whole string, ignoring a peer that went away.
func writeAll(_ fd: Int32, _ text: String) {
    var bytes = Array(text.utf8)[...]
    while !bytes.isEmpty {
        let written = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        if written < 0 && errno == ENOTSOCK {
            let plain = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard plain > 0 else { return }
            bytes = bytes.dropFirst(plain)
            continue
        }
        guard written > 0 else { return }
        bytes = bytes.dropFirst(written)
    }
}

/// Writes `contents` to `path` atomically: a temporary file in the same folder, then rename.
func writeFileAtomically(_ path: String, _ contents: String) throws {
    let temporary = "\(path).tmp.\(getpid())"
    guard let file = fopen(temporary, "w") else {
        throw Options.Invalid(description: "cannot write \(temporary): \(String(cString: strerror(errno)))")
    }
    fputs(contents, file)
    fflush(file)
    fsync(fileno(file))
    fclose(file)
    guard rename(temporary, path) == 0 else {
        let why = String(cString: strerror(errno))
        unlink(temporary)
        throw Options.Invalid(description: "cannot rename \(temporary) to \(path): \(why)")
    }
}

/// Serves commands until `quit`, SIGTERM or SIGINT. Returns the reason it stopped.
func serve(_ cluster: MockCluster, controlFD: Int32?, signalFD: Int32) -> String {
    var readers: [LineReader] = [LineReader(fd: STDIN_FILENO, outputFD: STDOUT_FILENO)]
    while true {
        cluster.poll()
        var fds = readers.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
        fds.append(pollfd(fd: signalFD, events: Int16(POLLIN), revents: 0))
        if let controlFD { fds.append(pollfd(fd: controlFD, events: Int16(POLLIN), revents: 0)) }
        let ready = poll(&fds, nfds_t(fds.count), 1000)
        if ready < 0 {
            if errno == EINTR { continue }
            return "poll failed: \(String(cString: strerror(errno)))"
        }
        if fds[readers.count].revents != 0 {
            var signalNumber: UInt8 = 0
            _ = read(signalFD, &signalNumber, 1)
            return signalNumber == UInt8(SIGINT) ? "SIGINT" : "SIGTERM"
        }
        var closed: Set<Int32> = []
        for index in readers.indices where fds[index].revents != 0 {
            var chunk = [UInt8](repeating: 0, count: 4096)
            let count = read(readers[index].fd, &chunk, chunk.count)
            if count <= 0 {
                closed.insert(readers[index].fd)
                continue
            }
            readers[index].buffer += chunk[..<count]
            while let newline = readers[index].buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let lineBytes = readers[index].buffer[..<newline]
                readers[index].buffer.removeSubrange(...newline)
                let line = String(decoding: lineBytes, as: UTF8.self).trimmingWhitespace()
                if line.isEmpty { continue }
                let (answer, quit) = cluster.execute(line)
                writeAll(readers[index].outputFD, answer + "\n")
                if quit { return "quit command" }
            }
            if readers[index].buffer.count > 65_536 {
                writeAll(readers[index].outputFD, "error: line too long\n")
                closed.insert(readers[index].fd)
            }
        }
        for fd in closed where fd != STDIN_FILENO { close(fd) }
        readers.removeAll { closed.contains($0.fd) }
        if let controlFD, fds.last!.revents != 0 {
            let client = accept(controlFD, nil, nil)
            if client >= 0 {
                _ = fcntl(client, F_SETFD, FD_CLOEXEC)
                readers.append(LineReader(fd: client, outputFD: client))
            }
        }
    }
}

extension String {
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        return String(self.drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}

// MARK: - Main

func run(_ options: Options) throws {
    // SIGTERM/SIGINT only write their number into a pipe that the command loop polls
    // (the one async-signal-safe thing a handler may do here).
    var signalPipe: [Int32] = [-1, -1]
    guard pipe(&signalPipe) == 0 else { throw Options.Invalid(description: "pipe: \(String(cString: strerror(errno)))") }
    for fd in signalPipe {
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }
    signalPipeWriteFD = signalPipe[1]
    let handler: @convention(c) (Int32) -> Void = { number in
        var byte = UInt8(truncatingIfNeeded: number)
        _ = write(signalPipeWriteFD, &byte, 1)
    }
    signal(SIGTERM, handler)
    signal(SIGINT, handler)
    signal(SIGPIPE, SIG_IGN)

    let cluster = try MockCluster(brokerCount: options.brokers)
    let bootstrap = cluster.bootstrapServers
    log("cluster up: \(options.brokers) brokers, bootstrap \(bootstrap)")
    for topic in options.topics {
        try cluster.createTopic(topic.name, partitions: topic.partitions)
        log("topic \(topic.name) created with \(topic.partitions) partitions")
    }
    let controlFD = try options.controlPath.map(listenUnix(at:))
    if let path = options.controlPath { log("control socket \(path)") }
    defer {
        if let controlFD { close(controlFD) }
        if let path = options.controlPath { unlink(path) }
        if let path = options.bootstrapFile { unlink(path) }
    }
    if let path = options.bootstrapFile {
        try writeFileAtomically(path, bootstrap + "\n")
        log("bootstrap written to \(path)")
    }
    let reason = serve(cluster, controlFD: controlFD, signalFD: signalPipe[0])
    log("stopping: \(reason)")
}

do {
    let options = try Options(arguments: Array(CommandLine.arguments.dropFirst()))
    try run(options)
    log("stopped")
    exit(0)
} catch let error as Options.Invalid {
    log("error: \(error)")
    writeAll(STDERR_FILENO, usage + "\n")
    exit(2)
} catch {
    log("error: \(error)")
    exit(1)
}
