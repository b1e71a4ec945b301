import PeerWire

extension Session {
    /// Takes a datagram that arrived from the destination host. Anything malformed, forged or stale is refused
    /// with a `reject` event and changes nothing.
    public mutating func receive(_ bytes: [UInt8], now: Instant) {
        bytes.withUnsafeBytes { receive($0, now: now) }
    }

    /// Takes a datagram straight from a receive buffer; see `receive(_:now:)`.
    public mutating func receive(_ bytes: UnsafeRawBufferPointer, now: Instant) {
        if case .closed = state { return }
        let datagram: Datagram
        do {
            datagram = try Wire.decode(bytes)
        } catch {
            reject(error.description, bytes: bytes.count)
            return
        }
        process(datagram, bytes: bytes.count, now: now, held: false)
    }

    /// Takes a datagram a secure channel has opened and decoded (carriage `.sealed`): its `from` and `session` are
    /// what the handshake behind its keys established, and `to` is this run when those keys were agreed with it.
    /// `bytes` is the size it had on the wire. Checked like any other datagram from there on.
    public mutating func receive(authenticated datagram: Datagram, bytes: Int, now: Instant) {
        if case .closed = state { return }
        process(datagram, bytes: bytes, now: now, held: false)
    }

    /// Acts on a decoded datagram: at once, or (`held`) when its run has just been proven and it had been waiting
    /// for that.
    private mutating func process(_ datagram: Datagram, bytes: Int, now: Instant, held: Bool) {
        // Every check comes before any change: a refused datagram must leave no trace but the reject (and, for a
        // run not yet proven, a challenge it must answer, while what it sent waits — bounded — for the answer).
        guard let run = classifyRun(of: datagram, bytes: bytes, now: now) else { return }
        if datagram.kind == .ping, let to = datagram.to, to != configuration.sessionID {
            reject("ping addressed to another run of ours (\(to)): not answered", bytes: bytes)
            return
        }
        // Its count and report are about one run of ours; only one naming this run may move what we consider
        // delivered (a delayed acknowledgement of our previous run's segments says nothing of this run's).
        let countsOurRun = datagram.to == configuration.sessionID
        guard validate(datagram, bytes: bytes, countsOurRun: countsOurRun,
                       freshReceiver: run != .current || !resumed)
        else { return }
        // A PONG measures the round trip; take it before adopting a run forgets other runs' PINGs. A heartbeat's
        // answer gives the exact time since it left; a challenge's, the time since the end of the millisecond it
        // left in — never more than the truth, and what a restart needs before its first acknowledgement.
        var pingSentAt: Instant?
        if datagram.kind == .pong, let echo = datagram.echo {
            pingSentAt = takeAnsweredPing(echo: echo, session: datagram.session)
            if pingSentAt == nil, run != .current,
               let milliseconds = challengeSentAt(echo: echo, session: datagram.session, now: now) {
                pingSentAt = min(now, Instant(microseconds: Int64(milliseconds) * 1000 + 999))
            }
        }
        var waiting: [(datagram: Datagram, bytes: Int)] = []
        if case .proven(let previous) = run {
            waiting = claimants.first { $0.session == datagram.session }?.held ?? []
            adopt(datagram.session)
            if let previous {
                peerRestarted(previous: previous, datagram: datagram, now: now)
            } else if roundTrip.smoothed == nil, pingSentAt == nil {
                pingDue = true  // the first run we believe: measure the round trip if no heartbeat has yet
            }
        }
        defer {
            // What the run sent while it was being challenged, in the order it came.
            for waited in waiting { process(waited.datagram, bytes: waited.bytes, now: now, held: true) }
        }

        statistics.datagramsReceived += 1
        if isRecorded(datagram.kind.carriesSegment || datagram.kind == .bye ? .message : .heartbeat),
           datagram.kind != .ping, datagram.kind != .pong {
            record(.receive(kind: datagram.kind, sequence: datagram.sequence, segments: datagram.segmentCount,
                            transmission: datagram.transmission, ack: datagram.ack, sack: datagram.sack,
                            bytes: bytes))
        }
        noteHeard(from: datagram, now: now)
        resume(from: datagram.base)
        if countsOurRun { processAcknowledgement(datagram, now: now, measure: !held) }

        switch datagram.kind {
        case .data, .resend:
            guard let sequence = datagram.sequence else { break }
            if datagram.lengths.isEmpty {
                acceptSegment(
                    sequence, HeldSegment(body: datagram.body, fragment: datagram.fragment, isEnd: datagram.fin))
            } else {
                var start = 0
                for (offset, length) in datagram.lengths.enumerated() {
                    let end = start + length
                    guard end <= datagram.body.count else { break }  // the decoder checked; never trap regardless
                    acceptSegment(sequence + UInt64(offset),
                                  HeldSegment(body: Array(datagram.body[start..<end]), fragment: nil, isEnd: false))
                    start = end
                }
            }
        case .ping:
            record(.ping(direction: .incoming, ack: datagram.ack))
            if let timestamp = datagram.timestamp { pendingPong = PendingPong(echo: timestamp, to: datagram.session) }
        case .pong:
            // Only a PONG answering a heartbeat of ours that is still waiting measures anything, and the sample is
            // the time since that PING left: a forged or repeated PONG cannot stretch the round trip.
            var sample: TimeSpan?
            if let pingSentAt {
                sample = now - pingSentAt
                if let sample { roundTrip.add(sample) }
                statistics.smoothedRoundTrip = roundTrip.smoothed
            }
            record(.pong(direction: .incoming, ack: datagram.ack, roundTrip: sample))
        case .bye:
            peerSaidBye = true
        case .ack, .handshake:
            break  // no decoder yields a handshake: it never gets here
        }
        afterInput(kind: datagram.kind, now: now)
    }

