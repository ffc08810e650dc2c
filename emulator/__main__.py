"""``python -m emulator`` is ``bedrock-emulator``."""

from emulator.cli import main

raise SystemExit(main())
