import CHeapUsage
import Foundation
import PeerGroup
import PeerSession
import PeerSimulation

/// `peer simulate --peers N`: a group of N members on a virtual clock (`GroupSimulation`), pooled over seeds.
///
/// Member 1 waits; members 2…N−1 dial member 1 only and learn the others from it; all start at t = 0. Once they
/// are a mesh, member N joins the same way (the joiner whose time to know everyone is measured). Once every
/// member knows every other, member 1 sends the workload to `general` (every message has N−1 recipients) and the
/// others end their input. Every directed link between two members has the given delay, loss, reordering and
/// duplication. Measured: what member 1 transmits per message and recipient, the latency of every (message,
/// recipient) pair, whether every recipient showed every message once and in order, how long the mesh took to
/// form, and the heap the members hold.
enum GroupSimulateCommand {
    /// Pooled results over all seeds.
    struct Result: Equatable {
        var peers: Int
        var exactlyOnceInOrder = true
        /// Seeds whose mesh formed and whose workload ran: the figures per message count their messages only.
        var workloadSeeds = 0
        /// What went wrong, one line per failed seed (said on stderr).
        var failures: [String] = []
        /// Member 1's data transmissions and replays from the workload's start to the end (control messages of
        /// the join are not the workload's), every seed.
        var dataTransmissions = 0
        /// Datagrams member 1 sent to all the others, every seed, from t = 0 (handshakes included, as between two).
        var datagramsFromFirst = 0
        /// Datagrams the others sent to member 1, every seed, from t = 0.
        var datagramsToFirst = 0
        /// Bytes every member sent to every other (UDP payloads), every seed, from t = 0.
        var bytes = 0
        /// From typing to shown, in microseconds, for every message at every recipient, every seed (sorted once
        /// all seeds ran).
        var latencies: [Int64] = []
        /// Per seed: from the workload's start until the last recipient showed the last message.
        var allDeliveredMicroseconds: [Int64] = []
        /// Per seed: from t = 0 until members 1…N−1, started together, had each known every other (`MeshWatch`).
        var meshMicroseconds: [Int64] = []
        /// Per seed: from member N's start (once the others were a mesh) until it had known every other member.
        var joinMicroseconds: [Int64] = []
        /// Per seed: from member N's start until every member had known it, and it every member.
        var knownEverywhereMicroseconds: [Int64] = []
        /// Per seed: heap bytes held once the mesh formed, less those held before the members were made.
        var memoryMeshedBytes: [Int] = []
        /// Per seed: the most heap bytes held at any sample during the run, less those held before.
        var memoryPeakBytes: [Int] = []
    }

    /// What member 1's user types: 64-byte messages, each different, so a repeat or a reordering cannot pass unseen.
    static func messages(_ count: Int) -> [String] {
        (0..<count).map { index in
            let label = "message \(index) "
            return label + String(repeating: "x", count: max(0, 64 - label.utf8.count))
        }
    }

    static func run(_ options: SimulateOptions) -> Int32 {
        let result = simulate(options)
        for failure in result.failures { FileHandle.standardError.write(Data("peer simulate: \(failure)\n".utf8)) }
        print(options.json ? json(options, result) : table(options, result))
        return result.exactlyOnceInOrder ? 0 : 1
    }

