// A libFuzzer target for the wire decoder and the protocol state machine.
//
// scripts/fuzz builds it with `-sanitize=fuzzer,address -DFUZZING`. SwiftPM supplies `main` for an executable
// target, so libFuzzer's own `main` is not used: this file hands control to `LLVMFuzzerRunDriver`. Without
// -DFUZZING (a plain `swift build`) it only explains how to run it.
import Glibc
import PeerSession
import PeerWire

/// One fuzz input: the first byte picks what to exercise, the rest is data.
///
/// - even first byte: the whole rest is one datagram for `Wire.decode`; whatever decodes must encode back to a
///   datagram that decodes to the same value.
/// - odd first byte: the rest is a sequence of datagrams, each prefixed by a 2-byte little-endian length, fed to
///   one `Session` a millisecond apart with its outputs drained; the session must never deliver out of order
///   (within one run of the peer).
func fuzzOne(_ input: UnsafeRawBufferPointer) {
    guard let mode = input.first else { return }
    let data = UnsafeRawBufferPointer(rebasing: input[1...])
    if mode % 2 == 0 {
        if let datagram = try? Wire.decode(data) {
            let again = try? Wire.decode(Wire.encode(datagram))
            precondition(again == datagram, "decode(encode(d)) != d for \(datagram)")
        }
        return
    }
    var session = Session(
        configuration: SessionConfiguration(name: "alice", sessionID: SessionID(rawValue: 0xA_0000)), now: .zero)
    try? session.submit("hello", now: .zero)
    var offset = 0
    var now = Instant.zero
    var order = DeliveryOrderCheck()
    while offset + 2 <= data.count {
        let length = Int(data[offset]) | Int(data[offset + 1]) << 8
        offset += 2
        let end = min(data.count, offset + length)
        now = now + .milliseconds(1)
        session.receive(UnsafeRawBufferPointer(rebasing: data[offset..<end]), now: now)
        offset = end
        if let deadline = session.nextTimeout(), deadline <= now + .milliseconds(1) { session.handleTimeout(now: now) }
        CoreDriver.drain(&session, now: now, into: &order)
    }
}

/// Drains the session as every driver does, and stops the fuzzer at a delivery out of order.
struct DeliveryOrderCheck: CoreSink {
    var lastDelivered: UInt64 = 0

    mutating func log(_ event: Event) {
        // A new run of the peer starts its own sequence numbers.
        if case .peerUp(_, _, .restarted) = event { lastDelivered = 0 }
    }

    mutating func show(_ delivery: Delivery) {
        precondition(delivery.sequence > lastDelivered, "delivered \(delivery.sequence) after \(lastDelivered)")
        lastDelivered = delivery.sequence
    }

    func send(_ transmit: Transmit) {}
}

#if FUZZING
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
    fuzzOne(UnsafeRawBufferPointer(start: bytes, count: count))
    return 0
}

var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { bytes, count in fuzzTestOneInput(bytes, count) })
#else
print("peer-fuzz: build and run it with scripts/fuzz [SECONDS]")
#endif
