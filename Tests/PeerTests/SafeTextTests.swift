import Foundation
import Peer
@testable import PeerCommandLine
import PeerSession
import PeerTransport
import PeerWire
import Testing

/// Text from the network reaches no output as a control or bidirectional character (docs/LOGS.md, "Text from the
/// network").
struct SafeTextTests {
    static let bidiControls: [UInt32] = [0x061C, 0x200E, 0x200F, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E,
                                         0x2066, 0x2067, 0x2068, 0x2069]
    /// LINE SEPARATOR and PARAGRAPH SEPARATOR: line ends to Unicode.
    static let lineSeparators: [UInt32] = [0x2028, 0x2029]

    /// Whether any scalar of `text` is a control (C0, DEL, C1) or one of the bidirectional controls.
    static func carriesRawControl(_ text: String) -> Bool {
        text.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value)
            || bidiControls.contains($0.value) }
    }

    static func string(_ value: UInt32) -> String {
        String(String.UnicodeScalarView([Unicode.Scalar(value)].compactMap { $0 }))
    }

    @Test("every C0 control and DEL is shown in caret notation, LF, CR and TAB as \\n, \\r, \\t")
    func c0AndDelete() {
        let named: [UInt32: String] = [0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t", 0x7F: "^?"]
        for value in Array(UInt32(0)..<0x20) + [0x7F] {
            let expected = named[value] ?? "^" + Self.string(value + 0x40)
            let shown = SafeText.visible("a" + Self.string(value) + "b")
            #expect(shown == "a\(expected)b", "U+\(String(value, radix: 16))")
            #expect(!Self.carriesRawControl(shown))
        }
        #expect(SafeText.visible("\u{1B}[2J") == "^[[2J")
        #expect(SafeText.visible("\u{0}") == "^@")
    }

    @Test("every C1 control, each line separator and each bidirectional control is shown as \\u{…}")
    func c1AndBidirectional() {
        for value in Array(UInt32(0x80)...0x9F) + Self.bidiControls + Self.lineSeparators {
            let shown = SafeText.visible("x" + Self.string(value) + "y")
            #expect(shown == "x\\u{\(String(value, radix: 16, uppercase: true))}y")
            #expect(!Self.carriesRawControl(shown))
        }
        #expect(SafeText.visible("\u{9B}31m") == "\\u{9B}31m")
        #expect(SafeText.visible("abc\u{202E}fed") == "abc\\u{202E}fed")
    }

    @Test("ordinary text is returned unchanged: ASCII, accents, CJK, emoji with joiners, Persian with ZWNJ")
    func ordinaryTextUnchanged() {
        let texts = [
            "", "plain ASCII with punctuation !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", "ünïcødé — “quoted” … €",
            "中文字符 日本語のテキスト 한국어", "👩‍👩‍👧‍👦 🏳️‍🌈 👍🏽 🚀", "سلام دنیا، می‌خواهم بروم", "¡¿ ¢ £ ¥ © ® ° ± µ",
            "\u{2010}\u{2027}\u{200B}\u{200C}\u{200D}\u{2030}\u{206A}\u{2065}\u{202F}\u{0600}\u{061B}\u{061D}",
        ]
        for text in texts {
            #expect(!SafeText.needsEscaping(text), "\(text)")
            #expect(SafeText.visible(text) == text)
        }
    }

    @Test("the byte scan agrees with the scalar rule for every scalar up to U+FFFF and beyond")
    func byteScanMatchesScalarRule() {
        let values = Array(UInt32(0)...0xFFFF) + [0x1F600, 0x10FFFF, 0xE0001]
        for value in values {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let text = "ab" + String(scalar) + "c"
            #expect(SafeText.needsEscaping(text) == SafeText.isHarmful(scalar), "U+\(String(value, radix: 16))")
            #expect(!Self.carriesRawControl(SafeText.visible(text)))
            #expect(!Self.carriesRawControl(SafeText.jsonLiteral(text)))
        }
    }

    static let hostile = "\u{1B}]0;title\u{7}\u{1B}[2J\u{1B}[1Aforged\rline \u{202E}reversed \u{9B}31m end\u{7F}\u{0}"

    @Test("a JSON literal carries no control and decodes to the exact text")
    func jsonLiteralRoundTrips() throws {
        let literal = SafeText.jsonLiteral(Self.hostile + " \"quoted\" back\\slash\ttab\n")
        #expect(!Self.carriesRawControl(literal))
        #expect(literal.contains("\\u001b]0;title\\u0007\\u001b[2J"))
        #expect(literal.contains("\\u202e") && literal.contains("\\u009b") && literal.contains("\\u007f"))
        let decoded = try JSONSerialization.jsonObject(with: Data(literal.utf8), options: .fragmentsAllowed)
        #expect(decoded as? String == Self.hostile + " \"quoted\" back\\slash\ttab\n")
    }

    @Test("text and JSON log lines of events carrying hostile text contain no raw control")
    func logLines() throws {
        let events: [Event] = [
            .note(sequence: 3, reason: Self.hostile), .reject(reason: Self.hostile, bytes: 9),
            .socketError(Self.hostile), .note(sequence: nil, reason: "nospace\u{9B}\u{202E}"),
        ]
        for event in events {
            let record = LogRecord(wallMicroseconds: 1_700_000_000_000_000, name: "bob",
                                   session: SessionID(rawValue: 7), event: event)
            let text = LogFormatter.line(record, format: .text)
            let json = LogFormatter.line(record, format: .json)
            #expect(!Self.carriesRawControl(text), "\(text)")
            #expect(!Self.carriesRawControl(json), "\(json)")
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
            let original = event.fields.compactMap { field -> String? in
                if case .text(let value) = field.1 { value } else { nil }
            }
            #expect(original.contains(try #require(object["reason"] as? String)))
        }
        let record = LogRecord(wallMicroseconds: 0, name: "bob", session: SessionID(rawValue: 7),
                               event: .note(sequence: nil, reason: "nospace\u{9B}\u{202E}"))
        #expect(LogFormatter.line(record, format: .text).hasSuffix(" reason=\"nospace\\u009b\\u202e\""))
    }

    @Test("the demo's column wrapping ends and keeps every scalar, even for a word longer than the column")
    func demoRowsWrapLongWords() {
        let long = "alice → bob: " + String(repeating: "\\u{202E}", count: 30) + " tail"
        let rows = DemoPrinter.rows(long)
        #expect(rows.count > 1)
        #expect(rows.allSatisfy { $0.unicodeScalars.count < DemoPrinter.leftWidth })
        // Only spaces are dropped at the cuts and added as the indentation.
        #expect(rows.joined().replacingOccurrences(of: " ", with: "") == long.replacingOccurrences(of: " ", with: ""))
    }
}

