import BridgeCore
import NIOCore
import NIOSSL

extension TLSSettings {
    /// The TLS handler for an `mqtts://` or `amqps://` connection: the CA, the client
    /// certificate and key, verification and the server name from `tls:`. SNI carries the
    /// server name unless it is an IP address (TLS forbids that); the certificate is checked
    /// against it either way.
    ///
    /// - Parameters:
    ///   - settings: the connection's `tls:` (nil: system trust roots, verification on).
    ///   - host: the host of the URL being connected to, the server name by default.
    /// - Throws: NIOSSL errors for unreadable files.
    public static func clientHandler(_ settings: TLSSettings?, host: String) throws -> NIOSSLClientHandler {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let caFile = settings?.caFile { configuration.trustRoots = .file(caFile) }
        if let certFile = settings?.certFile {
            configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(certFile).map { .certificate($0) }
        }
        if let keyFile = settings?.keyFile { configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: keyFile, format: .pem)) }
        if settings?.verify == false { configuration.certificateVerification = .none }
        let context = try NIOSSLContext(configuration: configuration)
        let serverName = settings?.serverName ?? host
        let isIPAddress = (try? SocketAddress(ipAddress: serverName, port: 0)) != nil
        return try NIOSSLClientHandler(context: context, serverHostname: isIPAddress ? nil : serverName)
    }
}
