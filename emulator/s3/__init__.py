"""The S3 that Bedrock reads: served at the emulator's own URL (moto's S3 in this process, per app and per
tenant), or an external S3-compatible endpoint (``serve --s3-endpoint-url``). docs/s3.md has the whole story.

- `emulator.s3.dispatch`: which requests are S3's, and serving them;
- `emulator.s3.objects`: the `ObjectStore` the emulator's own code reads and writes through, and
  ``object_store(state)``, the app's one (re-exported here);
- `emulator.s3.moto_world` / `emulator.s3.inprocess`: moto's S3 in this process, and the store over it
  (both import moto, so nothing imports them before the first S3 request or store call);
- `emulator.s3.external`: the store over an external endpoint, through boto3.

The re-exports load `emulator.s3.objects` on first access, so the dispatcher, which the app builds at
start-up, does not pay for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from emulator.s3.objects import (
        NoSuchBucketError,
        NoSuchKeyError,
        ObjectInfo,
        ObjectStore,
        S3StoreError,
        object_store,
    )

__all__ = [
    "NoSuchBucketError",
    "NoSuchKeyError",
    "ObjectInfo",
    "ObjectStore",
    "S3StoreError",
    "object_store",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from emulator.s3 import objects

        return getattr(objects, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
