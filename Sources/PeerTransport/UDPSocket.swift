import Glibc
import Synchronization

/// A UDP socket bound to a local port: sends datagrams to any address and receives them from anyone.
///
/// The socket owns its file descriptor and closes it in `deinit` if `close()` was not called first. The type is
/// `Sendable` without `@unchecked`: its only mutable state (the descriptor and two flags) lives in atomics. Each call
/// is a single system call, so several threads may send and receive at once; but a descriptor number is reused by
/// the kernel as soon as it is closed, so do not call `close()` while another thread may still be using the socket.
///
/// About errors the network reports later: when a datagram reaches a host where nothing listens on the port, that host
/// answers with ICMP "port unreachable". Linux hands such a report to an *unconnected* UDP socket only when asked to
/// with `IP_RECVERR`; otherwise it is dropped silently. So either call `connect(to:)` (the socket then talks to that
/// one peer, and the error surfaces as `.connectionRefused` from a later `send`, `receive` or `takePendingError()`),
/// or call `enableDeliveryFailureReports()` and collect `DeliveryFailure`s, which name the unreachable destination,
/// with `takeDeliveryFailure()`.
public final class UDPSocket: Sendable {
    private let descriptor: Atomic<Int32>
    private let isConnected: Atomic<Bool>
    private let reportsDeliveryFailures: Atomic<Bool>

    /// The IP version of the socket. An IPv6 socket opened with `dualStack` also reaches IPv4 peers.
    public let family: SocketAddress.Family

    private init(descriptor: Int32, family: SocketAddress.Family) {
        self.descriptor = Atomic(descriptor)
        self.isConnected = Atomic(false)
        self.reportsDeliveryFailures = Atomic(false)
        self.family = family
    }

    deinit {
        close()
    }

    /// Opens a UDP socket bound to the wildcard address ("0.0.0.0" or "::") of a family, i.e. on every interface.
    ///
    /// An IPv6 socket is made IPv6-only unless `dualStack` is true, explicitly in both cases so the outcome does not
    /// depend on the system's `bindv6only` setting. A dual-stack socket also receives from IPv4 peers (the kernel sees
    /// them as IPv4-mapped addresses; this type reports them as IPv4) and can send to IPv4 destinations.
    /// - Parameters:
    ///   - family: IPv4 or IPv6.
    ///   - port: The local port; 0 lets the system choose a free one (learn it with `localAddress()`).
    ///   - dualStack: For IPv6, whether IPv4 peers may use the socket too. Ignored for IPv4.
    ///   - nonBlocking: When true (the default), `send` and `receive` throw `.wouldBlock` instead of waiting; pair with
    ///     `Poller.wait`.
    /// - Returns: The bound socket.
    /// - Throws: `.addressInUse(port:)` naming `port` when it is taken; `.permissionDenied` for a privileged port;
    ///   `.addressFamilyNotSupported` when the machine has no IPv6. Nothing is left open on failure.
    public static func bound(
        family: SocketAddress.Family,
        port: UInt16,
        dualStack: Bool = false,
        nonBlocking: Bool = true
    ) throws(SocketError) -> UDPSocket {
        try open(binding: .any(family, port: port), ipv6Only: !dualStack, nonBlocking: nonBlocking)
    }

    /// Opens a UDP socket bound to one local address, e.g. 127.0.0.1 so that only this machine can reach it.
    ///
    /// An IPv6 socket is IPv6-only unless `address` is IPv4-mapped.
    /// - Parameters:
    ///   - address: The local address and port (0 for a system-chosen port).
    ///   - nonBlocking: When true (the default), `send` and `receive` throw `.wouldBlock` instead of waiting.
    /// - Returns: The bound socket.
    /// - Throws: `.addressInUse(port:)` when the port is taken; `.other(call: "bind", …)` when the address does not
    ///   belong to this machine; `.addressFamilyNotSupported` without IPv6. Nothing is left open on failure.
    public static func bound(to address: SocketAddress, nonBlocking: Bool = true) throws(SocketError) -> UDPSocket {
        let isMapped = address.family == .ipv6 && address.unmappedToIPv4().family == .ipv4
        return try open(binding: address, ipv6Only: !isMapped, nonBlocking: nonBlocking)
    }

    private static func open(
        binding address: SocketAddress,
        ipv6Only: Bool,
        nonBlocking: Bool
    ) throws(SocketError) -> UDPSocket {
        let domain = address.family == .ipv4 ? AF_INET : AF_INET6
        let descriptor = try Syscalls.socket(domain: domain, nonBlocking: nonBlocking)
        do throws(SocketError) {
            if address.family == .ipv6 {
                let value: Int32 = ipv6Only ? 1 : 0
                try Syscalls.setOption(descriptor, level: Int32(IPPROTO_IPV6), name: IPV6_V6ONLY, value: value)
            }
            try Syscalls.bind(descriptor, to: address)
        } catch {
            Syscalls.close(descriptor)
            throw error
        }
        return UDPSocket(descriptor: descriptor, family: address.family)
    }

