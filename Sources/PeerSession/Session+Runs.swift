import PeerCrypto
import PeerWire

/// Which run of the other side we talk to, and how a run proves it is really there.
///
/// Anyone who can send from the destination host can claim to be the other side. What an off-path sender cannot
/// do is read what we send to the destination address. So no run is believed until it has answered a PING of ours
/// whose `ts` it could only know by receiving it: a heartbeat (our clock plus a secret offset) or a challenge (a
/// keyed hash of the run it is addressed to and the time it left). Until then nothing it sends is acted on — no
/// line shown, no count taken, no restart — and what we send in reply to it stays within 3× the bytes it sent.
/// The real process at the destination ignores a PING that names another run, so a challenge to a forged run is
/// never answered.
extension Session {
    /// A heartbeat PING of ours still waiting for its PONG.
    struct OutstandingPing: Sendable {
        /// The `ts` it carried: our clock plus a secret offset, so it cannot be guessed.
        var token: UInt64
        var sentAt: Instant
        /// The run it was addressed to (`to=`); nil when we knew none.
        var to: SessionID?
    }

    /// A run other than the current one that claims to be the other side, not yet proven.
    struct Claimant: Sendable {
        var session: SessionID
        /// Bytes we may still send it: 3× what it sent, less what we sent.
        var allowance: Int
        var lastChallenged: Instant?
        /// What it sent that waits for its proof (segments, acknowledgements, goodbyes), in arrival order, and
        /// their size: taken when it is proven, gone with it when newer claims push it out.
        var held: [(datagram: Datagram, bytes: Int)] = []
        var heldBytes = 0
    }

    /// How a datagram's run relates to the one we talk to.
    enum RunRelation: Equatable {
        /// The run we already talk to.
        case current
        /// A run that just proved itself by answering our PING, replacing `previous` (nil: the first we believe).
        case proven(previous: SessionID?)
    }

    /// Which run sent the datagram. nil when it is not acted on: our own datagram sent back, a late datagram of an
    /// earlier run (rejected), or a run not yet proven, which is challenged and otherwise ignored.
    mutating func classifyRun(of datagram: Datagram, bytes: Int, now: Instant) -> RunRelation? {
        if datagram.session == configuration.sessionID {
            reject("carries our own session identity \(datagram.session): one of our datagrams sent back",
                   bytes: bytes)
            return nil
        }
        if datagram.session == peer { return .current }
        if retiredRuns.contains(datagram.session) {
            reject("from an earlier run of the peer (sid \(datagram.session), replaced by a later run)", bytes: bytes)
            return nil
        }
        // Sealed, the run was named in a handshake only its holder of the key could complete with this run of ours.
        if configuration.carriage.isSealed { return .proven(previous: peer) }
        if datagram.kind == .pong, let echo = datagram.echo, proves(echo: echo, session: datagram.session, now: now) {
            return .proven(previous: peer)
        }
        // Identities are not compared by size: a clock stepped back between two runs would make a genuine restart
        // look older. Runs we have left are retired above; any other run is challenged, and only the process at
        // the address can answer.
        claim(by: datagram, bytes: bytes, now: now)
        return nil
    }

    /// A run we do not believe yet spoke: challenge it (within its 3× allowance and the pace of challenges), and
    /// answer its PING if the PING names this run of ours, so that two sides that both (re)started can prove
    /// themselves to each other. Nothing else it says is acted on.
    private mutating func claim(by datagram: Datagram, bytes: Int, now: Instant) {
        var claimant = claimants.first { $0.session == datagram.session }
            ?? Claimant(session: datagram.session, allowance: 0, lastChallenged: nil)
        claimant.allowance += tunables.amplificationFactor * bytes
        // Its PING is answered (within its allowance) if it names this run of ours: two sides that both (re)started
        // prove themselves to each other that way.
        if datagram.kind == .ping, datagram.to == configuration.sessionID,
           let timestamp = datagram.timestamp {
            pendingPong = PendingPong(echo: timestamp, to: datagram.session)
        }
        refillChallenges(now: now)
        let due = claimant.lastChallenged.map { now - $0 >= challengeRepeatInterval } ?? true
        // Half the challenges are kept for runs that have something waiting for them (segments, acknowledgements):
        // a stream of forged PINGs, each a new identity, cannot use them all up and starve a genuine restart.
        let waiting = datagram.kind != .ping && datagram.kind != .pong || !claimant.held.isEmpty
        let reserve = waiting ? 0 : tunables.challengeBurst / 2
        let challenged = due && challengeTokens > reserve && !challengesDue.contains(datagram.session)
        if challenged {
            challengeTokens -= 1
            challengesDue.append(datagram.session)
            claimant.lastChallenged = now
        }
        hold(datagram, bytes: bytes, for: &claimant)
        claimants.removeAll { $0.session == datagram.session }
        claimants.append(claimant)
        if claimants.count > tunables.maxClaimants { claimants.removeFirst() }
        statistics.unproven += 1
        if challenged { record(.challenge(name: datagram.from, session: datagram.session, current: peer)) }
        if isRecorded(.message) {
            record(.unproven(kind: datagram.kind, sequence: datagram.sequence, session: datagram.session, bytes: bytes))
        }
    }

