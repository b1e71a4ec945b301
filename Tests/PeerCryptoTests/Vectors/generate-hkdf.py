#!/usr/bin/env python3
"""Writes hkdf-blake2s.json: Noise's HKDF (revision 34, section 4.3) over HMAC-BLAKE2s.

A dev-time oracle only (pip install noiseprotocol==0.3.1; never a dependency of the product or the tests).
Each case comes from noiseprotocol's own hkdf() with its default (pyca/cryptography) HMAC-BLAKE2s, and is
checked against a direct computation with Python's hmac + hashlib.blake2s. Same seed, same file."""
import hashlib
import hmac
import importlib.metadata
import json
import os
import random
import sys

from noise.backends.default.hashes import hmac_hash
from noise.functions.hash import hkdf
from cryptography.hazmat.primitives import hashes
from functools import partial


def direct(chaining_key, ikm, outputs):
    mac = lambda key, data: hmac.new(key, data, hashlib.blake2s).digest()
    temp = mac(chaining_key, ikm)
    result, previous = [], b""
    for index in range(1, outputs + 1):
        previous = mac(temp, previous + bytes([index]))
        result.append(previous)
    return result


def main():
    rng = random.Random(5869 + 34)
    blake2s = partial(hashes.BLAKE2s, digest_size=32)
    cases = []
    for ikm_length in [0, 32, 0, 32, 1, 31, 33, 64, 65, 100] + [rng.choice([0, 32, rng.randint(0, 100)]) for _ in range(10)]:
        for outputs in (2, 3):
            chaining_key, ikm = rng.randbytes(32), rng.randbytes(ikm_length)
            got = list(hkdf(chaining_key, ikm, outputs, partial(hmac_hash, algorithm=blake2s)))
            if got != direct(chaining_key, ikm, outputs):
                sys.exit("noiseprotocol and hmac+hashlib disagree")
            cases.append({"chaining_key": chaining_key.hex(), "input_key_material": ikm.hex(),
                          "outputs": [o.hex() for o in got]})
    document = {
        "description": "Noise's HKDF (rev 34, section 4.3) over HMAC-BLAKE2s (block 64): temp = HMAC(ck, ikm), "
                       "out1 = HMAC(temp, 01), out_i = HMAC(temp, out_(i-1) || i). All byte strings lower-case hex.",
        "generator": {"implementation": "noiseprotocol hkdf() + hmac_hash (pyca/cryptography), checked against "
                                        "Python hmac + hashlib.blake2s",
                      "noiseprotocol": importlib.metadata.version("noiseprotocol"),
                      "python": sys.version.split()[0], "script": "generate-hkdf.py", "prng": "random.Random(5903)"},
        "hkdf_blake2s": cases,
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hkdf-blake2s.json")
    with open(path, "w") as out:
        json.dump(document, out, indent=1)
        out.write("\n")


if __name__ == "__main__":
    main()
