"""The tables, by concern. Timestamps are stored and returned as UTC-aware datetimes on every
backend. Everything is importable from here, as `from storage.models import Conversation`."""

from prilavok.storage.models.base import Base, BigId, UTCDateTime, utcnow
from prilavok.storage.models.calendar import CalendarPlan, CalendarRule, PurchaseLine
from prilavok.storage.models.chats import (
    Conversation,
    HotReply,
    Invitation,
    Message,
    ProactiveRule,
    Task,
)
from prilavok.storage.models.journeys import Journey, JourneyRun, JourneyTimer, ShopEvent
from prilavok.storage.models.offers import (
    ApiKey,
    Customer,
    Delivery,
    Offer,
    OfferEvent,
    Product,
    ShopOrder,
)
from prilavok.storage.models.team import (
    AuditEntry,
    Node,
    Operator,
    OperatorPresence,
    OperatorSession,
    ShopSetting,
)
from prilavok.storage.models.visitors import PageView, Purchase, RelatedProduct, Visit, Visitor

__all__ = [
    "ApiKey",
    "AuditEntry",
    "Base",
    "BigId",
    "CalendarPlan",
    "CalendarRule",
    "Conversation",
    "Customer",
    "Delivery",
    "HotReply",
    "Invitation",
    "Journey",
    "JourneyRun",
    "JourneyTimer",
    "Message",
    "Node",
    "Offer",
    "OfferEvent",
    "Operator",
    "OperatorPresence",
    "OperatorSession",
    "PageView",
    "ProactiveRule",
    "Product",
    "Purchase",
    "PurchaseLine",
    "RelatedProduct",
    "ShopEvent",
    "ShopOrder",
    "ShopSetting",
    "Task",
    "UTCDateTime",
    "Visit",
    "Visitor",
    "utcnow",
]
