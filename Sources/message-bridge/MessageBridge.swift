import ArgumentParser
import BridgeCore
import BridgeService
import Logging

#if canImport(Glibc)
import Glibc
#endif

@main
struct MessageBridge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "message-bridge",
        abstract: "Moves messages between MQTT, Kafka and AMQP brokers, acknowledging the source only after every destination confirmed.",
        version: BridgeVersion.current,
        subcommands: [Run.self, Check.self]
    )
}

/// Options every subcommand takes.
struct CommonOptions: ParsableArguments {
    @Option(name: .long, help: "The route file (default: $BRIDGE_CONFIG).")
    var config: String?

    @Option(name: .long, help: "trace, debug, info, warning or error.")
    var logLevel: LogLevelOption = .info

    @Option(name: .long, help: "text or json (default: text on a terminal, json otherwise).")
    var logFormat: LogFormatOption?

    func configPath() throws -> String {
        if let config { return config }
        if let env = Environment.get("BRIDGE_CONFIG"), !env.isEmpty { return env }
        throw ValidationError("no route file: pass --config FILE or set BRIDGE_CONFIG")
    }

    /// - Parameter standardError: Logs to stderr (`check`, whose stdout is the report).
    func bootstrapLogging(standardError: Bool = false) {
        let format = logFormat ?? (isatty(standardError ? 2 : 1) == 1 ? .text : .json)
        let level = logLevel.level
        LoggingSystem.bootstrap { label in
            LineLogHandler(label: label, level: level, format: format == .text ? .text : .json, standardError: standardError)
        }
    }

    func loader() -> ConfigLoader {
        ConfigLoader(environment: Environment.withHostname(), hostname: Environment.hostname())
    }
}

enum LogLevelOption: String, ExpressibleByArgument, CaseIterable {
    case trace, debug, info, warning, error
    var level: Logger.Level {
        switch self {
        case .trace: return .trace
        case .debug: return .debug
        case .info: return .info
        case .warning: return .warning
        case .error: return .error
        }
    }
}

enum LogFormatOption: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// `message-bridge check`: validates the route file and prints the route table.
struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Validate a route file and print its route table (secrets redacted).")

    @OptionGroup var options: CommonOptions

    @Flag(name: .long, help: "Also connect to every broker and check what the routes name.")
    var connect = false

    func run() async throws {
        let path = try options.configPath()
        switch options.loader().load(path: path) {
        case .failure(let errors):
            StandardOutput.error(errors.description + "\n")
            StandardOutput.error("\(path): \(errors.errors.count) error\(errors.errors.count == 1 ? "" : "s")\n")
            throw ExitCode(1)
        case .success(let loaded):
            for warning in loaded.warnings { StandardOutput.error(warning.description + "\n") }
            StandardOutput.write(loaded.config.summary())
            if connect {
                options.bootstrapLogging(standardError: true)
                let failures = await ConnectCheck.run(loaded.config)
                for line in failures.report { StandardOutput.write(line + "\n") }
                if !failures.ok { throw ExitCode(1) }
            }
        }
    }
}

/// `message-bridge run`: runs the bridge until SIGTERM or SIGINT.
struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the bridge until SIGTERM/SIGINT; exits 0 after a clean drain. SIGHUP reloads the route file.",
        discussion: "SIGHUP re-reads the route file: an invalid file is logged and ignored; unchanged routes keep running; changed routes (and the routes of a changed connection) are drained, then replaced; removed routes are drained; added routes start. The bridge: section takes effect on the next start."
    )

    @OptionGroup var options: CommonOptions

    func run() async throws {
        let path = try options.configPath()
        let loaded: LoadedConfig
        switch options.loader().load(path: path) {
        case .failure(let errors):
            StandardOutput.error(errors.description + "\n")
            StandardOutput.error("\(path): \(errors.errors.count) error\(errors.errors.count == 1 ? "" : "s"); not starting\n")
            throw ExitCode(1)
        case .success(let l):
            loaded = l
        }
        options.bootstrapLogging()
        let logger = Logger(label: "message-bridge")
        for warning in loaded.warnings { logger.warning("\(warning.description)") }
        do {
            try await BridgeApp(config: loaded.config, configPath: path, loader: options.loader(), logger: logger).run()
        } catch {
            logger.error("fatal: \(error)")
            throw ExitCode(1)
        }
    }
}
