"""Reading and writing the S3 objects model jobs use (training data, model files, metrics), through the
app's object store (``emulator.s3``), within bounds: an object larger than ``MAX_OBJECT_BYTES`` is not
read, so no input costs unbounded memory."""

from __future__ import annotations

import re
from typing import Final

from emulator.s3 import NoSuchBucketError, NoSuchKeyError, S3StoreError, object_store
from emulator.services.exchange import OperationCall

MAX_OBJECT_BYTES: Final = 32 * 1024 * 1024
_URI: Final = re.compile(r"^s3://(?P<bucket>[a-z0-9][-.a-z0-9]{1,61}[a-z0-9])(?:/(?P<key>.*))?$")


class DataError(Exception):
    """Why a job cannot use its S3 data; the message is the job's ``failureMessage``."""


def parse_uri(uri: str) -> tuple[str, str] | None:
    """``s3://bucket/key`` -> (bucket, key); None when it is not an S3 URI."""
    match = _URI.match(uri)
    if match is None:
        return None
    return match["bucket"], match["key"] or ""


def read(call: OperationCall, uri: str, *, what: str) -> bytes:
    """An object's bytes, or ``DataError`` saying why ``what`` (e.g. "training data") cannot be read."""
    location = parse_uri(uri)
    if location is None:
        raise DataError(f"The {what} location {uri} is not a valid S3 URI.")
    bucket, key = location
    store = object_store(call.state)
    try:
        info = store.head_object(call.tenant, bucket, key)
        if info.size > MAX_OBJECT_BYTES:
            raise DataError(
                f"The {what} file {uri} exceeds the maximum file size of {MAX_OBJECT_BYTES} bytes."
            )
        return store.get_object(call.tenant, bucket, key)
    except NoSuchBucketError:
        raise DataError(f"The {what} bucket {bucket} does not exist or is not accessible.") from None
    except NoSuchKeyError:
        raise DataError(f"The {what} file {uri} could not be found.") from None
    except S3StoreError as error:
        raise DataError(f"The {what} file {uri} could not be read: {error.code}.") from None


def keys_under(call: OperationCall, uri: str, *, what: str) -> list[str]:
    """The keys under an S3 prefix (relative to it), or ``DataError``."""
    location = parse_uri(uri)
    if location is None:
        raise DataError(f"The {what} location {uri} is not a valid S3 URI.")
    bucket, prefix = location
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    try:
        found = object_store(call.state).list_objects(call.tenant, bucket, prefix)
    except NoSuchBucketError:
        raise DataError(f"The {what} bucket {bucket} does not exist or is not accessible.") from None
    except S3StoreError as error:
        raise DataError(f"The {what} location {uri} could not be listed: {error.code}.") from None
    return [info.key[len(prefix) :] for info in found]


def write(call: OperationCall, uri: str, body: bytes, content_type: str) -> None:
    """Put an object (a job's output); a missing bucket or a refusal is left unwritten, as a job whose
    output location is unusable writes nothing."""
    location = parse_uri(uri)
    if location is None:
        return
    bucket, key = location
    try:
        object_store(call.state).put_object(call.tenant, bucket, key, body, content_type)
    except S3StoreError:
        return


def join(prefix: str, *parts: str) -> str:
    """An S3 URI under a prefix URI."""
    return "/".join([prefix.rstrip("/"), *parts])
