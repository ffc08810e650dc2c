"""``s3://bucket/key`` URIs as jobs name their input and output, and the object reads and writes jobs do
through the app's S3 (``emulator.s3.object_store``: the in-process store, or an external endpoint).

Reads are bounded: a job reads at most ``MAX_INPUT_BYTES`` of input in all, so no input costs unbounded
memory; what lies beyond is refused with the job's failure message.
"""

from __future__ import annotations

from typing import Final, NamedTuple

from emulator.services.exchange import OperationCall

MAX_INPUT_BYTES: Final = 32 * 1024 * 1024
MAX_INPUT_FILES: Final = 1000


class Location(NamedTuple):
    bucket: str
    key: str  # an object's key, or a prefix ("" for the bucket's root)

    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    def child(self, *names: str) -> Location:
        """``names`` under this location taken as a folder (a ``/`` between, never doubled)."""
        base = self.key.rstrip("/")
        return Location(self.bucket, "/".join(part for part in (base, *names) if part))


def parse(uri: str) -> Location:
    """The bucket and key of an ``s3://`` URI (its shape was checked by the shapes layer)."""
    rest = uri.removeprefix("s3://")
    bucket, _, key = rest.partition("/")
    return Location(bucket, key)


class InputFile(NamedTuple):
    key: str
    name: str  # the file name: the key's last segment
    data: bytes


class InputError(Exception):
    """The job's input cannot be read; the message is the job's failure message."""


def read_inputs(call: OperationCall, uri: str, *, suffix: str = ".jsonl") -> list[InputFile]:
    """The input files an ``s3Uri`` names: the object itself, or every ``suffix`` object under the prefix."""
    from emulator.s3 import S3StoreError, object_store

    location = parse(uri)
    store = object_store(call.state)
    try:
        if location.key and not location.key.endswith("/"):
            try:
                if store.head_object(call.tenant, location.bucket, location.key).size > MAX_INPUT_BYTES:
                    raise InputError(_too_big(location))
                keys = [(location.key, store.get_object(call.tenant, location.bucket, location.key))]
            except S3StoreError as error:
                if error.code != "NoSuchKey":
                    raise
                keys = _under(call, location, suffix)
        else:
            keys = _under(call, location, suffix)
    except S3StoreError as error:
        raise InputError(_read_failure(uri, error.code)) from error
    if not keys:
        raise InputError(f"No input files were found at {uri}. Check the S3 URI and try again.")
    return [InputFile(key, key.rsplit("/", 1)[-1], data) for key, data in keys]


def _under(call: OperationCall, location: Location, suffix: str) -> list[tuple[str, bytes]]:
    from emulator.s3 import object_store

    store = object_store(call.state)
    found: list[tuple[str, bytes]] = []
    total = 0
    prefix = location.key if not location.key or location.key.endswith("/") else location.key + "/"
    for info in store.list_objects(call.tenant, location.bucket, prefix):
        if not info.key.endswith(suffix):
            continue
        total += info.size
        if total > MAX_INPUT_BYTES or len(found) >= MAX_INPUT_FILES:
            raise InputError(_too_big(location))
        found.append((info.key, store.get_object(call.tenant, location.bucket, info.key)))
    return found


def _too_big(location: Location) -> str:
    return (
        f"The input at {location.uri()} exceeds what bedrock-emulator reads for one job "
        f"({MAX_INPUT_FILES} files, {MAX_INPUT_BYTES} bytes)."
    )


def _read_failure(uri: str, code: str) -> str:
    if code == "NoSuchBucket":
        return f"The S3 bucket in {uri} does not exist or is not accessible. Check the S3 URI and try again."
    return f"Unable to read the input at {uri} ({code}). Check the S3 URI and the role's permissions."


def bucket_exists(call: OperationCall, location: Location) -> bool:
    """Whether the job can write under ``location`` (the tenant has the bucket and the store answers)."""
    from emulator.s3 import S3StoreError, object_store

    try:
        object_store(call.state).list_objects(call.tenant, location.bucket, location.key)
    except S3StoreError:
        return False
    return True


class OutputError(Exception):
    """An output object could not be written; the message is the job's failure message."""


def write(call: OperationCall, location: Location, body: bytes, content_type: str) -> None:
    """Write an output object; OutputError when the store refuses it."""
    from emulator.s3 import S3StoreError, object_store

    try:
        object_store(call.state).put_object(
            call.tenant, location.bucket, location.key, body, content_type=content_type
        )
    except S3StoreError as error:
        raise OutputError(f"Unable to write the output to {location.uri()} ({error.code}).") from error
