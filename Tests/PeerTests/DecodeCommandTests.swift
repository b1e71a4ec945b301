import Foundation
import Peer
import PeerCommandLine
import PeerTransport
import Synchronization
import Testing

/// A UDP relay between two peers on loopback that keeps a copy of every datagram it forwards, in order: a capture
/// without tcpdump. A sends to `portForA`, which forwards to B's listen port; B sends to `portForB`, forwarded to
/// A's. The peers accept it, since they check the sender's host, not its port.
final class CapturingRelay: Sendable {
    private let fromA: UDPSocket
    private let fromB: UDPSocket
    private let listenPorts: (a: UInt16, b: UInt16)
    private let captured = Mutex<[[UInt8]]>([])
    private let stopRequested = Mutex(false)
    private let finished = DispatchSemaphore(value: 0)

    init(aListensOn aPort: UInt16, bListensOn bPort: UInt16) throws {
        fromA = try UDPSocket.bound(to: .loopback(port: 0))
        fromB = try UDPSocket.bound(to: .loopback(port: 0))
        listenPorts = (aPort, bPort)
    }

    /// The port A gives as `--dest-port`.
    var portForA: UInt16 { (try? fromA.localAddress().port) ?? 0 }
    /// The port B gives as `--dest-port`.
    var portForB: UInt16 { (try? fromB.localAddress().port) ?? 0 }

    func start() {
        let thread = Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while !stopRequested.withLock({ $0 }) {
                let ready = try? Poller.wait(sockets: [fromA, fromB], waker: nil, timeoutMicroseconds: 50_000)
                for (socket, port) in [(fromA, listenPorts.b), (fromB, listenPorts.a)] {
                    guard ready?.readiness[socket === fromA ? 0 : 1].contains(.readable) == true else { continue }
                    forward(from: socket, to: port, buffer: &buffer)
                }
            }
            finished.signal()
        }
        thread.start()
    }

    private func forward(from socket: UDPSocket, to port: UInt16, buffer: inout [UInt8]) {
        for _ in 0..<256 {
            let bytes = buffer.withUnsafeMutableBytes { raw -> [UInt8]? in
                do {
                    let received = try socket.receive(into: raw)
                    return Array(raw[0..<received.count])
                } catch SocketError.wouldBlock {
                    return nil
                } catch {
                    return []  // an ICMP error from a peer not yet listening: nothing to forward
                }
            }
            guard let bytes else { return }
            guard !bytes.isEmpty else { continue }
            captured.withLock { $0.append(bytes) }
            try? socket.send(bytes, to: .loopback(port: port))
        }
    }

    /// Stops the relay and returns every datagram it forwarded.
    func stop() -> [[UInt8]] {
        stopRequested.withLock { $0 = true }
        finished.wait()
        fromA.close()
        fromB.close()
        return captured.withLock { $0 }
    }
}

