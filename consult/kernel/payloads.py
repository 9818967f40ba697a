"""Validation of incoming event payloads; any mismatch is an `invalid_payload` error."""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, ValidationError

from prilavok.consult.kernel.errors import ConsultError, invalid

Id = Annotated[StrictInt, Field(ge=1, le=2**62)]
ClientId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
# Length limits of texts are checked by the domain so that it can answer `too_long`.
Text = Annotated[str, Field(max_length=100_000)]


class Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True, frozen=True)


P = TypeVar("P", bound=BaseModel)


def parse(model: type[P], data: Any, at: str = "") -> P:
    """`model` from `data`, or `invalid_payload` naming the first bad field (after `at`, e.g.
    "customers[3]", when the object sits in a list)."""
    if not isinstance(data, dict):
        raise invalid(f"{at or model.__name__}: expected an object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "payload"
        raise ConsultError(
            "invalid_payload", f"{at + '.' if at else ''}{where}: {first['msg']}"
        ) from None


class ConversationRef(Payload):
    conversation_id: Id


class OperatorMessage(Payload):
    conversation_id: Id
    client_id: ClientId
    text: Text


class Typing(Payload):
    conversation_id: Id
    typing: StrictBool


class Receipt(Payload):
    conversation_id: Id
    up_to: Id


class Transfer(Payload):
    conversation_id: Id
    operator_id: Id


class Status(Payload):
    status: Literal["online", "away"]


class RenderHotReply(Payload):
    conversation_id: Id
    hot_reply_id: Id


class SaveHotReply(Payload):
    id: Id | None = None
    shortcut: Annotated[str, Field(min_length=1, max_length=50, pattern=r"^[\w.-]+$")]
    text: Annotated[str, Field(min_length=1, max_length=4000)]


class HotReplyRef(Payload):
    id: Id


class VisitorMessage(Payload):
    client_id: ClientId
    text: Text
    # Optional: a widget that names its conversation is checked against the visitor's own.
    conversation_id: Id | None = None


class VisitorTyping(Payload):
    typing: StrictBool


class VisitorRead(Payload):
    up_to: Id
    conversation_id: Id | None = None


class PageView(Payload):
    url: Annotated[str, Field(min_length=1, max_length=2048)]
    title: Annotated[str, Field(max_length=500)] = ""


class TaskStep(Payload):
    task_id: Id
    to: Literal["taken", "done"]


class InvitationRef(Payload):
    invitation_id: Id


class RuleFire(Payload):
    rule_id: Id
    url: Annotated[str, Field(max_length=2048)] = ""


class Activity(Payload):
    idle_seconds: Annotated[StrictInt, Field(ge=0, le=10**7)]
    hidden: StrictBool
    exit_intent: StrictBool = False


class CallbackRequest(Payload):
    kind: Literal["callback", "message"]
    name: Annotated[str, Field(max_length=200)] | None = None
    phone: Annotated[str, Field(max_length=40)] | None = None
    preferred_time: Annotated[str, Field(max_length=100)] | None = None
    text: Annotated[str, Field(max_length=4000)] | None = None


class Rate(Payload):
    conversation_id: Id
    score: Annotated[StrictInt, Field(ge=1, le=5)]
    comment: Annotated[str, Field(max_length=2000)] | None = None
