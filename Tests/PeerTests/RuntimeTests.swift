import Foundation
import Peer
import PeerSession
import PeerTransport
import PeerWire
import Testing

/// Two real runtimes on 127.0.0.1 with ephemeral ports: sockets, threads and the protocol together.
struct RuntimeTests {
    func makePair(dropRate: Double, collectors: [Collector]) throws -> [PeerRuntime] {
        let runtimes = try ["alice", "bob"].enumerated().map { index, name in
            try PeerRuntime(configuration: RuntimeConfiguration(
                name: name, listenPort: 0, sourcePort: 0, impairments: Impairments(drop: dropRate), seed: UInt64(index + 1),
                loggedCategories: Set(EventCategory.allCases)))
        }
        for index in 0..<2 {
            try runtimes[index].start(destination: .loopback(port: runtimes[1 - index].listenPort),
                                      output: collectors[index].output)
        }
        return runtimes
    }

    @Test("30% simulated loss each way: every line arrives once, in order, and both sessions complete")
    func lossyConversation() throws {
        let collectors = [Collector(), Collector()]
        let runtimes = try makePair(dropRate: 0.3, collectors: collectors)
        let fromAlice = (1...150).map { "alice \($0): well-known -\($0) -resend ✓" }
        let fromBob = (1...120).map { "bob \($0)\tends with -3" }
        let senders = [Thread { fromAlice.forEach { runtimes[0].submit($0) }; runtimes[0].finishInput() },
                       Thread { fromBob.forEach { runtimes[1].submit($0) }; runtimes[1].finishInput() }]
        senders.forEach { $0.start() }
        let summaries = runtimes.map { $0.wait() }
        #expect(collectors[1].shown == fromAlice)
        #expect(collectors[0].shown == fromBob)
        #expect(summaries.allSatisfy { $0.outcome == SessionOutcome(everythingAcknowledged: true, reason: .completed) })
        #expect(summaries.allSatisfy { $0.simulatedDrops > 0 })
        // Every segment the simulation dropped was replayed.
        for collector in collectors {
            let dropped = Set(collector.events.compactMap { event -> UInt64? in
                if case .drop(let kind, let sequence, _) = event, kind.carriesSegment { sequence } else { nil }
            })
            let replayed = Set(collector.events.compactMap { event -> UInt64? in
                if case .resend(let sequence, _, _, _, _) = event { sequence } else { nil }
            })
            #expect(dropped.isSubset(of: replayed))
        }
    }

    @Test("the same conversation over IPv6 loopback, where the machine has it")
    func ipv6() throws {
        guard (try? UDPSocket.bound(to: .loopback(.ipv6, port: 0)))?.close() != nil else { return }
        let collectors = [Collector(), Collector()]
        let runtimes = try ["alice", "bob"].map { name in
            try PeerRuntime(configuration: RuntimeConfiguration(name: name, listenPort: 0, sourcePort: 0))
        }
        for index in 0..<2 {
            try runtimes[index].start(destination: .loopback(.ipv6, port: runtimes[1 - index].listenPort),
                                      output: collectors[index].output)
        }
        runtimes[0].submit("over IPv6 ✓")
        runtimes[0].finishInput()
        runtimes[1].finishInput()
        let summaries = runtimes.map { $0.wait() }
        #expect(collectors[1].shown == ["over IPv6 ✓"])
        #expect(summaries.allSatisfy { $0.outcome.everythingAcknowledged })
    }

    @Test("a datagram from another host is rejected before it is parsed")
    func foreignAddress() throws {
        let collector = Collector { event in
            if case .reject(let reason, _) = event { reason.contains("not the destination host") } else { false }
        }
        let runtime = try PeerRuntime(configuration: RuntimeConfiguration(
            name: "alice", listenPort: 0, sourcePort: 0, loggedCategories: Set(EventCategory.allCases)))
        let silentPeer = try UDPSocket.bound(to: .loopback(port: 0))
        defer { silentPeer.close() }
        try runtime.start(destination: .loopback(port: try silentPeer.localAddress().port), output: collector.output)
        // 127.0.0.2 is loopback too on Linux, but it is not the destination host 127.0.0.1.
        let stranger = try UDPSocket.bound(to: SocketAddress(numericHost: "127.0.0.2", port: 0) ?? .loopback(port: 0))
        defer { stranger.close() }
        try stranger.send(Array("PEER/1 ACK from=mallory sid=1 ack=0 base=1\n".utf8),
                          to: .loopback(port: runtime.listenPort))
        #expect(collector.sawWatchedEvent.wait(timeout: .now() + 20) == .success)
        runtime.interrupt()
        let summary = runtime.wait()
        #expect(summary.statistics.datagramsReceived == 0)
        #expect(!collector.events.contains { if case .peerUp = $0 { true } else { false } })
    }

    @Test("a closed destination port is logged, never fatal")
    func closedDestination() throws {
        let collector = Collector { event in
            if case .socketError(let reason) = event { reason.contains("refused") } else { false }
        }
        let runtime = try PeerRuntime(configuration: RuntimeConfiguration(
            name: "alice", listenPort: 0, sourcePort: 0, loggedCategories: Set(EventCategory.allCases)))
        let closedPort = try freePorts(1)[0]
        try runtime.start(destination: .loopback(port: closedPort), output: collector.output)
        runtime.submit("anyone there?")
        #expect(collector.sawWatchedEvent.wait(timeout: .now() + 20) == .success)
        runtime.interrupt()
        let summary = runtime.wait()
        #expect(summary.outcome.reason == .interrupted)
        #expect(!summary.outcome.everythingAcknowledged)
    }

    @Test("a listen port already in use is reported by number")
    func portInUse() throws {
        let holder = try UDPSocket.bound(family: .ipv6, port: 0, dualStack: true)
        defer { holder.close() }
        let port = try holder.localAddress().port
        #expect(throws: SocketError.addressInUse(port: port)) {
            try PeerRuntime(configuration: RuntimeConfiguration(name: "alice", listenPort: port, sourcePort: 0))
        }
    }
}
