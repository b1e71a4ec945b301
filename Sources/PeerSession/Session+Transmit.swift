import PeerWire

extension Session {
    /// The next datagram to send, or nil when there is nothing to send now.
    ///
    /// Replays come first (the other side is waiting on them), then new segments while the window allows, then
    /// a pong, goodbye, ping or bare acknowledgement if one is owed and no segment carried our count already.
    public mutating func pollTransmit(now: Instant) -> Transmit? {
        if case .closed = state { return nil }
        if let replay = nextReplay(now: now) { return replay }
        if let fresh = nextFirstTransmission(now: now) { return fresh }
        return nextControl(now: now)
    }

    private mutating func nextReplay(now: Instant) -> Transmit? {
        while let sequence = resendQueue.pop() {
            guard sendBuffer.contains(sequence) else { continue }
            let segment = sendBuffer[sequence]
            guard segment.queuedForResend else { continue }
            sendBuffer[sequence].queuedForResend = false
            guard !segment.delivered else { continue }
            let transmission = segment.transmissions + 1
            // Neighbours lost with it (a whole packed datagram, typically) go back together, as they came.
            let (last, lengths) = packedRun(from: sequence, through: sendBuffer.nextSequence) { next in
                next.queuedForResend && !next.delivered && next.transmissions == segment.transmissions
            }
            var body: [UInt8] = lengths.isEmpty ? segment.body : []
            for packed in sequence...last {
                let replayed = sendBuffer[packed]
                sendBuffer[packed].queuedForResend = false
                markSent(packed, now: now)
                statistics.replays += 1
                if !lengths.isEmpty { body.append(contentsOf: replayed.body) }
                if countsRepairsQuietly {
                    replaysWhileUnreachable += 1
                    lastQuietReplay = now
                } else if isRecorded(.repair) {
                    record(.resend(sequence: packed, transmission: transmission,
                                   reason: replayed.lossReason ?? .timeout, ack: count,
                                   bytes: replayed.body.count))
                }
            }
            var datagram = makeDatagram(.resend, segment: (sequence, segment), transmission: transmission)
            datagram.lengths = lengths
            datagram.body = body
            let bytes = encodeWithSack(&datagram, limit: Wire.segmentSackRanges)
            return finish(Transmit(bytes: bytes, route: .freshSocket, kind: .resend, sequence: sequence, to: datagram.to))
        }
        return nil
    }

    /// The next new segment — or, when several short messages are already waiting, as many of them as fit in one
    /// datagram. Nothing waits to be packed: only what is queued at this moment travels together.
    private mutating func nextFirstTransmission(now: Instant) -> Transmit? {
        let sequence = nextToSend
        let limit = min(sendBuffer.nextSequence, acknowledged + tunables.sendWindow + 1)
        guard sequence < limit else { return nil }
        let segment = sendBuffer[sequence]
        let (last, lengths) = packedRun(from: sequence, through: limit) { _ in true }
        nextToSend = last + 1
        var body: [UInt8] = lengths.isEmpty ? segment.body : []
        for packed in sequence...last {
            markSent(packed, now: now)
            if !lengths.isEmpty { body.append(contentsOf: sendBuffer[packed].body) }
        }
        statistics.dataTransmissions += Int(last - sequence + 1)
        var datagram = makeDatagram(.data, segment: (sequence, segment), transmission: nil)
        datagram.lengths = lengths
        datagram.body = body
        let bytes = encodeWithSack(&datagram, limit: Wire.segmentSackRanges)
        if isRecorded(.message) {
            record(.send(kind: .data, sequence: sequence, segments: Int(last - sequence + 1),
                         fragment: segment.fragment, ack: datagram.ack, sack: datagram.sack,
                         bytes: bytes.count + configuration.carriage.overhead))
        }
        return finish(Transmit(bytes: bytes, route: .sendSocket, kind: .data, sequence: sequence, to: datagram.to))
    }

