import Foundation
import Peer
import PeerCrypto
import PeerSession
import PeerTransport
import PeerWire
import Synchronization

/// `peer demo`: two peers in this process on loopback, losing datagrams both ways, narrated in two columns —
/// the conversation on the left, the losses and repairs behind it on the right.
enum DemoCommand {
    /// Who says what, and how long after the previous line (milliseconds). The pauses are presentation only.
    static let script: [(pause: Int, speaker: Int, text: String)] = [
        (0, 0, "Hi Bob! Is this thing on?"),
        (150, 1, "Loud and clear, Alice. A quarter of our datagrams are being dropped, both ways."),
        (150, 0, "Then let's see if anything goes missing. One,"),
        (20, 0, "two,"),
        (20, 0, "three - well-known dashes -3 and all -resend"),
        (150, 1, "Got one, two, three: each exactly once, in order."),
        (150, 0, "How do you know when something is missing?"),
        (150, 1, "Every datagram carries my count of your messages, and which later ones I already hold."),
        (150, 0, "And then I replay only the holes, from a fresh socket. No storms. 🎉"),
        (150, 1, "Bye, Alice!"),
        (100, 0, "Bye, Bob!"),
    ]

    static func run(_ options: DemoOptions) -> Int32 {
        let seed = options.seed ?? UInt64.random(in: 0...99_999)
        let names = ["alice", "bob"]
        let printer = DemoPrinter()
        var runtimes: [PeerRuntime] = []
        for (index, name) in names.enumerated() {
            let configuration = RuntimeConfiguration(
                name: name, listenPort: 0, sourcePort: 0, impairments: Impairments(drop: options.dropRate),
                seed: seed &+ UInt64(index),
                loggedCategories: [.message, .repair, .status],
                // A key of its own for each, kept in memory only: the demo leaves no identity behind.
                security: RuntimeConfiguration.Security(staticKey: X25519.newPrivateKey()))
            do {
                runtimes.append(try PeerRuntime(configuration: configuration))
            } catch {
                return CommandLineTool.failure("cannot open a loopback socket: \(error)")
            }
        }
        let percent = Int((options.dropRate * 100).rounded())
        printer.line("peer demo: alice (port \(runtimes[0].listenPort)) and bob (port \(runtimes[1].listenPort)) "
                     + "on 127.0.0.1, \(percent)% of datagrams dropped each way (seed \(seed))")
        printer.line("")
        printer.columns("what they see", "what the network did, and how it was repaired")
        printer.columns(String(repeating: "─", count: DemoPrinter.leftWidth - 1),
                        String(repeating: "─", count: 46))
        for (index, runtime) in runtimes.enumerated() {
            let me = names[index]
            let other = runtimes[1 - index]
            let output = RuntimeOutput(
                deliver: { printer.columns(SafeText.visible("\($0.from) → \(me): \($0.text)"), "") },
                log: { record in
                    if let story = DemoPrinter.story(record) { printer.columns("", SafeText.visible(story)) }
                })
            do {
                try runtime.start(destination: .loopback(.ipv4, port: other.listenPort), output: output)
            } catch {
                return CommandLineTool.failure("cannot start \(me): \(error)")
            }
        }
        for line in script {
            Thread.sleep(forTimeInterval: Double(line.pause) / 1000)
            runtimes[line.speaker].submit(line.text)
        }
        for runtime in runtimes { runtime.finishInput() }
        let summaries = runtimes.map { $0.wait() }
        printer.line("")
        for summary in summaries { printer.line(SafeText.visible(summary.line)) }
        return summaries.allSatisfy(\.outcome.everythingAcknowledged) ? 0 : 1
    }
}

/// Prints the demo's two columns, one whole line at a time from either peer's thread.
final class DemoPrinter: Sendable {
    static let leftWidth = 62
    private let lock = Mutex(())

    func line(_ text: String) {
        lock.withLock { _ in writeAll(STDOUT_FILENO, Array((text + "\n").utf8)) }
    }

    /// `left` padded to the column (wrapped at spaces when too long), a bar, then `right`.
    func columns(_ left: String, _ right: String) {
        for (index, row) in Self.rows(left).enumerated() {
            let padded = row + String(repeating: " ", count: max(0, Self.leftWidth - row.unicodeScalars.count))
            let text = index == 0 ? right : ""
            line(text.isEmpty ? padded + "│" : padded + "│ " + text)
        }
    }

    /// `text` cut into rows that fit the left column, at the last space that fits; a word longer than a row is
    /// split, so every row makes progress however the text is made (it may come from the network).
    static func rows(_ text: String) -> [String] {
        let width = leftWidth - 1
        let indent = Array("    ".unicodeScalars)
        var rest = Array(text.unicodeScalars)
        var rows: [String] = []
        while rest.count > width {
            var cut = rest[..<width].lastIndex(of: " ") ?? width
            if cut <= indent.count { cut = width }  // only the indentation would go: split the word instead
            rows.append(String(String.UnicodeScalarView(rest[..<cut])))
            rest = indent + rest[cut...].drop { $0 == " " }
        }
        rows.append(String(String.UnicodeScalarView(rest)))
        return rows
    }

    /// One sentence for each repair-related event; nil for the rest.
    static func story(_ record: LogRecord) -> String? {
        let who = record.name
        switch record.event {
        case .drop(let kind, let sequence, _):
            return "✗ \(who)'s \(kind.rawValue)\(sequence.map { " seq \($0)" } ?? "") lost"
        case .mismatch(let count, let sent, let missing, let reason):
            let why = switch reason {
            case .count: "its count shows a hole, later ones arrived"
            case .timeout: "no acknowledgement in time"
            case .overdue: "its replay should have arrived by now"
            case .restart: "the other side restarted"
            }
            return "? \(who): count \(count) of \(sent) sent; \(missing.wireDescription) missing (\(why))"
        case .resend(let sequence, let transmission, _, _, _):
            return "↻ \(who) replays seq \(sequence) (transmission \(transmission)) from a fresh socket"
        case .hold(let sequence, let expected, _):
            return "… \(who) holds seq \(sequence) until seq \(expected) arrives"
        case .duplicate(let sequence, _):
            return "= \(who) already had seq \(sequence): dropped, not shown again"
        case .peerDown:
            return "⚠ \(who) hears nothing from the other side"
        case .secured(let name, _, _):
            return "🔒 \(who) shook hands with \(name): from now on every datagram is sealed"
        default:
            return nil
        }
    }
}
