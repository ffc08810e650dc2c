# bedrock-emulator for CI: a slim image configured by BEDROCK_EMULATOR_* variables (docs/container.md).
#
# It binds 0.0.0.0 *inside* the container, which it must to be reachable through a published port;
# publish it on the host's loopback (-p 127.0.0.1:8484:8484) unless other machines must reach it: the
# emulator answers anyone who can connect, and its admin API can reset and reconfigure it.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    BEDROCK_EMULATOR_HOST=0.0.0.0 \
    BEDROCK_EMULATOR_PORT=8484 \
    BEDROCK_EMULATOR_SCENARIO=/scenarios \
    BEDROCK_EMULATOR_ENDPOINT_FILE=/tmp/bedrock-emulator.endpoint

# Built in a scratch folder that is removed once installed: nothing but the installed package is imported
# (a source tree in the working directory would shadow it for `python -m`).
WORKDIR /tmp/build

# Dependencies first, from pyproject.toml alone: this layer is rebuilt only when they change.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install --requirement /tmp/requirements.txt \
    && rm /tmp/requirements.txt \
    && groupadd --system --gid 10001 emulator \
    && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --shell /usr/sbin/nologin emulator \
    && mkdir -p /scenarios

# Then the package itself, without touching the dependencies; no build tree or egg-info is left behind.
# (emulator/scenarios is a link to scenarios/, resolved when the package is built.)
COPY README.md ./
COPY scenarios ./scenarios
COPY emulator ./emulator
RUN pip install --no-deps . \
    && rm -rf /tmp/build

# Labels last, so that a new version or revision rebuilds no layer. `make image` passes VERSION (the
# package's) and REVISION; the release workflow passes SOURCE (the repository it builds) as well.
ARG VERSION=dev
ARG REVISION=unknown
ARG SOURCE=https://github.com/bedrock-emulator/bedrock-emulator
LABEL org.opencontainers.image.title="bedrock-emulator" \
      org.opencontainers.image.description="A local, wire-faithful emulator of Amazon Bedrock with deterministic, scriptable chaos." \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.url="${SOURCE}" \
      org.opencontainers.image.documentation="${SOURCE}/blob/main/docs/container.md"

WORKDIR /

USER 10001:10001
EXPOSE 8484
# `serve` writes the URL it really serves on to BEDROCK_EMULATOR_ENDPOINT_FILE, so `serve --port 9000`
# is probed on 9000; the probe is standard library only (~80 ms of CPU), as it runs every 2 s.
HEALTHCHECK --interval=2s --timeout=2s --start-period=10s --retries=3 \
    CMD ["python", "-m", "emulator.healthcheck"]

ENTRYPOINT ["bedrock-emulator"]
CMD ["serve"]