    /// How long a claimed run's answer may take before it is challenged again: a retransmission timeout (the
    /// challenge or its answer may have been lost), at least `challengeRepeatInterval`.
    var challengeRepeatInterval: TimeSpan {
        max(tunables.challengeRepeatInterval, roundTrip.retransmissionTimeout)
    }

    /// When a run that is waiting to be believed — it sent something we hold for it — is next challenged again if
    /// it has not answered: its answer or our challenge may have been lost, and it may send nothing more for a
    /// while.
    var challengeRetryDeadline: Instant? {
        var deadline: Instant?
        for claimant in claimants {
            guard let last = claimant.lastChallenged, !claimant.held.isEmpty,
                  !challengesDue.contains(claimant.session)
            else { continue }
            let due = last + challengeRepeatInterval
            deadline = min(deadline ?? due, due)
        }
        return deadline
    }

    /// Challenges again every waiting run whose answer is overdue (within the pace of challenges; each challenge
    /// still spends the run's own allowance when it leaves).
    mutating func retryChallenges(now: Instant) {
        refillChallenges(now: now)
        for index in claimants.indices {
            let claimant = claimants[index]
            guard let last = claimant.lastChallenged, now - last >= challengeRepeatInterval, challengeTokens > 0,
                  !claimant.held.isEmpty, !challengesDue.contains(claimant.session)
            else { continue }
            challengeTokens -= 1
            challengesDue.append(claimant.session)
            claimants[index].lastChallenged = now
        }
    }

    /// Challenges regained since the last claim: one per `challengeSpacing`, up to `challengeBurst`.
    private mutating func refillChallenges(now: Instant) {
        guard let since = challengeTokensCountedAt else {
            challengeTokens = tunables.challengeBurst
            challengeTokensCountedAt = now
            return
        }
        let spacing = max(1, tunables.challengeSpacing.microseconds)
        let gained = max(0, (now - since).microseconds) / spacing
        guard gained > 0 else { return }
        challengeTokens = Int(min(Int64(tunables.challengeBurst), Int64(challengeTokens) + gained))
        challengeTokensCountedAt = since + TimeSpan(microseconds: gained * spacing)
    }

    /// Keeps what a run not yet proven sent (not its PINGs and PONGs), so that when it answers its challenge
    /// nothing has to be sent again. At most `maxHeldForProofBytes` a run, and `maxClaimants` runs: beyond that
    /// its datagrams are dropped, and its sender repeats them.
    private func hold(_ datagram: Datagram, bytes: Int, for claimant: inout Claimant) {
        guard datagram.kind != .ping, datagram.kind != .pong,
              claimant.heldBytes + bytes <= tunables.maxHeldForProofBytes
        else { return }
        claimant.held.append((datagram, bytes))
        claimant.heldBytes += bytes
    }

    /// Spends `bytes` of a claimed run's allowance, if it has that much.
    mutating func spendAllowance(of session: SessionID, bytes: Int) -> Bool {
        guard let index = claimants.firstIndex(where: { $0.session == session }),
              claimants[index].allowance >= bytes
        else {
            statistics.repliesWithheld += 1
            return false
        }
        claimants[index].allowance -= bytes
        return true
    }

    // MARK: Proofs