/// `--keylog` and `peer decode` with the real executable: two peers talk through a capturing relay, each writes a
/// private key log, neither log shows a key, and either key log turns the capture into readable PEER/1 lines.
struct DecodeCommandTests {
    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }

    static func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("peer-keylog-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test("two peers with --keylog: private key logs, no key in any log, and either log decodes the capture")
    func endToEnd() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let ports = try freePorts(4)
        let relay = try CapturingRelay(aListensOn: ports[1], bListensOn: ports[3])
        relay.start()
        let fromA = (1...12).map { "keylog-a line \($0) -\($0)" }
        let fromB = (1...8).map { "keylog-b line \($0)" } + ["a\ttab and \u{1B}[2J escape"]
        let path = { (name: String) in directory.appendingPathComponent(name).path }
        let alice = try PeerProcess(
            ["--source-port", "\(ports[0])", "--listen-port", "\(ports[1])", "--dest-port", "\(relay.portForA)",
             "--name", "keylog-a", "--keylog", path("a.keys"), "--verbose", "--log", path("a.log")],
            input: fromA.joined(separator: "\n") + "\n")
        let bob = try PeerProcess(
            ["--source-port", "\(ports[2])", "--listen-port", "\(ports[3])", "--dest-port", "\(relay.portForB)",
             "--name", "keylog-b", "--keylog", path("b.keys"), "--verbose", "--log", path("b.log"),
             "--log-format", "json"],
            input: fromB.joined(separator: "\n") + "\n")
        let aliceResult = try alice.finish()
        let bobResult = try bob.finish()
        let capture = relay.stop()
        #expect(aliceResult.status == 0, "\(aliceResult.stderr.suffix(2000))")
        #expect(bobResult.status == 0, "\(bobResult.stderr.suffix(2000))")
        #expect(aliceResult.stderr.contains("whoever reads that file can read and forge the conversation"))

        var keys: [String] = []
        for name in ["a.keys", "b.keys"] {
            let attributes = try FileManager.default.attributesOfItem(atPath: path(name))
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600, "\(name)")
            let lines = try String(contentsOfFile: path(name), encoding: .utf8).split(separator: "\n")
            #expect(!lines.isEmpty)
            #expect(lines.allSatisfy { $0.hasPrefix("PEER2 ") && $0.split(separator: " ").count == 9 })
            keys += lines.flatMap { $0.split(separator: " ").suffix(2).map(String.init) }
        }
        let logs = try [path("a.log"), path("b.log")].map { try String(contentsOfFile: $0, encoding: .utf8) }
            + [aliceResult.stderr, bobResult.stderr]
        #expect(logs[0].contains(" send ") && logs[1].contains("\"event\":\"send\""), "the logs are verbose")
        for key in keys {
            #expect(!logs.contains { $0.contains(key) }, "a key in a log")
        }

        let input = capture.map(Self.hex).joined(separator: "\n") + "\n"
        for keyLog in ["a.keys", "b.keys"] {
            let decoded = try PeerProcess(["decode", "--keylog", path(keyLog)], input: input).finish()
            #expect(decoded.status == 0, "\(keyLog): \(decoded.stdout.suffix(3000)) \(decoded.stderr)")
            let lines = decoded.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(lines.filter { $0.hasPrefix("#") }.count == capture.count)
            #expect(lines.contains { $0.hasPrefix("  PEER/1 DATA from=keylog-a sid=") })
            #expect(lines.contains { $0.hasPrefix("  PEER/1 DATA from=keylog-b sid=") })
            #expect(lines.contains { $0.hasPrefix("#") && $0.contains(" initiation ") })
            for text in fromA + fromB.dropLast() {
                #expect(lines.contains("  body: \(text)"), "\(keyLog): \(text)")
            }
            #expect(lines.contains("  body: a\\ttab and ^[[2J escape"), "shown safely")
            #expect(!decoded.stdout.contains("\u{1B}"))
        }
    }

    @Test("peer decode: bad hex, unknown bytes and datagrams without keys each get a line; exit 1, never a crash")
    func hostileInput() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let keyLog = directory.appendingPathComponent("k")
        try "# comment\nPEER2 damaged\n".write(to: keyLog, atomically: true, encoding: .utf8)
        let transportWithoutKey = "04" + "0a0b0c0d" + "00000001" + String(repeating: "00", count: 20)
        let result = try PeerProcess(
            ["decode", "--keylog", keyLog.path, "zz", "123", "0x", "04", "50454552", "ff00", transportWithoutKey,
             "1b5b324a"],
            input: "").finish()
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("line 2 ignored"))
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.filter { $0.hasPrefix("#") }.count == 8, "\(result.stdout)")
        #expect(lines.contains("#1 not hex: \"z\" at digit 1 is not a hex digit"))
        #expect(lines.contains("#2 not hex: an odd number of digits (3)"))
        #expect(lines.contains("#3 not hex: no digits"))
        #expect(lines.contains("  cannot read: no key for index 0a0b0c0d in the key log"))
        #expect(lines.contains("#8 unknown bytes=4 first_byte=0x1b"))
        // From stdin, one a line: blank lines skipped, a line longer than any datagram refused unread.
        let fromStdin = try PeerProcess(["decode"], input: "04\n\n \n" + String(repeating: "ab", count: 70_000) + "\n")
            .finish()
        #expect(fromStdin.status == 1)
        #expect(fromStdin.stdout.split(separator: "\n").filter { $0.hasPrefix("#") }
                == ["#1 transport bytes=1", "#2 not hex: 140000 digits, more than any UDP datagram"])

        let missing = try PeerProcess(["decode", "--keylog", directory.appendingPathComponent("none").path, "04"],
                                      input: "").finish()
        #expect(missing.status == 78 && missing.stderr.contains("does not exist"), "\(missing.stderr)")
    }

    @Test("--keylog refuses a file other users can read, a symbolic link, and --wire seed")
    func refusals() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let exposed = directory.appendingPathComponent("exposed")
        try "".write(to: exposed, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: exposed.path)
        let link = directory.appendingPathComponent("link")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: directory.appendingPathComponent("x"))
        let ports = try freePorts(3)
        let chat = ["--source-port", "\(ports[0])", "--listen-port", "\(ports[1])", "--dest-port", "\(ports[2])",
                    "--name", "keylog-refusal"]
        let readable = try PeerProcess(chat + ["--keylog", exposed.path], input: "").finish()
        #expect(readable.status == 78, "\(readable.stderr)")
        #expect(readable.stderr.contains("readable by other users") && readable.stderr.contains("chmod 600"))
        let linked = try PeerProcess(chat + ["--keylog", link.path], input: "").finish()
        #expect(linked.status == 78 && linked.stderr.contains("symbolic link"), "\(linked.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("x").path))
        let seed = try PeerProcess(chat + ["--wire", "seed", "--keylog", exposed.path], input: "").finish()
        #expect(seed.status == 64 && seed.stderr.contains("--keylog"), "\(seed.stderr)")
    }

    @Test("the command line: --keylog on the chat, peer decode with its key logs and datagrams")
    func arguments() throws {
        let chat = ["--source-port", "1", "--listen-port", "2", "--dest-port", "3"]
        guard case .chat(let options) = try parseCommandLine(chat + ["--keylog=k.txt"]) else {
            Issue.record("not a chat")
            return
        }
        #expect(options.keyLogFile == "k.txt")
        #expect(try parseCommandLine(["decode", "--keylog", "a", "0102", "--keylog", "b", "--", "-03"])
                == .decode(DecodeOptions(keyLogFiles: ["a", "b"], datagrams: ["0102", "-03"])))
        #expect(try parseCommandLine(["decode"]) == .decode(DecodeOptions()))
        #expect(throws: UsageError("--keylog needs a file name")) { try parseCommandLine(chat + ["--keylog", ""]) }
        #expect(throws: UsageError("unknown option --frob for peer decode")) {
            try parseCommandLine(["decode", "--frob"])
        }
    }
}