    /// A new run of the other side knows nothing: forget what we held of the old run, and send again every
    /// message of ours it may not have shown.
    private mutating func peerRestarted(previous: SessionID, datagram: Datagram, now: Instant) {
        record(.peerUp(name: datagram.from, session: datagram.session, reason: .restarted(previous: previous)))
        reportReplaysWhileUnreachable(until: now)
        peerReachable = true
        expected = 1
        window.removeAll()
        reassembly.removeAll()
        reassemblyNext = 1
        peerFinished = false
        peerSaidBye = false
        if state == .closing {
            state = .open
            closingSince = nil
        }
        acknowledged = sendBuffer.firstSequence - 1
        reportedThrough = acknowledged
        var missing: [SequenceRange] = []
        var sequence = sendBuffer.firstSequence
        while sequence < nextToSend {
            sendBuffer[sequence].delivered = false
            if !sendBuffer[sequence].queuedForResend {
                sendBuffer[sequence].queuedForResend = true
                sendBuffer[sequence].lossReason = .restart
                resendQueue.push(sequence)
                missing.append(SequenceRange(single: sequence))
            }
            sequence += 1
        }
        if !missing.isEmpty {
            record(.mismatch(count: acknowledged, sent: nextToSend - 1, missing: missing, reason: .restart))
        }
        backoff = 1
    }

    /// Refuses numbers no honest peer can send: a count above what we sent, or a report of holding segments we
    /// never sent (acting on either would make us forget messages the other side never received); a segment
    /// beyond the receive window (it would need more memory than the window allows); a `base` further ahead of
    /// our count than the other side could have got within its window. Checks only; changes nothing but the
    /// reject counter. `countsOurRun`: the datagram's count is about this run of ours. `freshReceiver`: our
    /// receive side takes its starting point from this datagram's `base`, whatever it is.
    private mutating func validate(
        _ datagram: Datagram, bytes: Int, countsOurRun: Bool, freshReceiver: Bool
    ) -> Bool {
        let sent = nextToSend - 1
        if countsOurRun, datagram.ack > sent {
            reject("acknowledges \(datagram.ack) segments but only \(sent) were sent", bytes: bytes)
            return false
        }
        if countsOurRun, let highest = datagram.sack.map(\.upper).max(), highest > sent {
            reject("reports holding segment \(highest) but only \(sent) were sent", bytes: bytes)
            return false
        }
        // Once resumed, `base` moves only as the other side's count of our segments does — which an earlier run of
        // ours may have pushed further than we know, but never by more than the window: a larger jump is forged.
        if !freshReceiver, datagram.base > expected, datagram.base - expected > window.capacity {
            reject("base \(datagram.base) jumps past what could have been sent (count \(count), "
                   + "window \(window.capacity))", bytes: bytes)
            return false
        }
        let resumeAt = freshReceiver ? datagram.base : max(expected, datagram.base)
        if let first = datagram.sequence {
            let last = first + UInt64(max(1, datagram.segmentCount)) - 1
            if last >= resumeAt + window.capacity {
                reject("segment \(last) is beyond the receive window (expecting \(resumeAt))",
                       bytes: bytes)
                return false
            }
        }
        return true
    }

    private mutating func noteHeard(from datagram: Datagram, now: Instant) {
        if peerName == nil {
            record(.peerUp(name: datagram.from, session: datagram.session, reason: .firstContact))
            peerReachable = true
        } else if !peerReachable {
            let silentFor = now - (lastHeard ?? startedAt)
            record(.peerUp(name: datagram.from, session: datagram.session, reason: .answeredAgain(silentFor: silentFor)))
            reportReplaysWhileUnreachable(until: now)
            peerReachable = true
        }
        peerName = datagram.from
        lastHeard = now
    }

