import Glibc
import PeerChannel
import PeerJournal
import PeerSession
import PeerWire

/// Writes the seed corpus of the PEER/2 targets (`peer-fuzz --write-seeds DIR`): genuine datagrams and handshakes
/// and the attacks on them the fuzzer should start from, so it begins at real traffic rather than at random bytes.
/// The seeds are the same in every process (they name genuine datagrams by position, never by their bytes, which
/// depend on the channels' random keys), so the corpus in fuzz/corpus is reproducible.
enum SeedWriter {
    static func write(into directory: String) {
        save(compactSeeds(), as: "compact", in: directory)
        save(channelSeeds(), as: "channel", in: directory)
        save(handshakeSeeds(), as: "handshake", in: directory)
        save(payloadSeeds(), as: "payload", in: directory)
        save(groupSeeds(), as: "group", in: directory)
        save(journalSeeds(), as: "journal", in: directory)
    }

    /// A journal of three batches, whole and cut short in its last batch, and an empty one.
    static func journalSeeds() -> [[UInt8]] {
        var appender = JournalAppender()
        var whole: [UInt8] = []
        whole += appender.append([JournalRecord(kind: 1, payload: Array("first line".utf8)),
                                  JournalRecord(kind: 2, payload: [])])
        whole += appender.append([JournalRecord(kind: 1, payload: Array("second".utf8))])
        whole += appender.append([JournalRecord(kind: 3, payload: [UInt8](repeating: 7, count: 40))])
        return [whole, Array(whole.prefix(whole.count - 10)), JournalScan.header]
    }

    /// A member run (even first byte): a line typed, an initiation whose ports agree from a stranger, time passing,
    /// a datagram naming an index; and envelope texts (odd first byte) of every form.
    static func groupSeeds() -> [[UInt8]] {
        let member: [UInt8] = [0, 1, 0, 2, 1, 2, 1, 0x13, 0x88] + [UInt8](repeating: 3, count: 40) + [0, 10, 2, 0, 0,
                               2, 4, 1, 2, 3, 4, 0, 0, 0, 0] + [0, 200, 0, 250]
        return [member] + ["hello", "\u{1}rops hi there", "\u{1}pprivate", "\u{1}g\u{1}starts with a mark",
                           "\u{1}chello bob ops dev", "\u{1}cmember " + String(repeating: "ab", count: 32)
                           + " 10.0.0.2 4002 carol", "\u{1}cjoin ops", "\u{1}cnick robert"].map { [1] + Array($0.utf8) }
    }

    /// The compact plaintexts of a conversation between two sealed-carriage sessions, with one datagram in four
    /// from alice lost so that resends, selective acknowledgements and held segments appear; each prefixed by the
    /// context byte (odd: addressed to our run).
    static func compactSeeds() -> [[UInt8]] {
        var sessions = (0..<2).map { side in
            Session(configuration: SessionConfiguration(
                name: ChannelRun.names[side], sessionID: ChannelRun.runs[side],
                carriage: .sealed(overhead: SealedFraming.transportOverhead)), now: .zero)
        }
        var seeds: Set<[UInt8]> = []
        var now = Instant.zero
        var sent = 0
        for (index, text) in ["one", "two", ChannelTarget.longLine, "four", "five", "six"].enumerated() {
            try? sessions[0].submit(text, now: now)
            if index == 1 { try? sessions[0].submit("two and a half", now: now) }
        }
        try? sessions[1].submit("an answer", now: now)
        for side in 0..<2 { sessions[side].finishInput(now: now) }
        for _ in 0..<2_000 {
            for side in 0..<2 {
                if let due = sessions[side].nextTimeout(), due <= now { sessions[side].handleTimeout(now: now) }
                var sink = CollectingSink()
                CoreDriver.drain(&sessions[side], now: now, into: &sink)
                for transmit in sink.transmits {
                    let addressed = transmit.to == ChannelRun.runs[1 - side]
                    seeds.insert([addressed ? 1 : 0] + transmit.bytes)
                    sent += 1
                    if side == 0, sent % 4 == 0 { continue }
                    let context = CompactWire.Context(from: ChannelRun.names[side], session: ChannelRun.runs[side],
                                                      to: transmit.to)
                    guard let datagram = try? CompactWire.decode(transmit.bytes, context: context) else {
                        violated("a genuine compact datagram does not decode: \(transmit.bytes)")
                    }
                    sessions[1 - side].receive(authenticated: datagram, bytes: transmit.bytes.count, now: now)
                }
            }
            guard let deadline = sessions.compactMap({ $0.nextTimeout() }).min() else { break }
            now = max(now + .milliseconds(1), deadline)
        }
        return seeds.sorted { $0.lexicographicallyPrecedes($1) }
    }

