import PeerWire

/// Which run of the other side we talk to, and how a run proves it is really there.
///
/// Anyone who can send from the destination host can claim to be the other side. What an off-path sender cannot
/// do is read what we send to the destination address. So a run is *proven* once it answers a PING of ours whose
/// `ts` it could only know by receiving it (the timestamps carry a secret offset), and a run that claims to
/// replace the current one (a restart) changes nothing until it has been proven that way: it is challenged with a
/// PING addressed to it, and the real process at the destination, if it did not restart, ignores a PING that names
/// another run. Until proven, what we send in reply to a run is limited to 3× the bytes it sent us.
extension Session {
    /// A PING of ours still waiting for its PONG.
    struct OutstandingPing: Sendable {
        /// The `ts` it carried: our clock plus a secret offset, so it cannot be guessed.
        var token: UInt64
        var sentAt: Instant
        /// The run it was addressed to (`to=`); nil when we knew none.
        var to: SessionID?
    }

    /// A run other than the current one that claims to be the other side, challenged but not yet proven.
    struct Claimant: Sendable {
        var session: SessionID
        var name: String
        /// Bytes we may still send it: 3× what it sent, less what we sent.
        var allowance: Int
        var lastChallenged: Instant?
    }

    /// How a datagram's run relates to the one we talk to.
    enum RunRelation: Equatable {
        /// The run we already talk to.
        case current
        /// The first run we hear from: taken on trust, but not proven.
        case first
        /// A run that just proved itself by answering our challenge, replacing `previous`.
        case proven(previous: SessionID)
    }

    /// This side's clock as wall-clock milliseconds, from our own session identity (which holds our start time).
    func wallMilliseconds(at now: Instant) -> UInt64 {
        let elapsed = max(0, (now - startedAt).microseconds) / 1000
        return configuration.sessionID.startMilliseconds &+ UInt64(elapsed)
    }

    /// Refuses what no run of the other side can have sent: our own datagrams reflected back, and identities
    /// that claim to start far in our future (such an identity would make every genuine later run look older).
    mutating func checkOrigin(_ datagram: Datagram, bytes: Int, now: Instant) -> Bool {
        if datagram.session == configuration.sessionID {
            reject(.reflected, "carries our own session identity \(datagram.session): one of our datagrams sent back",
                   bytes: bytes)
            return false
        }
        let claimedStart = datagram.session.startMilliseconds
        let latestPlausible = wallMilliseconds(at: now) &+ UInt64(tunables.futureSessionTolerance.microseconds / 1000)
        if claimedStart > latestPlausible {
            let ahead = (claimedStart - wallMilliseconds(at: now)) / 1000
            reject(.future, "session \(datagram.session) claims to start \(ahead) s in our future (at most "
                   + "\(tunables.futureSessionTolerance) allowed): forged, or the other machine's clock is wrong",
                   bytes: bytes)
            return false
        }
        if let to = datagram.to, to != configuration.sessionID, datagram.kind == .ping {
            reject(.otherRun, "ping addressed to another run of ours (\(to)): not answered", bytes: bytes)
            return false
        }
        return true
    }

    /// Which run sent the datagram. nil when it is not acted on: a late datagram of an earlier run (rejected), or
    /// a run claiming to replace the current one, which is challenged and ignored until it answers.
    mutating func classifyRun(of datagram: Datagram, bytes: Int, now: Instant) -> RunRelation? {
        guard let current = peer else { return .first }
        if datagram.session == current { return .current }
        if datagram.kind == .pong, let echo = datagram.echo, pingProves(echo: echo, session: datagram.session) {
            return .proven(previous: current)
        }
        // A smaller identity is an earlier run's late datagram — unless the run we talk to never proved itself or
        // has gone silent: then it may have been forged, or the clock stepped back, and a genuine run must never be
        // locked out for good. Either way a challenge settles it: only the process at the address can answer.
        if datagram.session < current, peerProven, peerReachable {
            reject(.earlierRun, "from an earlier run of the peer (sid \(datagram.session), current \(current))",
                   bytes: bytes)
            return nil
        }
        claim(by: datagram, bytes: bytes, now: now)
        return nil
    }

