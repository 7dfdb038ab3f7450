"""The second factor's pure rules (market.domain.totp): drift, replay, recovery codes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp

from market import config
from market.accounts.models import Role
from market.domain import totp

NOW = datetime(2026, 12, 6, 12, 0, 15, tzinfo=UTC)


def code_at(secret: str, at: datetime) -> str:
    return pyotp.TOTP(secret).at(at)


def test_a_current_code_matches_its_step() -> None:
    secret = totp.new_secret()
    assert len(pyotp.TOTP(secret).byte_secret()) == 20  # 160 bits (RFC 4226 §4)
    assert totp.matching_step(secret, code_at(secret, NOW), NOW, None) == totp.step_of(NOW)


def test_one_step_of_drift_either_way_and_no_more() -> None:
    secret = totp.new_secret()
    step = timedelta(seconds=30)
    assert totp.matching_step(secret, code_at(secret, NOW - step), NOW, None) \
        == totp.step_of(NOW) - 1
    assert totp.matching_step(secret, code_at(secret, NOW + step), NOW, None) \
        == totp.step_of(NOW) + 1
    assert totp.matching_step(secret, code_at(secret, NOW - 2 * step), NOW, None) is None
    assert totp.matching_step(secret, code_at(secret, NOW + 2 * step), NOW, None) is None


def test_a_code_is_refused_for_its_step_or_an_earlier_one_once_used() -> None:
    secret = totp.new_secret()
    code = code_at(secret, NOW)
    used = totp.matching_step(secret, code, NOW, None)
    assert used is not None
    assert totp.matching_step(secret, code, NOW, used) is None  # the same code again
    earlier = code_at(secret, NOW - timedelta(seconds=30))
    assert totp.matching_step(secret, earlier, NOW, used) is None  # an older one after it
    later = code_at(secret, NOW + timedelta(seconds=30))
    assert totp.matching_step(secret, later, NOW + timedelta(seconds=30), used) == used + 1


def test_typed_spaces_are_ignored_and_junk_refused() -> None:
    secret = totp.new_secret()
    code = code_at(secret, NOW)
    assert totp.matching_step(secret, f" {code[:3]} {code[3:]} ", NOW, None) is not None
    for junk in ("", "12345", "1234567", "abcdef", "１２３４５６", code + "0"):
        assert totp.matching_step(secret, junk, NOW, None) is None


def test_recovery_codes_are_ten_distinct_and_read_leniently() -> None:
    codes = totp.new_recovery_codes()
    assert len(codes) == 10 == len(set(codes))
    key = b"k" * 32
    for code in codes:
        assert totp.looks_like_recovery_code(code)
        assert totp.recovery_digest(key, code) == totp.recovery_digest(key, code.lower())
        assert totp.recovery_digest(key, code) == totp.recovery_digest(
            key, code.replace("-", " ").replace("0", "O").replace("1", "I"))
    assert totp.recovery_digest(key, codes[0]) != totp.recovery_digest(b"j" * 32, codes[0])
    assert not totp.looks_like_recovery_code("123456")


def test_provisioning_uri_names_issuer_and_account() -> None:
    secret = totp.new_secret()
    uri = totp.provisioning_uri(secret, "op@example.cn", "云川市中介服务超市")
    assert uri.startswith("otpauth://totp/")
    parsed = pyotp.parse_uri(uri)
    assert isinstance(parsed, pyotp.TOTP)
    assert parsed.secret == secret and parsed.issuer == "云川市中介服务超市"
    assert parsed.name == "op@example.cn"
    assert totp.grouped("ABCDEFGHIJ") == "ABCD EFGH IJ"


def test_the_roles_setting_is_read_and_checked() -> None:
    assert config.second_factor_roles({"SECOND_FACTOR_ROLES": "none"}) == frozenset()
    assert config.second_factor_roles({"SECOND_FACTOR_ROLES": ""}) == frozenset()
    assert config.second_factor_roles({"SECOND_FACTOR_ROLES": "operator, regulator"}) \
        == {"operator", "regulator"}
    assert config.second_factor_roles({"SECOND_FACTOR_ROLES": "operator,admin"}) is None
    # the list config.py keeps (it sits below accounts) is the roles' own
    everyone = ",".join(r.value for r in Role)
    assert config.second_factor_roles({"SECOND_FACTOR_ROLES": everyone}) \
        == {r.value for r in Role}
    assert config._setting_problems({**config.defaults("/tmp/x"),
                                     "SECOND_FACTOR_ROLES": "boss"})
    assert config.second_factor_roles(config.defaults("/tmp/x")) \
        == {"operator", "regulator", "department_staff"}
