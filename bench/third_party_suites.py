"""Third-party suites: langchain-aws's and strands-agents' own Bedrock integration tests, run unmodified
against ``bedrock-emulator serve``, as a new user would point them at it.

Not part of ``make test``: it installs the projects' pinned dependencies from PyPI (minutes) and runs
their suites (about a quarter of an hour on two cores). Results and the reason for every failure:
docs/third-party-suites.md.

    .venv/bin/python bench/third_party_suites.py \\
        --langchain-aws /path/to/langchain-aws --strands /path/to/sdk-python [--workdir /tmp/third-party-suites]

Each path is a clone of the repository or its bare git directory (what the search tool's ``fetch`` brings).
For each suite the script

1. extracts the test files at the checked-out commit into the work directory (``git archive``: nothing of
   theirs lands in this repository) and reads the released version from the newest tag;
2. makes a virtualenv there (Python 3.12, which langchain-aws's Nova Sonic tests need) and installs the
   release from PyPI with its test dependencies: langchain-aws's exactly as its ``uv.lock`` pins them
   (``uv export``), strands-agents' as its ``hatch-test`` environment lists them;
3. starts a fresh emulator on a free port and runs pytest with ``AWS_ENDPOINT_URL`` (and the Anthropic
   SDK's ``ANTHROPIC_BEDROCK_BASE_URL``) pointing at it, dummy credentials, ``AWS_REGION=us-east-1`` and
   ``KNOWLEDGE_BASE_ID=EMUSAMPLKB`` (the bundled sample knowledge base);
4. prints a table of outcomes and every failure, each with its reason class where it is known
   (``KNOWN``): (a) needs a real model's judgement, (b) the emulator's, (c) test infrastructure.

Two pytest plugins of ours are loaded (bench/suite_offline_fixtures.py: the three files langchain-aws's
tests download from the web, made locally; bench/suite_outcomes.py: each test's outcome as JSON). Test
files that need another service (Bedrock AgentCore's browser and code interpreter, the bedrock-mantle
endpoint) are left out, see ``Suite.ignore``.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"


@dataclass(frozen=True)
class Suite:
    name: str
    package: str
    tag_pattern: str  # git describe --match
    version: Callable[[str], str]  # from the tag
    paths: tuple[str, ...]  # extracted with git archive
    rootdir: str  # pytest runs here, inside the extraction
    targets: tuple[str, ...]
    ignore: tuple[str, ...] = ()  # (path, why): files that need another service
    pytest_args: tuple[str, ...] = ()
    install: Callable[[Suite, Path, Path, str], None] = field(default=lambda *_: None)


def _run(command: list[str], **kwargs: object) -> None:
    print("+", " ".join(command), flush=True)
    subprocess.run(command, check=True, **kwargs)  # type: ignore[call-overload]


def _pip(venv: Path, *args: str) -> None:
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", *args])


def _install_langchain_aws(suite: Suite, venv: Path, checkout: Path, version: str) -> None:
    """The exact versions langchain-aws's lock file pins for its test groups, then the release itself."""
    _pip(venv, "uv")
    requirements = checkout / "requirements-test.txt"
    with requirements.open("w") as out:
        subprocess.run(
            [
                str(venv / "bin" / "uv"),
                "export",
                "--frozen",
                "--no-hashes",
                "--no-emit-project",
                "--group",
                "test",
                "--group",
                "test_integration",
                "--python",
                str(venv / "bin" / "python"),
            ],
            cwd=checkout / suite.rootdir,
            stdout=out,
            check=True,
        )
    _pip(venv, "-r", str(requirements))
    _pip(venv, "--no-deps", f"{suite.package}=={version}")
    _pip(venv, "pytest-timeout")