    private mutating func nextControl(now: Instant) -> Transmit? {
        // A PONG to the current run first; then challenges, before PONGs to runs not yet proven: both spend the
        // same allowance, and the challenge is what can make the run believed.
        if let pong = pendingPong, pong.to == peer {
            pendingPong = nil
            if let transmit = answerPing(pong) { return transmit }
        }
        while !challengesDue.isEmpty {
            if let transmit = challenge(challengesDue.removeFirst(), now: now) { return transmit }
        }
        if let pong = pendingPong {
            pendingPong = nil
            if let transmit = answerPing(pong) { return transmit }
        }
        let kind: DatagramKind
        var timestamp: UInt64?
        if byePending {
            kind = .bye
            byePending = false
        } else if pingDue {
            kind = .ping
            timestamp = pingToken(at: now)
            pingDue = false
            lastPingSent = now
        } else if ackPending {
            kind = .ack
        } else {
            return nil
        }
        var datagram = Datagram(
            kind: kind, from: configuration.name, session: configuration.sessionID, to: peer, ack: count, base: base,
            timestamp: timestamp)
        let bytes = encodeWithSack(&datagram, limit: kind == .ack ? Wire.maxSackRanges : Wire.segmentSackRanges)
        switch kind {
        case .ping:
            if let timestamp { rememberPing(token: timestamp, to: peer, now: now) }
            record(.ping(direction: .outgoing, ack: datagram.ack))
        default:
            if isRecorded(kind == .bye ? .message : .heartbeat) {
                record(.send(kind: kind, sequence: nil, segments: 0, fragment: nil, ack: datagram.ack,
                             sack: datagram.sack, bytes: bytes.count + configuration.carriage.overhead))
            }
        }
        let transmit = finish(Transmit(bytes: bytes, route: .sendSocket, kind: kind, sequence: nil, to: datagram.to))
        if kind == .bye, peerSaidBye { close(.completed) }
        return transmit
    }

    /// The PONG owed to a PING: to the current run, or — within its allowance — to a run not yet proven whose
    /// PING named us, with a count of 0, since we have delivered nothing of that run.
    private mutating func answerPing(_ pong: PendingPong) -> Transmit? {
        let toCurrent = pong.to == peer
        var datagram = Datagram(
            kind: .pong, from: configuration.name, session: configuration.sessionID, to: pong.to,
            ack: toCurrent ? count : 0, base: base, echo: pong.echo)
        let bytes = toCurrent ? encodeWithSack(&datagram, limit: Wire.segmentSackRanges) : encode(datagram)
        guard toCurrent || spendAllowance(of: pong.to, bytes: bytes.count) else { return nil }
        record(.pong(direction: .outgoing, ack: datagram.ack, roundTrip: nil))
        return finish(Transmit(bytes: bytes, route: .sendSocket, kind: .pong, sequence: nil, to: datagram.to), carriesCount: toCurrent)
    }

    /// A PING addressed to a run not yet proven: only the process at the destination address receives it, and
    /// only a process that is that run answers it. Within the run's allowance.
    private mutating func challenge(_ claimed: SessionID, now: Instant) -> Transmit? {
        let token = challengeToken(to: claimed, milliseconds: UInt64(max(0, now.microseconds) / 1000))
        let datagram = Datagram(
            kind: .ping, from: configuration.name, session: configuration.sessionID, to: claimed, ack: 0, base: base,
            timestamp: token)
        let bytes = encode(datagram)
        guard spendAllowance(of: claimed, bytes: bytes.count) else { return nil }
        statistics.challenges += 1
        record(.ping(direction: .outgoing, ack: 0))
        return finish(Transmit(bytes: bytes, route: .sendSocket, kind: .ping, sequence: nil, to: datagram.to), carriesCount: false)
    }