    static func simulate(_ options: SimulateOptions) -> Result {
        let peers = options.peers ?? 2
        let recipients = peers - 1
        let conditions = LinkConditions(
            delay: TimeSpan(microseconds: Int64(options.delayMilliseconds * 1000)), loss: options.loss,
            duplicate: options.duplicate, reorder: options.reorder).impairments
        let texts = messages(options.messages)
        var result = Result(peers: peers)
        // Room for every latency up front, so the pooled array does not grow while the heap is being measured.
        result.latencies.reserveCapacity(options.messages * recipients * options.seeds)
        let labels = (1...peers).map { "member\($0)" }
        for seed in 1...UInt64(options.seeds) {
            let before = heapInUse()
            let simulation = GroupSimulation(seed: seed, conditions: conditions, linger: .seconds(600),
                                             categories: [], keepsLogs: false)
            // Members 1…N−1 start together (member 1 waits, the others dial it); once they are a mesh, member N
            // joins through member 1: the joiner of the issue's target.
            let joiner = labels[peers - 1]
            simulation.addMember(labels[0])
            for label in labels.dropFirst() {
                simulation.addMember(label, peers: [labels[0]], startAt: label == joiner ? nil : .zero)
            }
            let formed = { (watch: MeshWatch) -> Bool in
                guard simulation.run(until: simulation.elapsed + .seconds(600), stop: watch.formed) else {
                    result.exactlyOnceInOrder = false
                    result.failures.append("seed \(seed): "
                        + (simulation.stalled ? "stalled at \(simulation.elapsed)" : "no full mesh after 600 s"))
                    return false
                }
                return true
            }
            guard formed(MeshWatch(labels: Array(labels.dropLast()))) else { continue }
            result.meshMicroseconds.append(simulation.elapsed.microseconds)
            let joined = simulation.elapsed
            simulation.start(joiner, at: joined)
            guard formed(MeshWatch(labels: labels, watching: [peers - 1])) else { continue }
            result.joinMicroseconds.append((simulation.elapsed - joined).microseconds)
            guard formed(MeshWatch(labels: labels)) else { continue }
            result.knownEverywhereMicroseconds.append((simulation.elapsed - joined).microseconds)
            let start = simulation.elapsed
            let meshed = heapInUse()
            var peak = meshed
            result.memoryMeshedBytes.append(meshed - before)
            let transmissionsBefore = transmissions(simulation.core(labels[0])?.statistics)

            // As between two: chat types message k at 5 + 10k ms, bulk everything at once.
            let chat = options.workload == .chat
            let typedAt = { (index: Int) -> Instant in
                Instant.zero + (chat ? start + .milliseconds(Int64(5 + 10 * index)) : start)
            }
            for (index, text) in texts.enumerated() { simulation.type(text, by: labels[0], at: typedAt(index) - .zero) }
            simulation.endInput(labels[0], at: typedAt(texts.count) - .zero)
            for label in labels.dropFirst() { simulation.endInput(label, at: start) }

            // What each recipient showed, checked as it shows it: the next message in order, or a failure.
            var next = Array(repeating: 0, count: peers)
            var inOrder = true
            var lastShown = Instant.zero + start
            let sender = labels[0]
            simulation.onDelivery = { member, time, delivery in
                guard member != 0, delivery.from == sender, delivery.room == nil, !delivery.isPrivate,
                      next[member] < texts.count, delivery.text == texts[next[member]] else {
                    inOrder = false
                    return
                }
                result.latencies.append((time - typedAt(next[member])).microseconds)
                next[member] += 1
                lastShown = max(lastShown, time)
            }
            var steps = 0
            let finished = simulation.run(until: .seconds(86_400)) { _ in
                steps += 1
                if steps % 256 == 0 { peak = max(peak, heapInUse()) }
                return false
            }
            peak = max(peak, heapInUse())
            simulation.onDelivery = nil
            result.memoryPeakBytes.append(peak - before)
            let everyRecipientShowedAll = next.dropFirst().allSatisfy { $0 == texts.count }
            result.exactlyOnceInOrder = result.exactlyOnceInOrder && finished && inOrder && everyRecipientShowedAll
            result.workloadSeeds += 1
            if !(finished && inOrder && everyRecipientShowedAll) {
                result.failures.append("seed \(seed): " + (simulation.stalled ? "stalled at \(simulation.elapsed)"
                    : !inOrder ? "a message shown out of order, twice or by the wrong member"
                    : !everyRecipientShowedAll ? "not every recipient showed every message" : "not over in a day"))
            }
            result.dataTransmissions += transmissions(simulation.core(labels[0])?.statistics) - transmissionsBefore
            for label in labels.dropFirst() {
                result.datagramsFromFirst += simulation.traffic(from: labels[0], to: label).datagrams
                result.datagramsToFirst += simulation.traffic(from: label, to: labels[0]).datagrams
            }
            for from in labels {
                for to in labels where to != from { result.bytes += simulation.traffic(from: from, to: to).bytes }
            }
            result.allDeliveredMicroseconds.append((lastShown - (Instant.zero + start)).microseconds)
        }
        result.latencies.sort()
        return result
    }

    /// Whether every member has known every other: listed it by its name, online (an authenticated session:
    /// heard from since its handshake), at least once. Not "all online at the same instant": at 30% loss some
    /// member among hundreds of pairs is always between heartbeats that got through.
    final class MeshWatch {
        private let labels: [String]
        private let position: [String: Int]
        private var known: [[Bool]]
        private var unknown: [Int]

