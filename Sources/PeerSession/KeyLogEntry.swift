import PeerCrypto
import PeerWire

/// The keys one completed PEER/2 handshake installed, with what a reader of captured datagrams needs to open them
/// in both directions: the index each direction's datagrams name, the runs and names at both ends. Whoever holds
/// one can read and forge that conversation, so it never appears in an event or the log; only a key log
/// (`--keylog`) receives it.
///
/// It is declared here, beside `MessengerCore`, so that `CoreDriver` can hand it from any core to any sink; only a
/// secure channel configured to export its keys makes one. Its line in a key-log file is `KeyLog` (PeerChannel).
public struct KeyLogEntry: Sendable {
    /// Our index: datagrams the other side seals for us name it, and `receivingKey` opens them.
    public var localIndex: UInt32
    /// The other side's index: datagrams we seal name it, with `sendingKey`.
    public var remoteIndex: UInt32
    /// Our run, the one these keys belong to.
    public var localRun: SessionID
    /// The other side's run, as the handshake authenticated it.
    public var remoteRun: SessionID
    /// Our display name.
    public var localName: String
    /// The other side's display name, as the handshake authenticated it.
    public var remoteName: String
    /// The key of the datagrams we send (32 bytes), wiped when the last copy of the entry goes.
    public var sendingKey: Secret
    /// The key of the datagrams we receive (32 bytes), wiped when the last copy of the entry goes.
    public var receivingKey: Secret

    /// Collects an entry.
    public init(localIndex: UInt32, remoteIndex: UInt32, localRun: SessionID, remoteRun: SessionID,
                localName: String, remoteName: String, sendingKey: Secret, receivingKey: Secret) {
        self.localIndex = localIndex
        self.remoteIndex = remoteIndex
        self.localRun = localRun
        self.remoteRun = remoteRun
        self.localName = localName
        self.remoteName = remoteName
        self.sendingKey = sendingKey
        self.receivingKey = receivingKey
    }
}