    /// The underlying file descriptor, for waiting on it; -1 once the socket is closed.
    public var fileDescriptor: Int32 {
        descriptor.load(ordering: .acquiring)
    }

    /// The address the socket is bound to, e.g. to learn which port the system chose for port 0.
    ///
    /// - Returns: The local address; a wildcard bind reports "0.0.0.0" or "::".
    /// - Throws: `.other(call: "getsockname", …)` when the socket is closed.
    public func localAddress() throws(SocketError) -> SocketAddress {
        try Syscalls.localAddress(fileDescriptor)
    }

    /// Fixes the socket's peer, so that ICMP errors about that peer reach the socket (see the type's notes).
    ///
    /// Afterwards the kernel delivers only datagrams from `peer`, and a closed destination port shows up as
    /// `.connectionRefused` from a later `send`, `receive` or `takePendingError()`. When `send` reports it, that
    /// datagram was not sent.
    /// - Parameter peer: The only address to talk to; an IPv4 peer of a dual-stack socket is mapped automatically.
    /// - Throws: `.addressFamilyNotSupported` for an IPv6 peer of an IPv4 socket; otherwise the `connect` failure.
    public func connect(to peer: SocketAddress) throws(SocketError) {
        let target = try kernelAddress(for: peer)
        try Syscalls.connect(fileDescriptor, to: target)
        isConnected.store(true, ordering: .releasing)
    }

    /// Asks the kernel to queue a `DeliveryFailure` for each ICMP error about a datagram this socket sent.
    ///
    /// This is how an unconnected socket that talks to many peers learns that one of them is unreachable (sets
    /// `IP_RECVERR`, and `IPV6_RECVERR` on IPv6 sockets). Once enabled, `Poller.wait` reports `.error` while reports
    /// are queued, so drain them with `takeDeliveryFailure()`. Such an error also fails the socket's next system
    /// call; on an unconnected socket `send` and `receive` recognise that stale error and retry once, so a send to
    /// one peer is not lost because another is unreachable.
    /// - Throws: The `setsockopt` failure, which leaves reports disabled.
    public func enableDeliveryFailureReports() throws(SocketError) {
        let descriptor = fileDescriptor
        // A dual-stack socket's IPv4 traffic is governed by the IPv4 option, so IPv6 sockets set both.
        try Syscalls.setOption(descriptor, level: Int32(IPPROTO_IP), name: IP_RECVERR, value: 1)
        if family == .ipv6 {
            try Syscalls.setOption(descriptor, level: Int32(IPPROTO_IPV6), name: IPV6_RECVERR, value: 1)
        }
        reportsDeliveryFailures.store(true, ordering: .releasing)
    }

    /// Takes the oldest queued delivery failure, if any. Never blocks.
    ///
    /// Only populated after `enableDeliveryFailureReports()`. Taking a report also clears the matching
    /// `takePendingError()` state.
    /// - Returns: The failure with the destination it concerns, or nil when none is queued.
    /// - Throws: The `recvmsg` failure, e.g. when the socket is closed.
    public func takeDeliveryFailure() throws(SocketError) -> DeliveryFailure? {
        let descriptor = fileDescriptor
        while let entry = try Syscalls.receiveQueuedError(descriptor) {
            // Entries without an extended error (none are expected for UDP) carry nothing to report.
            guard entry.code != 0 else {
                continue
            }
            let destination = SocketAddress(storage: entry.destination, length: entry.destinationLength)
            return DeliveryFailure(
                error: SocketError(errno: entry.code, call: "sendto"),
                destination: destination?.unmappedToIPv4()
            )
        }
        return nil
    }

    /// Sends one datagram (sendto(2)).
    ///
    /// An IPv4 destination on an IPv6 socket is sent as an IPv4-mapped address, which reaches it when the socket is
    /// dual-stack. Success means the kernel accepted the datagram, not that anyone received it.
    /// - Parameters:
    ///   - bytes: The whole datagram.
    ///   - destination: Where to send it.
    /// - Throws: `.wouldBlock` when a non-blocking socket's send buffer is full; `.messageTooLong` when the datagram
    ///   is too large; `.addressFamilyNotSupported` for an IPv6 destination on an IPv4 socket; `.connectionRefused`
    ///   on a connected socket whose peer refused an earlier datagram (this one was then not sent).
    public func send(_ bytes: UnsafeRawBufferPointer, to destination: SocketAddress) throws(SocketError) {
        let target = try kernelAddress(for: destination)
        let descriptor = fileDescriptor
        _ = try retryingStaleError { () throws(SocketError) -> Int in
            try Syscalls.send(descriptor, bytes, to: target)
        }
    }

