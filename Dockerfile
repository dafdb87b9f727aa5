# dondoc's image: the workers, the one-shot setup and the web pages run it (see compose.yaml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DO_NOT_TRACK=1 PREFECT_SERVER_ANALYTICS_ENABLED=false \
    DONDOC_STATE_DIR=/var/lib/dondoc

WORKDIR /app
COPY pyproject.toml README.md ./
COPY cli ./cli
COPY config ./config
COPY domain ./domain
COPY drafting ./drafting
COPY flows ./flows
COPY intake ./intake
COPY models ./models
COPY notifiers ./notifiers
COPY web ./web
# Editable: the deployments are registered from this folder (/app), which the workers then run.
RUN pip install -e . && useradd --system --home /var/lib/dondoc dondoc && mkdir -p /var/lib/dondoc \
    && chown dondoc /var/lib/dondoc
USER dondoc
