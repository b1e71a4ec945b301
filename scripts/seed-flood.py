#!/usr/bin/env python3
"""Floods a `peer --wire seed` on this machine with distinct lines, as a hostile original client could, and
reports the peer's memory (VmHWM, the peak resident set, from /proc/PID/status).

Loopback only, and bounded: it stops by itself after --seconds or --max-datagrams, whichever comes first, and
also as soon as the watched process's peak memory passes --stop-at-mb (so a leaking build cannot exhaust the
machine). Each datagram carries a distinct text of --size bytes, as a first transmission (`TEXT -N`), a replay
(`TEXT -resend`) or both in turn (--kind mixed, the default). --size above 1024 sends datagrams the original
could never send; `peer` must refuse them.

usage: seed-flood.py --port N [--pid PID] [--seconds 60] [--max-datagrams 5000000] [--size 1000]
                     [--kind first|resend|mixed] [--stop-at-mb 2048]
Measuring (docs/RELIABILITY.md):
  sleep 100 | .build/debug/peer --wire seed --source-port 5102 --listen-port 5103 --dest-port 5101 \
      --linger 1 > /dev/null 2>&1 &
  python3 scripts/seed-flood.py --port 5103 --pid "$(pgrep -n -x peer)" --seconds 60
"""
import argparse
import socket
import sys
import time


def memory_kb(pid, field):
    """The field (VmHWM, VmRSS) of /proc/PID/status in kB, or None once the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


parser = argparse.ArgumentParser(description="flood a --wire seed peer on loopback with distinct lines")
parser.add_argument("--port", type=int, required=True, help="the peer's --listen-port")
parser.add_argument("--pid", type=int, default=None, help="the peer's process id, to report its memory")
parser.add_argument("--seconds", type=float, default=60.0)
parser.add_argument("--max-datagrams", type=int, default=5_000_000)
parser.add_argument("--size", type=int, default=1000, help="bytes of text per datagram (default 1000)")
parser.add_argument("--kind", choices=["first", "resend", "mixed"], default="mixed")
parser.add_argument("--stop-at-mb", type=float, default=2048.0, help="stop once the peer's VmHWM passes this")
args = parser.parse_args()
if not 0 < args.seconds <= 600 or not 0 < args.max_datagrams <= 100_000_000 or not 1 <= args.size <= 65_000:
    sys.exit("seed-flood: --seconds must be in (0, 600], --max-datagrams in (0, 1e8], --size in [1, 65000]")

sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("127.0.0.1", 0))
destination = ("127.0.0.1", args.port)   # loopback only, whatever the arguments
start = time.monotonic()
next_report = start + 10
sent = 0
refused = 0
stopped = "time"
before = memory_kb(args.pid, "VmHWM") if args.pid else None
if before is not None:
    print(f"seed-flood: peer VmHWM at start {before / 1024:.1f} MB", file=sys.stderr, flush=True)
while True:
    now = time.monotonic()
    if now - start >= args.seconds:
        break
    if sent >= args.max_datagrams:
        stopped = "count"
        break
    # Distinct texts with no '-' in them: a counter, padded to the size.
    text = f"flood {sent} ".ljust(args.size, "x")[: args.size] if args.size > 12 else str(sent)[: args.size]
    kind = args.kind if args.kind != "mixed" else ("first" if sent % 2 == 0 else "resend")
    tail = f" -{sent}" if kind == "first" else " -resend"
    try:
        sock.sendto((text + tail).encode(), destination)
    except (ConnectionRefusedError, BlockingIOError):
        refused += 1
    sent += 1
    if sent % 1000 == 0:
        if args.pid:
            peak = memory_kb(args.pid, "VmHWM")
            if peak is None:
                stopped = "peer gone"
                break
            if peak / 1024 > args.stop_at_mb:
                stopped = f"peer passed {args.stop_at_mb:.0f} MB"
                break
            if now >= next_report:
                next_report += 10
                print(f"seed-flood: {now - start:5.1f}s sent={sent} peer VmHWM={peak / 1024:.1f} MB "
                      f"VmRSS={(memory_kb(args.pid, 'VmRSS') or 0) / 1024:.1f} MB", file=sys.stderr, flush=True)
        time.sleep(0)  # let the peer's thread have the core now and then

elapsed = time.monotonic() - start
line = f"seed-flood: stopped ({stopped}) after {elapsed:.1f}s, sent={sent} ({sent / max(elapsed, 1e-9):.0f}/s) " \
       f"size={args.size} kind={args.kind} refused={refused}"
if args.pid:
    peak = memory_kb(args.pid, "VmHWM")
    rss = memory_kb(args.pid, "VmRSS")
    if peak is not None:
        line += f" peer VmHWM={peak / 1024:.1f} MB VmRSS={(rss or 0) / 1024:.1f} MB"
print(line, file=sys.stderr, flush=True)
