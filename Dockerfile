# syntax=docker/dockerfile:1
# CovaEX service image: `covaex serve` on port 8000 as a non-root user.
# Two stages: the builder installs the project into a virtualenv; the runtime
# stage copies only that virtualenv, so no compiler, pip cache or source tree
# ships. No secret is baked in: COVAEX_SECRET_KEY, COVAEX_DATABASE_URL and
# COVAEX_REDIS_URL come from the environment at run time (deploy/README.md).
# Tags are set by CI (sha-<git sha>, v<semver>); `latest` is never pushed.

ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm

FROM ${PYTHON_IMAGE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
RUN python -m venv /opt/covaex
# Only what the wheel is built from (see .dockerignore): the three import roots.
COPY pyproject.toml README.md ./
COPY covaex ./covaex
COPY cdktf/infraforge ./cdktf/infraforge
COPY service ./service
RUN /opt/covaex/bin/pip install --no-cache-dir . \
    && /opt/covaex/bin/python -m compileall -q /opt/covaex/lib

FROM ${PYTHON_IMAGE} AS runtime
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="covaex" \
      org.opencontainers.image.description="CovaEX market and watchlist service" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="MIT"
# A fixed high UID/GID matches runAsUser in deploy/k8s (and is no host user).
RUN groupadd --system --gid 10001 covaex \
    && useradd --system --uid 10001 --gid covaex --home-dir /app --shell /usr/sbin/nologin covaex \
    && mkdir -p /app/var \
    && chown covaex:covaex /app/var
COPY --from=builder /opt/covaex /opt/covaex
ENV PATH=/opt/covaex/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    COVAEX_HOST=0.0.0.0 \
    COVAEX_PORT=8000
WORKDIR /app
USER 10001:10001
EXPOSE 8000
# Liveness only (process serving), like the Kubernetes livenessProbe; the
# image has no curl, so Python asks.
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('COVAEX_PORT', '8000'), timeout=2)"]
ENTRYPOINT ["covaex"]
CMD ["serve"]
