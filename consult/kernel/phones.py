"""Phone numbers: parsed and checked with phonenumbers, stored in E.164."""

from __future__ import annotations

import phonenumbers

from prilavok.consult.kernel.errors import ConsultError


def normalize(raw: str, region: str = "RU") -> str:
    """'8 (912) 345-67-89' → '+79123456789'; anything that is not a real number is refused."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise ConsultError("invalid_phone", "this is not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise ConsultError("invalid_phone", "this phone number does not exist")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
