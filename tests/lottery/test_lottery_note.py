"""C2SP signed notes and checkpoints."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from lottery.errors import Invalid
from lottery.keys import (
    load_private_key_env,
    load_private_key_text,
    note_verifier_key,
    private_key_seed_b64,
    private_key_to_pem,
    public_key_b64,
)
from lottery.note import (
    parse_checkpoint,
    parse_note,
    parse_verifier_key,
    sign_checkpoint,
    sign_note,
    verify_checkpoint,
    verify_note,
)

EXAMPLE_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
# The signed note of c2sp.org/signed-note's example (as quoted by several implementations).
EXAMPLE_NOTE = (
    "This is an example message.\n\n"
    "\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3"
    "mFXmRKuwHjG1Yu72IneyaQM=\n"
)
# The signature line quoted in the issue: its key id bytes are 110f4398, not 530d903a.
ISSUE_NOTE = (
    "This is an example message.\n\n"
    "\u2014 example.com/foo EQ9DmG8ZBvqQ+k6lyDhfGbq9K8eGxCl1oUVExVFn4TMx17FpQBl8tfbfbv9iyA1OrIVR"
    "oBAkG8+Ywvl+4tl5cEb/hwE=\n"
)
# golang.org/x/mod sumdb/note test vector, with a cosignature by another key.
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_NOTE = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n\n"
    "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdng"
    "otpRZb6KE6RyyBwJnAM=\n"
    "\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWL"
    "ox33WWd1RvMc+QQ=\n"
)


def test_c2sp_example() -> None:
    name, kid, pub = parse_verifier_key(EXAMPLE_VKEY)
    assert (name, kid.hex()) == ("example.com/foo", "530d903a")
    note = verify_note(EXAMPLE_NOTE, pub, name)
    assert note.text == "This is an example message.\n"


def test_issue_quoted_signature_does_not_verify() -> None:
    _, _, pub = parse_verifier_key(EXAMPLE_VKEY)
    assert parse_note(ISSUE_NOTE).signatures[0].key_id.hex() == "110f4398"
    with pytest.raises(Invalid):
        verify_note(ISSUE_NOTE, pub, "example.com/foo")


def test_go_vector_with_cosignature_ignored() -> None:
    name, _, pub = parse_verifier_key(PETER_VKEY)
    assert verify_note(PETER_NOTE, pub, name).text.startswith("If you think")
    assert verify_note(PETER_NOTE, pub, None).signatures[1].name == "EnochRoot"


def test_round_trip_and_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    key = Ed25519PrivateKey.generate()
    vkey = note_verifier_key(key, "lottery.example")
    name, _, pub = parse_verifier_key(vkey)
    note = sign_note("hello\nworld\n", name, key)
    assert verify_note(note, pub, name).text == "hello\nworld\n"
    assert public_key_b64(load_private_key_text(private_key_to_pem(key).decode())) == (
        public_key_b64(key)
    )
    monkeypatch.setenv("LOTTERY_SIGNING_KEY", private_key_seed_b64(key))
    assert public_key_b64(load_private_key_env()) == public_key_b64(key)
    with pytest.raises(Invalid):
        load_private_key_text("bm90IGEga2V5")


def test_checkpoint_round_trip_and_failures() -> None:
    key = Ed25519PrivateKey.generate()
    pub = parse_verifier_key(note_verifier_key(key, "k"))[2]
    note = sign_checkpoint(key, "k", "log.example/a", 42, b"\x07" * 32)
    cp = verify_checkpoint(note, pub, "k")
    assert (cp.origin, cp.size, cp.root) == ("log.example/a", 42, b"\x07" * 32)
    assert parse_checkpoint("o\n1\n" + "A" * 43 + "=\next\n").extensions == ("ext",)
    with pytest.raises(Invalid):
        verify_checkpoint(note, pub, "other-name")
    with pytest.raises(Invalid):  # body changed: signature fails, the note is invalid
        verify_checkpoint(note.replace("\n42\n", "\n43\n"), pub, "k")
    for bad in ("o\n01\n" + "A" * 43 + "=\n", "o\n1\nAAAA\n", "o o\n1\n" + "A" * 43 + "=\n"):
        with pytest.raises(Invalid):
            parse_checkpoint(bad)
    # A second, failing line by the platform key invalidates the note.
    line = note.split("\n\n", 1)[1]
    forged = note + line.replace(line.split(" ")[2][10:20], "A" * 10)
    with pytest.raises(Invalid):
        verify_checkpoint(forged, pub, "k")
    # Malformed signature lines make the note unparseable.
    for bad_note in (note.replace("\u2014 ", "- "), note + "\u2014 k\n", note.rstrip("\n")):
        with pytest.raises(Invalid):
            verify_checkpoint(bad_note, pub, "k")
