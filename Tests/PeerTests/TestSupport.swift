import Foundation
import Peer
import PeerSession
import PeerTransport
import PeerWire
import Synchronization
import Testing

/// Collects what a runtime hands out, from its protocol thread, for a test to inspect afterwards.
final class Collector: Sendable {
    private let deliveries = Mutex<[Delivery]>([])
    private let records = Mutex<[LogRecord]>([])
    private let watched: @Sendable (Event) -> Bool
    let sawWatchedEvent = DispatchSemaphore(value: 0)

    /// `watch` picks the event a test waits for with `sawWatchedEvent`.
    init(watch: @escaping @Sendable (Event) -> Bool = { _ in false }) {
        watched = watch
    }

    var output: RuntimeOutput {
        RuntimeOutput(
            deliver: { delivery in self.deliveries.withLock { $0.append(delivery) } },
            log: { record in
                self.records.withLock { $0.append(record) }
                if self.watched(record.event) { self.sawWatchedEvent.signal() }
            })
    }

    var shown: [String] { deliveries.withLock { $0.map(\.text) } }
    var events: [Event] { records.withLock { $0.map(\.event) } }
}

/// Ports nobody is using right now, found by binding port 0 and letting go.
func freePorts(_ count: Int) throws -> [UInt16] {
    let sockets = try (0..<count).map { _ in try UDPSocket.bound(to: .loopback(port: 0)) }
    defer { sockets.forEach { $0.close() } }
    return try sockets.map { try $0.localAddress().port }
}

/// The `peer` executable built next to the test bundle.
func peerExecutable() throws -> URL {
    let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    let candidates = [directory, directory.deletingLastPathComponent()].map { $0.appendingPathComponent("peer") }
    guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
        throw ExecutableMissing(searched: candidates.map(\.path))
    }
    return found
}

struct ExecutableMissing: Error, CustomStringConvertible {
    var searched: [String]
    var description: String { "the peer executable was not found (looked in \(searched)); run swift build first" }
}

/// The result of running `peer` to completion.
struct Finished {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Starts `peer` with `arguments`, stdin from `input`, capturing stdout and stderr in files.
final class PeerProcess {
    /// This process's environment with XDG_STATE_HOME in a temporary directory shared by the test run.
    static let isolatedEnvironment: [String: String] = {
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_STATE_HOME"] = FileManager.default.temporaryDirectory
            .appendingPathComponent("peer-tests-state-\(ProcessInfo.processInfo.processIdentifier)").path
        return environment
    }()

    let process = Process()
    private let directory: URL
    private let stdoutURL: URL
    private let stderrURL: URL

    /// `environment` replaces the child's environment when given (tests point HOME and XDG_STATE_HOME at a
    /// temporary directory); otherwise it inherits this process's, with XDG_STATE_HOME in a directory of this test
    /// run's own, so identities and pins never touch the real home.
    init(_ arguments: [String], input: String, environment: [String: String]? = nil) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("peer-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let inputURL = directory.appendingPathComponent("in")
        stdoutURL = directory.appendingPathComponent("out")
        stderrURL = directory.appendingPathComponent("err")
        try input.write(to: inputURL, atomically: true, encoding: .utf8)
        _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        process.executableURL = try peerExecutable()
        process.arguments = arguments
        process.environment = environment ?? PeerProcess.isolatedEnvironment
        process.standardInput = try FileHandle(forReadingFrom: inputURL)
        process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        try process.run()
    }

    func finish() throws -> Finished {
        process.waitUntilExit()
        defer { try? FileManager.default.removeItem(at: directory) }
        return Finished(status: process.terminationStatus,
                        stdout: try String(contentsOf: stdoutURL, encoding: .utf8),
                        stderr: try String(contentsOf: stderrURL, encoding: .utf8))
    }
}

/// Plays the other side's part in the introduction from a plain socket: says hello to the runtime listening on
/// `port`, waits for its challenge and answers it, so that the runtime believes `session` is the other side.
/// Returns the runtime's own session identity (from its challenge), or nil if no challenge came within 10 s.
func introduce(from socket: UDPSocket, to port: UInt16, as session: SessionID, name: String = "bob") throws
    -> SessionID? {
    let target = SocketAddress.loopback(port: port)
    try socket.send(Wire.encode(Datagram(kind: .ping, from: name, session: session, ack: 0, base: 1, timestamp: 1)),
                    to: target)
    var buffer = [UInt8](repeating: 0, count: 65_536)
    for _ in 0..<100 {
        guard (try? Poller.wait(sockets: [socket], waker: nil, timeoutMicroseconds: 100_000))?
            .readiness.first?.contains(.readable) == true
        else { continue }
        let datagram = buffer.withUnsafeMutableBytes { raw -> Datagram? in
            guard let received = try? socket.receive(into: raw) else { return nil }
            return try? Wire.decode(UnsafeRawBufferPointer(rebasing: raw[0..<received.count]))
        }
        guard let datagram, datagram.kind == .ping, datagram.to == session, let token = datagram.timestamp else {
            continue
        }
        try socket.send(Wire.encode(Datagram(kind: .pong, from: name, session: session, to: datagram.session, ack: 0,
                                             base: 1, echo: token)), to: target)
        return datagram.session
    }
    return nil
}
