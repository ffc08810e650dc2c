"""``flows:`` files: flow definitions a tester serves under ids of their choosing.

```yaml
flows:
  - id: INVOICEFLW            # 10 letters or digits, like Bedrock's flow ids
    name: InvoiceProcessingFlow
    description: Extract and route invoices
    aliases: [PRODALIAS1]     # TSTALIASID (the draft) always works
    definition: {nodes: [...], connections: [...]}   # bedrock-agent's FlowDefinition
```
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from emulator.flows.definition import DefinitionError, FlowDefinition, parse

DEFAULT_ROLE_ARN = "arn:aws:iam::123456789012:role/service-role/AmazonBedrockExecutionRoleForFlows_emulator"


class FlowConfigError(ValueError):
    """A flows file that cannot be served: the message names the file and the bad part."""


class FlowConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    id: str = Field(pattern=r"^[0-9a-zA-Z]{10}$")
    name: str = Field(pattern=r"^([0-9a-zA-Z][_-]?){1,100}$")
    description: str | None = None
    execution_role_arn: str = Field(default=DEFAULT_ROLE_ARN, alias="executionRoleArn")
    aliases: list[str] = Field(default_factory=list)
    definition: dict[str, Any]


class FlowsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    flows: list[FlowConfig]


def load_file(path: str | Path) -> list[tuple[FlowConfig, FlowDefinition]]:
    source = Path(path)
    try:
        raw = yaml.safe_load(source.read_text("utf-8"))
        parsed = FlowsFile.model_validate(raw)
    except OSError as exc:
        raise FlowConfigError(f"{source}: cannot read flows file: {exc}") from exc
    except yaml.YAMLError as exc:
        raise FlowConfigError(f"{source}: not valid YAML: {exc}") from exc
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}" for error in exc.errors()
        )
        raise FlowConfigError(f"{source}: {problems}") from exc
    loaded = []
    for index, flow in enumerate(parsed.flows):
        try:
            loaded.append((flow, parse(flow.definition)))
        except DefinitionError as exc:
            raise FlowConfigError(f"{source}: flows.{index}.definition ({flow.id}): {exc}") from exc
    return loaded
