"""Start-up: the first Converse loads what it needs and nothing else (bench/startup.py measures the time).

A fresh interpreter builds the app and serves one Converse through the WSGI entry; the modules it then
holds must not include the other handler areas, the knowledge-base index (numpy, bm25s), botocore (its
models are read as files), moto or Faker. Each of them costs tens of milliseconds before the first answer.
"""

from __future__ import annotations

import json
import subprocess
import sys

_SCRIPT = """
import io, json, sys
from emulator.app import create_app
from emulator.settings import Settings

app = create_app(Settings())
body = b'{"messages":[{"role":"user","content":[{"text":"Hello"}]}]}'
environ = {
    "REQUEST_METHOD": "POST",
    "PATH_INFO": "/model/amazon.nova-micro-v1:0/converse",
    "RAW_URI": "/model/amazon.nova-micro-v1%3A0/converse",
    "QUERY_STRING": "",
    "CONTENT_TYPE": "application/json",
    "CONTENT_LENGTH": str(len(body)),
    "wsgi.input": io.BytesIO(body),
    "HTTP_AUTHORIZATION": "AWS4-HMAC-SHA256 Credential=startup/20260101/us-east-1/bedrock/aws4_request, "
    "SignedHeaders=host, Signature=0",
}
status = []
answer = b"".join(app.wsgi_app(environ, lambda line, headers: status.append(line)))
print(json.dumps({"status": status[0], "modules": sorted(sys.modules)}))
"""

_NOT_FOR_CONVERSE = (
    "numpy",
    "bm25s",
    "botocore",
    "moto",
    "emulator.knowledge",
    "emulator.agents",
    "emulator.flows",
    "emulator.control",
    "emulator.services.knowledge",
    "emulator.services.agents",
    "emulator.services.flows",
    "emulator.services.sessions",
    "emulator.services.control",
    "emulator.guardrails",  # only a Converse naming a guardrail needs it
    "emulator.providers",  # InvokeModel's body formats
    "faker",  # tool arguments only
)


def test_the_first_converse_imports_only_its_own_handler_chain() -> None:
    # No warm-up thread runs here (it would import on its own schedule): only what the call needs.
    code = "import threading\nthreading.Thread.start = lambda self: None\n" + _SCRIPT
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    result = json.loads(done.stdout)
    assert result["status"].startswith("200")
    modules = set(result["modules"])
    assert "emulator.services.runtime" in modules
    loaded = sorted(name for name in _NOT_FOR_CONVERSE if name in modules)
    assert loaded == [], f"the first Converse imported {loaded}; is emulator/data/handlers.json stale?"
