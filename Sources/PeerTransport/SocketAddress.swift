/// An IPv4 or IPv6 host address together with a UDP port: where a datagram goes to or came from.
///
/// Values are plain data: comparing two addresses compares family, address bytes, IPv6 zone and port. Use
/// `isSameHost(as:)` to compare hosts regardless of port and of IPv4-mapped IPv6 spelling.
public struct SocketAddress: Hashable, Sendable, CustomStringConvertible {
    /// Which IP version an address belongs to.
    public enum Family: Sendable, Hashable {
        /// IPv4 (`AF_INET`).
        case ipv4
        /// IPv6 (`AF_INET6`), including IPv4-mapped addresses.
        case ipv6
    }

    /// The address bytes, kept in the kernel's own byte order so conversion to `sockaddr` is a copy.
    enum Storage: Hashable, Sendable {
        /// `in_addr.s_addr`, network byte order.
        case ipv4(UInt32)
        /// The 16 bytes of `in6_addr` as two raw words, plus the zone (interface index) for link-local addresses.
        case ipv6(high: UInt64, low: UInt64, scopeID: UInt32)
    }

    let storage: Storage

    /// The UDP port, in host byte order.
    public let port: UInt16

    init(storage: Storage, port: UInt16) {
        self.storage = storage
        self.port = port
    }

    /// The IP version of the host address.
    public var family: Family {
        switch storage {
        case .ipv4: return .ipv4
        case .ipv6: return .ipv6
        }
    }

    /// The host address as numeric text, e.g. "127.0.0.1" or "::1"; an IPv6 zone is appended as "%index".
    public var host: String {
        switch storage {
        case .ipv4(let raw):
            return Syscalls.format(Self.inAddr(raw))
        case .ipv6(let high, let low, let scopeID):
            let text = Syscalls.format(Self.in6Addr(high: high, low: low))
            return scopeID == 0 ? text : "\(text)%\(scopeID)"
        }
    }

    /// "host:port", with IPv6 hosts bracketed as in URLs: "127.0.0.1:4000" or "[::1]:4000".
    public var description: String {
        switch storage {
        case .ipv4: return "\(host):\(port)"
        case .ipv6: return "[\(host)]:\(port)"
        }
    }

    /// Parses a numeric IPv4 or IPv6 address; never consults DNS, so it is fast and cannot block.
    ///
    /// IPv4 must be a strict dotted quad ("127.0.0.1"; not "127.1"). IPv6 may carry a zone, by interface index or
    /// name ("fe80::1%2", "fe80::1%eth0"). Brackets are not accepted: strip them when parsing "[::1]:4000".
    /// - Parameters:
    ///   - numericHost: The address text.
    ///   - port: The UDP port.
    /// - Returns: nil when the text is not an address literal (for example "999.1.1.1", "" or "abc").
    public init?(numericHost: String, port: UInt16) {
        // A NUL would silently cut the text short once it reaches C.
        guard !numericHost.utf8.contains(0) else {
            return nil
        }
        if let address = Syscalls.parseIPv4(numericHost) {
            self.init(storage: .ipv4(address.s_addr), port: port)
            return
        }
        var literal = Substring(numericHost)
        var scopeID: UInt32 = 0
        if let percent = numericHost.firstIndex(of: "%") {
            let zone = String(numericHost[numericHost.index(after: percent)...])
            guard let index = UInt32(zone) ?? Syscalls.interfaceIndex(named: zone), index != 0 else {
                return nil
            }
            literal = numericHost[..<percent]
            scopeID = index
        }
        guard let address = Syscalls.parseIPv6(String(literal)) else {
            return nil
        }
        let words = Self.words(of: address)
        self.init(storage: .ipv6(high: words.high, low: words.low, scopeID: scopeID), port: port)
    }

    /// The loopback address of a family ("127.0.0.1" or "::1") at `port`.
    ///
    /// - Parameters:
    ///   - family: Which loopback; IPv4 unless told otherwise.
    ///   - port: The UDP port.
    /// - Returns: The address; always succeeds, whether or not the machine has that loopback configured.
    public static func loopback(_ family: Family = .ipv4, port: UInt16) -> SocketAddress {
        switch family {
        case .ipv4:
            return SocketAddress(storage: .ipv4(UInt32(0x7F00_0001).bigEndian), port: port)
        case .ipv6:
            var bytes = [UInt8](repeating: 0, count: 16)
            bytes[15] = 1
            return SocketAddress(ipv6Bytes: bytes, scopeID: 0, port: port)
        }
    }

    /// The wildcard address ("0.0.0.0" or "::") that binds every local interface.
    static func any(_ family: Family, port: UInt16) -> SocketAddress {
        switch family {
        case .ipv4: return SocketAddress(storage: .ipv4(0), port: port)
        case .ipv6: return SocketAddress(storage: .ipv6(high: 0, low: 0, scopeID: 0), port: port)
        }
    }

    /// Resolves a host name or address literal to one address, using the system resolver (getaddrinfo).
    ///
    /// Literals are parsed directly without asking the resolver. Of several results the first IPv4 one is preferred,
    /// because IPv4 works on more networks; otherwise the first IPv6 one. This call may block while DNS answers.
    /// - Parameters:
    ///   - host: A name such as "localhost" or a literal such as "192.0.2.1" or "::1".
    ///   - port: The UDP port to attach to the result.
    /// - Returns: The chosen address.
    /// - Throws: `.hostNotFound(host:reason:)` when the name does not resolve, is empty, or has no IP address.
    public static func resolve(host: String, port: UInt16) throws(SocketError) -> SocketAddress {
        guard !host.isEmpty else {
            throw .hostNotFound(host: host, reason: "the host name is empty")
        }
        guard !host.utf8.contains(0) else {
            throw .hostNotFound(host: host, reason: "the host name contains a NUL character")
        }
        if let literal = SocketAddress(numericHost: host, port: port) {
            return literal
        }
        let candidates = try Syscalls.resolve(host: host)
        guard let chosen = candidates.first(where: { $0.family == .ipv4 }) ?? candidates.first else {
            throw .hostNotFound(host: host, reason: "the name has no IPv4 or IPv6 address")
        }
        return chosen.withPort(port)
    }

    /// Tells whether two addresses name the same host, whatever their ports.
    ///
    /// An IPv4-mapped IPv6 address ("::ffff:127.0.0.1") equals its IPv4 form, because a dual-stack socket reports
    /// IPv4 peers that way.
    /// - Parameter other: The address to compare with.
    /// - Returns: true when the host addresses (and IPv6 zones) match.
    public func isSameHost(as other: SocketAddress) -> Bool {
        unmappedToIPv4().withPort(0) == other.unmappedToIPv4().withPort(0)
    }

    /// The same host address with a different port.
    ///
    /// - Parameter port: The new port.
    /// - Returns: A copy of `self` with `port` replaced.
    public func withPort(_ port: UInt16) -> SocketAddress {
        SocketAddress(storage: storage, port: port)
    }
}
