#!/usr/bin/env python3
"""Writes noise-extra.json: Noise_XXpsk0 and Noise_IKpsk2 _25519_ChaChaPoly_BLAKE2s vectors, variants A and B.

A dev-time oracle only: `pip install noiseprotocol==0.3.1` (it pulls in pyca/cryptography). Never a dependency
of the product or of the tests, which read only the JSON this writes.

It drives noiseprotocol exactly as shared/vectors/generate.py does (same inputs per variant, drawn from
random.Random(1000 + ord(variant)), same layout), and first proves that: it regenerates the four protocols
already in noise.json (copied from shared/vectors) and exits if any byte differs. Same library, same file."""
import importlib.metadata
import json
import os
import random
import sys
import warnings

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives import serialization
from noise.connection import NoiseConnection, Keypair

HERE = os.path.dirname(os.path.abspath(__file__))
NEW = ["Noise_XXpsk0_25519_ChaChaPoly_BLAKE2s", "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s"]
KNOWN = ["Noise_XX_25519_ChaChaPoly_BLAKE2s", "Noise_IK_25519_ChaChaPoly_BLAKE2s",
         "Noise_XXpsk3_25519_ChaChaPoly_BLAKE2s", "Noise_NNpsk0_25519_ChaChaPoly_BLAKE2s"]


def check(condition, what):
    if not condition:
        sys.exit("check failed: " + what)


def public(private):
    key = X25519PrivateKey.from_private_bytes(private).public_key()
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def pattern_lines(conn):
    p = conn.noise_protocol.pattern
    lines = []
    for side, pre in (("->", p.pre_messages[0]), ("<-", p.pre_messages[1])):
        if pre:
            lines.append("%s %s (pre-message)" % (side, ", ".join(pre)))
    for i, tokens in enumerate(p.tokens):
        lines.append("%s %s" % ("->" if i % 2 == 0 else "<-", ", ".join(tokens)))
    return lines


def run(name, inp):
    """One handshake and six transport messages with noiseprotocol, in the cacophony/snow layout."""
    uses_psk = "psk" in name
    base = name.split("_")[1].split("psk")[0]
    init_needs_s, resp_needs_s, init_knows_rs = base[0] in "XIK", base[1] in "XK", base[1] == "K"
    ini, res = NoiseConnection.from_name(name.encode()), NoiseConnection.from_name(name.encode())
    ini.set_as_initiator()
    res.set_as_responder()
    for side in (ini, res):
        side.set_prologue(inp["prologue"])
        if uses_psk:
            side.set_psks(psk=inp["psk"])
    if init_needs_s:
        ini.set_keypair_from_private_bytes(Keypair.STATIC, inp["init_static"])
    if resp_needs_s:
        res.set_keypair_from_private_bytes(Keypair.STATIC, inp["resp_static"])
    if init_knows_rs:
        ini.set_keypair_from_public_bytes(Keypair.REMOTE_STATIC, public(inp["resp_static"]))
    ini.set_keypair_from_private_bytes(Keypair.EPHEMERAL, inp["init_ephemeral"])
    res.set_keypair_from_private_bytes(Keypair.EPHEMERAL, inp["resp_ephemeral"])
    lines = pattern_lines(ini)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "ephemeral keypair already set": intended
        ini.start_handshake()
        res.start_handshake()
    messages, payloads, i = [], list(inp["payloads"]), 0
    while not (ini.handshake_finished and res.handshake_finished):
        sender, receiver = (ini, res) if i % 2 == 0 else (res, ini)
        ciphertext = bytes(sender.write_message(payloads[i]))
        check(bytes(receiver.read_message(ciphertext)) == payloads[i], "handshake payload round trip")
        messages.append({"payload": payloads[i].hex(), "ciphertext": ciphertext.hex(),
                         "sender": "initiator" if i % 2 == 0 else "responder", "phase": "handshake"})
        i += 1
    handshake_count = i
    check(ini.get_handshake_hash() == res.get_handshake_hash(), "handshake hash agrees")
    k_i2r, k_r2i = ini.noise_protocol.cipher_state_encrypt.k, ini.noise_protocol.cipher_state_decrypt.k
    check(k_i2r == res.noise_protocol.cipher_state_decrypt.k and k_r2i == res.noise_protocol.cipher_state_encrypt.k,
          "split keys agree")
    while i < len(payloads):
        sender, receiver = (ini, res) if i % 2 == 0 else (res, ini)
        ciphertext = sender.encrypt(payloads[i])
        check(receiver.decrypt(ciphertext) == payloads[i], "transport round trip")
        messages.append({"payload": payloads[i].hex(), "ciphertext": ciphertext.hex(),
                         "sender": "initiator" if i % 2 == 0 else "responder", "phase": "transport"})
        i += 1
    v = {"protocol_name": name, "init_prologue": inp["prologue"].hex()}
    if uses_psk:
        v["init_psks"] = [inp["psk"].hex()]
    if init_needs_s:
        v["init_static"] = inp["init_static"].hex()
    v["init_ephemeral"] = inp["init_ephemeral"].hex()
    if init_knows_rs:
        v["init_remote_static"] = public(inp["resp_static"]).hex()
    v["resp_prologue"] = inp["prologue"].hex()
    if uses_psk:
        v["resp_psks"] = [inp["psk"].hex()]
    if resp_needs_s:
        v["resp_static"] = inp["resp_static"].hex()
    v["resp_ephemeral"] = inp["resp_ephemeral"].hex()
    v["handshake_hash"] = ini.get_handshake_hash().hex()
    v["messages"] = messages
    extra = {"handshake_pattern": lines, "handshake_message_count": handshake_count,
             "init_ephemeral_public": public(inp["init_ephemeral"]).hex(),
             "resp_ephemeral_public": public(inp["resp_ephemeral"]).hex()}
    if init_needs_s:
        extra["init_static_public"] = public(inp["init_static"]).hex()
    if resp_needs_s:
        extra["resp_static_public"] = public(inp["resp_static"]).hex()
    extra["transport_key_initiator_to_responder"] = k_i2r.hex()
    extra["transport_key_responder_to_initiator"] = k_r2i.hex()
    v["extra"] = extra
    return v


