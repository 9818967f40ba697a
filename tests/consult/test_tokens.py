from prilavok.consult.kernel import logins
from prilavok.consult.kernel.passwords import hash_password, verify_password
from prilavok.consult.kernel.tokens import Signer


def test_visitor_token_round_trip_and_forgery() -> None:
    signer = Signer("k1")
    token = signer.visitor_token(42)
    assert signer.visitor_id(token) == 42
    assert Signer("other key").visitor_id(token) is None
    forged = token.replace(token.split(".")[0], signer.visitor_token(43).split(".")[0])
    assert signer.visitor_id(forged) is None
    for junk in (None, "", 5, "x" * 600, "abc.def", {"v": 1}):
        assert signer.visitor_id(junk) is None


def test_a_session_token_is_nothing_but_43_url_safe_characters() -> None:
    assert logins.session_key("a" * 43) == logins.session_key("a" * 43)
    for junk in (None, "", 5, "a" * 42, "a" * 44, "a" * 42 + ".", Signer("k1").visitor_token(7)):
        assert logins.session_key(junk) is None


def test_passwords_are_argon2_hashed() -> None:
    h = hash_password("s3cret pass")
    assert h.startswith("$argon2id$")
    assert verify_password(h, "s3cret pass")
    assert not verify_password(h, "s3cret pasS")
    assert not verify_password("garbage", "x")
