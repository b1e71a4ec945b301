import PeerSession

import PeerCrypto
import PeerIdentity

/// Which protocol a peer speaks on the wire.
public enum WireFormat: String, Sendable, CaseIterable {
    /// This project's protocol (docs/PROTOCOL.md): PEER/2, sealed, when the configuration has `security`;
    /// PEER/1, readable and unauthenticated, without (kept for tests of the session on its own).
    case peer
    /// The original classroom clients' `TEXT -COUNT` format, to chat with one of them unchanged.
    case seed
}

/// How to run one peer: ports, identity, loss simulation and logging.
public struct RuntimeConfiguration: Sendable {
    /// This side's display name.
    public var name: String
    /// The port the listener thread receives on; 0 picks a free one (see `PeerRuntime.listenPort`).
    public var listenPort: UInt16
    /// The port the send socket is bound to; 0 picks a free one.
    public var sourcePort: UInt16
    /// What to do to outgoing datagrams before they reach the socket: drop, duplicate, reorder, delay.
    public var impairments: Impairments
    /// Seed for the impairments; the same seed gives the same pattern.
    public var seed: UInt64
    /// After input ends, how long to wait for a silent peer.
    public var linger: TimeSpan
    /// Which events to build and hand to `RuntimeOutput.log`.
    public var loggedCategories: Set<EventCategory>
    /// Protocol timers and limits.
    public var tunables: Tunables
    /// Which protocol to speak.
    public var wire: WireFormat
    /// How many rejects, duplicates, held segments or socket errors of each kind are logged one by one in a
    /// second before the rest are only counted, in one `repeated` line a second (`EventAggregator`).
    public var repeatsLoggedPerSecond: Int
    /// PEER/2's keys and trust; nil speaks PEER/1.
    public var security: Security?

    /// Who we are and whom we trust, for PEER/2.
    public struct Security: Sendable {
        /// Our static X25519 private key.
        public var staticKey: [UInt8]
        /// Its public key: what the other members of a group know us by.
        public var publicKey: [UInt8]
        /// `--psk`: the shared secret without which no handshake completes.
        public var preSharedKey: [UInt8]?
        /// The known-peers file's pins, name to public key, as at start.
        public var knownKeys: [String: [UInt8]]
        /// `--expect-key`: the only key accepted for the peer.
        public var expectedKey: Fingerprint?
        /// `--keylog`: hand each handshake's keys to `RuntimeOutput.keyLog`.
        public var exportsKeys: Bool

        /// Collects the keys.
        public init(staticKey: [UInt8], publicKey: [UInt8]? = nil, preSharedKey: [UInt8]? = nil, knownKeys: [String: [UInt8]] = [:],
                    expectedKey: Fingerprint? = nil, exportsKeys: Bool = false) {
            self.staticKey = staticKey
            self.publicKey = publicKey ?? X25519.publicKey(privateKey: staticKey)
            self.preSharedKey = preSharedKey
            self.knownKeys = knownKeys
            self.expectedKey = expectedKey
            self.exportsKeys = exportsKeys
        }
    }

    /// Collects the configuration.
    public init(
        name: String, listenPort: UInt16, sourcePort: UInt16, impairments: Impairments = Impairments(),
        seed: UInt64 = 0,
        linger: TimeSpan = .seconds(5), loggedCategories: Set<EventCategory> = [.repair, .status],
        tunables: Tunables = .standard, wire: WireFormat = .peer, repeatsLoggedPerSecond: Int = 3,
        security: Security? = nil
    ) {
        self.name = name
        self.listenPort = listenPort
        self.sourcePort = sourcePort
        self.impairments = impairments
        self.seed = seed
        self.linger = linger
        self.loggedCategories = loggedCategories
        self.tunables = tunables
        self.wire = wire
        self.repeatsLoggedPerSecond = repeatsLoggedPerSecond
        self.security = security
    }
}

/// Where the runtime's results go. Every closure is called on the protocol thread, one at a time.
public struct RuntimeOutput: Sendable {
    /// A message to show.
    public var deliver: @Sendable (Delivery) -> Void
    /// An event to log.
    public var log: @Sendable (LogRecord) -> Void
    /// The runtime is about to wait for input: flush anything buffered.
    public var idle: @Sendable () -> Void
    /// PEER/2 met a name for the first time and pinned its public key: keep it (the known-peers file).
    public var pinned: @Sendable (_ name: String, _ publicKey: [UInt8]) -> Void
    /// A handshake's keys, when `Security.exportsKeys` asked for them: for the key log (`--keylog`), called before
    /// any datagram sealed with them is sent. Secret: whoever reads them can read and forge the conversation.
    public var keyLog: @Sendable (KeyLogEntry) -> Void

    /// Collects the closures.
    public init(
        deliver: @escaping @Sendable (Delivery) -> Void, log: @escaping @Sendable (LogRecord) -> Void,
        idle: @escaping @Sendable () -> Void = {},
        pinned: @escaping @Sendable (_ name: String, _ publicKey: [UInt8]) -> Void = { _, _ in },
        keyLog: @escaping @Sendable (KeyLogEntry) -> Void = { _ in }
    ) {
        self.deliver = deliver
        self.log = log
        self.idle = idle
        self.pinned = pinned
        self.keyLog = keyLog
    }
}

/// What a finished run reports.
public struct RuntimeSummary: Sendable {
    /// This side's name.
    public var name: String
    /// How the session ended.
    public var outcome: SessionOutcome
    /// The session's counters; `rejected` includes the datagrams the runtime refused before the session saw them.
    public var statistics: SessionStatistics
    /// Datagrams the loss simulation threw away.
    public var simulatedDrops: Int
    /// Lines `submit` accepted that were never sent (still queued at an interrupt, or refused by the session).
    /// When there are any, `outcome.everythingAcknowledged` is false.
    public var linesNotSent: Int
    /// `--wire seed`: which of our lines the original never confirmed (`SeedSession.unconfirmed`), or nil.
    public var unconfirmed: String?

    /// The one-line summary printed at exit: `summary alice: sent=3 delivered=2 replayed=1 …`.
    public var line: String {
        let srtt = statistics.smoothedRoundTrip.map { "\(LogFormatter.formatMilliseconds($0))ms" } ?? "unmeasured"
        return "summary \(name): sent=\(statistics.messagesSent) delivered=\(statistics.messagesDelivered)"
            + " replayed=\(statistics.replays) duplicates=\(statistics.duplicates) rejected=\(statistics.rejected)"
            + " abandoned=\(statistics.abandoned)"
            + " dropped=\(simulatedDrops) unsent=\(linesNotSent) srtt=\(srtt)"
            + " acknowledged=\(outcome.everythingAcknowledged ? "all" : "not-all") end=\(outcome.reason.rawValue)"
            + (unconfirmed.map { " unconfirmed: \($0)" } ?? "")
    }
}
