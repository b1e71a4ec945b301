import PeerSimulation

/// The simulated network's seeded generator (SplitMix64), under the name these tests use.
typealias SplitMix64 = SeededGenerator
