import Foundation
import Peer
import PeerSession
import PeerTransport
import PeerWire
import Testing

/// The `peer` executable as a user runs it: two processes fed from files, and its command-line errors.
struct ExecutableTests {
    @Test("two scripted peers at --drop-rate 0.3 both exit 0 and show every line once, in order")
    func lossyChat() throws {
        let ports = try freePorts(4)
        let fromAlice = (1...120).map { "alice \($0): well-known -\($0) -resend ünïcødé 🚀" }
        let fromBob = (1...80).map { "bob \($0)\ttab, ends with -3" }
        let alice = try PeerProcess(
            ["--source-port", "\(ports[0])", "--listen-port", "\(ports[1])", "--dest-port", "\(ports[3])",
             "--name", "alice", "--drop-rate", "0.3", "--seed", "11"],
            input: fromAlice.joined(separator: "\n") + "\n")
        let bob = try PeerProcess(
            ["--source-port", "\(ports[2])", "--listen-port", "\(ports[3])", "--dest-port", "\(ports[1])",
             "--name", "bob", "--drop-rate", "0.3", "--seed", "12", "--log-format", "json"],
            input: fromBob.joined(separator: "\n") + "\n")
        let aliceResult = try alice.finish()
        let bobResult = try bob.finish()
        #expect(aliceResult.status == 0, "alice: \(aliceResult.stderr.suffix(2000))")
        #expect(bobResult.status == 0, "bob: \(bobResult.stderr.suffix(2000))")
        // A tab is a control character: it arrives, and is shown as `\t` (docs/LOGS.md, "Text from the network").
        let fromBobShown = fromBob.map { $0.replacingOccurrences(of: "\t", with: "\\t") }
        #expect(aliceResult.stdout == fromBobShown.map { "bob: \($0)\n" }.joined())
        #expect(bobResult.stdout == fromAlice.map { "alice: \($0)\n" }.joined())
        #expect(aliceResult.stderr.contains(" resend "))
        #expect(aliceResult.stderr.contains("summary alice: sent=120 delivered=80"))
        // JSON Lines: every log line of bob's is one JSON object.
        let jsonLines = bobResult.stderr.split(separator: "\n").filter { $0.hasPrefix("{") }
        #expect(!jsonLines.isEmpty)
        for line in jsonLines {
            #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) is [String: Any], "\(line)")
        }
        #expect(jsonLines.contains { $0.contains("\"event\":\"drop\"") })
    }

