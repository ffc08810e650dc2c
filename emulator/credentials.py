"""The credentials file of ``serve --verify-signatures``: which secret signs for which access key id.

One ``ACCESS_KEY_ID=SECRET`` per line; blank lines and lines starting with ``#`` are skipped; spaces
around the key and the secret are ignored. ``*=SECRET`` is the wildcard: any access key id not listed
on a line of its own is known, and must sign with that secret. So ``*=emulator`` accepts every tenant
of the pytest plugin (which signs with the secret ``emulator``) while a wrong secret still fails.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache

WILDCARD = "*"


class CredentialsFileError(ValueError):
    """A credentials file that cannot be used, with its path and line in the message."""


@dataclass(frozen=True)
class CredentialTable:
    secrets: dict[str, str] = field(default_factory=dict)
    wildcard: str | None = None

    def secret_for(self, access_key: str) -> str | None:
        """The secret an access key id signs with, or None for a key this table does not know."""
        return self.secrets.get(access_key, self.wildcard)


def parse(text: str, source: str = "<credentials>") -> CredentialTable:
    secrets: dict[str, str] = {}
    wildcard: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, equals, secret = (part.strip() for part in line.partition("="))
        where = f"credentials file {source}, line {number}"
        if not equals or not key or not secret:
            raise CredentialsFileError(f"{where}: expected ACCESS_KEY_ID=SECRET")
        if "/" in key or any(character.isspace() for character in key):
            raise CredentialsFileError(f"{where}: an access key id has no '/' and no spaces")
        if key == WILDCARD:
            if wildcard is not None:
                raise CredentialsFileError(f"{where}: a second '*' line")
            wildcard = secret
        elif key in secrets:
            raise CredentialsFileError(f"{where}: access key id {key} is already listed")
        else:
            secrets[key] = secret
    if not secrets and wildcard is None:
        raise CredentialsFileError(f"credentials file {source} lists no credentials")
    return CredentialTable(secrets, wildcard)


def require(path: str | None) -> CredentialTable:
    """The table ``--verify-signatures`` checks against; it cannot do without one."""
    if path is None:
        raise CredentialsFileError(
            "--verify-signatures needs a credentials file (--credentials FILE or BEDROCK_EMULATOR_CREDENTIALS)"
        )
    return load(path)


def load(path: str) -> CredentialTable:
    """The table in ``path``, read again only when the file changes (so it can be edited while serving)."""
    try:
        stat = os.stat(path)
    except OSError as exc:
        raise CredentialsFileError(f"cannot read credentials file {path}: {exc.strerror}") from exc
    return _load(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _load(path: str, mtime_ns: int, size: int) -> CredentialTable:
    del mtime_ns, size  # only the cache key: a changed file is a new entry
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise CredentialsFileError(f"cannot read credentials file {path}: {exc}") from exc
    return parse(text, path)
