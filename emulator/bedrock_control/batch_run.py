"""Running a batch inference job: its JSONL input from S3, each record through the model, the output
files and the manifest written where Bedrock writes them (docs/bedrock-jobs.md):

- ``<output s3Uri>/<job id>/<input file name>.out``: one line per input record, in input order,
  ``{"recordId", "modelInput", "modelOutput"}``, or ``"error": {"errorCode", "errorMessage"}`` in place of
  ``modelOutput`` for a record that failed (the status and message bedrock-runtime answers the same body
  with, or the error a scenario rule gives);
- ``<output s3Uri>/<job id>/manifest.json.out``: ``totalRecordCount``, ``processedRecordCount``,
  ``successRecordCount``, ``errorRecordCount``, ``inputTokenCount``, ``outputTokenCount``.

``validate`` is the Validating step (files are JSONL, each line a JSON object with a ``modelInput``
object; the model body itself is not checked, as Bedrock's validation does not); ``run`` processes the
records once the job's run time has passed on the virtual clock.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Final

from emulator.bedrock_control import model_calls, s3_uris
from emulator.bedrock_control.s3_uris import InputError, InputFile, Location, OutputError
from emulator.control import ids
from emulator.services.exchange import OperationCall

MAX_RECORDS: Final = 50_000  # Bedrock's default "records per batch inference job" quota
MANIFEST: Final = "manifest.json.out"


@dataclass
class Record:
    record_id: str
    model_input: Any


@dataclass
class Totals:
    total: int = 0
    success: int = 0
    errors: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    files: list[str] = field(default_factory=list)

    def manifest(self) -> dict[str, int]:
        return {
            "totalRecordCount": self.total,
            "processedRecordCount": self.success + self.errors,
            "successRecordCount": self.success,
            "errorRecordCount": self.errors,
            "inputTokenCount": self.input_tokens,
            "outputTokenCount": self.output_tokens,
        }


def _records(call: OperationCall, source: InputFile, job_id: str) -> list[Record]:
    try:
        text = source.data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"The input file {source.name} is not UTF-8 encoded JSONL.") from None
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError:
            raise InputError(
                f"The input file {source.name} is not valid JSONL: line {number} is not a JSON object."
            ) from None
        if not isinstance(value, dict) or not isinstance(value.get("modelInput"), dict):
            raise InputError(
                f"The input file {source.name} has a record without a modelInput JSON object (line {number})."
            )
        record_id = value.get("recordId")
        if not isinstance(record_id, str) or not record_id:
            # Bedrock adds an id to a record that has none: eleven upper-case letters and digits.
            record_id = ids.new_id(call, f"batch-record/{job_id}", length=11)
        records.append(Record(record_id, value["modelInput"]))
    return records


def validate(call: OperationCall, job: dict[str, Any]) -> str | None:
    """Why the Validating step fails the job (its ``message``), or None."""
    try:
        _inputs(call, job)
    except InputError as error:
        return str(error)
    output = _output(job)
    if not s3_uris.bucket_exists(call, output):
        return f"The S3 bucket in {output.uri()} does not exist or is not accessible. Check the S3 URI and try again."
    return None


def _inputs(call: OperationCall, job: dict[str, Any]) -> list[tuple[InputFile, list[Record]]]:
    uri = job["inputDataConfig"]["s3InputDataConfig"]["s3Uri"]
    files = [(source, _records(call, source, job["_id"])) for source in s3_uris.read_inputs(call, uri)]
    count = sum(len(records) for _, records in files)
    if count == 0:
        raise InputError(f"The input at {uri} has no records.")
    if count > MAX_RECORDS:
        raise InputError(
            f"The input at {uri} has {count} records, more than the {MAX_RECORDS} a batch inference job takes."
        )
    return files


def _output(job: dict[str, Any]) -> Location:
    return s3_uris.parse(job["outputDataConfig"]["s3OutputDataConfig"]["s3Uri"])


def run(call: OperationCall, job: dict[str, Any]) -> tuple[Totals | None, str | None]:
    """Process every record and write the output; the totals, or the failure message."""
    try:
        files = _inputs(call, job)
        return _run(call, job, files), None
    except (InputError, OutputError) as error:
        return None, str(error)


def _run(call: OperationCall, job: dict[str, Any], files: list[tuple[InputFile, list[Record]]]) -> Totals:
    output = _output(job).child(job["_id"])
    if not s3_uris.bucket_exists(call, output):
        raise OutputError(f"The S3 bucket in {output.uri()} does not exist or is not accessible.")
    totals = Totals()
    operation = job.get("modelInvocationType") or "InvokeModel"
    for source, records in files:
        lines = []
        for index, record in enumerate(records):
            totals.total += 1
            label = f"{job['_id']}/{source.key}/{index}"
            outcome = model_calls.invoke(call, operation, job["_invokeModelId"], record.model_input, label)
            line: dict[str, Any] = {"recordId": record.record_id, "modelInput": record.model_input}
            if outcome.error is not None:
                totals.errors += 1
                line["error"] = {
                    "errorCode": model_calls.error_status(outcome.error),
                    "errorMessage": outcome.error.message,
                }
            else:
                totals.success += 1
                totals.input_tokens += outcome.input_tokens
                totals.output_tokens += outcome.output_tokens
                line["modelOutput"] = outcome.body
            lines.append(json.dumps(line, ensure_ascii=False, separators=(",", ":")))
        name = f"{source.name}.out"
        totals.files.append(name)
        body = ("\n".join(lines) + "\n").encode()
        s3_uris.write(call, output.child(name), body, "application/jsonl")
    manifest = json.dumps(totals.manifest(), separators=(",", ":")).encode()
    s3_uris.write(call, output.child(MANIFEST), manifest, "application/json")
    return totals