def inputs(variant):
    """The inputs generate.py draws for a variant, in the same order from the same seed."""
    rng = random.Random(1000 + ord(variant))
    keys = {"init_static": rng.randbytes(32), "init_ephemeral": rng.randbytes(32),
            "resp_static": rng.randbytes(32), "resp_ephemeral": rng.randbytes(32), "psk": rng.randbytes(32)}
    if variant == "A":
        keys["prologue"] = b"swift-vectors prologue A"
        handshake = [("handshake message %d payload" % (j + 1)).encode() for j in range(3)]
        transport = [("transport message %d" % (j + 1)).encode() * (j + 1) for j in range(6)]
    else:
        keys["prologue"] = b""
        handshake = [b""] * 3
        transport = [b"", b"", rng.randbytes(1), rng.randbytes(100), rng.randbytes(1000), rng.randbytes(16)]
    keys["payloads"] = handshake + transport
    return keys


def vector(name, variant):
    inp = dict(inputs(variant))
    if not name.split("_")[1].startswith("XX"):  # two handshake messages: drop the third handshake payload
        inp["payloads"] = inp["payloads"][:2] + inp["payloads"][3:]
    first, second = run(name, inp), run(name, inp)
    check(first == second, "determinism " + name)
    first["extra"]["variant"] = variant
    return first


def main():
    with open(os.path.join(HERE, "noise.json")) as known_file:
        known = json.load(known_file)["vectors"]
    for old in known:
        check(vector(old["protocol_name"], old["extra"]["variant"]) == old,
              "reproduces noise.json's " + old["protocol_name"] + " " + old["extra"]["variant"])
    check(sorted({v["protocol_name"] for v in known}) == sorted(KNOWN), "noise.json holds the four known protocols")
    document = {
        "description": "Noise Protocol Framework (revision 34) handshakes + transport messages, in the cacophony/snow "
                       "layout of noise.json (see shared/vectors/README.md). All byte strings lower-case hex.",
        "generator": {"implementation": "noiseprotocol (Python) with its default backend = pyca/cryptography, driven "
                                        "as shared/vectors/generate.py does; reproduces noise.json byte for byte",
                      "noiseprotocol": importlib.metadata.version("noiseprotocol"),
                      "cryptography": importlib.metadata.version("cryptography"),
                      "python": sys.version.split()[0], "script": "generate-extra.py",
                      "prng": "random.Random(1065) for variant A, random.Random(1066) for variant B"},
        "vectors": [vector(name, variant) for variant in ("A", "B") for name in NEW],
    }
    with open(os.path.join(HERE, "noise-extra.json"), "w") as out:
        json.dump(document, out, indent=1)
        out.write("\n")


if __name__ == "__main__":
    main()