    /// A run other than the current one spoke: challenge it (within the amplification limit and the pace of
    /// challenges) and answer its PING if the PING names us, so that two sides that both restarted can prove
    /// themselves to each other. Nothing else it says is acted on.
    private mutating func claim(by datagram: Datagram, bytes: Int, now: Instant) {
        if claimant?.session != datagram.session {
            claimant = Claimant(session: datagram.session, name: datagram.from, allowance: 0, lastChallenged: nil)
        }
        claimant?.allowance += tunables.amplificationFactor * bytes
        if datagram.kind == .ping, datagram.to == configuration.sessionID, let timestamp = datagram.timestamp {
            pendingPong = PendingPong(echo: timestamp, to: datagram.session)
        }
        var challenged = false
        if let claimant, challengeTo == nil,
           claimant.lastChallenged.map({ now - $0 >= tunables.challengeRepeatInterval }) ?? true,
           lastChallengeSent.map({ now - $0 >= tunables.challengeSpacing }) ?? true {
            challengeTo = claimant.session
            challenged = true
        }
        let reason = challenged ? "challenged at the destination address" : "challenge already sent"
        reject(.unproven, "run \(datagram.session) claims to be \(datagram.from) but has not proven it: \(reason)",
               bytes: bytes)
        if challenged { record(.challenge(name: datagram.from, session: datagram.session)) }
    }

    /// Whether `echo` answers a PING of ours that `session` may answer: one addressed to it, or to no run in
    /// particular (sent before we knew any).
    func pingProves(echo: UInt64, session: SessionID) -> Bool {
        let answers = { (ping: OutstandingPing) in ping.token == echo && (ping.to == nil || ping.to == session) }
        return outstandingPings.contains(where: answers) || outstandingChallenges.contains(where: answers)
    }

    /// Takes the PING that a PONG answers off the list and returns when it left; nil if the PONG answers no PING
    /// of ours (forged, or repeated), which then measures nothing.
    mutating func takeAnsweredPing(echo: UInt64, session: SessionID) -> Instant? {
        let answers = { (ping: OutstandingPing) in ping.token == echo && (ping.to == nil || ping.to == session) }
        if let index = outstandingPings.firstIndex(where: answers) { return outstandingPings.remove(at: index).sentAt }
        if let index = outstandingChallenges.firstIndex(where: answers) {
            return outstandingChallenges.remove(at: index).sentAt
        }
        return nil
    }

    /// Remembers a PING we are sending (a heartbeat, or a challenge to a claimed run); the oldest of its kind is
    /// forgotten once `maxOutstandingPings` are waiting.
    mutating func rememberPing(token: UInt64, to: SessionID?, challenge: Bool, now: Instant) {
        let ping = OutstandingPing(token: token, sentAt: now, to: to)
        if challenge {
            if outstandingChallenges.count >= tunables.maxOutstandingPings { outstandingChallenges.removeFirst() }
            outstandingChallenges.append(ping)
        } else {
            if outstandingPings.count >= tunables.maxOutstandingPings { outstandingPings.removeFirst() }
            outstandingPings.append(ping)
        }
    }

    /// The `ts` of a PING sent at `now`: our clock plus this run's secret offset (below 2^52, so the sum stays
    /// within the wire's 2^53).
    func pingToken(at now: Instant) -> UInt64 {
        (configuration.entropy & ((1 << 52) - 1)) &+ UInt64(max(0, now.microseconds) & ((1 << 52) - 1))
    }

    /// Whether a reply of `bytes` may go to the current run: always once it is proven; before that, only while
    /// the replies stay within 3× what it sent (QUIC's anti-amplification limit). Spends the allowance.
    mutating func mayReply(bytes: Int) -> Bool {
        if peerProven { return true }
        guard replyAllowance >= bytes else {
            statistics.repliesWithheld += 1
            return false
        }
        replyAllowance -= bytes
        return true
    }
}

extension SessionID {
    /// The start time in milliseconds that the runtime put in the high 48 bits.
    public var startMilliseconds: UInt64 { rawValue >> 16 }
}