    /// Whether `echo`, in a PONG from `session`, answers a PING of ours that `session` may answer: a heartbeat
    /// addressed to it or to no run in particular, or a challenge addressed to it that left within
    /// `challengeLifetime`.
    func proves(echo: UInt64, session: SessionID, now: Instant) -> Bool {
        outstandingPings.contains { $0.token == echo && ($0.to == nil || $0.to == session) }
            || challengeSentAt(echo: echo, session: session, now: now) != nil
    }

    /// Takes the heartbeat that a PONG answers off the list and returns when it left; nil if the PONG answers no
    /// heartbeat of ours (forged, repeated, or a challenge's), which then measures nothing.
    mutating func takeAnsweredPing(echo: UInt64, session: SessionID) -> Instant? {
        guard let index = outstandingPings.firstIndex(where: { $0.token == echo && ($0.to == nil || $0.to == session) })
        else { return nil }
        return outstandingPings.remove(at: index).sentAt
    }

    /// Remembers a heartbeat PING we are sending; the oldest is forgotten once `maxOutstandingPings` are waiting.
    mutating func rememberPing(token: UInt64, to: SessionID?, now: Instant) {
        if outstandingPings.count >= tunables.maxOutstandingPings { outstandingPings.removeFirst() }
        outstandingPings.append(OutstandingPing(token: token, sentAt: now, to: to))
    }

    /// The `ts` of a heartbeat PING sent at `now`: our clock plus this run's secret offset (below 2^52, so the sum
    /// stays within the wire's 2^53).
    func pingToken(at now: Instant) -> UInt64 {
        (configuration.entropy & ((1 << 52) - 1)) &+ UInt64(max(0, now.microseconds) & ((1 << 52) - 1))
    }

    /// The `ts` of a challenge to `session` sent at `milliseconds` on our clock: the time's low 20 bits, and above
    /// them 33 bits of a BLAKE2s keyed with our secret over both. Nothing is remembered, so no number of forged
    /// claims can push a genuine challenge out; a forger who cannot read it must guess 33 bits.
    func challengeToken(to session: SessionID, milliseconds: UInt64) -> UInt64 {
        var message: [UInt8] = Array("peer challenge".utf8)
        for value in [session.rawValue, milliseconds] {
            for shift in stride(from: 0, to: 64, by: 8) { message.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
        }
        var key: [UInt8] = []
        for shift in stride(from: 0, to: 64, by: 8) {
            key.append(UInt8(truncatingIfNeeded: configuration.entropy >> UInt64(shift)))
        }
        let digest = BLAKE2s.hash(message, key: key)
        var mac: UInt64 = 0
        for byte in digest.prefix(5) { mac = mac << 8 | UInt64(byte) }
        return (mac >> 7) << Self.challengeTimeBits | (milliseconds & Self.challengeTimeMask)
    }

    /// When the challenge that `echo` answers left, if it is one of ours to `session` and not too old.
    func challengeSentAt(echo: UInt64, session: SessionID, now: Instant) -> UInt64? {
        let nowMilliseconds = UInt64(max(0, now.microseconds) / 1000)
        let age = (nowMilliseconds &- (echo & Self.challengeTimeMask)) & Self.challengeTimeMask
        guard age <= UInt64(tunables.challengeLifetime.microseconds / 1000), age <= nowMilliseconds else { return nil }
        let sentAt = nowMilliseconds - age
        // One 64-bit comparison: it takes the same time whichever bits differ.
        return challengeToken(to: session, milliseconds: sentAt) == echo ? sentAt : nil
    }

    static let challengeTimeBits: UInt64 = 20
    static let challengeTimeMask: UInt64 = (1 << 20) - 1

    /// Starts talking to a run that has just proven itself: earlier runs are retired for good (a late PONG of one
    /// can never bring it back), and PINGs addressed to any other run no longer prove anything.
    mutating func adopt(_ session: SessionID) {
        if let previous = peer {
            retiredRuns.append(previous)
            if retiredRuns.count > tunables.maxClaimants { retiredRuns.removeFirst() }
        }
        peer = session
        resumed = false
        claimants.removeAll { $0.session == session }
        challengesDue.removeAll { $0 == session }
        outstandingPings.removeAll { $0.to != session }
    }
}
