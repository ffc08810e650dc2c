"""TagResource, UntagResource, ListTagsForResource. Only sessions are taggable in bedrock-agent-runtime:
tags live on the caller's sessions (``emulator.agents.session_management``), so CreateSession's tags
and TagResource's are one set.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from emulator.agents.session_management import Session, session_store
from emulator.services.exchange import JsonReply, OperationCall, Reply
from emulator.wire.errors import AwsError
from emulator.wire.errors import constraint_violation as _constraint

ARN_NOT_FOUND = (
    "The specified resource Amazon Resource Name (ARN) was not found. "
    "Check the Amazon Resource Name (ARN) and try your request again."
)
_SESSION_ARN = re.compile(
    r"^arn:aws(-[^:]+)?:bedrock:[a-zA-Z0-9-]+:[0-9]{12}:session/[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}$"
)
_TAG_TEXT = re.compile(r"^[a-zA-Z0-9\s._:/=+@-]*$")


def handle_tag_resource(call: OperationCall) -> Reply:
    session = _tagged_session(call)
    tags = call.input.get("tags")
    if not isinstance(tags, dict) or not 1 <= len(tags) <= 200:
        raise _constraint("tags", tags, "Member must have length between 1 and 200")
    for key, value in tags.items():
        if not 1 <= len(key) <= 128 or not _TAG_TEXT.match(key):
            raise _constraint(
                "tags", key, "Member must satisfy regular expression pattern: [a-zA-Z0-9\\s._:/=+@-]*"
            )
        if not isinstance(value, str) or len(value) > 256 or not _TAG_TEXT.match(value):
            raise _constraint(
                "tags", value, "Member must satisfy regular expression pattern: [a-zA-Z0-9\\s._:/=+@-]*"
            )
    session_store(call.state).tag(call.tenant, session.session_id, tags)  # one atomic change, quota checked
    return JsonReply({})


def handle_untag_resource(call: OperationCall) -> Reply:
    session = _tagged_session(call)
    keys = [key for key in call.input.get("tagKeys", ()) if key]
    if not keys:
        raise _constraint("tagKeys", None, "Member must have length greater than or equal to 1")
    session_store(call.state).untag(call.tenant, session.session_id, keys)
    return JsonReply({})


def handle_list_tags_for_resource(call: OperationCall) -> Reply:
    session = _tagged_session(call)
    return JsonReply({"tags": dict(session.tags)})


def _tagged_session(call: OperationCall) -> Session:
    """The caller's session the ARN names; only sessions are taggable in bedrock-agent-runtime."""
    arn: str = call.input.get("resourceArn", "")
    if not _SESSION_ARN.match(arn):
        raise _constraint(
            "resourceArn",
            arn,
            "Member must satisfy regular expression pattern: (^arn:aws(-[^:]+)?:bedrock:[a-zA-Z0-9-]+:[0-9]{12}:(session)/[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}$)",
        )
    try:
        session = session_store(call.state).get(call.tenant, arn.rsplit("/", 1)[1])
    except AwsError:
        session = None
    if session is None or session.arn != arn:
        raise AwsError("ResourceNotFoundException", ARN_NOT_FOUND)
    return session


TAG_HANDLERS: dict[str, Callable[[OperationCall], Reply]] = {
    "TagResource": handle_tag_resource,
    "UntagResource": handle_untag_resource,
    "ListTagsForResource": handle_list_tags_for_resource,
}
