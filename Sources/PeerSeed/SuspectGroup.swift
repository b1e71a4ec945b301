/// Messages of ours sent between two counts from the original, among which that count showed some missing.
///
/// A count says *how many* are missing, never *which*, so every message of the interval is a suspect. The
/// group's budget is one replay per suspect, so whichever was lost is replayed at least once, plus
/// `maxReplaysPerMessage - 1` more per missing message, spread over the suspects fewest-replays-first. Spending
/// the full cap on each of several suspects when one is missing would multiply the traffic for little: in the
/// simulated 20%-loss conversations (Tests/PeerSeedTests) it cost 2.4 datagrams a line instead of 1.9, up to
/// 3.4 instead of 2.3, for 98.7% of our lines shown instead of 97.5%.
struct SuspectGroup: Sendable {
    /// Indices in `SeedSession.outgoing`.
    var members: Range<Int>
    /// How many of them the count showed missing.
    var missing: Int
    /// Replays this group may still have.
    var budget: Int

    /// The group for `members`, of which `missing` are missing, with at most `limit` replays per message.
    init(members: Range<Int>, missing: Int, limit: Int) {
        self.members = members
        self.missing = missing
        budget = min(members.count * limit, members.count + missing * (limit - 1))
    }
}
