import PeerWire

extension Session {
    /// Acts on every deadline that has passed by `now`: replays a segment whose timer ran out, declares held-back
    /// holes lost, sends a heartbeat, shows the other side as unreachable, or ends the session.
    public mutating func handleTimeout(now: Instant) {
        if case .closed = state { return }
        if let deadline = lossCheckDeadline, now >= deadline { detectLosses(now: now) }
        if let deadline = challengeRetryDeadline, now >= deadline { retryChallenges(now: now) }
        if let deadline = retransmitDeadline, now >= deadline { retransmissionTimerFired(now: now) }
        if let deadline = pingDeadline, now >= deadline { pingDue = true }
        if peerReachable, let lastHeard {
            let silentFor = now - lastHeard
            if silentFor >= tunables.heartbeatInterval * tunables.silentIntervalsBeforeDown {
                peerReachable = false
                unreachableSince = now
                record(.peerDown(silentFor: silentFor))
            }
        }
        if let deadline = lingerDeadline, now >= deadline { close(.lingerExpired) }
        if state == .closing, let deadline = goodbyeDeadline, now >= deadline { repeatGoodbye(now: now) }
        if let deadline = closeDeadline, now >= deadline { close(.completed) }
    }

    /// Nothing acknowledged the oldest missing segment in time: replay it (a probe), with whatever replays are
    /// overdue, and back off. Once it is acknowledged, loss detection finds whatever else went missing in the
    /// same burst.
    private mutating func retransmissionTimerFired(now: Instant) {
        var sequence = acknowledged + 1
        while sequence < nextToSend {
            if sendBuffer.contains(sequence), !sendBuffer[sequence].delivered { break }
            sequence += 1
        }
        guard sequence < nextToSend else {
            retransmitDeadline = nil
            return
        }
        if !sendBuffer[sequence].queuedForResend {
            sendBuffer[sequence].queuedForResend = true
            sendBuffer[sequence].lossReason = .timeout
            resendQueue.push(sequence)
            if !countsRepairsQuietly {
                record(.mismatch(count: acknowledged, sent: nextToSend - 1, missing: [SequenceRange(single: sequence)],
                                 reason: .timeout))
            }
        }
        // While the other side seems gone, the probe alone: the rest would only be lost with it.
        if !countsRepairsQuietly { queueOverdueReplays(after: sequence, now: now) }
        let timeout = roundTrip.retransmissionTimeout
        if timeout * backoff < tunables.maximumRetransmissionTimeout { backoff *= 2 }
        retransmitDeadline = now + min(timeout * backoff, tunables.maximumRetransmissionTimeout)
    }

    /// The replays after `first` that the latest report still showed missing and that are older than the replay
    /// loss delay: they should have been acknowledged by now, so they go again with the probe. Without this, only
    /// the oldest missing segment is replayed on each timeout, and while the probe or its acknowledgement keeps
    /// being lost, a whole packed replay that was lost waits behind it, one doubled timeout after another.
    private mutating func queueOverdueReplays(after first: UInt64, now: Instant) {
        let replayDelay = roundTrip.replayLossDelay
        var overdue: [SequenceRange] = []
        var sequence = first + 1
        let last = min(reportedThrough, nextToSend - 1)
        while sequence <= last {
            defer { sequence += 1 }
            guard sendBuffer.contains(sequence) else { continue }
            let segment = sendBuffer[sequence]
            guard !segment.delivered, !segment.queuedForResend, segment.transmissions > 1,
                  now >= segment.lastSent + replayDelay
            else { continue }
            queueReplay(sequence, reason: .overdue, into: &overdue)
        }
        if !overdue.isEmpty, isRecorded(.repair) {
            record(.mismatch(count: acknowledged, sent: nextToSend - 1, missing: overdue, reason: .overdue))
        }
    }

    /// When to send a heartbeat: a heartbeat period after the last datagram heard; then, while pings go
    /// unanswered, every `unansweredPingInterval`, so that one lost ping or pong on a lossy path does not get the
    /// other side shown as unreachable. Never while segments are in flight: their retransmission timer probes the
    /// path instead.
    var pingDeadline: Instant? {
        guard state == .open, !pingDue, retransmitDeadline == nil else { return nil }
        let heard = lastHeard ?? startedAt
        guard let lastPingSent, lastPingSent >= heard else { return heard + tunables.heartbeatInterval }
        let silence = lastPingSent - heard
        return lastPingSent + (silence < tunables.heartbeatInterval ? tunables.heartbeatInterval - silence
                                                                   : tunables.unansweredPingInterval)
    }

