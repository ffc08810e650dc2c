"""The ``report`` subcommand's arguments and its run: read, analyse, write one HTML file.

Importing this module costs nothing: every command builds the parser, and the report's work (and Flask,
for the shared timeline script) is imported only when a report is made."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

DEFAULT_OUTPUT = "bedrock-emulator-report.html"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "source",
        help="the emulator's URL (e.g. http://127.0.0.1:8484), or a journal file saved from "
        "GET /_emulator/requests/export?format=journal (or /_emulator/requests)",
    )
    parser.add_argument(
        "-o",
        "--output",
        default=DEFAULT_OUTPUT,
        help=f"the HTML file to write (default {DEFAULT_OUTPUT}); - writes it to stdout",
    )
    parser.add_argument(
        "--token",
        help="the admin API's token, when the emulator runs with one (default: BEDROCK_EMULATOR_ADMIN_TOKEN)",
    )
    parser.add_argument("--tenant", action="append", help="only this tenant's calls (repeatable)")
    parser.add_argument("--title", help="the report's title (default: bedrock-emulator run report)")


def run(args: argparse.Namespace, *, stdout: TextIO = sys.stdout, stderr: TextIO = sys.stderr) -> int:
    """0 when the report is written; 1 (one line on stderr) when the journal cannot be read or written."""
    from emulator.report import analysis, page, source  # here: `serve` builds this parser too

    token = args.token or source.default_token()
    try:
        journal = source.read(args.source, token=token, stderr=stderr)
    except source.SourceError as exc:
        print(f"bedrock-emulator report: {exc}", file=stderr)
        return 1
    if args.tenant:
        wanted = set(args.tenant)
        journal.calls = [call for call in journal.calls if call["tenant"] in wanted]
    found = analysis.analyse(journal.calls)
    html = page.render(journal, found, source=args.source, title=args.title)
    # With -o -, the page goes to stdout (e.g. out of a read-only container) and the summary to stderr.
    to_stdout = args.output == "-"
    output = "stdout" if to_stdout else Path(args.output)
    try:
        if to_stdout:
            stdout.write(html)
            stdout.flush()
        else:
            Path(args.output).write_text(html, encoding="utf-8")
    except OSError as exc:
        print(f"bedrock-emulator report: {output}: {exc.strerror or exc}", file=stderr)
        return 1
    broken = len(found.broken_streams)
    retried = len(found.retry_chains)
    print(
        f"wrote {output}: calls {found.overall.calls}; streams cut or broken {broken}; "
        f"requests retried {retried}",
        file=stderr if to_stdout else stdout,
    )
    return 0
