"""Running an advanced prompt optimization job: its JSONL input of prompt templates read from S3, and
``<output s3Uri>/<job id>/advanced_prompt_optimization_results.jsonl`` written as Bedrock documents it
(docs/bedrock-jobs.md): one line per template, ``{"promptTemplateId", "promptOptimizationResults":
[{"modelId", "status", "optimizedPromptTemplate"}]}``, one result per model of the job.

Each input line must be a JSON object with the documented required members (``version``
``bedrock-2026-05-14``, ``templateId``, ``promptTemplate``); anything else fails the job. The optimized
template is the template with fixed guidance appended (its ``{{variables}}`` kept): deterministic, and
no model is called.
"""

from __future__ import annotations

import json
from typing import Any, Final

from emulator.bedrock_control import s3_uris
from emulator.bedrock_control.s3_uris import InputError, OutputError
from emulator.services.exchange import OperationCall

VERSION: Final = "bedrock-2026-05-14"
RESULTS: Final = "advanced_prompt_optimization_results.jsonl"
MAX_TEMPLATES: Final = 1000
GUIDANCE: Final = "\n\nThink through the task step by step, then answer precisely and concisely."


def templates(call: OperationCall, uri: str) -> list[dict[str, Any]]:
    """The input's templates, or InputError naming what is wrong."""
    found = []
    for source in s3_uris.read_inputs(call, uri, suffix=".jsonl"):
        for number, line in enumerate(source.data.decode("utf-8", "replace").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except ValueError:
                raise InputError(
                    f"The input {uri} is not valid JSONL: line {number} is not a JSON object."
                ) from None
            if not isinstance(value, dict):
                raise InputError(f"The input {uri} is not valid JSONL: line {number} is not a JSON object.")
            if value.get("version") != VERSION:
                raise InputError(f'Line {number} of {uri}: "version" must be "{VERSION}".')
            for member in ("templateId", "promptTemplate"):
                if not isinstance(value.get(member), str) or not value[member]:
                    raise InputError(f'Line {number} of {uri}: "{member}" is required.')
            found.append(value)
    if not found:
        raise InputError(f"The input {uri} has no prompt templates.")
    if len(found) > MAX_TEMPLATES:
        raise InputError(f"The input {uri} has more than {MAX_TEMPLATES} prompt templates.")
    return found


def run(call: OperationCall, job: dict[str, Any]) -> str | None:
    """Write the results; the failure message, or None."""
    try:
        found = templates(call, job["inputConfig"]["s3Uri"])
        output = s3_uris.parse(job["outputConfig"]["s3Uri"]).child(job["_id"], RESULTS)
        models = [str(m["modelId"]) for m in job.get("modelConfigurations") or []]
        lines = [
            {
                "promptTemplateId": template["templateId"],
                "promptOptimizationResults": [
                    {
                        "modelId": model,
                        "status": "Completed",
                        "optimizedPromptTemplate": template["promptTemplate"] + GUIDANCE,
                    }
                    for model in models
                ],
            }
            for template in found
        ]
        body = "".join(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n" for line in lines)
        if not s3_uris.bucket_exists(call, output):
            raise OutputError(f"The S3 bucket in {output.uri()} does not exist or is not accessible.")
        s3_uris.write(call, output, body.encode(), "application/jsonl")
    except (InputError, OutputError) as error:
        return str(error)
    return None