    /// Sends one datagram held in an array; see `send(_:to:)` for the raw-buffer form's promises.
    ///
    /// - Parameters:
    ///   - bytes: The whole datagram.
    ///   - destination: Where to send it.
    /// - Throws: As the raw-buffer form.
    public func send(_ bytes: [UInt8], to destination: SocketAddress) throws(SocketError) {
        let outcome = bytes.withUnsafeBytes { raw -> Result<Void, SocketError> in
            do throws(SocketError) {
                try send(raw, to: destination)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try outcome.get()
    }

    /// Receives one datagram into the caller's buffer (recvfrom(2)).
    ///
    /// - Parameter buffer: Where the datagram's bytes go. A longer datagram is cut to fit and reported as truncated;
    ///   its remainder is lost.
    /// - Returns: The byte count, the sender (IPv4-mapped senders reported as IPv4) and whether it was truncated.
    /// - Throws: `.wouldBlock` when a non-blocking socket has nothing waiting; `.connectionRefused` on a connected
    ///   socket whose peer refused an earlier datagram.
    public func receive(into buffer: UnsafeMutableRawBufferPointer) throws(SocketError) -> ReceivedDatagram {
        let descriptor = fileDescriptor
        let received = try retryingStaleError { () throws(SocketError) in
            try Syscalls.receive(descriptor, into: buffer)
        }
        guard let source = SocketAddress(storage: received.source, length: received.sourceLength) else {
            throw .addressFamilyNotSupported
        }
        return ReceivedDatagram(
            count: min(received.length, buffer.count),
            source: source.unmappedToIPv4(),
            truncated: received.length > buffer.count
        )
    }

    /// Takes and clears the socket's pending asynchronous error (getsockopt `SO_ERROR`).
    ///
    /// On a connected socket this is where an ICMP port unreachable for an earlier send appears, as
    /// `.connectionRefused`. An unconnected socket only gets one with delivery-failure reports enabled, and then
    /// `takeDeliveryFailure()` is the better call, because it also says which destination failed.
    /// - Returns: The pending error, nil when there is none, or the `getsockopt` failure itself (e.g. once closed).
    public func takePendingError() -> SocketError? {
        do throws(SocketError) {
            let code = try Syscalls.option(fileDescriptor, level: SOL_SOCKET, name: SO_ERROR)
            return code == 0 ? nil : SocketError(errno: code, call: "socket")
        } catch {
            return error
        }
    }

    /// Asks for a receive buffer of `bytes` (`SO_RCVBUF`), so bursts are not dropped; best effort.
    ///
    /// - Parameter bytes: The requested size. Linux doubles it for bookkeeping and caps it at `rmem_max`.
    /// - Returns: The size the kernel reports afterwards, or 0 if it cannot be read.
    @discardableResult
    public func setReceiveBufferSize(_ bytes: Int) -> Int {
        setBufferSize(bytes, option: SO_RCVBUF)
    }

    /// Asks for a send buffer of `bytes` (`SO_SNDBUF`); best effort.
    ///
    /// - Parameter bytes: The requested size. Linux doubles it for bookkeeping and caps it at `wmem_max`.
    /// - Returns: The size the kernel reports afterwards, or 0 if it cannot be read.
    @discardableResult
    public func setSendBufferSize(_ bytes: Int) -> Int {
        setBufferSize(bytes, option: SO_SNDBUF)
    }

    /// Closes the socket now; later calls fail with a closed-descriptor error. Calling it again does nothing.
    public func close() {
        let old = descriptor.exchange(-1, ordering: .acquiringAndReleasing)
        if old >= 0 {
            Syscalls.close(old)
        }
    }

    private func setBufferSize(_ bytes: Int, option: Int32) -> Int {
        let descriptor = fileDescriptor
        let requested = Int32(clamping: max(bytes, 0))
        // Best effort by contract: a refused size leaves the old one, which the read-back below reports.
        try? Syscalls.setOption(descriptor, level: SOL_SOCKET, name: option, value: requested)
        let actual = try? Syscalls.option(descriptor, level: SOL_SOCKET, name: option)
        return Int(actual ?? 0)
    }

    /// The form of `address` the kernel accepts for this socket's family.
    private func kernelAddress(for address: SocketAddress) throws(SocketError) -> SocketAddress {
        switch family {
        case .ipv6:
            return address.mappedToIPv6()
        case .ipv4:
            let plain = address.unmappedToIPv4()
            guard plain.family == .ipv4 else {
                throw .addressFamilyNotSupported
            }
            return plain
        }
    }

    /// Runs a send or receive, retrying once when the failure may be a stale delivery error.
    ///
    /// Linux fails the next system call on a socket with any pending ICMP error, even when that call concerns a
    /// different peer, and consumes the error in doing so. On an unconnected socket with reports enabled the error
    /// stays in the error queue for `takeDeliveryFailure()`, so the failed call is simply repeated; a failure that
    /// really belongs to this call happens again and is thrown.
    private func retryingStaleError<Value>(
        _ body: () throws(SocketError) -> Value
    ) throws(SocketError) -> Value {
        do throws(SocketError) {
            return try body()
        } catch {
            let mayBeStale = error != .wouldBlock
                && reportsDeliveryFailures.load(ordering: .acquiring)
                && !isConnected.load(ordering: .acquiring)
            guard mayBeStale else {
                throw error
            }
            return try body()
        }
    }
}
