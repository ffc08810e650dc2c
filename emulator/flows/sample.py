"""The bundled sample flow: seed 002's invoice pipeline (extract the facts, rate the priority, output it).

Served in lenient mode for any flow id nobody defined, so a first ``invoke_flow`` works with whatever id
a tutorial uses. Its Prompt nodes answer with the deterministic stand-in model.
"""

from __future__ import annotations

from typing import Any

SAMPLE_FLOW_ID = "EMUSAMPFLW"
SAMPLE_FLOW_NAME = "InvoiceProcessingFlow"
SAMPLE_FLOW_DESCRIPTION = (
    "Sample flow bundled with bedrock-emulator: extracts invoice facts and rates their priority."
)
_MODEL = "anthropic.claude-haiku-4-5-20251001-v1:0"

_EXTRACT = (
    "Read the invoice below and list its vendor, invoice number, invoice date, total amount and line "
    "items. Answer with a JSON object.\n\nInvoice:\n{{document}}"
)
_CLASSIFY = (
    "Using the amount and the due date, rate how urgently this invoice needs handling: HIGH, MEDIUM or "
    "LOW. Reply with the level alone.\n\nExtracted invoice: {{extracted_info}}"
)


def _prompt(name: str, text: str, variable: str) -> dict[str, Any]:
    return {
        "name": name,
        "type": "Prompt",
        "configuration": {
            "prompt": {
                "sourceConfiguration": {
                    "inline": {
                        "modelId": _MODEL,
                        "templateType": "TEXT",
                        "templateConfiguration": {
                            "text": {"text": text, "inputVariables": [{"name": variable}]}
                        },
                        "inferenceConfiguration": {"text": {"temperature": 0.0, "maxTokens": 512}},
                    }
                }
            }
        },
        "inputs": [{"name": variable, "type": "String", "expression": "$.data"}],
        "outputs": [{"name": "modelCompletion", "type": "String"}],
    }


def _data(name: str, source: str, output: str, target: str, target_input: str) -> dict[str, Any]:
    return {
        "name": name,
        "type": "Data",
        "source": source,
        "target": target,
        "configuration": {"data": {"sourceOutput": output, "targetInput": target_input}},
    }


SAMPLE_DEFINITION: dict[str, Any] = {
    "nodes": [
        {
            "name": "Input",
            "type": "Input",
            "configuration": {"input": {}},
            "outputs": [{"name": "document", "type": "String"}],
        },
        _prompt("ExtractInfo", _EXTRACT, "document"),
        _prompt("ClassifyPriority", _CLASSIFY, "extracted_info"),
        {
            "name": "Output",
            "type": "Output",
            "configuration": {"output": {}},
            "inputs": [{"name": "document", "type": "String", "expression": "$.data"}],
        },
    ],
    "connections": [
        _data("InputToExtractInfo", "Input", "document", "ExtractInfo", "document"),
        _data(
            "ExtractInfoToClassifyPriority",
            "ExtractInfo",
            "modelCompletion",
            "ClassifyPriority",
            "extracted_info",
        ),
        _data("ClassifyPriorityToOutput", "ClassifyPriority", "modelCompletion", "Output", "document"),
    ],
}
