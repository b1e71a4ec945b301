import Foundation
import Peer
import PeerSession
import PeerTransport
import PeerWire
import Testing

/// `peer --wire seed` against a literal stand-in for the original classroom client (scripts/seed-client.py).
struct SeedWireTests {
    /// The repository's scripts folder.
    static let scripts = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("scripts")

    struct Outcome {
        var peerShown: [String]
        var originalPrinted: [String]
        var peerSummary: String
    }

    /// Runs both sides typing alternately, `pause` seconds apart (people take turns; the original's counts are
    /// only evidence for lines sent a round trip before them), and returns what each showed.
    static func converse(ours: [String], theirs: [String], dropRate: Double, pause: Double) throws -> Outcome {
        let ports = try freePorts(4)
        let original = Process()
        original.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        original.arguments = ["python3", scripts.appendingPathComponent("seed-client.py").path,
                              "--source-port", "\(ports[0])", "--listen-port", "\(ports[1])",
                              "--dest-port", "\(ports[3])", "--drop-rate", "\(dropRate)", "--seed", "5",
                              "--quit-after-idle", "2"]
        let originalIn = Pipe(), originalOut = Pipe(), originalErr = Pipe()
        original.standardInput = originalIn
        original.standardOutput = originalOut
        original.standardError = originalErr
        try original.run()
        var said = ""
        while !said.contains("listening") {
            let chunk = originalErr.fileHandleForReading.availableData
            guard !chunk.isEmpty else { break }
            said += String(decoding: chunk, as: UTF8.self)
        }

        let peer = Process()
        peer.executableURL = try peerExecutable()
        peer.arguments = ["--wire", "seed", "--source-port", "\(ports[2])", "--listen-port", "\(ports[3])",
                          "--dest-port", "\(ports[1])", "--name", "ours", "--drop-rate", "\(dropRate)",
                          "--seed", "6", "--linger", "2"]
        let peerIn = Pipe(), peerOut = Pipe(), peerErr = Pipe()
        peer.standardInput = peerIn
        peer.standardOutput = peerOut
        peer.standardError = peerErr
        try peer.run()

        // Read the outputs as they come, so no pipe fills up.
        let collected = [peerOut, peerErr, originalOut].map { pipe in
            let box = Box()
            let thread = Thread { box.data = pipe.fileHandleForReading.readDataToEndOfFile(); box.done.signal() }
            thread.start()
            return box
        }
        for index in 0..<max(ours.count, theirs.count) {
            if index < ours.count { peerIn.fileHandleForWriting.write(Data((ours[index] + "\n").utf8)) }
            Thread.sleep(forTimeInterval: pause)  // the pace of the conversation, not synchronisation
            if index < theirs.count { originalIn.fileHandleForWriting.write(Data((theirs[index] + "\n").utf8)) }
            Thread.sleep(forTimeInterval: pause)
        }
        try peerIn.fileHandleForWriting.close()
        try originalIn.fileHandleForWriting.close()
        peer.waitUntilExit()
        original.waitUntilExit()
        let texts = collected.map { box -> String in
            box.done.wait()
            return String(decoding: box.data, as: UTF8.self)
        }
        return Outcome(peerShown: texts[0].split(separator: "\n").map(String.init),
                       originalPrinted: texts[2].split(separator: "\n").map(String.init),
                       peerSummary: texts[1].split(separator: "\n").last.map(String.init) ?? "")
    }

    final class Box: @unchecked Sendable {
        var data = Data()
        let done = DispatchSemaphore(value: 0)
    }

    /// Our lines as the original prints them: ` -N` or ` -resend` after the text, `-` sent as `‐`.
    static func ourLinesShown(_ printed: [String], of ours: [String]) -> Set<String> {
        let texts = printed.compactMap { line -> String? in
            guard let dash = line.range(of: " -", options: .backwards) else { return nil }
            return String(line[..<dash.lowerBound]).replacingOccurrences(of: "\u{2010}", with: "-")
        }
        return Set(texts).intersection(ours)
    }

    static func lines(_ prefix: String, _ count: Int) -> [String] {
        (1...count).map { "\(prefix) line \($0), with a well-known dash" }
    }

    @Test("no loss, both talking: each shows all of the other's lines, ours exactly once")
    func noLoss() throws {
        let ours = Self.lines("ours", 30), theirs = Self.lines("theirs", 30).map { $0.replacingOccurrences(of: "-", with: " ") }
        let outcome = try Self.converse(ours: ours, theirs: theirs, dropRate: 0, pause: 0.01)
        #expect(outcome.peerShown == theirs.map { "seed: \($0)" })
        #expect(Self.ourLinesShown(outcome.originalPrinted, of: ours) == Set(ours))
    }

    @Test("20% loss both ways: at least 90% each way, none twice on our side, at most 3 datagrams a line")
    func lossy() throws {
        let ours = Self.lines("ours", 40), theirs = Self.lines("theirs", 40).map { $0.replacingOccurrences(of: "-", with: " ") }
        let outcome = try Self.converse(ours: ours, theirs: theirs, dropRate: 0.2, pause: 0.06)
        let shown = outcome.peerShown.map { String($0.dropFirst("seed: ".count)) }
        #expect(Set(shown).count == shown.count, "a line shown twice")
        #expect(Double(Set(shown).intersection(theirs).count) >= 0.9 * Double(theirs.count), "\(shown.count) shown")
        let theirsShownOfOurs = Self.ourLinesShown(outcome.originalPrinted, of: ours).count
        #expect(Double(theirsShownOfOurs) >= 0.9 * Double(ours.count), "\(theirsShownOfOurs) of ours shown")
        // summary ours: sent=40 … replayed=R …: first transmissions plus replays, per line.
        let fields = Dictionary(uniqueKeysWithValues: outcome.peerSummary.split(separator: " ").compactMap { word in
            word.split(separator: "=", maxSplits: 1).count == 2
                ? (String(word.split(separator: "=")[0]), Int(word.split(separator: "=")[1]) ?? -1) : nil
        })
        let sent = try #require(fields["sent"]), replayed = try #require(fields["replayed"])
        #expect(Double(sent + replayed) <= 3 * Double(ours.count), "\(outcome.peerSummary)")
    }
}
