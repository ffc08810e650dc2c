"""bedrock-agent's control plane: what a tenant creates and later uses.

Knowledge bases with their data sources, ingestion jobs, documents and VPC configurations; agents with
their action groups, collaborators, knowledge-base associations, versions and aliases; prompts and
flows with their versions (and flow aliases); retrieval instructions; resource policies and tags. Every
record lives in the app's store (``call.state.store``) under ``(tenant, kind, key)``, so it belongs to
the tenant that created it and is forgotten with it.

``handlers.AGENT_CONTROL_HANDLERS`` answers all of bedrock-agent's operations; one module per area
holds them. The record layout per kind, the lifecycles and their durations are in
docs/control-plane.md; others build the runtime effects (ingestion, InvokeAgent, InvokeFlow, prompt
versions as model ids) on these records through ``resources.read`` / ``resources.records``.
"""
