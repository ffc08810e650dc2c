"""Running an evaluation job: each dataset's prompts through each model (or the dataset's precomputed
responses), a deterministic score per metric, and the results written as Bedrock lays them out
(docs/bedrock-jobs.md):

- automated: ``<output s3Uri>/<job name>/<job id>/models/<model id>/taskTypes/<task type>/datasets/
  <dataset name>/<file id>_output.jsonl``, one line per prompt:
  ``{"automatedEvaluationResult": {"scores": [{"metricName", "result"}]}, "inputRecord": {...},
  "modelResponses": [{"response", "modelIdentifier"}]}``;
- human: ``<output s3Uri>/<job name>/<job id>/datasets/<dataset name>/<file id>_output.jsonl``, the
  prompts and model responses workers would rate (no scores: no worker rates them here).

A score is a number in [0, 1] from a hash of the seed, the job, the metric, the prompt and the response:
the same job over the same data scores the same. A built-in dataset (``Builtin.*``) is a few fixed prompts.
RAG evaluations (``ragConfigs``) complete without output.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Final

from emulator.bedrock_control import model_calls, s3_uris
from emulator.bedrock_control.s3_uris import InputError, OutputError
from emulator.services.exchange import OperationCall

MAX_PROMPTS: Final = 1000  # Bedrock's limit on prompts in a custom prompt dataset
_BUILTIN: Final = (
    {
        "prompt": "Summarize: The river rose overnight and the town moved its market uphill.",
        "referenceResponse": "Flooding moved the market.",
    },
    {"prompt": "Is the sky green on a clear day? Answer yes or no.", "referenceResponse": "no"},
    {"prompt": "What is the capital of France?", "referenceResponse": "Paris"},
)


def score(call: OperationCall, job_id: str, metric: str, prompt: str, response: str) -> float:
    text = f"{call.seed}|{job_id}|{metric}|{prompt}|{response}".encode()
    number = int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")
    return round((number % 10_001) / 10_000, 4)


def _file_id(call: OperationCall, *parts: str) -> str:
    digest = hashlib.blake2b(
        "|".join((str(call.seed), call.tenant, *parts)).encode(), digest_size=16
    ).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-4{digest[13:16]}-a{digest[17:20]}-{digest[20:32]}"


def _dataset(call: OperationCall, dataset: dict[str, Any]) -> list[dict[str, Any]]:
    uri = (dataset.get("datasetLocation") or {}).get("s3Uri")
    if not uri:
        if str(dataset.get("name", "")).startswith("Builtin."):
            return [dict(record) for record in _BUILTIN]
        raise InputError(f"The dataset {dataset.get('name')} has no datasetLocation.")
    records = []
    for source in s3_uris.read_inputs(call, uri):
        for number, line in enumerate(source.data.decode("utf-8", "replace").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except ValueError:
                raise InputError(
                    f"The dataset {uri} is not valid JSONL: line {number} is not a JSON object."
                ) from None
            if not isinstance(value, dict) or not isinstance(value.get("prompt"), str):
                raise InputError(f"The dataset {uri} has a record without a prompt (line {number}).")
            records.append(value)
    if len(records) > MAX_PROMPTS:
        raise InputError(
            f"The dataset {uri} has {len(records)} prompts, more than the {MAX_PROMPTS} allowed."
        )
    return records


def inference_params(bedrock_model: dict[str, Any]) -> dict[str, Any]:
    """The Converse members a model's ``inferenceParams`` sets (a JSON text such as
    ``{"inferenceConfig": {"maxTokens": 512}}``); ValueError when it is not that."""
    text = bedrock_model.get("inferenceParams")
    if not text:
        return {}
    value = json.loads(text)
    if not isinstance(value, dict) or not isinstance(value.get("inferenceConfig", {}), dict):
        raise ValueError("inferenceParams")
    return {"inferenceConfig": value["inferenceConfig"]} if "inferenceConfig" in value else {}


def _identifier(model: dict[str, Any]) -> str:
    bedrock = model.get("bedrockModel")
    if bedrock is not None:
        return str(bedrock["modelIdentifier"])
    return str(model["precomputedInferenceSource"]["inferenceSourceIdentifier"])


def _response(
    call: OperationCall, job_id: str, model: dict[str, Any], record: dict[str, Any], index: int
) -> str:
    """The model's response to the record's prompt (a precomputed one: the record's own)."""
    identifier = _identifier(model)
    if "bedrockModel" not in model:
        for given in record.get("modelResponses") or []:
            if isinstance(given, dict) and given.get("modelIdentifier") in (None, identifier):
                return str(given.get("response", ""))
        return ""
    body: dict[str, Any] = {"messages": [{"role": "user", "content": [{"text": record["prompt"]}]}]}
    body.update(inference_params(model["bedrockModel"]))
    outcome = model_calls.invoke(call, "Converse", identifier, body, f"{job_id}/{identifier}/{index}")
    if outcome.body is None:
        return ""
    content = outcome.body.get("output", {}).get("message", {}).get("content", [])
    return "".join(str(block.get("text", "")) for block in content if isinstance(block, dict))


def _path_id(identifier: str) -> str:
    return identifier.rsplit("/", 1)[-1]


def run(call: OperationCall, job: dict[str, Any]) -> str | None:
    """Evaluate and write the results; the failure message, or None."""
    try:
        _run(call, job)
    except (InputError, OutputError) as error:
        return str(error)
    return None


def _run(call: OperationCall, job: dict[str, Any]) -> None:
    output = s3_uris.parse(job["outputDataConfig"]["s3Uri"]).child(job["jobName"], job["_id"])
    if not s3_uris.bucket_exists(call, output):
        raise OutputError(f"The S3 bucket in {output.uri()} does not exist or is not accessible.")
    config = job["evaluationConfig"]
    automated = "automated" in config
    metric_configs = (config.get("automated") or config.get("human") or {}).get("datasetMetricConfigs", [])
    models = (job.get("inferenceConfig") or {}).get("models") or []
    datasets = [(metric_config, _dataset(call, metric_config["dataset"])) for metric_config in metric_configs]
    for metric_config, records in datasets:
        dataset_name = metric_config["dataset"]["name"]
        task = metric_config["taskType"]
        human_lines: list[dict[str, Any]] = [
            {"inputRecord": record, "modelResponses": []} for record in records
        ]
        for model in models:
            identifier = _identifier(model)
            lines = []
            for index, record in enumerate(records):
                response = _response(call, job["_id"], model, record, index)
                human_lines[index]["modelResponses"].append(
                    {"response": response, "modelIdentifier": identifier}
                )
                scores = [
                    {
                        "metricName": metric,
                        "result": score(call, job["_id"], metric, record["prompt"], response),
                    }
                    for metric in metric_config["metricNames"]
                ]
                lines.append(
                    {
                        "automatedEvaluationResult": {"scores": scores},
                        "inputRecord": record,
                        "modelResponses": [{"response": response, "modelIdentifier": identifier}],
                    }
                )
            if automated:
                name = f"{_file_id(call, job['_id'], identifier, task, dataset_name)}_output.jsonl"
                where = output.child(
                    "models", _path_id(identifier), "taskTypes", task, "datasets", dataset_name, name
                )
                s3_uris.write(call, where, _jsonl(lines), "application/jsonl")
        if not automated and models:
            name = f"{_file_id(call, job['_id'], dataset_name)}_output.jsonl"
            s3_uris.write(
                call, output.child("datasets", dataset_name, name), _jsonl(human_lines), "application/jsonl"
            )


def _jsonl(lines: list[dict[str, Any]]) -> bytes:
    return "".join(
        json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n" for line in lines
    ).encode()