/// The `peer` executable with a hostile sender: what reaches stdout (a pipe) and the log file.
struct HostileTextExecutableTests {
    /// Window title, clear screen, cursor up, carriage return, right-to-left override, C1 CSI, DEL.
    static let hostile = "\u{1B}]0;title\u{7} \u{1B}[2J \u{1B}[1Aforged\rline \u{202E}desrever \u{9B}31m red\u{7F}"
    static let shown = "^[]0;title^G ^[[2J ^[[1Aforged\\rline \\u{202E}desrever \\u{9B}31m red^?"

    /// The raw bytes none of the outputs may carry.
    static func rawControls(in bytes: Data) -> [UInt8] {
        let text = String(decoding: bytes, as: UTF8.self)
        let scalars = text.unicodeScalars.filter {
            ($0.value < 0x20 && $0 != "\n") || (0x7F...0x9F).contains($0.value) || $0.value == 0x202E
        }
        return scalars.flatMap { Array(String($0).utf8) }
    }

    @Test("a peer sending escape sequences, CR, U+202E and U+009B: stdout and the log show them visibly",
          arguments: ["text", "json"])
    func hostileMessage(logFormat: String) throws {
        let ports = try freePorts(4)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("peer-hostile-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let logURL = directory.appendingPathComponent("bob.log")

        let alice = try PeerProcess(
            ["--source-port", "\(ports[0])", "--listen-port", "\(ports[1])", "--dest-port", "\(ports[3])",
             "--name", "alice"],
            input: "before\n" + Self.hostile + "\nafter\n")
        let bob = Process()
        bob.executableURL = try peerExecutable()
        bob.environment = PeerProcess.isolatedEnvironment
        bob.arguments = ["--source-port", "\(ports[2])", "--listen-port", "\(ports[3])", "--dest-port", "\(ports[1])",
                         "--name", "bob", "--verbose", "--log", logURL.path, "--log-format", logFormat]
        let bobIn = Pipe(), bobOut = Pipe()
        bob.standardInput = bobIn
        bob.standardOutput = bobOut
        bob.standardError = FileHandle.nullDevice
        try bob.run()
        try bobIn.fileHandleForWriting.close()
        let stdout = bobOut.fileHandleForReading.readDataToEndOfFile()
        bob.waitUntilExit()
        let aliceResult = try alice.finish()
        #expect(aliceResult.status == 0, "\(aliceResult.stderr.suffix(2000))")
        #expect(bob.terminationStatus == 0)

        #expect(String(decoding: stdout, as: UTF8.self) == "alice: before\nalice: \(Self.shown)\nalice: after\n")
        #expect(Self.rawControls(in: stdout).isEmpty)
        let log = try Data(contentsOf: logURL)
        #expect(!log.isEmpty)
        #expect(Self.rawControls(in: log).isEmpty)
    }

    @Test("--wire seed: a hostile message and a hostile rejected tail reach stdout and the log only visibly",
          arguments: ["text", "json"])
    func hostileOriginalClient(logFormat: String) throws {
        let original = try UDPSocket.bound(to: .loopback(port: 0), nonBlocking: false)
        defer { original.close() }
        let originalPort = try original.localAddress().port
        let ports = try freePorts(2)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("peer-hostile-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let logURL = directory.appendingPathComponent("peer.log")

        let peer = Process()
        peer.executableURL = try peerExecutable()
        peer.environment = PeerProcess.isolatedEnvironment
        peer.arguments = ["--wire", "seed", "--source-port", "\(ports[0])", "--listen-port", "\(ports[1])",
                          "--dest-port", "\(originalPort)", "--name", "me", "--linger", "1", "--verbose",
                          "--log", logURL.path, "--log-format", logFormat]
        let peerIn = Pipe(), peerOut = Pipe(), peerErr = Pipe()
        peer.standardInput = peerIn
        peer.standardOutput = peerOut
        peer.standardError = peerErr
        try peer.run()
        // The banner is printed once the listening socket is bound: from then on datagrams wait for the peer.
        var said = ""
        while !said.contains("listening on") {
            let chunk = peerErr.fileHandleForReading.availableData
            guard !chunk.isEmpty else { break }
            said += String(decoding: chunk, as: UTF8.self)
        }

        // The tail after the last " -" is neither a count nor "resend": rejected, and the reason quotes it.
        try original.send(Array("x -\u{1B}[2J\u{202E}\u{9B}".utf8), to: .loopback(port: ports[1]))
        try original.send(Array((Self.hostile + " -0").utf8), to: .loopback(port: ports[1]))
        var stdout = Data()
        while !String(decoding: stdout, as: UTF8.self).contains("\n") {
            let chunk = peerOut.fileHandleForReading.availableData
            guard !chunk.isEmpty else { break }
            stdout += chunk
        }
        try peerIn.fileHandleForWriting.close()
        stdout += peerOut.fileHandleForReading.readDataToEndOfFile()
        _ = peerErr.fileHandleForReading.readDataToEndOfFile()
        peer.waitUntilExit()

        #expect(String(decoding: stdout, as: UTF8.self) == "seed: \(Self.shown)\n")
        #expect(Self.rawControls(in: stdout).isEmpty)
        let log = try Data(contentsOf: logURL)
        #expect(Self.rawControls(in: log).isEmpty)
        let logText = String(decoding: log, as: UTF8.self)
        #expect(logText.contains("\\u001b[2J\\u202e\\u009b"), "\(logText)")
    }
}
