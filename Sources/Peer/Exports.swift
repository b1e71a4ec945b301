// `import Peer` brings the whole library: the wire format, the protocol core, the simulator and the transport.
@_exported import PeerSeed
@_exported import PeerSession
@_exported import PeerSimulation
@_exported import PeerTransport
@_exported import PeerWire
