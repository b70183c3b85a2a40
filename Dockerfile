# syntax=docker/dockerfile:1
# CovaEX service image: `covaex serve` on port 8000 as a non-root user.
# Two stages: the builder installs the service into a virtualenv; the runtime
# stage copies only that virtualenv, so no compiler, pip cache or source tree
# ships. The image holds the service alone: dependencies come from
# requirements/service.lock (the `service` extra, every wheel hash-checked), in
# a layer of their own that a source change does not rebuild; the project is
# then installed with --no-deps, without the IaC (cdktf/) or docs toolchain. No secret is baked in: COVAEX_SECRET_KEY, COVAEX_DATABASE_URL and
# COVAEX_REDIS_URL come from the environment at run time (deploy/README.md).
# Tags are set by CI (sha-<git sha>, v<semver>); `latest` is never pushed.

# Tag for people, digest for machines: the multi-architecture index of the tag
# (amd64 and arm64/Graviton), so a rebuild never picks up a different base.
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm@sha256:65a93d69fa75478d554f4ad27c85c1e69fa184956261b4301ebaf6dbb0a3543d

FROM ${PYTHON_IMAGE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
RUN python -m venv /opt/covaex
# Dependencies first: this layer changes only when the lock does.
COPY requirements/service.lock ./requirements/service.lock
RUN /opt/covaex/bin/pip install --no-cache-dir --require-hashes -r requirements/service.lock
# Then the project (see .dockerignore): the CLI (`covaex serve`) and the service.
COPY pyproject.toml README.md ./
COPY covaex ./covaex
COPY service ./service
RUN /opt/covaex/bin/pip install --no-cache-dir --no-deps . \
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
