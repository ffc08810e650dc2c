"""The bundled sample agent: order support for a small online shop.

It answers any agent id in lenient mode, so a tutorial's first ``invoke_agent`` call works. Its one action
group uses a function schema with a Lambda executor whose stand-in invents consistent order data from the
order id (the same id always has the same status, carrier and tracking number); policy questions go to
the bundled sample knowledge base.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import date, timedelta

from emulator.agents.definition import Action, Agent, KnowledgeBaseRef, Parameter
from emulator.knowledge.registry import SAMPLE_KNOWLEDGE_BASE_ID

SAMPLE_AGENT_ID = "EMUORDERAG"
SAMPLE_ALIAS_ID = "EMUORDPROD"
ACTION_GROUP = "order-operations"
_STATUSES = ("PROCESSING", "SHIPPED", "IN_TRANSIT", "DELAYED", "DELIVERED")
_CARRIERS = ("FedEx", "UPS", "DHL", "USPS")
_BASE_DATE = date(2026, 6, 1)

INSTRUCTION = (
    "You are the order support agent of the emulator's sample shop. When a customer asks about an order, "
    "look up its status with get_order_status; when it is late or has not arrived, check the carrier's "
    "tracking with check_carrier_tracking; when the customer wants to cancel, use initiate_cancellation. "
    "Answer policy questions (returns, refunds, shipping, warranty) from the knowledge base. Be polite and "
    "concise and never invent order information."
)


def _number(order_id: str, purpose: str) -> int:
    digest = hashlib.blake2b(f"{purpose}|{order_id.upper()}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def order_facts(order_id: str) -> dict[str, str]:
    """The invented but stable facts of one order."""
    status = _STATUSES[_number(order_id, "status") % len(_STATUSES)]
    carrier = _CARRIERS[_number(order_id, "carrier") % len(_CARRIERS)]
    tracking = str(_number(order_id, "tracking"))[:13].rjust(13, "7")
    delivery = _BASE_DATE + timedelta(days=_number(order_id, "date") % 30)
    return {
        "order_id": order_id,
        "status": status,
        "carrier": carrier,
        "tracking_number": tracking,
        "estimated_delivery": delivery.isoformat(),
    }


def _order_status(parameters: Mapping[str, str]) -> str:
    return json.dumps(order_facts(parameters.get("order_id", "")))


def _carrier_tracking(parameters: Mapping[str, str]) -> str:
    facts = order_facts(parameters.get("order_id", ""))
    hubs = ("Memphis, TN", "Louisville, KY", "Cincinnati, OH", "Indianapolis, IN")
    hub = hubs[_number(facts["order_id"], "hub") % len(hubs)]
    return json.dumps(
        {
            "order_id": facts["order_id"],
            "carrier": facts["carrier"],
            "tracking_number": facts["tracking_number"],
            "last_scan": f"Departed {hub}",
            "estimated_delivery": facts["estimated_delivery"],
        }
    )


def _cancellation(parameters: Mapping[str, str]) -> str:
    order_id = parameters.get("order_id", "")
    return json.dumps(
        {
            "success": True,
            "cancellation_id": f"CXL-{_number(order_id, 'cancel') % 1_000_000:06d}",
            "message": f"Order {order_id} cancellation initiated. Refund in 3-5 business days.",
        }
    )


_ORDER_ID = Parameter("order_id", "string", "The order ID (format: ORD-XXXXXX)", True)

SAMPLE_AGENT = Agent(
    agent_id=SAMPLE_AGENT_ID,
    name="order-support-agent",
    description="Sample order-support agent bundled with bedrock-emulator.",
    instruction=INSTRUCTION,
    idle_session_ttl=600,
    aliases={SAMPLE_ALIAS_ID: "production"},
    memory_storage_days=30,
    pre_processing=True,
    post_processing=True,
    knowledge_bases=(
        KnowledgeBaseRef(
            SAMPLE_KNOWLEDGE_BASE_ID,
            "Shop policies: shipping, returns and refunds, warranty, payments and account help.",
        ),
    ),
    actions=(
        Action(
            group=ACTION_GROUP,
            name="get_order_status",
            description="Look up the current status of a customer order and its estimated delivery date.",
            parameters=(_ORDER_ID,),
            executor="LAMBDA",
            result=_order_status,
            answer=(
                "Order ${order_id} is ${status}. It ships with ${carrier} (tracking number "
                "${tracking_number}) and is expected by ${estimated_delivery}."
            ),
        ),
        Action(
            group=ACTION_GROUP,
            name="check_carrier_tracking",
            description=(
                "Check real-time carrier tracking for an order that is late, delayed or has not arrived yet."
            ),
            parameters=(_ORDER_ID,),
            executor="LAMBDA",
            result=_carrier_tracking,
            answer=(
                "I checked with ${carrier}: order ${order_id} (tracking ${tracking_number}) last shows "
                '"${last_scan}" and is now expected by ${estimated_delivery}. Sorry for the delay.'
            ),
        ),
        Action(
            group=ACTION_GROUP,
            name="initiate_cancellation",
            description="Initiate the cancellation of an order the customer wants to cancel.",
            parameters=(
                _ORDER_ID,
                Parameter("reason", "string", "Why the customer wants to cancel", True),
            ),
            executor="LAMBDA",
            result=_cancellation,
            answer="${message} Your cancellation reference is ${cancellation_id}.",
        ),
    ),
)