        /// Watches the members at `watching` (positions in `labels`; all of them unless given) come to know every
        /// member in `labels`.
        init(labels: [String], watching: [Int]? = nil) {
            self.labels = labels
            position = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
            known = labels.indices.map { member in labels.indices.map { $0 == member } }
            let watched = Set(watching ?? Array(labels.indices))
            unknown = labels.indices.map { watched.contains($0) ? labels.count - 1 : 0 }
        }

        private var lastLook: Instant?

        /// Looks at the rosters of the members who do not yet know everyone, once per millisecond of virtual time
        /// (a roster costs a pass over every member; join times are read to the millisecond); true once every one
        /// does.
        func formed(_ simulation: GroupSimulation) -> Bool {
            if let lastLook, simulation.now < lastLook + .milliseconds(1) { return false }
            lastLook = simulation.now
            var left = 0
            for member in labels.indices where unknown[member] > 0 {
                for entry in simulation.roster(labels[member]) where entry.online {
                    guard let other = position[entry.name], !known[member][other] else { continue }
                    known[member][other] = true
                    unknown[member] -= 1
                }
                left += unknown[member]
            }
            return left == 0
        }
    }

    static func transmissions(_ statistics: SessionStatistics?) -> Int {
        (statistics?.dataTransmissions ?? 0) + (statistics?.replays ?? 0)
    }

    /// Heap bytes the process holds now (mallinfo2: uordblks + hblkhd).
    static func heapInUse() -> Int { Int(peer_heap_bytes_in_use()) }

    /// Every figure reported, by its JSON name, formatted.
    static func figures(_ options: SimulateOptions, _ result: Result) -> [String: String] {
        let total = Double(options.messages * max(1, result.workloadSeeds))
        let recipients = Double(max(1, result.peers - 1))
        let seconds = { (microseconds: [Int64]) -> (mean: Double, median: Double, max: Double) in
            let sorted = microseconds.sorted()
            let mean = Double(sorted.reduce(0, +)) / Double(max(1, sorted.count)) / 1_000_000
            return (mean, SimulateCommand.percentile(sorted, 0.5) / 1000, Double(sorted.last ?? 0) / 1_000_000)
        }
        let allDelivered = seconds(result.allDeliveredMicroseconds)
        let join = seconds(result.joinMicroseconds)
        let mesh = seconds(result.meshMicroseconds)
        let everywhere = seconds(result.knownEverywhereMicroseconds)
        let perMember = { (bytes: [Int]) -> Int in (bytes.max() ?? 0) / max(1, result.peers) }
        let format = SimulateCommand.format
        return [
            "data_tx_per_msg": format(Double(result.dataTransmissions) / total, 3),
            "data_tx_per_msg_per_recipient": format(Double(result.dataTransmissions) / (total * recipients), 3),
            "a_to_b": format(Double(result.datagramsFromFirst) / total, 3),
            "b_to_a": format(Double(result.datagramsToFirst) / total, 3),
            "bytes_per_msg": format(Double(result.bytes) / total, 1),
            "p50": format(SimulateCommand.percentile(result.latencies, 0.5), 3),
            "p99": format(SimulateCommand.percentile(result.latencies, 0.99), 3),
            "max": format(SimulateCommand.percentile(result.latencies, 1), 3),
            "all_delivered_s": format(allDelivered.mean, 3),
            "all_delivered_s_median": format(allDelivered.median, 3),
            "join_mean": format(join.mean, 3),
            "join_median": format(join.median, 3),
            "join_max": format(join.max, 3),
            "known_everywhere_mean": format(everywhere.mean, 3),
            "known_everywhere_max": format(everywhere.max, 3),
            "mesh_mean": format(mesh.mean, 3),
            "mesh_max": format(mesh.max, 3),
            "memory_meshed": String(perMember(result.memoryMeshedBytes)),
            "memory_peak": String(perMember(result.memoryPeakBytes)),
        ]
    }

