from consult.passwords import hash_password, verify_password
from consult.tokens import Signer


def test_visitor_token_round_trip_and_forgery() -> None:
    signer = Signer("k1")
    token = signer.visitor_token(42)
    assert signer.visitor_id(token) == 42
    assert Signer("other key").visitor_id(token) is None
    forged = token.replace(token.split(".")[0], signer.visitor_token(43).split(".")[0])
    assert signer.visitor_id(forged) is None
    for junk in (None, "", 5, "x" * 600, "abc.def", {"v": 1}):
        assert signer.visitor_id(junk) is None


def test_operator_cookie_is_not_a_visitor_token() -> None:
    signer = Signer("k1")
    cookie = signer.operator_cookie(7, 1)
    assert signer.operator_session(cookie) == (7, 1)
    assert signer.visitor_id(cookie) is None
    assert signer.operator_session(signer.visitor_token(7)) is None


def test_passwords_are_argon2_hashed() -> None:
    h = hash_password("s3cret pass")
    assert h.startswith("$argon2id$")
    assert verify_password(h, "s3cret pass")
    assert not verify_password(h, "s3cret pasS")
    assert not verify_password("garbage", "x")
