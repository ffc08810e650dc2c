"""The ``bedrock`` control plane: what a caller creates (provisioned throughput, custom models, jobs,
inference profiles, prompt routers, guardrails, ...) is stored per tenant in the app's store and is what
the runtime then serves. One module per area, each with a ``HANDLERS`` dict; ``handlers`` binds them all.

It reuses bedrock-agent's generic steps (``emulator.control``: records and kinds, the virtual-clock
lifecycle, the control-plane guard with ``clientToken`` idempotency, pagination through the shapes layer).
"""