    /// After input ended, give up once nothing has been heard for the linger time.
    var lingerDeadline: Instant? {
        guard state == .open, localFinished, let finishedAt else { return nil }
        return max(lastHeard ?? finishedAt, finishedAt) + configuration.linger
    }

    /// While closing, stay until late datagrams stop arriving, and until every goodbye has been said: with a long
    /// round trip, the quiet time alone would end the session after two or three of them, and the other side, all
    /// of them lost, would wait for its acknowledgement until it gave up.
    var closeDeadline: Instant? {
        guard state == .closing, let closingSince else { return nil }
        let quiet = min(max(roundTrip.retransmissionTimeout * tunables.closeQuietTimeouts, tunables.closeQuietMinimum),
                        tunables.maximumRetransmissionTimeout)
        return max(max(closingSince, lastHeard ?? closingSince) + quiet, goodbyeDeadline ?? closingSince)
    }

    /// Common follow-up to every received datagram.
    mutating func afterInput(kind: DatagramKind, now: Instant) {
        if state == .closing {
            if kind == .bye {
                close(.completed)
            } else {
                byePending = true  // it has not heard our goodbye: say it again, with our count
            }
            return
        }
        checkCompletion(now: now)
        if state == .open, kind == .bye, peerFinished, configuration.carriage != .readable {
            // It said goodbye after its end without waiting for ours: it left (`leave`), and can receive nothing
            // more. What it acknowledged is in the goodbye's count; the rest stays unacknowledged. Only a sealed
            // goodbye counts: a readable one (PEER/1) anyone can forge, and it must not end a conversation.
            close(.completed)
        }
    }

    /// Both sides have said all they will and everything is delivered both ways (or we leave, and all of ours is):
    /// say goodbye. The goodbye carries our count, which may be the other side's only news that its end arrived,
    /// so it is said a few times, one retransmission timeout apart, unless the other side says goodbye first.
    mutating func checkCompletion(now: Instant) {
        guard state == .open, localFinished, unacknowledgedSegments == 0, peerFinished || leaving else { return }
        state = .closing
        closingSince = now
        byePending = true
        goodbyesLeft = tunables.goodbyeRepeats
        goodbyeDeadline = now + roundTrip.retransmissionTimeout
        retransmitDeadline = nil
        lossCheckDeadline = nil
    }

    private mutating func repeatGoodbye(now: Instant) {
        guard goodbyesLeft > 0 else {
            goodbyeDeadline = nil
            return
        }
        goodbyesLeft -= 1
        byePending = true
        goodbyeDeadline = now + roundTrip.retransmissionTimeout
    }

    /// What this session produced so far has only now left (or is still waiting): a secure channel held it until
    /// it had keys the other side holds. Restarts the clocks of everything in flight, so that neither the
    /// retransmission timer nor a round-trip sample counts the wait — which would replay what was never sent and,
    /// worse, take seconds of waiting for a round trip, so that losses are then judged seconds late.
    /// `from`: the lowest sequence number that was held (segments below it left when they were sent).
    public mutating func transmissionsLeft(now: Instant, from first: UInt64 = 0) {
        var sequence = max(sendBuffer.firstSequence, acknowledged + 1, first)
        while sequence < nextToSend, sendBuffer.contains(sequence) {
            if sendBuffer[sequence].transmissions > 0, !sendBuffer[sequence].delivered {
                sendBuffer[sequence].lastSent = now
            }
            sequence += 1
        }
        if retransmitDeadline != nil { retransmitDeadline = now + roundTrip.retransmissionTimeout * backoff }
        // A PING that waited with them leaves now too: its PONG is timed from here, or the wait for keys would go
        // into the round trip (and every retransmission timeout after it).
        for index in outstandingPings.indices { outstandingPings[index].sentAt = max(outstandingPings[index].sentAt, now) }
    }
}