def _install_strands(suite: Suite, venv: Path, _checkout: Path, version: str) -> None:
    """The release with every extra its hatch-test environment enables, and that environment's tools."""
    _pip(
        venv,
        f"{suite.package}[all,bidi]=={version}",
        "pytest>=9.0.0,<10.0.0",
        "pytest-asyncio>=1.0.0,<1.4.0",
        "pytest-timeout>=2.0.0,<3.0.0",
        "pytest-xdist>=3.0.0,<4.0.0",
        "moto>=5.1.0,<6.0.0",
        "tenacity>=9.0.0,<10.0.0",
    )


SUITES = {
    "langchain-aws": Suite(
        name="langchain-aws",
        package="langchain-aws",
        tag_pattern="langchain-aws==*",
        version=lambda tag: tag.split("==", 1)[1].split("-")[0],
        paths=("libs/aws/tests", "libs/aws/pyproject.toml", "libs/aws/uv.lock"),
        rootdir="libs/aws",
        targets=("tests/integration_tests",),
        ignore=(
            "tests/integration_tests/tools/test_browser_toolkit.py",  # Bedrock AgentCore browser
            "tests/integration_tests/tools/test_code_interpreter_toolkit.py",  # AgentCore code interpreter
            "tests/integration_tests/chat_models/test_anthropic_mantle.py",  # the bedrock-mantle endpoint
            "tests/integration_tests/chat_models/test_openai.py",  # the bedrock-mantle endpoint
            # The Python SDK for InvokeModelWithBidirectionalStream (aws-sdk-bedrock-runtime 0.9) reads no
            # endpoint from the environment and the tests pass none: they would go to AWS.
            "tests/integration_tests/chat_models/test_bedrock_nova_sonic.py",
        ),
        # Their VCR cassettes would answer instead of the emulator; with recording off every call is live.
        pytest_args=("--disable-recording",),
        install=_install_langchain_aws,
    ),
    "strands": Suite(
        name="strands",
        package="strands-agents",
        tag_pattern="v[0-9]*",
        version=lambda tag: tag.lstrip("v").split("-")[0],
        paths=("tests_integ", "tests", "pyproject.toml"),
        rootdir=".",
        targets=("tests_integ",),  # the project's addopts leave out tests_integ/bidi
        install=_install_strands,
    ),
}