    /// The other side holds nothing below `base`: a fresh run of ours starts its count there.
    private mutating func resume(from base: UInt64) {
        resumed = true
        guard base > expected else { return }
        window.discard(below: base)
        reassembly.removeAll()
        reassemblyNext = 1
        expected = base
    }

    // MARK: Acknowledgements

    /// `measure`: the acknowledgement arrived just now, so it may time a round trip (one that waited for its run
    /// to be proven would time the wait).
    private mutating func processAcknowledgement(_ datagram: Datagram, now: Instant, measure: Bool) {
        // Only what the round-trip sample and loss detection need, not a copy of the segment and its body.
        var newestDelivered: (sendOrder: UInt64, transmissions: Int, lastSent: Instant)?
        var progressed = false
        func noteDelivered(_ segment: OutgoingSegment) {
            progressed = true
            if segment.sendOrder > (newestDelivered?.sendOrder ?? 0) {
                newestDelivered = (segment.sendOrder, segment.transmissions, segment.lastSent)
            }
        }
        if datagram.ack > acknowledged {
            var sequence = acknowledged + 1
            while sequence <= datagram.ack {
                if sendBuffer.contains(sequence), !sendBuffer[sequence].delivered {
                    sendBuffer[sequence].delivered = true
                    noteDelivered(sendBuffer[sequence])
                }
                sequence += 1
            }
            acknowledged = datagram.ack
            statistics.acknowledged = acknowledged
            sendBuffer.removeMessages(countedThrough: acknowledged)
        }
        for range in datagram.sack {
            var sequence = max(range.lower, acknowledged + 1)
            while sequence <= range.upper {
                if sendBuffer.contains(sequence), !sendBuffer[sequence].delivered {
                    sendBuffer[sequence].delivered = true
                    noteDelivered(sendBuffer[sequence])
                }
                sequence += 1
            }
        }
        // A complete report (nothing held beyond the listed runs) vouches for everything sent so far: what it does
        // not list is missing. A partial one vouches only up to its last run. Only the latest report counts: a
        // hole an older report showed may have been filled since, by a segment a partial report leaves out.
        let listed = datagram.sack.reduce(0) { $0 + $1.count }
        let complete = datagram.sack.isEmpty || datagram.held == listed
        let previouslyReported = reportedThrough
        reportedThrough = complete ? nextToSend - 1 : max(datagram.ack, datagram.sack.map(\.upper).max() ?? 0)

        if let newest = newestDelivered {
            // Karn: a replayed segment's acknowledgement cannot tell which transmission arrived.
            if measure, newest.transmissions == 1 { roundTrip.add(now - newest.lastSent) }
            deliveredOrderMark = max(deliveredOrderMark, newest.sendOrder)
            statistics.smoothedRoundTrip = roundTrip.smoothed
        }
        if progressed {
            backoff = 1
            retransmitDeadline = hasUndeliveredInFlight ? now + roundTrip.retransmissionTimeout : nil
        }
        // A report that changes nothing (a repeated acknowledgement, a pong) cannot show a new loss, and the
        // time-based ones are already waiting on `lossCheckDeadline`: skip the scan of the window. (A report is not
        // taken as news that a replay was lost by its time of arrival alone: on real sockets reports queue behind
        // the very datagrams they describe, and judging replays lost by time there set off a replay storm — 172
        // transmissions a message in `scripts/sim-vs-real`. The retransmission timer replays overdue replays.)
        if progressed || reportedThrough != previouslyReported { detectLosses(now: now) }
    }

    var hasUndeliveredInFlight: Bool {
        var sequence = acknowledged + 1
        while sequence < nextToSend {
            if sendBuffer.contains(sequence), !sendBuffer[sequence].delivered { return true }
            sequence += 1
        }
        return false
    }

