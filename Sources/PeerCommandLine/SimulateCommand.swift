import Foundation
import Peer
import PeerChannel
import PeerCrypto
import PeerSession
import PeerSimulation
import PeerTransport
import PeerWire

/// `peer simulate`: the protocol core between two endpoints on a virtual clock, pooled over seeds. A teaching
/// tool (what does loss cost?) and the benchmark of the protocol's economy and latency.
enum SimulateCommand {
    /// Pooled results over all seeds.
    struct Result {
        var exactlyOnceInOrder = true
        var dataTransmissions = 0
        var datagramsAToB = 0
        var datagramsBToA = 0
        var bytes = 0
        var latencies: [Int64] = []
        var allDeliveredMicroseconds: [Int64] = []
    }

    static func run(_ options: SimulateOptions) -> Int32 {
        if options.peers != nil { return GroupSimulateCommand.run(options) }
        let result = simulate(options)
        print(options.json ? json(options, result) : table(options, result))
        return result.exactlyOnceInOrder ? 0 : 1
    }

    static func simulate(_ options: SimulateOptions) -> Result {
        let link = LinkConditions(
            delay: TimeSpan(microseconds: Int64(options.delayMilliseconds * 1000)), loss: options.loss,
            duplicate: options.duplicate, reorder: options.reorder)
        // 64-byte messages, each different, so an out-of-order or repeated delivery cannot pass unseen.
        let messages = (0..<options.messages).map { index -> String in
            let label = "message \(index) "
            return label + String(repeating: "x", count: max(0, 64 - label.utf8.count))
        }
        var result = Result()
        // PEER/2 as the real peers speak it: each side with its own key, every datagram sealed.
        let keys = [X25519.newPrivateKey(), X25519.newPrivateKey()]
        for seed in 1...UInt64(options.seeds) {
            let simulation = Simulation(seed: seed, aToB: link, bToA: link, linger: .seconds(600)) {
                side, session, now in
                SecureChannel(configuration: ChannelConfiguration(session: session, staticKey: keys[side.rawValue]),
                              now: now)
            }
            simulation.recordedCategories = []
            for (index, text) in messages.enumerated() {
                let at = options.workload == .chat ? TimeSpan.milliseconds(Int64(5 + 10 * index)) : .zero
                simulation.type(text, from: .a, at: at)
            }
            let end = options.workload == .chat ? TimeSpan.milliseconds(Int64(5 + 10 * options.messages)) : .zero
            simulation.endInput(.a, at: end)
            simulation.endInput(.b, at: .zero)
            let report = simulation.run(until: .seconds(86_400))
            result.exactlyOnceInOrder = result.exactlyOnceInOrder && report[.b].shown == messages
            let statistics = report[.a].statistics
            result.dataTransmissions += statistics.dataTransmissions + statistics.replays
            result.datagramsAToB += report[.a].datagramsSent
            result.datagramsBToA += report[.b].datagramsSent
            result.bytes += report[.a].bytesSent + report[.b].bytesSent
            result.latencies += report[.a].latenciesOfMessagesSent.map(\.microseconds)
            result.allDeliveredMicroseconds.append(report[.b].lastShownAt?.microseconds ?? report.endTime.microseconds)
        }
        result.latencies.sort()
        return result
    }

    static func percentile(_ sorted: [Int64], _ fraction: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let index = min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.up)) - 1)
        return Double(sorted[max(0, index)]) / 1000
    }

    static func figures(_ options: SimulateOptions, _ result: Result) -> [(String, String)] {
        let total = Double(options.messages * options.seeds)
        let allDelivered = Double(result.allDeliveredMicroseconds.reduce(0, +))
            / Double(max(1, result.allDeliveredMicroseconds.count)) / 1_000_000
        return [
            ("data_tx_per_msg", format(Double(result.dataTransmissions) / total, 3)),
            ("a_to_b", format(Double(result.datagramsAToB) / total, 3)),
            ("b_to_a", format(Double(result.datagramsBToA) / total, 3)),
            ("bytes_per_msg", format(Double(result.bytes) / total, 1)),
            ("p50", format(percentile(result.latencies, 0.5), 3)),
            ("p99", format(percentile(result.latencies, 0.99), 3)),
            ("max", format(percentile(result.latencies, 1), 3)),
            ("all_delivered_s", format(allDelivered, 3)),
            ("all_delivered_s_median", format(percentile(result.allDeliveredMicroseconds.sorted(), 0.5) / 1000, 3)),
        ]
    }

    static func json(_ options: SimulateOptions, _ result: Result) -> String {
        let value = Dictionary(uniqueKeysWithValues: figures(options, result))
        return "{\"workload\": \"\(options.workload.rawValue)\", \"messages\": \(options.messages), "
            + "\"delay_ms\": \(trimmed(options.delayMilliseconds)), \"loss\": \(trimmed(options.loss)), "
            + "\"seeds\": \(options.seeds), "
            + (options.reorder > 0 ? "\"reorder\": \(trimmed(options.reorder)), " : "")
            + (options.duplicate > 0 ? "\"duplicate\": \(trimmed(options.duplicate)), " : "")
            + "\"exactly_once_in_order\": \(result.exactlyOnceInOrder), "
            + "\"data_tx_per_msg\": \(value["data_tx_per_msg"] ?? "0"), "
            + "\"datagrams_per_msg\": {\"a_to_b\": \(value["a_to_b"] ?? "0"), \"b_to_a\": \(value["b_to_a"] ?? "0")}, "
            + "\"bytes_per_msg\": \(value["bytes_per_msg"] ?? "0"), "
            + "\"latency_ms\": {\"p50\": \(value["p50"] ?? "0"), \"p99\": \(value["p99"] ?? "0"), "
            + "\"max\": \(value["max"] ?? "0")}, \"all_delivered_s\": \(value["all_delivered_s"] ?? "0"), "
            + "\"all_delivered_s_median\": \(value["all_delivered_s_median"] ?? "0")}"
    }

    static func table(_ options: SimulateOptions, _ result: Result) -> String {
        let value = Dictionary(uniqueKeysWithValues: figures(options, result))
        let floor = 1 / (1 - options.loss)
        return """
            peer simulate: \(options.workload.rawValue), \(options.messages) messages of 64 bytes, \
            \(trimmed(options.delayMilliseconds)) ms each way, \(trimmed(options.loss * 100))% loss\
            \(options.reorder > 0 ? ", \(trimmed(options.reorder * 100))% reordered" : "")\
            \(options.duplicate > 0 ? ", \(trimmed(options.duplicate * 100))% duplicated" : ""), \
            seeds 1-\(options.seeds) pooled

              every message exactly once, in order   \(result.exactlyOnceInOrder ? "yes" : "NO")
              data transmissions per message        \(value["data_tx_per_msg"] ?? "")   (floor 1/(1-p) = \(format(floor, 3)))
              datagrams per message, A to B         \(value["a_to_b"] ?? "")
              datagrams per message, B to A         \(value["b_to_a"] ?? "")
              bytes per message, both ways          \(value["bytes_per_msg"] ?? "")   (UDP payloads: sealed headers, tags, handshakes)
              latency p50 / p99 / max (ms)          \(value["p50"] ?? "") / \(value["p99"] ?? "") / \(value["max"] ?? "")
              all delivered after (virtual s)       \(value["all_delivered_s"] ?? "")
            """
    }

    static func format(_ value: Double, _ decimals: Int) -> String { String(format: "%.\(decimals)f", value) }

    static func trimmed(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}
