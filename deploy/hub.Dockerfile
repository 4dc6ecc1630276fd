# syntax=docker/dockerfile:1
# The hub (`loket serve`: web chat, phone, messaging, agent console), Python 3.11.
# Built from the project folder:  docker build -f deploy/hub.Dockerfile -t loket-hub .
# Same pinned versions as `make run`: requirements/hub.lock constrains every package; only
# the hub's own dependencies (pyproject.toml) are installed, not the test tools of the lock.

FROM python:3.11-slim-bookworm AS builder
# Compilers for any package without a wheel; they stay in this stage.
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv && /opt/venv/bin/pip install --no-cache-dir "pip>=23.2"
WORKDIR /app
COPY pyproject.toml README.md ./
COPY requirements/hub.lock requirements/hub.lock
# The dependencies first (a layer that changes only with the lock or pyproject.toml).
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/hub.in \
    && /opt/venv/bin/pip install --no-cache-dir --constraint requirements/hub.lock -r /tmp/hub.in
COPY . .
# Like scripts/bootstrap: the project itself, editable, without touching the locked packages.
RUN /opt/venv/bin/pip install --no-cache-dir --no-deps -e . && /opt/venv/bin/pip check

FROM python:3.11-slim-bookworm AS hub
# espeak-ng speaks on the phone line where no Piper voice is installed (voice/synthesis.py).
RUN apt-get update \
    && apt-get install -y --no-install-recommends espeak-ng \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 loket \
    && mkdir -p /var/lib/loket /app/models/voice \
    && chown loket /var/lib/loket /app/models/voice
COPY --from=builder /opt/venv /opt/venv
COPY --from=builder /app /app
WORKDIR /app
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    LOKET_HOST=0.0.0.0 \
    LOKET_DATA_DIR=/var/lib/loket
USER 10001
EXPOSE 8080
CMD ["loket", "serve"]
