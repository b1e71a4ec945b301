/// The command line's help text and exit codes.
public enum Usage {
    /// The version printed by `--version`.
    public static let version = "peer 2.0.0 (protocol PEER/2)"

    /// The short form printed after a usage error, under the sentence that says what is wrong.
    public static let synopsis = """
        usage: peer --listen-port L [--source-port S] [--name NAME] [--peer HOST:PORT]... [options]
               peer --listen-port L [--source-port S] --dest-port N [--dest-host HOST] [--name NAME] [options]
               peer demo [--drop-rate P] [--seed N]
               peer simulate [--workload chat|bulk] [--messages N] [--delay-ms D] [--loss P] [--seeds K] [--peers N]
                             [--json]
               peer id [--name NAME] [--identity FILE]
               peer keygen --psk
               peer forget NAME [--name MYNAME]
               peer decode [--keylog FILE] [HEX ...]
        Run peer --help for every option.
        """

    /// The usage text printed by `--help`.
    public static let text = """
        usage: peer --listen-port L [--source-port S] [--name NAME] [--peer HOST:PORT]...
                    [--dest-port N [--dest-host HOST]]
                    [--drop-rate P] [--duplicate-rate P] [--reorder-rate P] [--delay-ms D[:JITTER]]
                    [--seed N] [--log FILE] [--log-format text|json] [--verbose] [--linger SECONDS]
                    [--wire peer|seed] [--identity FILE] [--expect-key FINGERPRINT] [--psk FILE]
                    [--keylog FILE]
               peer demo [--drop-rate P] [--seed N]
               peer simulate [--workload chat|bulk] [--messages N] [--delay-ms D] [--loss P] [--seeds K]
                             [--reorder P] [--duplicate P] [--peers N] [--json]
               peer id [--name NAME] [--identity FILE]
               peer keygen --psk
               peer forget NAME [--name MYNAME]
               peer decode [--keylog FILE] [HEX ...]
               peer --help | --version

        Chat over UDP with other peers, reliably: each one's messages arrive exactly once and in order.

          --listen-port N      port this peer receives on (1-65535)
          --source-port N      port the send socket is bound to (default: any free port)
          --peer HOST:PORT     another member's listen address (repeatable; [::1]:4000 for IPv6). One is
                               enough to join a running group; with none, wait for others to join
          --dest-port N        the other peer's listen port: the same as --peer HOST:N
          --dest-host HOST     the host for --dest-port (default 127.0.0.1; IPv4 or IPv6)
          --name NAME          your name as the other side sees it (default peer; no spaces, at most 32 bytes)
          --drop-rate P        simulate loss: drop each outgoing datagram with probability P, 0 <= P < 1
          --duplicate-rate P   simulate duplication: send each outgoing datagram twice with probability P
          --reorder-rate P     simulate reordering: hold a datagram back behind the next with probability P
          --delay-ms D[:J]     simulate delay: D ms on every datagram, plus up to J ms of random jitter
          --seed N             seed for the simulation above, to repeat a pattern (default: random, shown)
          --log FILE           write the log to FILE instead of the terminal
          --log-format F       text (default) or json (JSON Lines)
          --verbose            log every datagram, delivery and heartbeat, not only repairs and status
          --linger SECONDS     after end of input, give up on a silent peer after this long (default 5)
          --wire peer|seed     seed: talk to one of the original classroom clients (TEXT -COUNT datagrams),
                               in the clear; peer (default): PEER/2, every datagram encrypted and authenticated
          --identity FILE      use this identity instead of NAME's own (see peer id below)
          --expect-key FP      accept only the key with this fingerprint for the other side, even the first time
          --psk FILE           a pre-shared key both sides must hold (peer keygen --psk > FILE); without it no
                               handshake completes
          --keylog FILE        append each handshake's keys to FILE (made mode 0600), for peer decode; whoever
                               reads FILE can read and forge this conversation

        peer demo: two peers in this process on loopback, losing datagrams both ways, narrated.

        peer simulate runs the protocol between two endpoints on a virtual clock (no sockets) and reports
        what loss costs: transmissions and datagrams per message, latency, time until all were delivered.
          --workload chat|bulk one message every 10 ms (default), or all queued at once
          --messages N         how many 64-byte messages A sends (default 10000)
          --delay-ms D         one-way delay each way (default 1)
          --loss P             loss each way (default 0.1; --drop-rate is accepted too)
          --reorder P          reordering each way (also --reorder-rate)
          --duplicate P        duplication each way (also --duplicate-rate)
          --seeds K            run seeds 1 to K and pool the results (default 10)
          --peers N            a group of N members (2 to 64) instead of A and B: member 1 waits, the others dial
                               it and learn the rest, all at time 0; once every member knows every other, member 1
                               sends the messages to general (N-1 recipients each) over links that all have the
                               delay and loss above. Adds: transmissions per message per recipient, the time
                               until every member knew every other (join), and heap per member: glibc
                               mallinfo2() uordblks + hblkhd after the mesh formed and at the run's peak, less
                               what was held before the members were made, divided by N (the worst seed)
          --json               one JSON object instead of a table

        peer id prints the fingerprint of NAME's identity (an X25519 key pair), to compare aloud; it is created
        on first use in $XDG_STATE_HOME/peer/NAME/identity, else ~/.local/state/peer/NAME/identity (mode 0600).
          --name NAME          whose identity (default peer); for peer forget, whose known peers
          --identity FILE      this identity file instead
        peer keygen --psk prints a new pre-shared key; redirected to a file, it makes the file mode 0600 first.
        peer forget NAME removes NAME's pinned key from the known peers, for when NAME's key changed for a
        good reason; exit status 1 when NAME was not there.

        peer decode reads captured datagrams, in hex, from its arguments or one a line from stdin: each one's
        kind, indexes and packet number, and for a sealed datagram whose keys a --keylog FILE holds (give
        --keylog once per file), its PEER/1 header line and body. Exit status 1 when one could not be read.

        Type a line and press Enter to send it; Ctrl-D (or /quit) ends your side of the conversation.
        Lines starting with / are commands (//text sends the line /text):
          /join ROOM (/create)  join ROOM, creating it, and talk there    /leave ROOM   leave it
          /rooms (/groups)      rooms and their members                   /who [ROOM] (/users)  members
          /msg NAME text (/private)  to NAME alone    /say ROOM text (/public)  to ROOM without switching
          /nick NEW             change your name       /quit (/exit)  end your input     /help  the commands
        Without a terminal on stdout, it shows one line per message received, and nothing else:
        NAME: text in general, #ROOM NAME: text in another room, NAME (private): text for /msg;
        notices (joins, leaves, command results) go to stderr as lines starting with "-- ".
        Names are unique in a group and belong to their keys; --expect-key accepts that one key
        only (a closed conversation of two). Exit status: 0 when everything sent was acknowledged,
        1 when not, 64 for a usage error, 69 when a port cannot be bound, 78 when an identity,
        known-peers or key file is refused or cannot be written (the message says why and how to fix it).
        """

    /// Bad command line (sysexits EX_USAGE).
    public static let usageExitCode: Int32 = 64
    /// A port could not be bound (sysexits EX_UNAVAILABLE).
    public static let unavailableExitCode: Int32 = 69
    /// An identity, known-peers or pre-shared key file was refused (unsafe mode, not a regular file, damaged)
    /// or could not be written (sysexits EX_CONFIG).
    public static let refusedFileExitCode: Int32 = 78
}
