"""Is this request a person's browser, or a robot fetching the link (a messenger's preview, a
mail or antivirus link checker, a crawler)? Robots never count as an open, a click or a read.

The list is crawlerdetect's (a maintained port of the PHP CrawlerDetect patterns: TelegramBot,
WhatsApp, vkShare, Slackbot, facebookexternalhit, Twitterbot, Discordbot, SkypeUriPreview,
Microsoft Outlook and Office, BingPreview, headless browsers, HTTP libraries…) and a few
link checkers it misses, below.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from crawlerdetect import CrawlerDetect

# Seen fetching links sent in messages or mail, and not matched by crawlerdetect.
_EXTRA = re.compile(
    r"^Viber\b"  # Viber's own preview fetch (its in-app browser says "… Viber/NN", a person)
    r"|Kaspersky|ESET|Avast|\bAVG\b|Bitdefender|Norton|McAfee|Sophos|Trend ?Micro|Symantec"
    r"|SafeLinks|Proofpoint|Mimecast|Barracuda|Forcepoint|ZScaler|Palo ?Alto|FortiGuard"
    r"|Mail\.RU_Bot|OdklBot|LinkPreview|Embedly|preview",
    re.IGNORECASE,
)
_detect = CrawlerDetect()


def is_robot_agent(user_agent: str | None) -> bool:
    ua = (user_agent or "").strip()
    if not ua:
        return True  # every browser sends one
    return bool(_EXTRA.search(ua)) or _detect.isCrawler(ua)


def is_robot(method: str, headers: Mapping[str, str]) -> bool:
    """HEAD is never a person looking at a page; nor is a known robot's user agent."""
    return method.upper() == "HEAD" or is_robot_agent(headers.get("User-Agent"))