    /// RACK-style loss detection: a segment still missing below the highest reported one, and transmitted before
    /// some segment that did arrive, is lost once it is older than the loss delay; until then a timer waits for it.
    mutating func detectLosses(now: Instant) {
        lossCheckDeadline = nil
        guard deliveredOrderMark > 0 else { return }
        let delay = roundTrip.lossDelay
        // A segment already replayed waits longer before it can be judged lost again: under load, reports that
        // left the other side before the replay arrived still show the hole.
        let replayDelay = roundTrip.replayLossDelay
        var missing: [SequenceRange] = []
        var sequence = acknowledged + 1
        let last = min(reportedThrough, nextToSend - 1)
        while sequence <= last {
            defer { sequence += 1 }
            guard sendBuffer.contains(sequence) else { continue }
            let segment = sendBuffer[sequence]
            guard !segment.delivered, !segment.queuedForResend, segment.transmissions > 0,
                  segment.sendOrder < deliveredOrderMark
            else { continue }
            let lostAt = segment.lastSent + (segment.transmissions > 1 ? replayDelay : delay)
            if now >= lostAt {
                queueReplay(sequence, reason: .count, into: &missing)
            } else {
                lossCheckDeadline = min(lossCheckDeadline ?? lostAt, lostAt)
            }
        }
        if !missing.isEmpty, isRecorded(.repair) {
            record(.mismatch(count: acknowledged, sent: nextToSend - 1, missing: missing, reason: .count))
        }
    }

    /// Queues `sequence` for a replay and adds it to `runs`, the ranges of what was queued, for the `mismatch`
    /// event. A replay judged lost again (`overdue`) is counted.
    mutating func queueReplay(_ sequence: UInt64, reason: LossReason, into runs: inout [SequenceRange]) {
        sendBuffer[sequence].queuedForResend = true
        sendBuffer[sequence].lossReason = reason
        resendQueue.push(sequence)
        if reason == .overdue { statistics.replaysLostAgain += 1 }
        if let lastRange = runs.last, lastRange.upper + 1 == sequence {
            runs[runs.count - 1].upper = sequence
        } else {
            runs.append(SequenceRange(single: sequence))
        }
    }

    // MARK: Segments

    private mutating func acceptSegment(_ sequence: UInt64, _ segment: HeldSegment) {
        ackPending = true
        if sequence < expected || window.contains(sequence) {
            statistics.duplicates += 1
            record(.duplicate(sequence: sequence, count: count))
            return
        }
        if sequence > expected {
            window.insert(sequence, segment)
            record(.hold(sequence: sequence, expected: expected, held: window.count))
            return
        }
        deliverInOrder(sequence, segment)
        while let next = window.takeFirst(ifAt: expected) {
            deliverInOrder(expected, next)
        }
    }

    /// Appends one in-order segment to the message being reassembled, and hands the message over when complete.
    private mutating func deliverInOrder(_ sequence: UInt64, _ segment: HeldSegment) {
        expected = sequence + 1
        if segment.isEnd {
            if reassemblyNext > 1 { abandonReassembly(at: sequence) }
            peerFinished = true
            record(.finish(side: .peer, segments: sequence))
            return
        }
        guard let fragment = segment.fragment else {
            if reassemblyNext > 1 { abandonReassembly(at: sequence) }
            // One-piece bodies were checked for UTF-8 when decoded.
            hand(String(decoding: segment.body, as: UTF8.self), sequence: sequence, bytes: segment.body.count)
            return
        }
        if fragment.index == 1 {
            if reassemblyNext > 1 { abandonReassembly(at: sequence) }
            reassemblyCount = fragment.count
        } else if fragment.index != reassemblyNext || fragment.count != reassemblyCount {
            abandon(at: sequence, "fragment \(fragment) of segment \(sequence) does not continue the message being "
                    + "reassembled", textBytes: reassembly.count + segment.body.count)
            reassembly.removeAll()
            reassemblyNext = 1
            return
        }
        reassembly.append(contentsOf: segment.body)
        reassemblyNext = fragment.index + 1
        guard fragment.isLast else { return }
        let bytes = reassembly
        reassembly.removeAll()
        reassemblyNext = 1
        guard let text = String(validating: bytes, as: UTF8.self) else {
            abandon(at: sequence, "message ending at segment \(sequence) is not valid UTF-8", textBytes: bytes.count)
            return
        }
        hand(text, sequence: sequence, bytes: bytes.count)
    }

    private mutating func abandonReassembly(at sequence: UInt64) {
        abandon(at: sequence, "message cut short before segment \(sequence): \(reassemblyNext - 1) of "
                + "\(reassemblyCount) pieces", textBytes: reassembly.count)
        reassembly.removeAll()
        reassemblyNext = 1
    }

    private mutating func abandon(at sequence: UInt64, _ reason: String, textBytes: Int) {
        statistics.abandoned += 1
        record(.abandon(sequence: sequence, reason: reason, textBytes: textBytes))
    }

    private mutating func hand(_ text: String, sequence: UInt64, bytes: Int) {
        statistics.messagesDelivered += 1
        deliveries.push(Delivery(from: peerName ?? "peer", text: text, sequence: sequence))
        record(.deliver(sequence: sequence, count: count, bytes: bytes))
    }
}
