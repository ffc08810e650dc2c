# bedrock-emulator for CI: a slim image that serves 0.0.0.0:8484, configured by BEDROCK_EMULATOR_* variables.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    BEDROCK_EMULATOR_HOST=0.0.0.0 \
    BEDROCK_EMULATOR_PORT=8484 \
    BEDROCK_EMULATOR_SCENARIO=/scenarios

WORKDIR /opt/bedrock-emulator
COPY pyproject.toml README.md ./
COPY emulator ./emulator
COPY scenarios ./scenarios
RUN pip install . \
    && useradd --system --uid 10001 --home-dir /nonexistent --shell /usr/sbin/nologin emulator \
    && mkdir -p /scenarios

USER emulator
EXPOSE 8484
HEALTHCHECK --interval=10s --timeout=2s --start-period=5s --retries=3 \
    CMD python -c "import os,urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/_emulator/health' % os.environ.get('BEDROCK_EMULATOR_PORT', '8484'), timeout=2)"

ENTRYPOINT ["bedrock-emulator"]
CMD ["serve"]