# Known reasons, by node id pattern (first match wins): (class, reason). Class a: needs a real model's
# judgement; b: the emulator's; b*: the emulator's, in an area another change covers; c: test
# infrastructure. Kept in step with docs/third-party-suites.md.
KNOWN: tuple[tuple[str, str, str], ...] = (
    # -- langchain-aws
    ("*::test_tool_calling[[]*", "a", "tool arguments read from the prompt (add 3 and 4)"),
    ("*::test_tool_calling_async", "a", "tool arguments read from the prompt (add 3 and 4)"),
    (
        "*Cohere*::test_unicode_tool_call_integration",
        "b*",
        "toolChoice accepted where Bedrock refuses it for this model (per-model rules)",
    ),
    (
        "*Meta*::test_unicode_tool_call_integration",
        "b*",
        "toolChoice accepted where Bedrock refuses it for this model (per-model rules)",
    ),
    ("*::test_unicode_tool_call_integration", "a", "the tool argument must repeat the prompt's Chinese text"),
    ("*::test_tool_calling_camel_case", "a", "the enum value must be chosen from the prompt (cats -> 'cat')"),
    (
        "*::test_structured_few_shot_examples",
        "b*",
        "toolChoice any accepted where Bedrock refuses it for this model (per-model rules)",
    ),
    (
        "*Mistral*::test_tool_message_histories_list_content",
        "b*",
        "text and toolUse in one assistant turn accepted; Mistral refuses it (per-model rules)",
    ),
    (
        "*Meta*::test_tool_message_histories_list_content",
        "b*",
        "text and toolUse in one assistant turn accepted; Llama refuses it (per-model rules)",
    ),
    (
        "*Nova*::test_tool_message_histories_list_content",
        "b*",
        "a user turn after an assistant turn with tool use accepted; Nova refuses it (per-model rules)",
    ),
    (
        "*::test_get_num_tokens_from_messages_integration",
        "b*",
        "CountTokens without Claude's per-message and system overhead (token counting)",
    ),
    (
        "*test_bedrock.py::test_chat_bedrock_generate_with_token_usage",
        "b*",
        "input tokens without Claude's message overhead: 'Hello' is 18 on Bedrock (token counting)",
    ),
    (
        "*test_bedrock.py::test_bedrock_invoke",
        "b*",
        "input tokens without Claude's message overhead: 16 on Bedrock (token counting)",
    ),
    ("*::test_citations*", "b*", "citations"),
    ("*::test_pdf_citations", "b*", "citations"),
    (
        "*test_prompt_caching.py::test_middleware_converse_anthropic_tools",
        "b*",
        "tool definitions counted without Claude's tool-use overhead, so the tools prefix stays under the 1,024-token cache minimum (token counting)",
    ),
    ("*TestNovaReasoning::test_with_complex_query", "a", "the asserted number needs the arithmetic done"),
    ("*TestNovaReasoning::*", "b*", "Nova 2 reasoning (reasoningConfig): no reasoning blocks"),
    ("*TestNovaStreaming::test_reasoning*", "b*", "Nova 2 reasoning in the stream"),
    ("*TestNovaGroundingTool::*", "b*", "the nova_grounding system tool (server tools)"),
    ("*TestNovaStreaming::test_accumulating*", "b*", "Nova system tools in the stream (server tools)"),
    (
        "*TestNovaCodeInterpreterTool::*",
        "a",
        "the code interpreter's result is a stand-in: the number needs the code run",
    ),
    (
        "*TestNovaStreaming::*",
        "a",
        "the code interpreter's result is a stand-in: the number needs the code run",
    ),
    ("*::test_agent_loop*", "a", "the agent loop needs a tool call whose arguments come from the prompt"),
    ("*::test_thinking*", "b*", "Claude thinking through additionalModelRequestFields"),
    (
        "*::test_double_messages_conversation",
        "b*",
        "two user turns in a row accepted where the suite expects a refusal (per-model rules)",
    ),
    ("*::test_tool_calling_with_no_arguments", "c", "the suite replaces this test with `pass` under xfail"),
    (
        "*::test_cache_control_anthropic_multi_turn",
        "c",
        "xfail for a sporadic failure against Bedrock; it passes",
    ),
    ("*TestSageMaker*", "c", "xfail of a SageMaker test that mocks its client; nothing reaches the emulator"),
    # -- strands
    (
        "tests_integ/models/test_model_mantle.py::*",
        "c",
        "the bedrock-mantle endpoint (OpenAI API), not emulated",
    ),
    (
        "tests_integ/test_bedrock_s3_location.py::*",
        "c",
        "needs STS GetCallerIdentity (the bucket is named by the account id), not emulated",
    ),
    (
        "tests_integ/test_session.py::test_agent_with_s3_session*",
        "c",
        "needs STS GetCallerIdentity, not emulated",
    ),
    (
        "*::test_count_tokens_messages_only",
        "c",
        "expects native CountTokens, which strands-agents 1.40 turns off by default (use_native_token_count): fails against Bedrock too",
    ),
    (
        "tests_integ/test_bedrock_guardrails.py::test_guardrail_latest_message",
        "a",
        "the output guardrail intervenes only if the model, asked what it sees, repeats the word CACTUS of the"
        " earlier turn (two user turns in a row are taken since wire-facts §31)",
    ),
    (
        "tests_integ/test_bedrock_guardrails.py::*",
        "a",
        "the output guardrail intervenes only if the model says CACTUS as the system prompt asks (or calls the tool)",
    ),
    (
        "tests_integ/steering/test_model_steering.py::*",
        "a",
        "the answer after the steering turn must follow the guidance (mention Paris, answer 2+2); two user"
        " turns in a row are taken since wire-facts §31",
    ),
    (
        "*::test_follow_up_without_structured_output",
        "a",
        "the follow-up's answer must use the earlier structured output's values",
    ),
    ("*::test_document_citations*", "b*", "citations"),
    ("*test_model_litellm.py::test_gemini*", "c", "Gemini through LiteLLM, needs a Gemini API key"),
    (
        "*test_model_litellm.py::test_agent_invoke_reasoning",
        "a",
        "the answer calls a tool where a model answers 2+2 directly; LiteLLM then sends the tool round trip back without the thinking block, which Claude refuses",
    ),
    (
        "*::test_max_tokens_reached",
        "a",
        "the model must write a story long enough into the tool input to reach max_tokens inside the tool use",
    ),
    (
        "*TestValidationRetry::test_validation_forces_retry",
        "a",
        "the model must correct the name a custom validator rejects; the deterministic answer repeats it, so the agent retries until Python's recursion limit",
    ),
    ("tests_integ/*", "a", "the answer, the tool calls or the hand-offs a real model would choose"),
)

