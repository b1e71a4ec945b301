// A libFuzzer target for PEER/1's decoder and state machine and PEER/2's sealed datagrams and handshake.
//
// scripts/fuzz builds it with `-sanitize=fuzzer,address -DFUZZING` and runs one target at a time, named by the
// environment variable PEER_FUZZ_TARGET (FuzzTarget below says what each checks). SwiftPM supplies `main` for an
// executable target, so libFuzzer's own `main` is not used: this file hands control to `LLVMFuzzerRunDriver`.
// `peer-fuzz --write-seeds DIR` writes the seed corpus (genuine datagrams and handshakes) into DIR/<target>/;
// without -DFUZZING (a plain `swift build`) that is all it does.
import Glibc

/// What to fuzz. Each target reads the whole input its own way and stops the process (`violated`) when an
/// invariant breaks; a crash, trap or sanitizer report stops it anyway.
enum FuzzTarget: String, CaseIterable {
    /// PEER/1's readable decoder: `WireTarget`.
    case wire
    /// A PEER/1 `Session` fed datagrams: `SessionTarget`.
    case session
    /// PEER/2's compact header decoder: `CompactWireTarget`.
    case compact
    /// Two live secure channels under attack: `ChannelTarget`.
    case channel
    /// The Noise handshake state machine: `HandshakeTarget`.
    case handshake
    /// The handshake payload parser: `HandshakePayloadTarget`.
    case payload
    /// A group member under hostile datagrams, and the group envelope's parser: `GroupTarget`.
    case group
    /// The state directory's journal reader: `JournalTarget`.
    case journal

    func run(_ data: UnsafeRawBufferPointer) {
        switch self {
        case .wire: WireTarget.run(data)
        case .session: SessionTarget.run(data)
        case .compact: CompactWireTarget.run(data)
        case .channel: ChannelTarget.run(data)
        case .handshake: HandshakeTarget.run(data)
        case .payload: HandshakePayloadTarget.run(data)
        case .group: GroupTarget.run(data)
        case .journal: JournalTarget.run(data)
        }
    }

    /// Builds what the target builds once (genuine handshakes, established channels), so that the first input
    /// is not charged for it.
    func prepare() {
        switch self {
        case .channel: _ = ChannelTarget.starts.count
        case .handshake: _ = HandshakeTarget.transcripts.count
        default: break
        }
    }

    /// The target chosen at start, for libFuzzer's C callback (which can capture nothing); set before it runs.
    nonisolated(unsafe) static var selected: FuzzTarget?

    static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }
}

func usage() -> Never {
    let text = """
        peer-fuzz: run it with scripts/fuzz [SECONDS] [TARGET[:SECONDS] ...]; by hand, PEER_FUZZ_TARGET=TARGET peer-fuzz \
        [libFuzzer options] [CORPUS ...] (TARGET one of \(FuzzTarget.names)); or peer-fuzz --write-seeds DIR

        """
    _ = text.withCString { write(2, $0, strlen($0)) }
    exit(2)
}

let arguments = CommandLine.arguments
if arguments.count == 3, arguments[1] == "--write-seeds" {
    SeedWriter.write(into: arguments[2])
    exit(0)
}

#if FUZZING
guard let name = getenv("PEER_FUZZ_TARGET").map({ String(cString: $0) }), let target = FuzzTarget(rawValue: name)
else { usage() }
target.prepare()
FuzzTarget.selected = target

typealias FuzzCallback = @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: FuzzCallback
) -> Int32

/// libFuzzer's usual entry point. Its runtime is linked whole and refers to it, so it must exist; it is also what
/// the driver below calls for each input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
    guard let bytes else { return 0 }
    FuzzTarget.selected?.run(UnsafeRawBufferPointer(start: bytes, count: count))
    return 0
}

var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { bytes, count in fuzzTestOneInput(bytes, count) })
#else
usage()
#endif
