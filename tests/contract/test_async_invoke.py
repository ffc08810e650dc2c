"""Asynchronous invocations through real boto3: StartAsyncInvoke, GetAsyncInvoke and ListAsyncInvokes,
their InProgress -> Completed transition on the virtual clock and the output files in the local directory
that stands for the S3 prefix."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from emulator.services.exchange import JsonReply, OperationCall

REEL = "amazon.nova-reel-v1:0"
VIDEO_INPUT = {
    "taskType": "TEXT_VIDEO",
    "textToVideoParams": {"text": "A lighthouse at dawn"},
    "videoGenerationConfig": {"durationSeconds": 6, "fps": 24, "dimension": "1280x720"},
}


@pytest.fixture
def output_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BEDROCK_EMULATOR_ASYNC_OUTPUT_DIR", str(tmp_path))
    return tmp_path


def start(runtime: Any, **extra: Any) -> str:
    arn: str = runtime.start_async_invoke(
        modelId=REEL,
        modelInput=VIDEO_INPUT,
        outputDataConfig={"s3OutputDataConfig": {"s3Uri": "s3://my-videos/reel"}},
        **extra,
    )["invocationArn"]
    return arn


def test_start_async_invoke_is_in_progress_with_bedrock_shaped_arns(
    bedrock_emulator: Any, output_dir: Path
) -> None:
    runtime = bedrock_emulator.client("bedrock-runtime")
    arn = start(runtime)
    assert arn.startswith("arn:aws:bedrock:us-east-1:")
    assert ":async-invoke/" in arn
    job = runtime.get_async_invoke(invocationArn=arn)
    assert job["status"] == "InProgress"
    assert job["modelArn"] == f"arn:aws:bedrock:us-east-1::foundation-model/{REEL}"
    assert job["outputDataConfig"]["s3OutputDataConfig"]["s3Uri"] == "s3://my-videos/reel"
    assert "endTime" not in job
    assert not list(output_dir.rglob("output.mp4"))


def test_list_async_invokes_filters_by_status_and_is_per_tenant(
    bedrock_emulator: Any, output_dir: Path
) -> None:
    runtime = bedrock_emulator.client("bedrock-runtime")
    first, second = start(runtime), start(runtime)
    listed = runtime.list_async_invokes()["asyncInvokeSummaries"]
    assert [s["invocationArn"] for s in listed] == [second, first]  # newest first by default
    assert runtime.list_async_invokes(statusEquals="Completed")["asyncInvokeSummaries"] == []
    page = runtime.list_async_invokes(maxResults=1, sortOrder="Ascending")
    assert [s["invocationArn"] for s in page["asyncInvokeSummaries"]] == [first]
    assert page["nextToken"]


def test_same_client_request_token_returns_the_same_invocation(
    bedrock_emulator: Any, output_dir: Path
) -> None:
    runtime = bedrock_emulator.client("bedrock-runtime")
    assert start(runtime, clientRequestToken="token-1") == start(runtime, clientRequestToken="token-1")


def test_start_async_invoke_refuses_models_without_async_and_bad_s3_uris(bedrock_emulator: Any) -> None:
    runtime = bedrock_emulator.client("bedrock-runtime")
    with pytest.raises(runtime.exceptions.ValidationException) as refused:
        runtime.start_async_invoke(
            modelId="amazon.titan-text-express-v1",
            modelInput={"inputText": "hi"},
            outputDataConfig={"s3OutputDataConfig": {"s3Uri": "s3://bucket/x"}},
        )
    assert refused.value.response["Error"]["Message"] == "The provided request is not valid"
    with pytest.raises(runtime.exceptions.ValidationException) as unknown:
        runtime.start_async_invoke(
            modelId="amazon.no-such-model-v9:0",
            modelInput={"inputText": "hi"},
            outputDataConfig={"s3OutputDataConfig": {"s3Uri": "s3://bucket/x"}},
        )
    assert unknown.value.response["Error"]["Message"] == "The provided model identifier is invalid."
    with pytest.raises(runtime.exceptions.ValidationException):
        runtime.start_async_invoke(
            modelId=REEL, modelInput=VIDEO_INPUT, outputDataConfig={"s3OutputDataConfig": {"s3Uri": "/tmp/x"}}
        )


def test_get_async_invoke_of_an_unknown_arn_is_a_validation_error(bedrock_emulator: Any) -> None:
    runtime = bedrock_emulator.client("bedrock-runtime")
    with pytest.raises(runtime.exceptions.ValidationException):
        runtime.get_async_invoke(
            invocationArn="arn:aws:bedrock:us-east-1:123456789012:async-invoke/abcdefghijkl"
        )


def test_async_invoke_completes_after_the_virtual_clock_passes_and_writes_output(
    bedrock_emulator: Any, output_dir: Path
) -> None:
    runtime = bedrock_emulator.client("bedrock-runtime")
    arn = start(runtime)
    assert runtime.get_async_invoke(invocationArn=arn)["status"] == "InProgress"
    bedrock_emulator.advance_clock(91)  # the 90 s job ends on the virtual clock, never on a real wait
    job = runtime.get_async_invoke(invocationArn=arn)
    assert job["status"] == "Completed"
    assert job["endTime"] >= job["submitTime"]
    invocation_id = arn.rsplit("/", 1)[1]
    assert (output_dir / "my-videos" / "reel" / invocation_id / "output.mp4").is_file()


@dataclasses.dataclass(frozen=True)
class _ClockedCall(OperationCall):
    now: float = 0.0


def _call(operation: str, now: float, **fields: Any) -> _ClockedCall:
    base: dict[str, Any] = {
        "service": "bedrock-runtime",
        "labels": {},
        "headers": {},
        "query": {},
        "raw_body": b"",
        "region": "us-east-1",
        "tenant": "clock-tenant",
        "request_id": f"req-{now}",
        "strict": False,
        "seed": 0,
    }
    base.update(fields)
    return _ClockedCall(operation=operation, now=now, **base)


def test_handlers_read_the_virtual_clock_the_data_plane_hands_over(output_dir: Path) -> None:
    import json

    from emulator.services import async_invoke
    from emulator.state import AppState

    state = AppState()  # the app's stores, which the data plane would hand to each call
    body = {
        "modelId": REEL,
        "modelInput": VIDEO_INPUT,
        "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": "s3://clocked/out/"}},
    }

    def status_at(now: float) -> Any:
        reply = async_invoke.get_async_invoke(
            _call("GetAsyncInvoke", now, labels={"invocationArn": arn}, state=state)
        )
        assert isinstance(reply, JsonReply)
        return reply.body["status"]

    started = async_invoke.start_async_invoke(
        _call("StartAsyncInvoke", 1000.0, raw_body=json.dumps(body).encode(), state=state)
    )
    assert isinstance(started, JsonReply)
    arn = started.body["invocationArn"]
    assert status_at(1089.0) == "InProgress"
    assert status_at(1090.0) == "Completed"
    directory = output_dir / "clocked" / "out" / arn.rsplit("/", 1)[1]
    assert sorted(p.name for p in directory.iterdir()) == ["manifest.json", "output.mp4"]


INVALID_S3_URI = "Invalid S3 URI: {}. The S3 URI must be of the form s3://bucket/prefix."


@pytest.mark.parametrize(
    "s3_uri",
    [
        "s3://my-videos/../../escaped",
        "s3://my-videos/reel/../..",
        "s3://my-videos/./reel",
        "s3://my-videos/a\x00b",
        "s3://my-videos/a\tb",
        "s3://my-videos/" + "x" * 256,
    ],
)
def test_s3_uris_a_local_directory_cannot_stand_for_are_refused_and_nothing_is_started(
    bedrock_emulator: Any, output_dir: Path, s3_uri: str
) -> None:
    runtime = bedrock_emulator.client("bedrock-runtime")
    with pytest.raises(runtime.exceptions.ValidationException) as refused:
        runtime.start_async_invoke(
            modelId=REEL, modelInput=VIDEO_INPUT, outputDataConfig={"s3OutputDataConfig": {"s3Uri": s3_uri}}
        )
    assert refused.value.response["Error"]["Message"] == INVALID_S3_URI.format(s3_uri)
    assert runtime.list_async_invokes()["asyncInvokeSummaries"] == []


def test_an_s3_uri_over_the_models_1024_characters_is_refused_by_the_model_check(
    bedrock_emulator: Any,
) -> None:
    runtime = bedrock_emulator.client("bedrock-runtime")
    s3_uri = "s3://my-videos/" + "x/" * 600
    with pytest.raises(runtime.exceptions.ValidationException) as refused:
        runtime.start_async_invoke(
            modelId=REEL, modelInput=VIDEO_INPUT, outputDataConfig={"s3OutputDataConfig": {"s3Uri": s3_uri}}
        )
    assert refused.value.response["Error"]["Message"] == (
        f"1 validation error detected: Value '{s3_uri}' at 'outputDataConfig.s3OutputDataConfig.s3Uri' "
        "failed to satisfy constraint: Member must have length less than or equal to 1024"
    )
    assert runtime.list_async_invokes()["asyncInvokeSummaries"] == []


def test_outputs_never_leave_the_root_even_through_a_symbolic_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime

    from emulator.services.async_invoke import Invocation, output_directory
    from emulator.wire.errors import AwsError

    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "bucket").symlink_to(outside)
    monkeypatch.setenv("BEDROCK_EMULATOR_ASYNC_OUTPUT_DIR", str(root))

    def invocation(s3_uri: str) -> Invocation:
        return Invocation(
            invocation_id="abcdefghijkl",
            arn="arn",
            model_arn="model",
            kind="video",
            client_request_token=None,
            output_config={"s3OutputDataConfig": {"s3Uri": s3_uri}},
            submitted=datetime.now(UTC),
            started_on_clock=0.0,
            run_seconds=0.0,
        )

    assert output_directory(invocation("s3://my-videos/a/b")) == root.resolve() / "my-videos/a/b/abcdefghijkl"
    with pytest.raises(AwsError) as escaped:
        output_directory(invocation("s3://bucket/x"))
    assert escaped.value.code == "InternalServerException"
    with pytest.raises(AwsError):
        output_directory(invocation("s3://my-videos/../../x"))