_ORDER = {"b": 0, "b*": 1, "?": 2, "a": 3, "c": 4}


def classify(nodeid: str) -> tuple[str, str]:
    for pattern, kind, reason in KNOWN:
        if fnmatch.fnmatchcase(nodeid, pattern):
            return kind, reason
    return "?", "not classified yet"


def _git(git_dir: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "--git-dir", str(git_dir), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


def _git_dir(path: Path) -> Path:
    return path / ".git" if (path / ".git").exists() else path


def checkout(suite: Suite, repo: Path, workdir: Path) -> tuple[Path, str, str]:
    git_dir = _git_dir(repo)
    commit = _git(git_dir, "rev-parse", "HEAD")
    tag = _git(git_dir, "describe", "--tags", "--abbrev=0", "--match", suite.tag_pattern)
    target = workdir / suite.name
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "--git-dir", str(git_dir), "archive", commit, *suite.paths], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target, suite.version(tag), commit


def start_emulator(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    endpoint_file = workdir / "endpoint"
    endpoint_file.unlink(missing_ok=True)
    log = (workdir / "emulator.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator", "serve", "--port", "0", "--endpoint-file", str(endpoint_file)],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while not endpoint_file.exists() or not endpoint_file.read_text().strip():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise SystemExit(f"the emulator did not start; see {workdir / 'emulator.log'}")
        time.sleep(0.1)
    return process, endpoint_file.read_text().strip()


def suite_env(endpoint: str, outcomes: Path, venv: Path) -> dict[str, str]:
    """The environment a new user would run the suite in: the suite's virtualenv activated (its tests
    start MCP and A2A servers as ``python ...``), every AWS client pointed at the emulator."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(
            ("AWS_", "ANTHROPIC_", "OPENAI_", "BEDROCK_EMULATOR_", "GITHUB_", "VIRTUAL_ENV")
        )
        and not key.endswith("_API_KEY")
    }
    env.update(
        PATH=f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        VIRTUAL_ENV=str(venv),
        AWS_ENDPOINT_URL=endpoint,
        ANTHROPIC_BEDROCK_BASE_URL=endpoint,  # the Anthropic SDK's AnthropicBedrock client
        AWS_BEDROCK_RUNTIME_ENDPOINT=endpoint,  # LiteLLM's Bedrock client
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_REGION="us-east-1",
        AWS_DEFAULT_REGION="us-east-1",
        KNOWLEDGE_BASE_ID="EMUSAMPLKB",
        PYTHONPATH=str(BENCH),
        SUITE_OUTCOMES_FILE=str(outcomes),
    )
    return env


def run_suite(
    suite: Suite, repo: Path, workdir: Path, *, python: str, install: bool, timeout: int
) -> dict[str, object]:
    extracted, version, commit = checkout(suite, repo, workdir)
    venv = workdir / f"{suite.name}-venv"
    if install or not (venv / "bin" / "python").exists():
        shutil.rmtree(venv, ignore_errors=True)
        _run([python, "-m", "venv", str(venv)])
        _pip(venv, "--upgrade", "pip")
        suite.install(suite, venv, extracted, version)
    outcomes_file = workdir / f"{suite.name}-outcomes.json"
    outcomes_file.unlink(missing_ok=True)
    process, endpoint = start_emulator(workdir)
    command = [
        str(venv / "bin" / "python"),
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "-p",
        "suite_offline_fixtures",
        "-p",
        "suite_outcomes",
        f"--timeout={timeout}",
        "-q",
        "-rfE",
        *suite.pytest_args,
        *(f"--ignore={path}" for path in suite.ignore),
        *suite.targets,
    ]
    started = time.monotonic()
    try:
        with (workdir / f"{suite.name}.log").open("w") as log:
            print("+", " ".join(command), flush=True)
            subprocess.run(
                command,
                cwd=extracted / suite.rootdir,
                env=suite_env(endpoint, outcomes_file, venv),
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=3 * 3600,
                check=False,
            )
    finally:
        process.terminate()
        process.wait(timeout=30)
    outcomes = json.loads(outcomes_file.read_text()) if outcomes_file.exists() else []
    return {
        "suite": suite.name,
        "version": version,
        "commit": commit,
        "seconds": round(time.monotonic() - started),
        "outcomes": outcomes,
    }


def report(results: list[dict[str, object]]) -> str:
    lines = [
        "| suite | version | tests run | passed | failed | errors | xfailed | xpassed | skipped |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    failures: list[tuple[str, str]] = []
    for result in results:
        outcomes = result["outcomes"]
        assert isinstance(outcomes, list)
        count = Counter(outcome["outcome"] for outcome in outcomes)
        ran = sum(count[kind] for kind in ("passed", "failed", "error", "xfailed", "xpassed"))
        lines.append(
            f"| {result['suite']} | {result['version']} | {ran} | {count['passed']} | {count['failed']} | "
            f"{count['error']} | {count['xfailed']} | {count['xpassed']} | {count['skipped']} |"
        )
        for outcome in outcomes:
            if outcome["outcome"] in ("failed", "error", "xpassed"):
                kind, reason = classify(outcome["nodeid"])
                message = re.sub(r"\s+", " ", outcome["message"]).replace("`", "'")[:160]
                failures.append(
                    (
                        kind,
                        f"- ({kind}) `{outcome['nodeid']}` {outcome['outcome']}: {reason}. Got: `{message}`",
                    )
                )
    failures.sort(key=lambda failure: _ORDER.get(failure[0], 2))
    return "\n".join([*lines, "", *(line for _, line in failures)])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--langchain-aws", type=Path, help="langchain-aws clone or bare git directory")
    parser.add_argument("--strands", type=Path, help="strands-agents/sdk-python clone or bare git directory")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "third-party-suites")
    parser.add_argument("--python", default="python3.12", help="interpreter for the suites' virtualenvs")
    parser.add_argument("--no-install", action="store_true", help="reuse the virtualenvs of an earlier run")
    parser.add_argument("--timeout", type=int, default=120, help="pytest-timeout per test, seconds")
    parser.add_argument("--json", type=Path, help="also write every outcome here")
    parser.add_argument("--report", type=Path, help="only print the report of an earlier run's --json file")
    args = parser.parse_args()
    if args.report:
        print(report(json.loads(args.report.read_text())))
        return
    repos = {"langchain-aws": args.langchain_aws, "strands": args.strands}
    if not any(repos.values()):
        parser.error("give --langchain-aws, --strands or both")
    args.workdir.mkdir(parents=True, exist_ok=True)
    results = [
        run_suite(
            SUITES[name],
            repo,
            args.workdir,
            python=args.python,
            install=not args.no_install,
            timeout=args.timeout,
        )
        for name, repo in repos.items()
        if repo is not None
    ]
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    print(report(results))


if __name__ == "__main__":
    main()
