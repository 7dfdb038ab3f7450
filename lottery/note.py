"""C2SP signed notes (c2sp.org/signed-note) and tlog checkpoints with Ed25519.

A note is ``text`` (ending in a newline), an empty line, then one or more signature lines
``— <name> <base64(key id || signature)>``.  Key ids bind the key name and algorithm to the key,
so a verifier looks only at lines whose name and id match the key it trusts.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from lottery.encoding import MAX_INT, H, b64encode, check_b64_32
from lottery.errors import Invalid

EM_DASH = "\u2014"
ED25519_ALG = b"\x01"
_NAME_RE = re.compile(r"[^\s+]+")
_SIZE_RE = re.compile(r"0|[1-9][0-9]{0,15}")
_MAX_SIGNATURES = 100  # as the Go implementation: bounds the work an untrusted note can cause


def raw_public_key(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def is_key_name(name: object) -> bool:
    """Key names and origins: non-empty, no white space, no ``+``."""
    return isinstance(name, str) and _NAME_RE.fullmatch(name) is not None


def key_id(name: str, public_key: bytes) -> bytes:
    """First 4 bytes of H(name || LF || 0x01 || key): the Ed25519 signed-note key id."""
    return H(name.encode("utf-8") + b"\n" + ED25519_ALG + public_key)[:4]


def verifier_key(name: str, public_key: bytes) -> str:
    """The verifier key string ``<name>+<key id hex>+<base64(0x01 || key)>``."""
    if not is_key_name(name):
        raise Invalid("key name must be non-empty without white space or '+'")
    return f"{name}+{key_id(name, public_key).hex()}+{b64encode(ED25519_ALG + public_key)}"


def parse_verifier_key(vkey: str) -> tuple[str, bytes, bytes]:
    """Parse a verifier key string into ``(name, key id, raw public key)``, checking the id."""
    parts = vkey.split("+", 2)  # base64 may itself contain "+"
    if len(parts) != 3 or not is_key_name(parts[0]):
        raise Invalid("verifier key must be <name>+<hex id>+<base64 key>")
    name, hex_id, b64 = parts
    if not re.fullmatch(r"[0-9a-f]{8}", hex_id):
        raise Invalid("key id must be 8 lowercase hex digits")
    try:
        raw = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Invalid("key is not base64") from exc
    if len(raw) != 33 or raw[:1] != ED25519_ALG or b64encode(raw) != b64:
        raise Invalid("only canonical Ed25519 (algorithm 0x01) keys are supported")
    if key_id(name, raw[1:]).hex() != hex_id:
        raise Invalid("key id does not match the key")
    return name, bytes.fromhex(hex_id), raw[1:]


@dataclass(frozen=True)
class NoteSignature:
    name: str
    key_id: bytes
    signature: bytes


@dataclass(frozen=True)
class Note:
    text: str
    signatures: tuple[NoteSignature, ...]


def sign_note(text: str, name: str, private_key: Ed25519PrivateKey) -> str:
    """Sign ``text`` (which must end in a newline) as a one-signature note."""
    if not text.endswith("\n") or not is_key_name(name):
        raise Invalid("note text must end with a newline and the key name be valid")
    pub = raw_public_key(private_key.public_key())
    sig = private_key.sign(text.encode("utf-8"))
    return f"{text}\n{EM_DASH} {name} {b64encode(key_id(name, pub) + sig)}\n"


def parse_note(note: str) -> Note:
    """Split a note into text and signature lines; any malformed line makes it unparseable."""
    if not isinstance(note, str) or not note.endswith("\n"):
        raise Invalid("a note must end with a newline")
    for ch in note:
        if ch != "\n" and (ord(ch) < 0x20 or ord(ch) == 0x7F):
            raise Invalid("a note must not contain control characters other than newline")
    cut = note.rfind("\n\n")
    if cut < 0:
        raise Invalid("a note needs an empty line before its signatures")
    text, block = note[: cut + 1], note[cut + 2 :]
    lines = block.split("\n")[:-1]  # block ends with "\n": drop the empty tail
    if not lines:
        raise Invalid("a note needs at least one signature line")
    if len(lines) > _MAX_SIGNATURES:
        raise Invalid("too many signature lines")
    sigs = []
    for line in lines:
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != EM_DASH or not is_key_name(parts[1]):
            raise Invalid(f"malformed signature line {line[:60]!r}")
        try:
            raw = base64.b64decode(parts[2], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise Invalid("signature is not base64") from exc
        if len(raw) < 5 or b64encode(raw) != parts[2]:
            raise Invalid("signature is not canonical base64 of key id and signature")
        sigs.append(NoteSignature(parts[1], raw[:4], raw[4:]))
    return Note(text, tuple(sigs))


def verify_note(note: str, public_key: bytes, key_name: str | None) -> Note:
    """Parse and verify: at least one line by the key must verify and none may fail.

    ``key_name`` None accepts any name whose key id matches (``audit-log``).  Lines by other
    keys are ignored (cosignatures).
    """
    parsed = parse_note(note)
    try:
        pk = Ed25519PublicKey.from_public_bytes(public_key)
    except ValueError as exc:
        raise Invalid("public key is not 32 bytes") from exc
    body = parsed.text.encode("utf-8")
    verified = 0
    for s in parsed.signatures:
        if key_name is not None and s.name != key_name:
            continue
        if s.key_id != key_id(s.name, public_key):
            continue
        try:
            if len(s.signature) != 64:
                raise InvalidSignature
            pk.verify(s.signature, body)
        except InvalidSignature as exc:
            raise Invalid(f"signature by {s.name} does not verify") from exc
        verified += 1
    if not verified:
        raise Invalid("no signature by the platform key")
    return parsed


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def body(self) -> str:
        ext = "".join(f"{e}\n" for e in self.extensions)
        return f"{self.origin}\n{self.size}\n{b64encode(self.root)}\n{ext}"


def parse_checkpoint(text: str) -> Checkpoint:
    """Parse a checkpoint body (c2sp.org/tlog-checkpoint)."""
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "":
        raise Invalid("a checkpoint body is origin, size and root lines")
    origin, size, root = lines[0], lines[1], lines[2]
    if not is_key_name(origin):
        raise Invalid("checkpoint origin must be non-empty without white space or '+'")
    if not _SIZE_RE.fullmatch(size) or int(size) > MAX_INT:
        raise Invalid("checkpoint size must be a decimal integer without leading zeros")
    try:
        root_bytes = check_b64_32(root, "checkpoint root")
    except Invalid as exc:
        raise Invalid(str(exc)) from exc
    return Checkpoint(origin, int(size), root_bytes, tuple(lines[3:-1]))


def sign_checkpoint(
    private_key: Ed25519PrivateKey, key_name: str, origin: str, size: int, root: bytes
) -> str:
    """The signed checkpoint note for a tree of ``size`` with ``root``."""
    if not is_key_name(origin):
        raise Invalid("origin must be non-empty without white space or '+'")
    return sign_note(Checkpoint(origin, size, root).body(), key_name, private_key)


def verify_checkpoint(note: str, public_key: bytes, key_name: str | None) -> Checkpoint:
    """Verify a signed checkpoint and return its parsed body."""
    return parse_checkpoint(verify_note(note, public_key, key_name).text)
