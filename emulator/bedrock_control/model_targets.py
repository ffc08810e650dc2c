"""Model ids that name something a caller created in the ``bedrock`` control plane: a provisioned
throughput, a custom model or its deployment, an imported model, an application inference profile, a
prompt router. The runtime (``emulator/services/runtime.py``) asks here first for any ARN; the area that
owns the resource type resolves it to the model that serves the call.

``RESOLVERS`` maps the ARN's resource type (``arn:aws:bedrock:<region>:<account>:<type>/...``) to
``"module:function"``, imported on first use so a Converse on a foundation model never loads an area. A
resolver takes ``(call, model_id)`` and returns the ``ResolvedModel``, raises Bedrock's error, or returns
None to leave the id to the catalogue (lenient mode serves unknown account ARNs with a default model).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from typing import Final

from emulator.catalog import ResolvedModel
from emulator.services.exchange import OperationCall

Resolver = Callable[[OperationCall, str], ResolvedModel | None]

_ARN: Final = re.compile(r"^arn:aws(?:-[a-z]+)*:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:(?P<type>[a-z-]{1,40})/")

RESOLVERS: Final[dict[str, str]] = {
    "provisioned-model": "emulator.bedrock_control.provisioned:resolve",
    "custom-model": "emulator.bedrock_control.custom_models:resolve",
    "custom-model-deployment": "emulator.bedrock_control.deployments:resolve",
    "imported-model": "emulator.bedrock_control.model_imports:resolve",
    "application-inference-profile": "emulator.bedrock_control.inference_profiles:resolve",
    "default-prompt-router": "emulator.bedrock_control.prompt_routers:resolve",
    "prompt-router": "emulator.bedrock_control.prompt_routers:resolve",
}


def resolve(call: OperationCall, model_id: str) -> ResolvedModel | None:
    """What a created resource's ARN serves, or None when no area owns the ARN's resource type."""
    match = _ARN.match(model_id)
    if match is None:
        return None
    target = RESOLVERS.get(match["type"])
    if target is None:
        return None
    module, _, function = target.partition(":")
    resolver: Resolver = getattr(importlib.import_module(module), function)
    return resolver(call, model_id)
