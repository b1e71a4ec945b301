@testable import PeerCommandLine
import Testing

/// `peer simulate --peers N`: the figures it reports from pooled results, and what a small run pools.
struct GroupSimulateTests {
    @Test("the figures: per message sums the recipients, per recipient divides by N-1, memory divides by N")
    func figures() {
        var options = SimulateOptions()
        options.peers = 4
        options.messages = 10
        options.seeds = 2
        var result = GroupSimulateCommand.Result(peers: 4)
        result.workloadSeeds = 2
        result.dataTransmissions = 66
        result.datagramsFromFirst = 80
        result.datagramsToFirst = 50
        result.bytes = 2_000
        result.latencies = (1...60).map { Int64($0) * 1000 }
        result.allDeliveredMicroseconds = [2_000_000, 4_000_000]
        result.joinMicroseconds = [100_000, 300_000]
        result.memoryMeshedBytes = [400_000, 800_000]
        result.memoryPeakBytes = [1_000_000, 900_000]
        let figures = GroupSimulateCommand.figures(options, result)
        #expect(figures["data_tx_per_msg"] == "3.300")
        #expect(figures["data_tx_per_msg_per_recipient"] == "1.100")
        #expect(figures["a_to_b"] == "4.000")
        #expect(figures["b_to_a"] == "2.500")
        #expect(figures["bytes_per_msg"] == "100.0")
        #expect(figures["p50"] == "30.000")
        #expect(figures["p99"] == "60.000")
        #expect(figures["max"] == "60.000")
        #expect(figures["all_delivered_s"] == "3.000")
        #expect(figures["join_mean"] == "0.200")
        #expect(figures["join_max"] == "0.300")
        // The worst seed, shared among the four members.
        #expect(figures["memory_meshed"] == "200000")
        #expect(figures["memory_peak"] == "250000")
        let json = GroupSimulateCommand.json(options, result)
        #expect(json.contains("\"peers\": 4, "))
        #expect(json.contains("\"data_tx_per_msg_per_recipient\": 1.100, "))
        #expect(json.contains("\"join_s\": {\"mean\": 0.200, \"median\": 0.100, \"max\": 0.300}"))
        #expect(json.contains("\"memory_per_member_bytes\": {\"meshed\": 200000, \"peak\": 250000}"))
    }

    @Test("a run of 3 members at 20% loss pools a latency for every message at each of the two recipients",
          arguments: [SimulateOptions.Workload.chat, .bulk])
    func smallRun(workload: SimulateOptions.Workload) {
        var options = SimulateOptions()
        options.peers = 3
        options.workload = workload
        options.messages = 40
        options.seeds = 2
        options.loss = 0.2
        options.delayMilliseconds = 5
        let result = GroupSimulateCommand.simulate(options)
        #expect(result.exactlyOnceInOrder && result.failures.isEmpty && result.workloadSeeds == 2)
        #expect(result.latencies.count == 40 * 2 * 2)
        #expect(result.latencies == result.latencies.sorted() && (result.latencies.first ?? -1) >= 0)
        // Each message went to each recipient at least once; losses cost more.
        #expect(result.dataTransmissions > 40 * 2 * 2)
        #expect(result.joinMicroseconds.count == 2 && result.joinMicroseconds.allSatisfy { $0 > 0 })
        #expect(result.allDeliveredMicroseconds.count == 2)
        #expect(result.memoryMeshedBytes.count == 2 && result.memoryPeakBytes.count == 2)
        #expect(result.datagramsFromFirst > 0 && result.datagramsToFirst > 0 && result.bytes > 0)
    }
}
