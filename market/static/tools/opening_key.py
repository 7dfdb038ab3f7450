#!/usr/bin/env python3
"""Opening keys (开标密钥) on your own computer, without the browser.

Needs Python 3.9+ and pycryptodome 4.5 or later (``pip install pycryptodome``).  Nothing here talks to
the network: you carry the files to and from the platform yourself.

    python opening_key.py generate KEYFILE.json [--holder ACCOUNT]
        Make a new key pair.  The file holds the private key: keep it offline, never send it.
        Prints the public key to paste on the platform's "opening keys" page.

    python opening_key.py check KEYFILE.json
        Check that a key file is whole; print its key id and public key.

    python opening_key.py unwrap KEYFILE.json SEALED-SHARES.json OUT.json
        At an opening: open your sealed shares (downloaded from the opening page) with your key
        and write the shares to upload on that page.  Only OUT.json goes back to the platform.

The formats are those of the platform's market/domain/sealing.py and static/js/opening-key.js:
HPKE (RFC 9180) base mode, DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, AES-256-GCM.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import sys
from datetime import datetime, timezone

try:
    from Crypto.Protocol import HPKE
    from Crypto.PublicKey import ECC
except ImportError:  # pragma: no cover - a message for people, not a code path
    sys.exit("This tool needs pycryptodome 4.5 or later: pip install pycryptodome")

KEY_FORMAT = "market-opening-key/v1"
REQUEST_FORMAT = "market-opening-request/v1"
SHARES_FORMAT = "market-opening-shares/v1"


def key_id(public_raw: bytes) -> str:
    return "OK-" + hashlib.sha256(public_raw).hexdigest()[:16]


def load(path: str) -> tuple[str, bytes, ECC.EccKey]:
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    if doc.get("format") != KEY_FORMAT:
        sys.exit(f"{path}: not an opening key file")
    public = base64.b64decode(doc["public_key"])
    private = ECC.import_key(base64.b64decode(doc["private_key_pkcs8"]))
    if private.public_key().export_key(format="raw") != public:
        sys.exit(f"{path}: the key file is damaged (its halves do not match)")
    return key_id(public), public, private


def generate(path: str, holder: str) -> None:
    if os.path.exists(path):
        sys.exit(f"{path} exists: choose another name (an existing key is never overwritten)")
    private = ECC.generate(curve="P-256")
    public = private.public_key().export_key(format="raw")
    doc = {"format": KEY_FORMAT, "curve": "P-256", "key_id": key_id(public), "holder": holder,
           "site": "", "created_at": datetime.now(timezone.utc).strftime(  # noqa: UP017  # Python 3.9+
               "%Y-%m-%dT%H:%M:%SZ"),
           "public_key": base64.b64encode(public).decode(),
           "private_key_pkcs8": base64.b64encode(private.export_key(format="DER")).decode()}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(f"key id:     {doc['key_id']}")
    print(f"public key: {doc['public_key']}")
    print(f"Saved to {path}. Paste the public key on the platform; keep the file offline.")


def unwrap(key_path: str, request_path: str, out_path: str) -> None:
    kid, public, private = load(key_path)
    with open(request_path, encoding="utf-8") as f:
        request = json.load(f)
    if request.get("format") != REQUEST_FORMAT:
        sys.exit(f"{request_path}: not the sealed shares of an opening")
    if request.get("key_id") != kid:
        sys.exit(f"{request_path} is for key {request.get('key_id')}, your file is key {kid}")
    shares = {}
    for item in request["shares"]:
        wrapped = base64.b64decode(item["wrapped"])
        info = (f"market/opening-share/v1|{kid}|{request['request_id']}|{request['round']}|"
                f"{item['commitment']}").encode()
        receiver = HPKE.new(receiver_key=private, aead_id=HPKE.AEAD.AES256_GCM,
                            enc=wrapped[:65], info=info)
        try:
            shares[item["commitment"]] = base64.b64encode(
                receiver.unseal(wrapped[65:], b"")).decode()
        except ValueError:
            sys.exit("this key does not open the shares: it is not the key they were sealed to")
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump({"format": SHARES_FORMAT, "request_id": request["request_id"],
                   "round": request["round"], "key_id": kid, "shares": shares}, f)
    print(f"{len(shares)} share(s) written to {out_path}: upload it on the opening page.")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    g = sub.add_parser("generate", help="make a new key file")
    g.add_argument("keyfile")
    g.add_argument("--holder", default="", help="your account id on the platform")
    c = sub.add_parser("check", help="check a key file")
    c.add_argument("keyfile")
    u = sub.add_parser("unwrap", help="open your sealed shares at an opening")
    u.add_argument("keyfile")
    u.add_argument("sealed_shares")
    u.add_argument("out")
    args = parser.parse_args(argv)
    if args.command == "generate":
        generate(args.keyfile, args.holder)
    elif args.command == "check":
        kid, public, _private = load(args.keyfile)
        print(f"key id:     {kid}")
        print(f"public key: {base64.b64encode(public).decode()}")
    else:
        unwrap(args.keyfile, args.sealed_shares, args.out)


if __name__ == "__main__":
    main()
