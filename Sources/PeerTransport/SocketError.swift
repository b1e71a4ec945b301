import Glibc

/// A socket operation's failure, named so callers can react to the cases they care about without decoding errno.
///
/// Every case has a `description` that reads as a sentence for people, e.g. "port 4000 is already in use".
public enum SocketError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The port is taken by another socket (`EADDRINUSE` from bind).
    case addressInUse(port: UInt16)
    /// The system refused the operation, e.g. binding a privileged port (`EACCES`, `EPERM`).
    case permissionDenied
    /// Nothing listens on the destination port: the peer's host answered with ICMP port unreachable
    /// (`ECONNREFUSED`). Reported only for connected sockets or through delivery-failure reports.
    case connectionRefused
    /// The name could not be resolved; `reason` is the resolver's own explanation (`gai_strerror`).
    case hostNotFound(host: String, reason: String)
    /// No route to the destination's network (`ENETUNREACH`).
    case networkUnreachable
    /// The destination host cannot be reached (`EHOSTUNREACH`).
    case hostUnreachable
    /// The datagram is larger than the path or the socket allows (`EMSGSIZE`).
    case messageTooLong
    /// The kernel has no buffer space for the datagram right now (`ENOBUFS`).
    case noBufferSpace
    /// The address family is unavailable, e.g. IPv6 disabled, or an IPv6 destination on an IPv4 socket
    /// (`EAFNOSUPPORT`).
    case addressFamilyNotSupported
    /// A non-blocking socket has nothing to deliver, or no room to send, right now (`EAGAIN`/`EWOULDBLOCK`).
    case wouldBlock
    /// A signal interrupted the call before it did anything (`EINTR`).
    case interrupted
    /// Any other failure: the C function that failed and its errno.
    case other(call: String, errno: Int32)

    /// Maps an errno value to its named case.
    ///
    /// - Parameters:
    ///   - errno: The value of `errno` right after the failed call.
    ///   - call: The C function that failed, kept for `.other` so the message says what was attempted.
    ///   - port: The port involved, so `.addressInUse` can name it; 0 when not given.
    public init(errno: Int32, call: String, port: UInt16? = nil) {
        switch errno {
        case EADDRINUSE: self = .addressInUse(port: port ?? 0)
        case EACCES, EPERM: self = .permissionDenied
        case ECONNREFUSED: self = .connectionRefused
        case ENETUNREACH: self = .networkUnreachable
        case EHOSTUNREACH: self = .hostUnreachable
        case EMSGSIZE: self = .messageTooLong
        case ENOBUFS: self = .noBufferSpace
        case EAFNOSUPPORT: self = .addressFamilyNotSupported
        case EAGAIN, EWOULDBLOCK: self = .wouldBlock
        case EINTR: self = .interrupted
        default: self = .other(call: call, errno: errno)
        }
    }

    /// A sentence describing the failure for people; never includes a raw errno except for `.other`.
    public var description: String {
        switch self {
        case .addressInUse(let port):
            return "port \(port) is already in use"
        case .permissionDenied:
            return "permission denied by the operating system"
        case .connectionRefused:
            return "the destination refused the datagram (nothing is listening on that port)"
        case .hostNotFound(let host, let reason):
            return "cannot resolve host \"\(host)\": \(reason)"
        case .networkUnreachable:
            return "the network is unreachable"
        case .hostUnreachable:
            return "the host is unreachable"
        case .messageTooLong:
            return "the datagram is too long to send"
        case .noBufferSpace:
            return "the system has no buffer space left for the datagram"
        case .addressFamilyNotSupported:
            return "the address family is not supported here (is IPv6 unavailable?)"
        case .wouldBlock:
            return "the operation would block"
        case .interrupted:
            return "the call was interrupted by a signal"
        case .other(let call, let code):
            return "\(call) failed: \(Syscalls.errorMessage(code)) (errno \(code))"
        }
    }
}
