"""``BEDROCK_CONTROL_HANDLERS``: the ``bedrock`` operations this package answers, each run under the
control-plane guard (the app's lock, ``clientToken`` idempotency where botocore's model marks a token).
Registered in ``emulator/services/handlers.py`` for the ``bedrock`` service, last, so it answers over the
older catalogue-reading module (``emulator/services/control.py``) where both name an operation.

Adding an area: a module here with a ``HANDLERS`` dict, listed in ``_AREAS``; then ``make protocol``.
"""

from __future__ import annotations

from types import ModuleType

from emulator.bedrock_control import (
    batch_jobs,
    custom_models,
    customization_jobs,
    data_retention,
    deployments,
    enforced_guardrails,
    evaluation_jobs,
    guardrails,
    inference_profiles,
    invocation_logging,
    marketplace,
    model_access,
    model_imports,
    projects,
    prompt_optimization,
    prompt_routers,
    provisioned,
    reasoning_policies,
    reasoning_workflows,
    resource_policies,
    tags,
    trusted_access,
)
from emulator.control.guard import Handler, guarded

_AREAS: tuple[ModuleType, ...] = (
    tags,
    batch_jobs,
    invocation_logging,
    evaluation_jobs,
    prompt_optimization,
    projects,
    data_retention,
    trusted_access,
    resource_policies,
    provisioned,
    customization_jobs,
    custom_models,
    deployments,
    model_imports,
    model_access,
    marketplace,
    inference_profiles,
    prompt_routers,
    guardrails,
    enforced_guardrails,
    reasoning_policies,
    reasoning_workflows,
)

BEDROCK_CONTROL_HANDLERS: dict[str, Handler] = {
    operation: guarded(operation, handler) for area in _AREAS for operation, handler in area.HANDLERS.items()
}