    /// For each starting point: the plain conversation; then, at the first deliveries, each genuine datagram sent so
    /// far replayed to either side, and edited at the bytes that matter (kind, indexes, packet number, the sealed
    /// contents, the tag); and losses, delays and duplicates.
    static func channelSeeds() -> [[UInt8]] {
        var seeds: [[UInt8]] = []
        for flavor in UInt8(0)..<8 { seeds.append([flavor]) }
        for flavor: UInt8 in [0, 1, 2, 3, 5] {
            let poolCount = ChannelTarget.starts[Int(flavor)].pool.count
            let replayable = flavor & 1 == 0 ? min(poolCount, 12) : 2
            for index in 0..<replayable {
                for victim: UInt8 in [0, 1] {
                    seeds.append([flavor, 6, victim, UInt8(index), 0])
                }
                // One edit each: a bit of the kind, the first index byte, the packet number, the contents and the
                // tag (bit positions past the end wrap); a cut; a 4-byte overwrite of each index.
                for bit in [0, 8, 40, 200, 8 * 60 - 1] {
                    seeds.append([flavor, 5, 1, UInt8(index), 0, 0, 0, UInt8(bit & 0xFF), UInt8(bit >> 8)])
                }
                seeds.append([flavor, 5, 1, UInt8(index), 0, 0, 1, 40, 0])
                for position: UInt8 in [1, 5] {
                    seeds.append([flavor, 5, 1, UInt8(index), 0, 0, 7, position, 0, 0, 0, 0, 1])
                }
            }
            seeds.append([flavor, 1, 1, 1])
            seeds.append([flavor, 2, 50, 0, 2, 120])
            seeds.append([flavor, 3, 0, 3])
            seeds.append([flavor, 4, 1, 64, 0] + [UInt8](repeating: 4, count: 64))
        }
        return seeds
    }

    /// For each pattern and starting message: the genuine handshake; its messages edited at the public keys,
    /// the sealed static key and the payload's tag; genuine messages out of place, out of turn and after the end.
    static func handshakeSeeds() -> [[UInt8]] {
        var seeds: [[UInt8]] = []
        for pattern: UInt8 in [0, 1] {
            for start: UInt8 in 0..<3 {
                let first = pattern | start << 1
                let step = Int(start)
                seeds.append([first])
                for bit in [0, 255, 256, 511, 640, 8 * 58] {
                    seeds.append([first, 1, UInt8(step), 0, 0, 0, UInt8(bit & 0xFF), UInt8(bit >> 8), 0])
                }
                seeds.append([first, 1, UInt8(step), 0, 0, 1, 31, 0, 0])
                let genuine = HandshakeTarget.transcripts[Int(pattern)].messages[step]
                seeds.append([first, 2, UInt8(genuine.count), UInt8(genuine.count >> 8)] + genuine + [0])
                seeds.append([first, 3, UInt8((step + 1) % 3), 0, 0])
                seeds.append([first, 4, UInt8(step), 0, 0, 8, 0])
                seeds.append([first, 5, 3, 1, 2, 3, 0])
            }
            seeds.append([pattern, 0, 0, 0, 2, 1, 0, 0, 0, 8, 3])
        }
        return seeds
    }

    /// Genuine payloads, one with a name of several UTF-8 bytes, and a run and name for the other direction.
    static func payloadSeeds() -> [[UInt8]] {
        [
            HandshakePayload(index: 1, run: ChannelRun.runs[0], name: "alice").bytes,
            HandshakePayload(index: 0xDEAD_BEEF, run: SessionID(rawValue: 0x0197_A1B2_C3D4_0A1F), name: "zoë").bytes,
            [0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 7] + Array("bob".utf8),
        ]
    }

    static func save(_ seeds: [[UInt8]], as target: String, in directory: String) {
        let folder = directory + "/" + target
        mkdir(directory, 0o755)
        mkdir(folder, 0o755)
        for (index, seed) in seeds.enumerated() {
            let path = folder + "/seed-" + String(index + 1000).dropFirst()
            guard let file = fopen(path, "wb") else { violated("cannot write \(path)") }
            _ = seed.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
            fclose(file)
        }
        print("\(seeds.count) seeds in \(folder)")
    }
}
