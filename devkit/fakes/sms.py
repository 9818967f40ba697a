"""A fake SMS.ru: sms/send and sms/status with json=1, status codes as SMS.ru gives them."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from devkit.fakes.base import FakeServer


class FakeSmsRu(FakeServer):
    def __init__(self, api_id: str) -> None:
        super().__init__()
        self.api_id = api_id
        self.sent: list[dict[str, Any]] = []
        # sms_id -> SMS.ru status code; new messages start at 100 (queued)
        self.codes: dict[str, int] = {}
        self.app.router.add_post("/sms/send", self.send)
        self.app.router.add_post("/sms/status", self.status)

    def messages_to(self, phone: str) -> list[dict[str, Any]]:
        return [m for m in self.sent if m["to"] == phone.lstrip("+")]

    async def _form(self, request: web.Request) -> dict[str, str] | None:
        form = {k: str(v) for k, v in (await request.post()).items()}
        return form if form.get("api_id") == self.api_id else None

    async def send(self, request: web.Request) -> web.Response:
        form = await self._form(request)
        if form is None:
            return web.json_response(
                {"status": "ERROR", "status_code": 200, "status_text": "Неправильный api_id"}
            )
        to, text = form.get("to", ""), form.get("msg", "")
        if not to.isdigit():
            return web.json_response(
                {
                    "status": "OK",
                    "status_code": 100,
                    "sms": {to: {"status": "ERROR", "status_code": 202, "status_text": "bad"}},
                }
            )
        sms_id = f"{len(self.sent) + 1:06d}-{len(self.sent) + 10_000_000}"
        self.sent.append({"to": to, "msg": text, "sms_id": sms_id})
        self.codes[sms_id] = 100
        return web.json_response(
            {
                "status": "OK",
                "status_code": 100,
                "sms": {to: {"status": "OK", "status_code": 100, "sms_id": sms_id}},
                "balance": 4122.56,
            }
        )

    async def status(self, request: web.Request) -> web.Response:
        form = await self._form(request)
        if form is None:
            return web.json_response(
                {"status": "ERROR", "status_code": 200, "status_text": "Неправильный api_id"}
            )
        out = {}
        for sms_id in form.get("sms_id", "").split(","):
            code = self.codes.get(sms_id, -1)
            out[sms_id] = {"status": "OK", "status_code": code, "status_text": str(code)}
        return web.json_response({"status": "OK", "status_code": 100, "sms": out})
