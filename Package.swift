// swift-tools-version:6.0
// The package's targets mirror the system's layers; each depends only on the ones below it:
//
//   peer (executable) → PeerCommandLine → Peer (runtime, logging) → PeerGroup → PeerChannel → PeerSession → PeerWire
//                                                                                             → PeerCrypto
//                                                                               → PeerHandshake → PeerCrypto
//                                                                               → PeerIdentity → PeerCrypto
//                                                                 → PeerSeed → PeerSession
//                                                                 → PeerTransport → CPrecisePoll (C: ppoll)
//                                       → PeerSimulation → PeerGroup, PeerChannel, PeerSession, PeerCrypto
//                                       → PeerIdentity (identity, known peers, pre-shared key files) → PeerCrypto
//                                       → CHeapUsage (C: glibc's mallinfo2, for simulate's memory per member)
//   PeerJournal (the state directory's journal: checksummed records, torn tails, damage) depends on nothing yet
//   udp-blast (benchmark baseline) → PeerTransport
//
// PeerWire and PeerTransport know nothing of each other; PeerSession, PeerHandshake and PeerChannel do no I/O;
// PeerCrypto depends on nothing.
import PackageDescription

let package = Package(
    name: "peer",
    products: [
        .library(name: "Peer", targets: ["Peer"]),
        .executable(name: "peer", targets: ["peer"]),
        .executable(name: "udp-blast", targets: ["udp-blast"]),
    ],
    targets: [
        .target(name: "PeerWire"),
        // Hand-written cryptographic primitives, one per file, each checked against standard vectors.
        .target(name: "PeerCrypto"),
        // The Noise handshake (Noise_*_25519_ChaChaPoly_BLAKE2s) as a pure state machine over PeerCrypto.
        .target(name: "PeerHandshake", dependencies: ["PeerCrypto"]),
        .target(name: "PeerSession", dependencies: ["PeerWire", "PeerCrypto"]),
        // Who a peer is and whom it trusts: its identity, known-peers and pre-shared key files.
        .target(name: "PeerIdentity", dependencies: ["PeerCrypto"]),
        // PEER/2: a session's datagrams sealed behind a Noise handshake, trust on first use (sans-I/O).
        .target(name: "PeerChannel", dependencies: [
            "PeerSession", "PeerWire", "PeerCrypto", "PeerHandshake", "PeerIdentity",
        ]),
        // Groups: a member's sessions with every other member, the roster, rooms and names (sans-I/O).
        .target(name: "PeerGroup", dependencies: ["PeerChannel", "PeerSession", "PeerWire", "PeerIdentity"]),
        // What must survive a crash: an append-only journal of checksummed records (docs/STATE.md).
        .target(name: "PeerJournal"),
        .target(name: "PeerTransport", dependencies: ["CPrecisePoll"]),
        // ppoll(2) with a microsecond timeout (Swift's Glibc module does not import ppoll).
        .target(name: "CPrecisePoll"),
        // The bytes the process holds from malloc (mallinfo2, which Swift's Glibc module does not import).
        .target(name: "CHeapUsage"),
        // Virtual-clock harnesses: two endpoints (`Simulation`) and a group of N members (`GroupSimulation`).
        .target(name: "PeerSimulation", dependencies: [
            "PeerSession", "PeerWire", "PeerGroup", "PeerChannel", "PeerCrypto",
        ]),
        // The original classroom clients' wire format, as a second core the runtime can drive (--wire seed).
        .target(name: "PeerSeed", dependencies: ["PeerSession", "PeerWire"]),
        .target(name: "Peer", dependencies: [
            "PeerWire", "PeerSession", "PeerTransport", "PeerSimulation", "PeerSeed", "PeerChannel", "PeerIdentity",
            "PeerGroup", "PeerCrypto",
        ]),
        // Every module a target imports is listed, not only reached through Peer's re-exports: SwiftPM does not
        // always rebuild a target when a module it sees only through a re-export changes its layout.
        .target(name: "PeerCommandLine", dependencies: [
            "Peer", "PeerWire", "PeerSession", "PeerSimulation", "PeerTransport", "PeerSeed", "PeerIdentity",
            "PeerChannel", "PeerCrypto", "PeerGroup", "CHeapUsage",
        ]),
        .executableTarget(name: "peer", dependencies: ["PeerCommandLine"]),
        // The benchmark's baseline: plain sendto/recvfrom between two processes, no protocol at all.
        .executableTarget(name: "udp-blast", dependencies: ["PeerTransport"]),
        // libFuzzer entry point for the decoders, the session, the secure channel and the handshake; built by
        // scripts/fuzz with -DFUZZING.
        .executableTarget(name: "peer-fuzz", dependencies: [
            "PeerWire", "PeerSession", "PeerChannel", "PeerHandshake", "PeerCrypto", "PeerGroup", "PeerJournal",
        ]),
        .testTarget(name: "PeerCryptoTests", dependencies: ["PeerCrypto"], exclude: ["Vectors"]),
        .testTarget(name: "PeerHandshakeTests", dependencies: ["PeerHandshake", "PeerCrypto"], exclude: ["Vectors"]),
        .testTarget(name: "PeerIdentityTests", dependencies: ["PeerIdentity", "PeerCrypto"]),
        .testTarget(name: "PeerChannelTests", dependencies: [
            "PeerChannel", "PeerSession", "PeerWire", "PeerCrypto", "PeerIdentity", "PeerSimulation",
        ]),
        .testTarget(name: "PeerWireTests", dependencies: ["PeerWire", "PeerSimulation"]),
        .testTarget(name: "PeerSessionTests", dependencies: [
            "PeerWire", "PeerSession", "PeerSimulation", "PeerCrypto",
        ]),
        .testTarget(name: "PeerTransportTests", dependencies: ["PeerTransport"]),
        .testTarget(name: "PeerJournalTests", dependencies: ["PeerJournal"]),
        .testTarget(name: "PeerSeedTests", dependencies: ["PeerSeed", "PeerSession", "PeerWire", "PeerSimulation"]),
        .testTarget(name: "PeerGroupTests", dependencies: [
            "PeerGroup", "PeerChannel", "PeerSession", "PeerWire", "PeerCrypto", "PeerIdentity", "PeerSimulation",
        ]),
        .testTarget(name: "PeerTests", dependencies: [
            "Peer", "PeerCommandLine", "PeerGroup", "PeerWire", "PeerSession", "PeerSimulation", "PeerTransport", "PeerSeed",
            "PeerIdentity", "PeerChannel", "PeerCrypto",
        ]),
    ],
    swiftLanguageModes: [.v6]
)