    @Test("lines nobody acknowledged: the peer gives up after --linger, says so and exits 1")
    func unacknowledgedExitsOne() throws {
        let ports = try freePorts(3)
        let result = try PeerProcess(
            ["--source-port", "\(ports[0])", "--listen-port", "\(ports[1])", "--dest-port", "\(ports[2])",
             "--name", "alice", "--linger", "1"],
            input: "is anyone there?\nhello?\n").finish()
        #expect(result.status == 1, "\(result.stderr.suffix(2000))")
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("linger-expired"))
    }

    @Test("peer simulate --json prints exactly one JSON object with the promised fields")
    func simulateJSON() throws {
        let result = try PeerProcess(
            ["simulate", "--workload", "bulk", "--messages", "500", "--delay-ms", "2", "--loss", "0.2", "--seeds", "2",
             "--json"], input: "").finish()
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["exactly_once_in_order"] as? Bool == true)
        #expect(object["workload"] as? String == "bulk")
        let transmissions = try #require(object["data_tx_per_msg"] as? Double)
        #expect(transmissions >= 1 / (1 - 0.2) * 0.9 && transmissions < 2)
        #expect((object["latency_ms"] as? [String: Any])?["p99"] is Double)
        #expect((object["datagrams_per_msg"] as? [String: Any])?["a_to_b"] is Double)
        #expect(object["all_delivered_s"] is Double)
        // Without --peers, the two-party run's keys and nothing more.
        #expect(object["peers"] == nil && object["data_tx_per_msg_per_recipient"] == nil && object["join_s"] == nil)
    }

    @Test("peer simulate --peers 4 --json: every message once, in order, at all three recipients; the group's keys")
    func simulateGroupJSON() throws {
        let result = try PeerProcess(
            ["simulate", "--peers", "4", "--workload", "chat", "--messages", "150", "--delay-ms", "2", "--loss", "0.2",
             "--seeds", "2", "--json"], input: "").finish()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.split(separator: "\n").count == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["peers"] as? Int == 4)
        #expect(object["exactly_once_in_order"] as? Bool == true)
        let perRecipient = try #require(object["data_tx_per_msg_per_recipient"] as? Double)
        #expect(perRecipient >= 1 / (1 - 0.2) * 0.95 && perRecipient < 1.6, "\(perRecipient)")
        // Per message is summed over the three recipients.
        let perMessage = try #require(object["data_tx_per_msg"] as? Double)
        #expect(abs(perMessage - 3 * perRecipient) < 0.01, "\(perMessage) vs \(perRecipient)")
        let join = try #require(object["join_s"] as? [String: Any])
        let joinMean = try #require(join["mean"] as? Double), joinMax = try #require(join["max"] as? Double)
        #expect(joinMean > 0 && joinMean <= joinMax)
        let memory = try #require(object["memory_per_member_bytes"] as? [String: Any])
        let meshed = try #require(memory["meshed"] as? Int), peak = try #require(memory["peak"] as? Int)
        #expect(meshed > 0 && meshed <= peak)
        #expect((object["latency_ms"] as? [String: Any])?["p99"] is Double)
        #expect((object["datagrams_per_msg"] as? [String: Any])?["b_to_a"] is Double)
        #expect(object["all_delivered_s"] is Double && object["bytes_per_msg"] is Double)
    }

    @Test("bad arguments say what is wrong, print the usage and exit 64", arguments: [
        (["--source-port", "4000", "--dest-port", "4002"], "missing --listen-port"),
        (["--listen-port", "4001", "--peer", "4002"], "--peer needs HOST:PORT"),
        (["--listen-port", "4001", "--wire", "seed"], "missing --dest-port"),
        (["--source-port", "70000", "--listen-port", "4001", "--dest-port", "4002"], "--source-port must be"),
        (["--source-port", "4000", "--listen-port", "4001", "--dest-port", "4002", "--drop-rate", "1"],
         "--drop-rate must be"),
        (["--source-port", "4000", "--listen-port", "4001", "--dest-port", "4002", "--frobnicate"],
         "unknown option --frobnicate"),
        (["--source-port", "4000", "--listen-port", "4001", "--dest-port", "4002", "--dest-host",
          "no-such-host.invalid"], "no-such-host.invalid: cannot resolve"),
    ])
    func usageErrors(arguments: [String], message: String) throws {
        let result = try PeerProcess(arguments, input: "").finish()
        #expect(result.status == 64)
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(result.stderr.contains("usage: peer"))
        #expect(result.stdout.isEmpty)
    }

    @Test("a port already in use is named and the exit status is not zero")
    func portInUse() throws {
        let holder = try UDPSocket.bound(family: .ipv6, port: 0, dualStack: true)
        defer { holder.close() }
        let port = try holder.localAddress().port
        let other = try freePorts(2)
        let result = try PeerProcess(
            ["--source-port", "\(other[0])", "--listen-port", "\(port)", "--dest-port", "\(other[1])"],
            input: "").finish()
        #expect(result.status == 69)
        #expect(result.stderr.contains("\(port)"))
        #expect(result.stderr.contains("in use"))
    }
}

/// Interruption: the summary is printed and the process exits, whatever it was waiting for.
struct InterruptTests {
    @Test("SIGTERM prints the summary and exits")
    func terminate() throws {
        let ports = try freePorts(3)
        let process = Process()
        process.executableURL = try peerExecutable()
        process.environment = PeerProcess.isolatedEnvironment
        process.arguments = ["--source-port", "\(ports[0])", "--listen-port", "\(ports[1])", "--dest-port", "\(ports[2])",
                             "--name", "alice"]
        let input = Pipe()  // kept open: input never ends on its own
        let errors = Pipe()
        process.standardInput = input
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        var seen = ""
        // Wait for the start line (the signal handlers are installed before it is printed).
        while !seen.contains("listening on") {
            let chunk = errors.fileHandleForReading.availableData
            guard !chunk.isEmpty else { break }
            seen += String(decoding: chunk, as: UTF8.self)
        }
        process.terminate()
        seen += String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)  // it sent nothing, so nothing is unacknowledged
        #expect(seen.contains("summary alice:"))
        #expect(seen.contains("end=interrupted"))
    }
}
