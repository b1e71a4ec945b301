import PeerChannel
import PeerCrypto
import PeerGroup
import PeerSession
import PeerWire

/// Target `group`: a group member (`GroupCore`) under hostile input, read from the fuzz input as a script.
///
/// The first byte picks one of two runs:
/// - even: a member that dials one peer which never answers is sent datagrams from a handful of hosts and ports
///   (raw bytes, initiations with the listen port in both places or not, datagrams naming indexes), while lines and
///   commands are typed and time passes. Nothing can authenticate, so: nothing is shown; no stranger ever enters the
///   roster; what goes to an address the member did not dial is an answer, at most three times the bytes that host
///   sent; the member table stays bounded; the run ends once input ends and time runs out.
/// - odd: what a member's session delivers (any text at all) is read as a group envelope: a text that parses is
///   written back to a text that parses to the same thing.
enum GroupTarget {
    static let staticKey: [UInt8] = (0..<32).map { UInt8(truncatingIfNeeded: $0 &* 29 &+ 7) }
    static let dialed = PeerAddress(host: "10.0.0.1", port: 4001)
    static let hosts = ["10.0.0.1", "10.0.0.2", "10.0.0.3", "::1"]
    static let lines = ["hello", "/join ops", "/leave ops", "/who", "/rooms", "/msg bob hi", "/nick robert", "//x",
                        "/say ops hey", "/help", "/bogus", "/quit", String(repeating: "long ", count: 400)]

    static func run(_ data: UnsafeRawBufferPointer) {
        var input = FuzzInput(Array(data))
        if input.byte() & 1 == 1 {
            envelope(String(decoding: input.rest(), as: UTF8.self))
        } else {
            member(&input)
        }
    }

    static func envelope(_ text: String) {
        guard let parsed = GroupEnvelope(parsing: text) else { return }
        guard GroupEnvelope(parsing: parsed.text) == parsed else {
            violated("the envelope \(parsed) does not survive being written and read again")
        }
    }

    /// Counts what a drain hands out.
    struct Sink: CoreSink {
        var shown = 0
        var sentTo: [String: Int] = [:]

        mutating func log(_ event: Event) {}
        mutating func show(_ delivery: Delivery) { shown += 1 }
        mutating func send(_ transmit: Transmit) {
            let host = transmit.destination.map { $0 == GroupTarget.dialed ? "dialed" : $0.host } ?? "nowhere"
            sentTo[host, default: 0] += transmit.bytes.count
        }
    }

    static func member(_ input: inout FuzzInput) {
        let session = SessionConfiguration(name: "alice", sessionID: SessionID(rawValue: 0x0123_4567_89AB))
        var core = GroupCore(
            configuration: GroupConfiguration(
                channel: ChannelConfiguration(session: session, staticKey: staticKey, listenPort: 4000),
                publicKey: X25519.publicKey(privateKey: staticKey), peers: [dialed]),
            now: .zero)
        var now = Instant.zero
        var sink = Sink()
        var received: [String: Int] = [:]
        var steps = 0
        while !input.isExhausted, steps < 400 {
            steps += 1
            switch input.byte() % 8 {
            case 0:
                now = now + .milliseconds(Int64(input.byte()) * 20)
                if let deadline = core.nextTimeout(), deadline <= now { core.handleTimeout(now: now) }
            case 1:
                try? core.submit(lines[Int(input.byte()) % lines.count], now: now)
            default:
                let source = PeerAddress(host: hosts[Int(input.byte()) % hosts.count],
                                         port: UInt16(truncatingIfNeeded: 5000 + Int(input.byte() % 4)))
                let datagram = forged(&input)
                received[source.host, default: 0] += datagram.count
                datagram.withUnsafeBytes { core.receive($0, from: source, now: now) }
            }
            CoreDriver.drain(&core, now: now, into: &sink)
        }
        core.finishInput(now: now)
        for _ in 0..<200 {
            guard let deadline = core.nextTimeout() else { break }
            now = max(now, deadline)
            core.handleTimeout(now: now)
            CoreDriver.drain(&core, now: now, into: &sink)
        }
        if sink.shown > 0 { violated("a line was shown, yet nothing the member received could authenticate") }
        if core.roster(now: now).count > 1 { violated("a stranger is in the roster: \(core.roster(now: now))") }
        for (host, bytes) in sink.sentTo where host != "dialed" {
            // Answers to strangers go to the host they came from, within three times what that host sent.
            guard bytes <= 3 * (received[host] ?? 0) else {
                violated("\(bytes) bytes sent to \(host), which sent \(received[host] ?? 0)")
            }
        }
    }

    /// A datagram a forger might send: raw bytes, an initiation (ports agreeing or not), or a datagram of another
    /// kind naming some index.
    static func forged(_ input: inout FuzzInput) -> [UInt8] {
        switch input.byte() % 3 {
        case 0:
            return input.bytes(Int(input.byte()))
        case 1:
            let port = input.bytes(2) + [0, 0]
            let agree = input.byte() & 1 == 0
            var bytes: [UInt8] = [input.byte() & 1 == 0 ? 1 : 6] + input.bytes(4) + port.prefix(2)
            bytes += input.bytes(32) + [UInt8](repeating: 0, count: 32)
            bytes = Array(bytes.prefix(39))
            bytes += (agree ? Array(port.prefix(2)) : input.bytes(2)) + [UInt8](repeating: 0, count: 25)
            return Array(bytes.prefix(Int(input.byte()) % 3 == 0 ? 80 : 64))
        default:
            return [input.byte() % 8] + input.bytes(Int(input.byte()))
        }
    }
}
