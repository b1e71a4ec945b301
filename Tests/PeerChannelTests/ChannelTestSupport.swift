import PeerChannel
import PeerCrypto
import PeerIdentity
import PeerSession
import PeerSimulation
import PeerWire
import Synchronization

/// Two secure channels on the simulated network, with what each side logged, and each side's keys chosen by the
/// test (a restart keeps its key unless `keyAfterRestart` says otherwise).
final class ChannelHarness: Sendable {
    struct Recorded: Sendable {
        var events: [[Event]] = [[], []]
        var sent: [[[UInt8]]] = [[], []]
        var keyLog: [[KeyLogEntry]] = [[], []]
    }

    let keys: [[UInt8]]
    let keyAfterRestart: [[UInt8]?]
    let preSharedKeys: [[UInt8]?]
    /// Whether both channels export their keys (`ChannelConfiguration.exportsKeys`), recorded in `keyLog(_:)`.
    let exportsKeys: Bool
    let recorded = Mutex(Recorded())
    private let runs = Mutex([0, 0])

    init(keys: [[UInt8]] = [X25519.newPrivateKey(), X25519.newPrivateKey()], keyAfterRestart: [[UInt8]?] = [nil, nil],
         preSharedKeys: [[UInt8]?] = [nil, nil], exportsKeys: Bool = false) {
        self.keys = keys
        self.keyAfterRestart = keyAfterRestart
        self.preSharedKeys = preSharedKeys
        self.exportsKeys = exportsKeys
    }

    func publicKey(_ side: Simulation.Side) -> [UInt8] { X25519.publicKey(privateKey: keys[side.rawValue]) }

    /// A simulation whose endpoints run secure channels.
    func simulation(seed: UInt64, conditions: LinkConditions, linger: TimeSpan = .seconds(60)) -> Simulation {
        let simulation = Simulation(seed: seed, aToB: conditions, bToA: conditions, linger: linger) {
            [self] side, session, now in
            let run = runs.withLock { runs in
                runs[side.rawValue] += 1
                return runs[side.rawValue]
            }
            let key = run > 1 ? (keyAfterRestart[side.rawValue] ?? keys[side.rawValue]) : keys[side.rawValue]
            let configuration = ChannelConfiguration(
                session: session, staticKey: key, preSharedKey: preSharedKeys[side.rawValue], exportsKeys: exportsKeys)
            return SecureChannel(configuration: configuration, now: now)
        }
        simulation.onEvent = { [self] side, _, event in
            recorded.withLock { $0.events[side.rawValue].append(event) }
        }
        simulation.onKeyLog = { [self] side, entry in
            recorded.withLock { $0.keyLog[side.rawValue].append(entry) }
        }
        return simulation
    }

    func keyLog(_ side: Simulation.Side) -> [KeyLogEntry] { recorded.withLock { $0.keyLog[side.rawValue] } }

    func events(_ side: Simulation.Side) -> [Event] { recorded.withLock { $0.events[side.rawValue] } }

    func rejects(_ side: Simulation.Side) -> [String] {
        events(side).compactMap { if case .reject(let reason, _) = $0 { reason } else { nil } }
    }

    static func messages(_ prefix: String, _ count: Int) -> [String] {
        (0..<count).map { "\(prefix) \($0) says something private" }
    }

    /// A chat: A types `fromA`, B types `fromB`, 10 ms apart, then both end input.
    static func converse(_ simulation: Simulation, fromA: [String], fromB: [String]) -> SimulationReport {
        for (index, text) in fromA.enumerated() {
            simulation.type(text, from: .a, at: .milliseconds(Int64(5 + 10 * index)))
        }
        for (index, text) in fromB.enumerated() {
            simulation.type(text, from: .b, at: .milliseconds(Int64(7 + 10 * index)))
        }
        let end = Int64(10 * max(fromA.count, fromB.count) + 20)
        simulation.endInput(.a, at: .milliseconds(end))
        simulation.endInput(.b, at: .milliseconds(end))
        return simulation.run(until: .seconds(600))
    }
}

extension Array where Element == UInt8 {
    /// Whether `needle` occurs anywhere in these bytes.
    func contains(_ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= count else { return needle.isEmpty }
        for start in 0...(count - needle.count) where self[start..<(start + needle.count)].elementsEqual(needle) {
            return true
        }
        return false
    }
}
