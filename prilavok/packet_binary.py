"""Whether a Socket.IO payload carries bytes, asked once per packet sent.

python-socketio asks it of every packet it builds and of every emit it publishes, by walking the
payload in Python: for a relayed message (a message and its conversation) that walk cost more
than the JSON encoding itself. orjson refuses bytes, so a payload it encodes has none; only one
it refuses (bytes, or something else it cannot encode) is walked the library's way.
"""

from __future__ import annotations

from typing import Any

import orjson
from socketio.packet import Packet


def has_binary(data: Any) -> bool:
    try:
        orjson.dumps(data)
    except TypeError:
        return bool(Packet.data_is_binary(data))
    return False
