"""SMS: the gateway interface, SMS.ru over HTTP, and how many segments a text costs."""

from __future__ import annotations

from typing import Any, Protocol

import aiohttp
import phonenumbers

from prilavok.channels.errors import Rejected, Unreachable
from prilavok.channels.http import HttpTransport
from prilavok.channels.message import Message, Reporting, Sent, Status

SMSRU_API_BASE = "https://sms.ru"

# GSM 03.38: the basic set costs one septet, the extension table two; anything else (Cyrillic)
# makes the whole text UCS-2.
_GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = set("^{}\\[~]|€\f")


def segments(text: str) -> int:
    """How many SMS parts `text` takes: 160/153 septets in GSM-7, 70/67 characters in UCS-2."""
    if all(c in _GSM_BASIC or c in _GSM_EXTENDED for c in text):
        units = sum(2 if c in _GSM_EXTENDED else 1 for c in text)
        single, part = 160, 153
    else:
        # Characters outside the BMP take two UCS-2 units.
        units = sum(2 if ord(c) > 0xFFFF else 1 for c in text)
        single, part = 70, 67
    if units <= single:
        return 1
    return -(-units // part)


def valid_phone(raw: str, region: str = "RU") -> str:
    """E.164 form of a real phone number, or Rejected."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise Rejected(f"not a phone number: {raw!r}") from None
    if not phonenumbers.is_valid_number(number):
        raise Rejected(f"no such phone number: {raw!r}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class SmsGateway(Reporting, Protocol):
    """An SMS service: sends texts and reports their fates."""


# SMS.ru message status codes (sms/status and the sms_status callback).
SMSRU_DELIVERED = {103, 110}  # delivered; read (for messages the gateway sent over Viber)
SMSRU_FAILED = {-1, 104, 105, 106, 107, 108, 150}
SMSRU_PENDING = {100, 101, 102}


def smsru_status(code: int, text: str = "") -> Status:
    if code in SMSRU_DELIVERED:
        return Status(delivered=True, final=True, detail=text)
    if code in SMSRU_FAILED:
        return Status(failed=True, final=True, detail=text or str(code))
    return Status(detail=text)


class SmsRu(HttpTransport):
    """https://sms.ru/api: sms/send and sms/status with json=1."""

    def __init__(
        self,
        api_id: str,
        api_base: str = SMSRU_API_BASE,
        sender: str = "",
        timeout: float = 20,
        max_segments: int = 3,
    ) -> None:
        super().__init__(api_base, timeout)
        self.api_id = api_id
        self.sender = sender
        # Each part is paid for: a longer text is cut to this many.
        self.max_segments = max_segments

    async def _call(self, method: str, form: dict[str, str]) -> dict[str, Any]:
        try:
            async with self.http.post(
                f"{self.api_base}/{method}", data={**form, "api_id": self.api_id, "json": "1"}
            ) as r:
                if r.status >= 500:
                    raise Unreachable(f"HTTP {r.status}")
                data = await r.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise Unreachable(str(exc) or type(exc).__name__) from exc
        if not isinstance(data, dict) or data.get("status") != "OK":
            detail = data.get("status_text", "") if isinstance(data, dict) else ""
            # A refusal of the whole request (bad key, no money) is ours to fix, not the message's.
            raise Unreachable(f"sms.ru: {detail or data}")
        return data

    def fits(self, text: str) -> bool:
        return segments(text) <= self.max_segments

    async def send(self, message: Message) -> Sent:
        """The text alone to the phone in `message.to` (buttons cannot go by SMS)."""
        number = valid_phone(message.to).lstrip("+")
        form = {"to": number, "msg": message.text}
        if self.sender:
            form["from"] = self.sender
        data = await self._call("sms/send", form)
        result = (data.get("sms") or {}).get(number) or {}
        if result.get("status") != "OK":
            raise Rejected(f"sms.ru {result.get('status_code')}: {result.get('status_text', '')}")
        return Sent(str(result["sms_id"]))

    async def statuses(self, ids: list[str]) -> dict[str, Status]:
        if not ids:
            return {}
        data = await self._call("sms/status", {"sms_id": ",".join(ids)})
        found: dict[str, Status] = {}
        for sms_id, item in (data.get("sms") or {}).items():
            try:
                code = int(item.get("status_code"))
            except (TypeError, ValueError):
                continue
            found[str(sms_id)] = smsru_status(code, str(item.get("status_text", "")))
        return found


def parse_smsru_callback(lines: list[str]) -> list[tuple[str, Status]]:
    """SMS.ru's callback posts data[N] = "sms_status\\n<id>\\n<code>\\n<unix time>" entries."""
    out: list[tuple[str, Status]] = []
    for entry in lines:
        parts = entry.split("\n")
        if len(parts) >= 3 and parts[0].strip() == "sms_status":
            try:
                out.append((parts[1].strip(), smsru_status(int(parts[2].strip()))))
            except ValueError:
                continue
    return out