    /// How far from `first` (exclusive `limit`) one-piece segments accepted by `include` can share a datagram
    /// with it: the last sequence number, and every length for `lens=` (empty when it goes alone).
    private func packedRun(
        from first: UInt64, through limit: UInt64, where include: (OutgoingSegment) -> Bool
    ) -> (last: UInt64, lengths: [Int]) {
        let segment = sendBuffer[first]
        guard segment.isPackable else { return (first, []) }
        var last = first
        var lengths: [Int] = []
        var budget = Wire.maxSegmentBody - segment.body.count - decimalDigits(UInt64(segment.body.count)) - 6
        while last + 1 < limit, lengths.count + 1 < Wire.maxBatch {
            let next = sendBuffer[last + 1]
            let cost = next.body.count + decimalDigits(UInt64(next.body.count)) + 1
            guard next.isPackable, include(next), cost <= budget else { break }
            budget -= cost
            last += 1
            if lengths.isEmpty { lengths.append(segment.body.count) }
            lengths.append(next.body.count)
        }
        return (last, lengths)
    }

    /// Bookkeeping common to every datagram: one carrying our count for the current run leaves no bare
    /// acknowledgement owed.
    private mutating func finish(_ transmit: Transmit, carriesCount: Bool = true) -> Transmit {
        if carriesCount { ackPending = false }
        statistics.datagramsSent += 1
        return transmit
    }

    private mutating func markSent(_ sequence: UInt64, now: Instant) {
        sendOrderCounter += 1
        sendBuffer[sequence].transmissions += 1
        sendBuffer[sequence].lastSent = now
        sendBuffer[sequence].sendOrder = sendOrderCounter
        if retransmitDeadline == nil { retransmitDeadline = now + roundTrip.retransmissionTimeout * backoff }
    }

    /// The lowest sequence number we still hold: a freshly started receiver resumes from here.
    var base: UInt64 { sendBuffer.firstSequence }

    private func makeDatagram(
        _ kind: DatagramKind, segment: (UInt64, OutgoingSegment), transmission: Int?
    ) -> Datagram {
        Datagram(
            kind: kind, from: configuration.name, session: configuration.sessionID, to: peer, ack: count, base: base,
            fin: segment.1.isEnd, sequence: segment.0, fragment: segment.1.fragment, transmission: transmission,
            body: segment.1.body)
    }

    /// Encodes the datagram with as many of our held runs (`sack`) as `limit` allows and the datagram size leaves
    /// room for; `datagram.sack` is set to what was sent.
    ///
    /// The room is measured on the readable form even when the datagram travels compact: a compact datagram is
    /// never longer than its readable form less the 35 bytes of version, kind, `from=` and `sid=` it leaves out,
    /// more than a secure channel adds around it (a 9-byte header and a 16-byte tag), so both fit.
    private func encodeWithSack(_ datagram: inout Datagram, limit: Int) -> [UInt8] {
        // Nothing held beyond the count (the usual case): no room to measure, one encoding.
        guard !window.ranges.isEmpty else { return encode(datagram) }
        let readable = Wire.encode(datagram)
        let held = " held=".utf8.count + decimalDigits(UInt64(window.count))
        datagram.sack = sackRanges(limit: limit, budget: Wire.maxDatagramBytes - readable.count - held)
        if datagram.sack.isEmpty { return configuration.carriage.isSealed ? CompactWire.encode(datagram) : readable }
        datagram.held = UInt64(window.count)
        return encode(datagram)
    }

    /// The datagram's bytes in the session's carriage.
    func encode(_ datagram: Datagram) -> [UInt8] {
        configuration.carriage.isSealed ? CompactWire.encode(datagram) : Wire.encode(datagram)
    }

    /// The lowest held runs, as many as `limit` allows and fit in `budget` bytes of header: the receiver reports
    /// from the bottom up, so every gap below the highest reported run is known to the sender to be missing.
    private func sackRanges(limit: Int, budget: Int) -> [SequenceRange] {
        var chosen: [SequenceRange] = []
        var used = 6  // " sack="
        for range in window.ranges.prefix(limit) {
            let cost = decimalDigits(range.lower) + (range.lower == range.upper ? 0 : 1 + decimalDigits(range.upper)) + 1
            guard used + cost <= budget else { break }
            used += cost
            chosen.append(range)
        }
        return chosen
    }
}

private func decimalDigits(_ value: UInt64) -> Int {
    var digits = 1
    var rest = value
    while rest >= 10 {
        rest /= 10
        digits += 1
    }
    return digits
}
