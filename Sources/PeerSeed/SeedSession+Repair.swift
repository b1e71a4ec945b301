import PeerSession
import PeerWire

extension SeedSession {
    /// Acts on the count in one of the original's first transmissions; see the repair rule in `SeedSession`.
    mutating func takeCount(_ count: UInt64, now: Instant) {
        // Counts only grow; a smaller one is an older datagram arriving late and says nothing new.
        if let peerCount, count < peerCount { return }
        peerCount = count
        statistics.acknowledged = count
        // If a message of ours left within a round trip, this count may not include it yet: not evidence.
        if let last = lastFirstTransmissionAt, now - last < roundTripAllowance { return }
        let covered = nextToSend
        let deficit = count >= UInt64(covered) ? 0 : covered - Int(count)
        if deficit > evidenceDeficit {
            // Lost messages stay lost (replays are never counted), so the new losses are among those sent since
            // the last count we used.
            let group = SuspectGroup(members: evidenceCovered..<covered, missing: deficit - evidenceDeficit,
                                     limit: configuration.maxReplaysPerMessage)
            suspectGroups.append(group)
            losses.append(group)
            log.noteLoss(now: now)
            // Bounded: the oldest suspects have had the longest to be repaired, and the summary says how many
            // intervals it no longer names.
            if suspectGroups.count > Self.maxSuspectGroups { suspectGroups.removeFirst() }
            if losses.count > Self.maxSuspectGroups {
                losses.removeFirst()
                lossesForgotten += 1
            }
        }
        evidenceCovered = covered
        evidenceDeficit = deficit
        guard deficit > 0 else { return }
        scheduleReplays(count: count, now: now)
    }

    /// The count still shows a deficit: each suspect is replayed once more, within its group's budget, now or
    /// when `replaySpacing` since its last transmission has passed.
    private mutating func scheduleReplays(count: UInt64, now: Instant) {
        let limit = configuration.maxReplaysPerMessage
        var chosen: [Int] = []
        for group in suspectGroups.indices {
            // Fewest replays first, so a budget smaller than the group is spread evenly over it.
            let members = suspectGroups[group].members.sorted {
                (outgoing[$0].replays, $0) < (outgoing[$1].replays, $1)
            }
            for index in members {
                guard suspectGroups[group].budget > 0 else { break }
                guard !outgoing[index].queued, outgoing[index].dueAt == nil, outgoing[index].replays < limit else {
                    continue
                }
                suspectGroups[group].budget -= 1
                chosen.append(index)
                let ready = (outgoing[index].lastSentAt ?? now) + configuration.replaySpacing
                if ready <= now {
                    outgoing[index].queued = true
                    replayQueue.push(index)
                } else {
                    outgoing[index].dueAt = ready
                    waiting.append(index)
                }
            }
        }
        suspectGroups.removeAll { $0.budget == 0 }
        guard !chosen.isEmpty else { return }
        record(.mismatch(count: count, sent: UInt64(nextToSend), missing: Self.ranges(chosen), reason: .count))
    }

    /// Which of our lines the original did not confirm, for the summary: nil when its latest count covers all we
    /// queued. Its count says how many arrived, never which, so the answer is the intervals where a count showed
    /// lines missing ("1 of #4-#6"), then the lines no count we could use covered, each named by number and the
    /// start of its text, escaped, at most 12 named.
    public var unconfirmed: String? {
        let missingTotal = outgoing.count - Int(min(peerCount ?? 0, UInt64(outgoing.count)))
        guard missingTotal > 0 else { return nil }
        var runs = losses.map { (members: $0.members, missing: $0.missing) }
        let tailMissing = missingTotal - runs.reduce(0) { $0 + $1.missing }
        if tailMissing > 0, evidenceCovered < outgoing.count {
            runs.append((members: evidenceCovered..<outgoing.count, missing: tailMissing))
        }
        var named = 0
        var parts: [String] = []
        var unlisted = 0
        for run in runs {
            guard named < 12 else {
                unlisted += run.members.count
                continue
            }
            var part = run.missing == run.members.count ? "" : "\(run.missing) of "
            var names: [String] = []
            for index in run.members {
                guard named < 12 else { break }
                named += 1
                names.append("#\(index + 1) \(SeedText.quotedPrefix(of: outgoing[index].text))")
            }
            let unnamed = run.members.count - names.count
            part += names.joined(separator: " ") + (unnamed > 0 ? " +\(unnamed) more" : "")
            parts.append(part)
        }
        if unlisted > 0 { parts.append("+\(unlisted) more") }
        let forgotten = lossesForgotten > 0 ? " (and \(lossesForgotten) earlier intervals)" : ""
        return "\(missingTotal) of \(outgoing.count): " + parts.joined(separator: "; ") + forgotten
    }

    /// Ascending indices as runs of 1-based sequence numbers.
    private static func ranges(_ indices: [Int]) -> [SequenceRange] {
        var ranges: [SequenceRange] = []
        for index in indices.sorted() {
            let sequence = UInt64(index + 1)
            if let last = ranges.last, last.upper + 1 == sequence {
                ranges[ranges.count - 1].upper = sequence
            } else {
                ranges.append(SequenceRange(single: sequence))
            }
        }
        return ranges
    }
}
