#!/usr/bin/env python3
"""A hostile sender on loopback, for measuring how a peer holds up (docs/RELIABILITY.md, "A flood").

Sends small PEER-looking datagrams from --source-host (default 127.0.0.2, which on Linux is loopback but not
127.0.0.1, so peer rejects them as "not the destination host") to 127.0.0.1:--port, at --rate datagrams a second,
for --seconds, then stops by itself and prints what it sent. Loopback only: the source must be a 127.x.y.z address
other than 127.0.0.1 and the target is always 127.0.0.1, so it cannot be pointed at another machine. Bounded: at
most 120 s and 10,000,000 datagrams.

usage: flood.py --port N [--rate 60000] [--seconds 30] [--source-host 127.0.0.2] [--max-count N]
"""
import argparse
import ipaddress
import socket
import sys
import time

MAX_SECONDS = 120
MAX_COUNT = 10_000_000

parser = argparse.ArgumentParser(description="a bounded loopback flood from 127.0.0.2")
parser.add_argument("--port", type=int, required=True, help="the peer's listen port on 127.0.0.1")
parser.add_argument("--rate", type=int, default=60_000, help="datagrams a second (default 60000)")
parser.add_argument("--seconds", type=float, default=30, help=f"how long (default 30, at most {MAX_SECONDS})")
parser.add_argument("--source-host", default="127.0.0.2", help="a loopback address other than 127.0.0.1")
parser.add_argument("--max-count", type=int, default=MAX_COUNT, help=f"stop after this many (at most {MAX_COUNT})")
args = parser.parse_args()

source = ipaddress.ip_address(args.source_host)
if not source.is_loopback or source == ipaddress.ip_address("127.0.0.1") or source.version != 4:
    sys.exit("flood.py: --source-host must be a loopback IPv4 address other than 127.0.0.1")
if not 1 <= args.port <= 65535 or args.rate <= 0 or not 0 < args.seconds <= MAX_SECONDS:
    sys.exit(f"flood.py: need 1 <= --port <= 65535, --rate > 0 and 0 < --seconds <= {MAX_SECONDS}")
limit = min(args.max_count, MAX_COUNT, int(args.rate * args.seconds))

sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind((args.source_host, 0))
target = ("127.0.0.1", args.port)
payload = b"PEER/1 ACK from=mallory sid=0000000000000001 ack=0 base=1\n"

# Paced in 10 ms slices: each slice sends what the rate allows by then, then sleeps to the next slice.
start = time.monotonic()
deadline = start + args.seconds
sent = 0
errors = 0
while sent < limit:
    now = time.monotonic()
    if now >= deadline:
        break
    due = min(limit, int((now - start) * args.rate) + 1)
    while sent < due:
        try:
            sock.sendto(payload, target)
        except OSError:
            errors += 1  # e.g. ENOBUFS or ECONNREFUSED from an earlier datagram: counted, never fatal
        sent += 1
    time.sleep(max(0.0, min(0.01, deadline - time.monotonic())))
elapsed = time.monotonic() - start
print(f"flood: sent {sent} datagrams from {args.source_host} to 127.0.0.1:{args.port} in {elapsed:.1f} s "
      f"({sent / elapsed:.0f}/s), {errors} send errors", file=sys.stderr)
