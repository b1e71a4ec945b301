#!/usr/bin/env python3
"""A stand-in for the ORIGINAL classroom client, following its rules literally (peer's `--wire seed` talks to it).

Wire format: one UDP datagram per line, `TEXT -COUNT` for a first transmission, COUNT being how many first
transmissions it has received (replays are never counted), and `TEXT -resend` for a replay. Its flaws are kept
on purpose, because they are what peer must cope with:
  - it reads with a 1024-byte buffer (longer datagrams are cut);
  - it parses with split('-')[1]: a '-' inside the text raises and kills the listener thread for good;
  - on ANY first transmission whose COUNT differs from len(sent) it replays its whole log, from a fresh socket,
    without pacing; it never replays on a `-resend`;
  - it prints every datagram it receives, replays included; no names, no heartbeat, no end signal.
Additions for testing only: --drop-rate/--seed (drop outgoing datagrams) and --quit-after-idle (exit once stdin
has ended and nothing has arrived for that long; the original runs for ever). Received datagrams go to stdout,
one per line, exactly as received; a summary goes to stderr at exit.

usage: seed-client.py --source-port N --listen-port N --dest-port N [--dest-host 127.0.0.1]
                      [--drop-rate P] [--seed N] [--quit-after-idle SECONDS]
"""
import argparse
import random
import socket
import sys
import threading
import time

parser = argparse.ArgumentParser(description="the original classroom client, literally")
parser.add_argument("--source-port", type=int, required=True)
parser.add_argument("--listen-port", type=int, required=True)
parser.add_argument("--dest-port", type=int, required=True)
parser.add_argument("--dest-host", default="127.0.0.1")
parser.add_argument("--drop-rate", type=float, default=0.0, help="drop each outgoing datagram with probability P")
parser.add_argument("--seed", type=int, default=None, help="seed for --drop-rate")
parser.add_argument("--quit-after-idle", type=float, default=None, metavar="SECONDS",
                    help="exit once stdin has ended and nothing has arrived for SECONDS (default: run for ever)")
args = parser.parse_args()

dest = (args.dest_host, args.dest_port)
dice = random.Random(args.seed)
sent = []             # every line typed, in order: what a replay repeats
received = 0          # first transmissions received; replays are never counted
stats = {"printed": 0, "sent": 0, "replayed": 0, "dropped": 0}
last_heard = time.monotonic()

send_sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
send_sock.bind(("0.0.0.0", args.source_port))
listen_sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
listen_sock.bind(("0.0.0.0", args.listen_port))
print(f"seed-client: listening on port {args.listen_port}", file=sys.stderr, flush=True)  # testing addition


def transmit(sock, data):
    if dice.random() < args.drop_rate:    # the testing addition: the datagram never leaves
        stats["dropped"] += 1
    else:
        sock.sendto(data, dest)


def listener():
    global received, last_heard
    while True:
        data, _ = listen_sock.recvfrom(1024)
        last_heard = time.monotonic()
        msg = data.decode()
        print(msg, flush=True)
        stats["printed"] += 1
        tag = msg.split('-')[1]           # the original's parse: a '-' in the text makes int() below raise
        if tag == 'resend':
            continue
        count = int(tag)
        received += 1
        if count != len(sent):
            fresh = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            for line in sent:
                transmit(fresh, (line + ' -resend').encode())
                stats["replayed"] += 1
            fresh.close()


thread = threading.Thread(target=listener, daemon=True)
thread.start()

while True:
    try:
        line = input()
    except EOFError:
        break
    transmit(send_sock, (line + ' -' + str(received)).encode())
    sent.append(line)
    stats["sent"] += 1

stdin_ended = time.monotonic()
while args.quit_after_idle is None or time.monotonic() - max(last_heard, stdin_ended) < args.quit_after_idle:
    time.sleep(0.05)

print(f"summary seed-client: sent={stats['sent']} received={received} printed={stats['printed']} "
      f"replayed={stats['replayed']} dropped={stats['dropped']} "
      f"listener={'alive' if thread.is_alive() else 'dead'}", file=sys.stderr)
