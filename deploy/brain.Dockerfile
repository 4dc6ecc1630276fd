# syntax=docker/dockerfile:1
# The brain, Python 3.10: the Rasa server and the action server are two commands of one
# image, built from requirements/brain.lock exactly as scripts/bootstrap builds .venvs/brain.
#   docker build -f deploy/brain.Dockerfile --target brain -t loket-brain .
#   docker build -f deploy/brain.Dockerfile --target model -t loket-model .
# Targets: `brain` (Rasa and actions, no model), `train` (trains the model once, at build
# time), `rasa` (brain + that model: one host, deploy/compose.yaml) and `model` (the model
# alone, copied by an init container into each Rasa pod: deploy/kubernetes/rasa.yaml).

FROM python:3.10-slim-bookworm AS builder
# Compilers for the lock's packages that ship no wheel; they stay in this stage.
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv && /opt/venv/bin/pip install --no-cache-dir "pip>=23.2"
COPY requirements/brain.lock /tmp/brain.lock
# --no-deps: the lock lists every package at its exact version; nothing else comes in.
RUN /opt/venv/bin/pip install --no-cache-dir --no-deps -r /tmp/brain.lock \
    && /opt/venv/bin/pip check

FROM python:3.10-slim-bookworm AS brain
RUN useradd --create-home --uid 10001 loket
COPY --from=builder /opt/venv /opt/venv
WORKDIR /app
# What the brain reads: its configuration, training data and custom NLU components,
# the actions and the content they render; deploy/rasa/endpoints.yml adds the Redis lock store.
COPY config.yml domain.yml credentials.yml ./
COPY deploy/rasa/endpoints.yml deploy/rasa/endpoints.yml
COPY nlu nlu
COPY actions actions
COPY content content
# As bot/training.py's brain_env(): no telemetry, imports from the project folder. Quiet
# libraries and no idle-connection closes before the clients' (bot/launcher.py).
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONUNBUFFERED=1 \
    RASA_TELEMETRY_ENABLED=false \
    TF_CPP_MIN_LOG_LEVEL=3 \
    LOG_LEVEL_LIBRARIES=ERROR \
    SANIC_KEEP_ALIVE_TIMEOUT=120
USER 10001
EXPOSE 5005 5055
# The action server; the Rasa server's command is in compose.yaml and rasa.yaml.
CMD ["python", "-m", "rasa_sdk", "--actions", "actions", "--port", "5055"]

FROM brain AS train
# Trained once here, never in a running container (the model is an artefact). Rasa's
# cache goes to /tmp: the project folder belongs to root.
ENV RASA_CACHE_DIRECTORY=/tmp/rasa-cache
RUN rasa train --config config.yml --domain domain.yml --data nlu \
        --out /tmp/models --fixed-model-name loket

FROM brain AS rasa
COPY --from=train /tmp/models/loket.tar.gz /app/models/loket.tar.gz
CMD ["python", "-m", "nlu.rasa_server", "--model", "/app/models/loket.tar.gz", "--enable-api", \
     "--interface", "0.0.0.0", "--port", "5005", \
     "--endpoints", "deploy/rasa/endpoints.yml", "--credentials", "credentials.yml"]

FROM busybox:1.36 AS model
COPY --from=train /tmp/models/loket.tar.gz /models/loket.tar.gz
USER 10001
# An init container copies the model into the volume its Rasa pod reads.
CMD ["cp", "/models/loket.tar.gz", "/shared/loket.tar.gz"]
