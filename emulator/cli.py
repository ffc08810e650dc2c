"""``bedrock-emulator serve | validate | health | report``: the command line. Every serve flag has a
``BEDROCK_EMULATOR_<FLAG>`` environment variable; flags win over the environment."""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
import threading
from collections.abc import Sequence

from emulator import healthcheck, log_setup

# What a first model call needs is loaded in the background this long after the server listens, so a
# client that calls at once is not slowed by it (see ``emulator.app.warm_up``).
WARM_UP_AFTER_SECONDS = 1.0


def _parser() -> argparse.ArgumentParser:
    from emulator.settings import DEFAULT_PORT

    parser = argparse.ArgumentParser(
        prog="bedrock-emulator", description="A local emulator of Amazon Bedrock."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the emulator (default 127.0.0.1:8484)")
    serve.add_argument("--host", help="address to bind (BEDROCK_EMULATOR_HOST; default 127.0.0.1)")
    serve.add_argument(
        "--port", type=int, help=f"port (BEDROCK_EMULATOR_PORT; default {DEFAULT_PORT}; 0 = any free port)"
    )
    serve.add_argument(
        "--seed", type=int, help="seed for generated text and seeded faults (BEDROCK_EMULATOR_SEED)"
    )
    serve.add_argument(
        "--scenario",
        action="append",
        help="scenario file or directory to load; repeatable (BEDROCK_EMULATOR_SCENARIO, path-separated)",
    )
    serve.add_argument(
        "--default-scenario", dest="default_scenario", help="scenario applied when no other is chosen"
    )
    serve.add_argument(
        "--strict", action="store_true", default=None, help="answer exactly as Bedrock would today"
    )
    serve.add_argument(
        "--no-library",
        dest="library",
        action="store_false",
        default=None,
        help="do not load the shipped scenario library (BEDROCK_EMULATOR_LIBRARY=0)",
    )
    serve.add_argument(
        "--knowledge-bases",
        dest="knowledge_bases",
        action="append",
        help="knowledge_bases: YAML file defining knowledge bases; repeatable (BEDROCK_EMULATOR_KNOWLEDGE_BASES)",
    )
    serve.add_argument(
        "--guardrails",
        action="append",
        help="guardrails: YAML file of CreateGuardrail bodies with ids; repeatable (BEDROCK_EMULATOR_GUARDRAILS)",
    )
    serve.add_argument(
        "--agents",
        action="append",
        help="agents: YAML file defining agents; repeatable (BEDROCK_EMULATOR_AGENTS)",
    )
    serve.add_argument(
        "--flows",
        action="append",
        help="flows: YAML file defining flows; repeatable (BEDROCK_EMULATOR_FLOWS)",
    )
    serve.add_argument("--record", help="directory to record upstream exchanges into (with --upstream)")
    serve.add_argument(
        "--upstream",
        help="real endpoint to forward to when recording, e.g. https://{service}.{region}.amazonaws.com",
    )
    serve.add_argument("--record-name", dest="record_name", help="name of the recorded scenario")
    serve.add_argument(
        "--log-level",
        dest="log_level",
        help="DEBUG, INFO (the default: one line per served call), WARNING or ERROR (BEDROCK_EMULATOR_LOG_LEVEL)",
    )
    serve.add_argument(
        "--log-format",
        dest="log_format",
        help="text (the default) or json: one JSON object per line (BEDROCK_EMULATOR_LOG_FORMAT)",
    )
    serve.add_argument(
        "--allowed-host",
        dest="allowed_host",
        action="append",
        help="a Host name the admin API also answers to, e.g. the compose service name; name, name:port "
        "or *; repeatable (BEDROCK_EMULATOR_ALLOWED_HOST, comma-separated)",
    )
    serve.add_argument(
        "--admin-token",
        dest="admin_token",
        help="require Authorization: Bearer TOKEN on the admin API; prefer the variable, which ps does not "
        "show (BEDROCK_EMULATOR_ADMIN_TOKEN)",
    )
    serve.add_argument(
        "--endpoint-file",
        dest="endpoint_file",
        help="write the served URL to this file once listening, for `health` (BEDROCK_EMULATOR_ENDPOINT_FILE)",
    )
    serve.add_argument(
        "--verify-signatures",
        dest="verify_signatures",
        action="store_true",
        default=None,
        help="reject requests whose SigV4 signature is wrong, as AWS does (BEDROCK_EMULATOR_VERIFY_SIGNATURES)",
    )
    serve.add_argument(
        "--credentials",
        help="file of ACCESS_KEY_ID=SECRET lines for --verify-signatures (BEDROCK_EMULATOR_CREDENTIALS)",
    )

    serve.add_argument(
        "--s3-endpoint-url",
        dest="s3_endpoint_url",
        help="an external S3-compatible endpoint (MinIO, LocalStack, ...) for the objects Bedrock reads, "
        "instead of the S3 served at the emulator's own URL (BEDROCK_EMULATOR_S3_ENDPOINT_URL)",
    )

    serve.add_argument(
        "--state",
        help="memory (the default) or redis://HOST:PORT/DB: replicas sharing one Redis share counters, "
        "quotas, the clock, scenarios, bindings, the journal and created resources (BEDROCK_EMULATOR_STATE)",
    )

    serve.add_argument(
        "--model-backend",
        dest="model_backend",
        help="an OpenAI-compatible chat-completions server (Ollama, vLLM, llama.cpp, LM Studio), e.g. "
        "http://localhost:11434/v1, whose model writes text answers (BEDROCK_EMULATOR_MODEL_BACKEND)",
    )
    serve.add_argument(
        "--model-backend-model",
        dest="model_backend_model",
        help="the model name sent to --model-backend; default: the Bedrock model id "
        "(BEDROCK_EMULATOR_MODEL_BACKEND_MODEL)",
    )
    serve.add_argument(
        "--model-backend-timeout",
        dest="model_backend_timeout",
        type=float,
        help="seconds one --model-backend answer may take, else ModelTimeoutException; default 60 "
        "(BEDROCK_EMULATOR_MODEL_BACKEND_TIMEOUT)",
    )

    validate = commands.add_parser("validate", help="check scenario files without serving")
    validate.add_argument("files", nargs="+")

    health = commands.add_parser("health", help="exit 0 when the emulator answers its health check")
    healthcheck.add_arguments(health)

    from emulator import report  # the report's own module: its arguments, and its run below

    report.add_arguments(
        commands.add_parser("report", help="turn a journal into one HTML file (a CI artifact)")
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # Start-up allocates long-lived objects only (modules, settings, models, scenarios), which the
    # collector would walk some fifty times on the way for nothing: it is off until the app is built
    # (``_serve`` then freezes them out of every later collection). Hence the imports inside functions.
    gc.disable()
    # pydantic would scan every installed distribution's entry points for its plugins at the first model
    # (tens of milliseconds in a full virtualenv); the emulator's process uses none.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    try:
        args = _parser().parse_args(argv)
        if args.command == "validate":
            return _validate(args.files)
        if args.command == "health":
            return healthcheck.run(args)
        if args.command == "report":
            from emulator import report

            return report.run(args)
        return _serve(args)
    finally:
        gc.enable()


def _validate(files: list[str]) -> int:
    from emulator.engine.loader import validate_files

    problems = validate_files(files)
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print(f"{len(files)} file(s) OK")
    return 1 if problems else 0


def _serve(args: argparse.Namespace) -> int:
    from emulator.config_error import ConfigError
    from emulator.settings import Settings

    flags = {
        "host": args.host,
        "port": args.port,
        "seed": args.seed,
        "scenario": tuple(args.scenario) if args.scenario else None,
        "default_scenario": args.default_scenario,
        "strict": args.strict,
        "record": args.record,
        "upstream": args.upstream,
        "record_name": args.record_name,
        "log_level": args.log_level,
        "log_format": args.log_format,
        "allowed_host": tuple(args.allowed_host) if args.allowed_host else None,
        "admin_token": args.admin_token,
        "endpoint_file": args.endpoint_file,
        "verify_signatures": args.verify_signatures,
        "credentials": args.credentials,
        "s3_endpoint_url": args.s3_endpoint_url,
        "library": args.library,
        "knowledge_bases": tuple(args.knowledge_bases) if args.knowledge_bases else None,
        "guardrails": tuple(args.guardrails) if args.guardrails else None,
        "agents": tuple(args.agents) if args.agents else None,
        "flows": tuple(args.flows) if args.flows else None,
        "state": args.state,
        "model_backend": args.model_backend,
        "model_backend_model": args.model_backend_model,
        "model_backend_timeout": args.model_backend_timeout,
    }
    try:
        settings = Settings.from_sources(flags)
    except ConfigError as exc:
        for line in str(exc).splitlines():
            print(f"bedrock-emulator: {line}", file=sys.stderr)
        return 2
    if bool(settings.record) != bool(settings.upstream):
        print("bedrock-emulator: --record and --upstream go together", file=sys.stderr)
        return 2
    if settings.verify_signatures:
        from emulator.credentials import CredentialsFileError, require

        try:
            require(settings.credentials)
        except CredentialsFileError as exc:
            print(f"bedrock-emulator: {exc}", file=sys.stderr)
            return 2
    log_setup.configure(settings.log_level, settings.log_format)
    from emulator.app import create_app, warm_up
    from emulator.engine import ScenarioError
    from emulator.server import EmulatorServer
    from emulator.state.unavailable import StateUnavailableError

    try:
        app = create_app(settings)
    except StateUnavailableError as exc:  # --state redis://... that does not answer
        print(f"bedrock-emulator: cannot use --state: {exc}", file=sys.stderr)
        return 2
    except (ScenarioError, ValueError) as exc:  # ValueError: recording without AWS credentials
        print(f"bedrock-emulator: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a scenario or definitions folder that cannot be listed or read
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"bedrock-emulator: {where}cannot read: {exc.strerror or exc}", file=sys.stderr)
        return 2
    finally:
        # What start-up built stays for good: frozen, later collections need not walk it (a full one over
        # it cost the first call tens of milliseconds).
        gc.freeze()
        gc.enable()
    server = EmulatorServer(app, settings.host, settings.port)

    published: list[str] = []

    def announce(ready: EmulatorServer) -> None:
        log_setup.notice(f"bedrock-emulator serving on {ready.endpoint_url}", endpoint=ready.endpoint_url)
        warming = threading.Timer(WARM_UP_AFTER_SECONDS, warm_up)
        warming.daemon = True
        warming.start()
        if settings.endpoint_file:
            url = healthcheck.probe_url(ready.host, ready.port)
            try:
                healthcheck.publish(settings.endpoint_file, url)
                published.append(url)
            except OSError as exc:  # a read-only file system: the health check falls back to the port
                logging.getLogger("bedrock_emulator").warning(
                    "cannot write the endpoint file %s: %s", settings.endpoint_file, exc
                )

    try:
        server.serve_forever(on_ready=announce)
    except OSError as exc:
        print(f"bedrock-emulator: cannot serve on {settings.host}:{settings.port}: {exc}", file=sys.stderr)
        return 2
    finally:
        for url in published:
            healthcheck.withdraw(settings.endpoint_file or "", url)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
