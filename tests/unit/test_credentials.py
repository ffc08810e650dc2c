"""The credentials file of ``--verify-signatures`` with plain values: lines, comments, the wildcard, and
errors that name the file and the line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from emulator.credentials import CredentialsFileError, load, parse, require


def test_lines_map_access_keys_to_secrets_and_skip_comments_and_blanks() -> None:
    table = parse("# team keys\n\nalice=alice-secret\n  bob = bob/secret+with=equals  \n#carol=x\n")

    assert table.secret_for("alice") == "alice-secret"
    assert table.secret_for("bob") == "bob/secret+with=equals"
    assert table.secret_for("carol") is None


def test_wildcard_gives_every_unlisted_key_its_secret_and_listed_keys_keep_theirs() -> None:
    table = parse("*=emulator\nalice=alice-secret\n")

    assert table.secret_for("test-17-4242") == "emulator"
    assert table.secret_for("alice") == "alice-secret"


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ("alice=a\njust-a-key\n", 2, "expected ACCESS_KEY_ID=SECRET"),
        ("=secret\n", 1, "expected ACCESS_KEY_ID=SECRET"),
        ("# c\nalice=\n", 2, "expected ACCESS_KEY_ID=SECRET"),
        ("a key=secret\n", 1, "an access key id has no '/' and no spaces"),
        ("alice=a\n\nalice=b\n", 3, "access key id alice is already listed"),
        ("*=a\n*=b\n", 2, "a second '*' line"),
    ],
)
def test_malformed_line_is_named_with_file_and_line(text: str, line: int, problem: str) -> None:
    with pytest.raises(CredentialsFileError) as caught:
        parse(text, "creds.txt")

    assert str(caught.value) == f"credentials file creds.txt, line {line}: {problem}"


def test_file_without_any_credential_is_refused() -> None:
    with pytest.raises(CredentialsFileError, match="lists no credentials"):
        parse("# nothing yet\n\n", "empty.txt")


def test_missing_file_and_missing_setting_are_refused_with_their_reason(tmp_path: Path) -> None:
    with pytest.raises(CredentialsFileError, match=r"cannot read credentials file .*absent"):
        load(str(tmp_path / "absent"))
    with pytest.raises(CredentialsFileError, match="--verify-signatures needs a credentials file"):
        require(None)


def test_an_edited_file_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "credentials"
    path.write_text("alice=first\n")
    assert load(str(path)).secret_for("alice") == "first"

    path.write_text("alice=second-and-longer\n")
    os.utime(path, ns=(0, 1))  # a distinct stamp even on coarse-clock file systems

    assert load(str(path)).secret_for("alice") == "second-and-longer"
