import Peer
@testable import PeerCommandLine
import PeerSession
import PeerTransport
import PeerWire
import Testing

/// Command-line parsing: what is accepted, what is refused and with which sentence.
struct ArgumentTests {
    @Test func fullChatCommandLine() throws {
        let command = try parseCommandLine([
            "--source-port", "4000", "--listen-port=4001", "--dest-port", "4002", "--dest-host", "::1",
            "--name", "Zoë", "--drop-rate", "0.25", "--seed", "9", "--log", "/tmp/x.log", "--log-format", "json",
            "--verbose", "--linger", "2.5",
        ])
        var expected = ChatOptions(sourcePort: 4000, listenPort: 4001, destinationPort: 4002)
        expected.destinationHost = "::1"
        expected.name = "Zoë"
        expected.dropRate = 0.25
        expected.seed = 9
        expected.logFile = "/tmp/x.log"
        expected.logFormat = .json
        expected.verbose = true
        expected.linger = .seconds(2.5)
        #expect(command == .chat(expected))
    }

    @Test("--peer is repeatable, --dest-port is the first peer, --source-port is optional")
    func peers() throws {
        let command = try parseCommandLine(["--listen-port", "4001", "--name", "carol", "--peer", "10.0.0.1:4000",
                                            "--peer", "[::1]:4002", "--peer", "host.example:4003"])
        guard case .chat(let options) = command else {
            Issue.record("not a chat: \(command)")
            return
        }
        #expect(options.sourcePort == 0)
        #expect(options.allPeers == [PeerSpec(host: "10.0.0.1", port: 4000), PeerSpec(host: "::1", port: 4002),
                                     PeerSpec(host: "host.example", port: 4003)])
        let legacy = try parseCommandLine(["--source-port", "4000", "--listen-port", "4001", "--dest-port", "4002",
                                           "--peer", "127.0.0.1:4005"])
        guard case .chat(let both) = legacy else { return }
        #expect(both.allPeers == [PeerSpec(host: "127.0.0.1", port: 4002), PeerSpec(host: "127.0.0.1", port: 4005)])
        let alone = try parseCommandLine(["--listen-port", "4001"])
        guard case .chat(let waiting) = alone else { return }
        #expect(waiting.allPeers.isEmpty)
    }

    @Test("peer simulate --peers N: a group of 2 to 64; without it, the two-party run")
    func simulatePeers() throws {
        #expect(try parseCommandLine(["simulate"]) == .simulate(SimulateOptions()))
        #expect(SimulateOptions().peers == nil)
        for count in [2, 4, 64] {
            var expected = SimulateOptions()
            expected.peers = count
            expected.json = true
            #expect(try parseCommandLine(["simulate", "--peers", "\(count)", "--json"]) == .simulate(expected))
        }
    }

    @Test func demoHelpVersion() throws {
        #expect(try parseCommandLine(["demo", "--seed", "3"]) == .demo(DemoOptions(dropRate: 0.25, seed: 3)))
        #expect(try parseCommandLine(["--help"]) == .help)
        #expect(try parseCommandLine(["--version"]) == .version)
    }

    @Test("refusals", arguments: [
        (["--source-port", "4000", "--listen-port", "4000", "--dest-port", "1"], "must differ"),
        (["--source-port", "0", "--listen-port", "4001", "--dest-port", "1"], "from 1 to 65535"),
        (["--source-port", "x", "--listen-port", "4001", "--dest-port", "1"], "not x"),
        (["--source-port", "4000", "--listen-port", "4001", "--dest-port", "1", "--drop-rate", "-0.1"], "probability"),
        (["--source-port", "4000", "--listen-port", "4001", "--dest-port", "1", "--drop-rate", "nan"], "probability"),
        (["--source-port", "4000", "--listen-port", "4001", "--dest-port", "1", "--name", "a b"], "--name"),
        (["--source-port", "4000", "--listen-port", "4001", "--dest-port", "1", "--log-format", "xml"], "text or json"),
        (["--source-port", "4000", "--listen-port", "4001", "--dest-port", "1", "--linger", "0"], "--linger"),
        (["--source-port", "4000", "--listen-port", "4001", "--dest-port"], "needs a value"),
        (["stray"], "unexpected argument stray"),
        (["--listen-port", "4001", "--peer", "[::1]4000"], "--peer needs HOST:PORT"),
        (["--listen-port", "4001", "--peer", "::1:4000"], "--peer needs HOST:PORT"),
        (["--listen-port", "4001", "--peer", "host:0"], "the port must be a number from 1 to 65535, not 0"),
        (["--listen-port", "4001", "--peer", "127.0.0.1:99999"], "from 1 to 65535, not 99999"),
        (["--listen-port", "4001", "--dest-port", "1", "--wire", "seed", "--peer", "h:2"], "--wire seed"),
        (["demo", "--drop-rate", "2"], "probability"),
        (["simulate", "--peers", "1"], "--peers must be a whole number from 2 to 64, not 1"),
        (["simulate", "--peers", "65"], "--peers must be a whole number from 2 to 64, not 65"),
        (["simulate", "--peers"], "needs a value"),
    ])
    func refusals(arguments: [String], fragment: String) {
        #expect {
            _ = try parseCommandLine(arguments)
        } throws: { error in
            (error as? UsageError)?.message.contains(fragment) == true
        }
    }
}
