"""Reference clients: small, typed examples of calling Amazon Bedrock robustly (retries, pacing,
streaming, token budgets, batches, knowledge-base debugging), each proven by a test against the
emulator's scenarios. See clients/README.md."""