    static func json(_ options: SimulateOptions, _ result: Result) -> String {
        let value = figures(options, result)
        let trimmed = SimulateCommand.trimmed
        return "{\"workload\": \"\(options.workload.rawValue)\", \"messages\": \(options.messages), "
            + "\"delay_ms\": \(trimmed(options.delayMilliseconds)), \"loss\": \(trimmed(options.loss)), "
            + "\"seeds\": \(options.seeds), "
            + (options.reorder > 0 ? "\"reorder\": \(trimmed(options.reorder)), " : "")
            + (options.duplicate > 0 ? "\"duplicate\": \(trimmed(options.duplicate)), " : "")
            + "\"peers\": \(result.peers), "
            + "\"exactly_once_in_order\": \(result.exactlyOnceInOrder), "
            + "\"data_tx_per_msg\": \(value["data_tx_per_msg"] ?? "0"), "
            + "\"data_tx_per_msg_per_recipient\": \(value["data_tx_per_msg_per_recipient"] ?? "0"), "
            + "\"datagrams_per_msg\": {\"a_to_b\": \(value["a_to_b"] ?? "0"), \"b_to_a\": \(value["b_to_a"] ?? "0")}, "
            + "\"bytes_per_msg\": \(value["bytes_per_msg"] ?? "0"), "
            + "\"latency_ms\": {\"p50\": \(value["p50"] ?? "0"), \"p99\": \(value["p99"] ?? "0"), "
            + "\"max\": \(value["max"] ?? "0")}, \"all_delivered_s\": \(value["all_delivered_s"] ?? "0"), "
            + "\"all_delivered_s_median\": \(value["all_delivered_s_median"] ?? "0"), "
            + "\"join_s\": {\"mean\": \(value["join_mean"] ?? "0"), \"median\": \(value["join_median"] ?? "0"), "
            + "\"max\": \(value["join_max"] ?? "0")}, "
            + "\"known_everywhere_s\": {\"mean\": \(value["known_everywhere_mean"] ?? "0"), "
            + "\"max\": \(value["known_everywhere_max"] ?? "0")}, "
            + "\"mesh_s\": {\"mean\": \(value["mesh_mean"] ?? "0"), \"max\": \(value["mesh_max"] ?? "0")}, "
            + "\"memory_per_member_bytes\": {\"meshed\": \(value["memory_meshed"] ?? "0"), "
            + "\"peak\": \(value["memory_peak"] ?? "0")}}"
    }

    static func table(_ options: SimulateOptions, _ result: Result) -> String {
        let value = figures(options, result)
        let trimmed = SimulateCommand.trimmed
        let floor = SimulateCommand.format(1 / (1 - options.loss), 3)
        let rows: [(String, String)] = [
            ("every message exactly once, in order, at every member", result.exactlyOnceInOrder ? "yes" : "NO"),
            ("data transmissions per message per recipient",
             "\(value["data_tx_per_msg_per_recipient"] ?? "")   (floor 1/(1-p) = \(floor))"),
            ("data transmissions per message, all recipients", value["data_tx_per_msg"] ?? ""),
            ("datagrams per message, member 1 to the others", value["a_to_b"] ?? ""),
            ("datagrams per message, the others to member 1", value["b_to_a"] ?? ""),
            ("bytes per message, every member, every way",
             "\(value["bytes_per_msg"] ?? "")   (UDP payloads, the join included)"),
            ("latency p50 / p99 / max (ms), at every recipient",
             "\(value["p50"] ?? "") / \(value["p99"] ?? "") / \(value["max"] ?? "")"),
            ("all delivered after (virtual s from the first message)", value["all_delivered_s"] ?? ""),
            ("members 1…N−1, started together, a mesh after (s), mean / max",
             "\(value["mesh_mean"] ?? "") / \(value["mesh_max"] ?? "")"),
            ("member N joining knows every member after (s), mean / median / max",
             "\(value["join_mean"] ?? "") / \(value["join_median"] ?? "") / \(value["join_max"] ?? "")"),
            ("... and every member knows it after (s), mean / max",
             "\(value["known_everywhere_mean"] ?? "") / \(value["known_everywhere_max"] ?? "")"),
            ("heap per member (bytes), meshed / peak",
             "\(value["memory_meshed"] ?? "") / \(value["memory_peak"] ?? "")"),
        ]
        let width = rows.map(\.0.count).max() ?? 0
        let body = rows.map { label, figure in
            "  " + label + String(repeating: " ", count: width - label.count + 3) + figure
        }
        let heading = "peer simulate: \(options.workload.rawValue), \(options.messages) messages of 64 bytes from "
            + "member 1 to \(result.peers - 1) others (\(result.peers) peers), "
            + "\(trimmed(options.delayMilliseconds)) ms each way, \(trimmed(options.loss * 100))% loss"
            + (options.reorder > 0 ? ", \(trimmed(options.reorder * 100))% reordered" : "")
            + (options.duplicate > 0 ? ", \(trimmed(options.duplicate * 100))% duplicated" : "")
            + ", seeds 1-\(options.seeds) pooled"
        return ([heading, ""] + body).joined(separator: "\n")
    }
}
