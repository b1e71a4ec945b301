import Foundation
import Peer
import PeerSession
import PeerTransport
import PeerWire
import Testing

/// A runtime under a hostile sender, on real sockets: what the log and the summary say.
struct FloodTests {
    @Test("20,000 datagrams from 127.0.0.2: a bounded log, and the summary counts every reject")
    func floodFromAnotherHost() throws {
        let collector = Collector { event in
            if case .ping(.incoming, _) = event { true } else { false }
        }
        let runtime = try PeerRuntime(configuration: RuntimeConfiguration(
            name: "alice", listenPort: 0, sourcePort: 0, loggedCategories: Set(EventCategory.allCases)))
        let peer = try UDPSocket.bound(to: .loopback(port: 0))
        defer { peer.close() }
        try runtime.start(destination: .loopback(port: try peer.localAddress().port), output: collector.output)
        // The real peer (the test, from 127.0.0.1) proves itself first, so that its pings are answered and logged.
        #expect(try introduce(from: peer, to: runtime.listenPort, as: SessionID(rawValue: 2)) != nil)
        guard let strangerAddress = SocketAddress(numericHost: "127.0.0.2", port: 0) else {
            Issue.record("127.0.0.2 does not parse")
            return
        }
        let stranger = try UDPSocket.bound(to: strangerAddress)
        defer { stranger.close() }
        let target = SocketAddress.loopback(port: runtime.listenPort)
        let junk = Array("PEER/1 ACK from=mallory sid=0000000000000001 ack=0 base=1\n".utf8)
        // In batches that even a default-sized receive buffer (rmem_max 208 KiB) holds, each followed by a ping
        // from the real peer's host: the socket queue is in order, so once the ping is seen every datagram before
        // it has been read, and none was lost to a full buffer however slowly the runtime's thread was scheduled.
        let batches = 200
        let batchSize = 100
        for batch in 1...batches {
            for _ in 0..<batchSize { try stranger.send(junk, to: target) }
            let ping = Wire.encode(Datagram(kind: .ping, from: "bob", session: SessionID(rawValue: 2), ack: 0,
                                            base: 1, timestamp: UInt64(batch)))
            try peer.send(ping, to: target)
            #expect(collector.sawWatchedEvent.wait(timeout: .now() + 30) == .success)
        }
        runtime.interrupt()
        let summary = runtime.wait()
        #expect(summary.statistics.rejected == batches * batchSize)
        #expect(summary.line.contains("rejected=\(batches * batchSize) "))
        let rejectLines = collector.events.filter { event in
            switch event {
            case .reject, .repeated(event: "reject", _, _, _, _): true
            default: false
            }
        }
        // However long the test took, one summary a second plus the first three; far below one per datagram.
        #expect(rejectLines.count < 100)
        let counted = collector.events.compactMap { event -> Int? in
            if case .repeated("reject", let count, _, _, let reasons) = event,
               reasons.contains("not the destination host (from 127.0.0.2)") { count } else { nil }
        }
        // Only rejects logged one by one in a window that needed no summary are in no `repeated` count.
        #expect(counted.reduce(0, +) >= batches * batchSize - rejectLines.count)
    }

    @Test("lines accepted before an interrupt are counted as not sent, and the outcome is not all acknowledged")
    func interruptedBeforeInputIsTaken() throws {
        let collector = Collector()
        let runtime = try PeerRuntime(configuration: RuntimeConfiguration(name: "alice", listenPort: 0, sourcePort: 0))
        let peer = try UDPSocket.bound(to: .loopback(port: 0))
        defer { peer.close() }
        // The interrupt is seen before any input is taken: the protocol thread starts with both waiting.
        for line in ["one", "two", "three"] { #expect(runtime.submit(line)) }
        runtime.interrupt()
        try runtime.start(destination: .loopback(port: try peer.localAddress().port), output: collector.output)
        let summary = runtime.wait()
        #expect(summary.linesNotSent == 3)
        #expect(!summary.outcome.everythingAcknowledged)
        #expect(summary.line.contains(" unsent=3 "))
        #expect(summary.line.contains("acknowledged=not-all"))
        #expect(!runtime.submit("too late"))
    }

    @Test("lines submitted and interrupted at once, 200 times: never all acknowledged unless every line was sent")
    func interruptRace() throws {
        for round in 0..<200 {
            let runtime = try PeerRuntime(configuration: RuntimeConfiguration(
                name: "alice", listenPort: 0, sourcePort: 0))
            let peer = try UDPSocket.bound(to: .loopback(port: 0))
            defer { peer.close() }
            try runtime.start(destination: .loopback(port: try peer.localAddress().port), output: Collector().output)
            let lines = round % 5 + 1
            for index in 0..<lines { runtime.submit("line \(index)") }
            runtime.interrupt()
            let summary = runtime.wait()
            // Nobody acknowledges anything here, so a line that reached the session is unacknowledged.
            #expect(summary.statistics.messagesSent + summary.linesNotSent == lines)
            #expect(!summary.outcome.everythingAcknowledged)
        }
    }
}
