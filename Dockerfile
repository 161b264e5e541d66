# syntax=docker/dockerfile:1
# JO E-Tickets production image.
#
#   docker build -t jo-etickets .                     (see README "Production" and docker-compose.yml)
#   docker build --build-arg PUBLIC_API_URL=https://billets.example.org -t jo-etickets .
#
# Stages:
#   pydeps    the pinned Python packages in a virtualenv (/opt/venv)
#   frontend  node + bun (from npm, tools/package.json) export the static frontend with
#             `reflex export --frontend-only --no-zip` -> /frontend (served by nginx, never by the app)
#   web       nginx + the exported frontend + nginx/ configuration (target of the compose service "nginx")
#   runtime   python:3.11-slim, no node/bun, non-root user; entrypoint: migrations (under a PostgreSQL advisory
#             lock, so several replicas can start together), then the Reflex backend (Granian workers) on :8000.
#             The same image runs the job worker (`jo-entrypoint cli worker`: the queued confirmation mails;
#             compose service "worker"); without one, set JOBS_IN_APP=1 on the app containers instead.
#
# The runtime stage is last, so a plain `docker build .` gives the app image. The exported frontend is in the
# runtime image too (/srv/jo-etickets/static, `jo-entrypoint export-static DIR` copies it out) for hosts whose
# nginx runs outside Docker.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG NODE_IMAGE=node:22-bookworm-slim

# --- Python dependencies --------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS pydeps
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
COPY requirements.txt /tmp/requirements.txt
RUN /opt/venv/bin/pip install -r /tmp/requirements.txt

# --- Node runtime (only its binaries are used, in the frontend stage) -----------------------------------------------
FROM ${NODE_IMAGE} AS node

# --- Frontend export ------------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS frontend
# The URL the browser uses for the backend (websocket /_event, /_upload...). The default works for any host name
# served over HTTPS on port 443: Reflex replaces "localhost" by the page's host and drops the port on https pages.
ARG PUBLIC_API_URL=http://localhost
COPY --from=node /usr/local/bin/node /usr/local/bin/node
COPY --from=node /usr/local/lib/node_modules /usr/local/lib/node_modules
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && apt-get update -qq && apt-get install -y -qq --no-install-recommends unzip ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=pydeps /opt/venv /opt/venv
WORKDIR /build
COPY tools/package.json tools/package-lock.json tools/
RUN cd tools && npm ci --no-audit --no-fund --loglevel=error
COPY rxconfig.py alembic.ini ./
COPY reflex.lock reflex.lock
COPY assets assets
COPY jo_app jo_app
RUN /opt/venv/bin/pybabel compile -d jo_app/locales -D messages --statistics
ENV PATH=/build/tools/node_modules/.bin:/opt/venv/bin:$PATH \
    REFLEX_USE_SYSTEM_BUN=1 \
    REFLEX_API_URL=${PUBLIC_API_URL} \
    JO_ENV=build
RUN reflex export --frontend-only --no-zip --loglevel info \
 && cp -a .web/build/client /frontend \
 && test -f /frontend/index.html

# --- nginx with the static frontend and the site configuration (docker-compose service "nginx") -----------------
FROM nginx:1.27-bookworm AS web
RUN rm -f /etc/nginx/conf.d/default.conf
COPY nginx/jo-etickets.conf /etc/nginx/conf.d/jo-etickets.conf
COPY nginx/jo-etickets /etc/nginx/jo-etickets
RUN cp /etc/nginx/jo-etickets/upstream.docker.conf /etc/nginx/jo-etickets/upstream.conf
COPY --from=frontend /frontend /srv/jo-etickets/static
# TLS certificate and key: mounted at /etc/nginx/certs (fullchain.pem, privkey.pem).
EXPOSE 80 443

# --- Runtime --------------------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="JO E-Tickets" \
      org.opencontainers.image.description="Olympic Games e-ticketing (Reflex backend; frontend served by nginx)"
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends curl postgresql-client \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 jo \
 && useradd --system --uid 10001 --gid jo --home-dir /app --shell /usr/sbin/nologin jo
COPY --from=pydeps /opt/venv /opt/venv
WORKDIR /app
COPY --chown=jo:jo rxconfig.py alembic.ini ./
COPY --chown=jo:jo alembic alembic
COPY --chown=jo:jo assets assets
COPY --chown=jo:jo jo_app jo_app
# gettext catalogues: .po in git, .mo compiled here (make i18n-compile outside Docker)
RUN /opt/venv/bin/pybabel compile -d jo_app/locales -D messages --statistics
COPY --chown=jo:jo scripts scripts
COPY --chown=jo:jo docker/entrypoint.sh /usr/local/bin/jo-entrypoint
COPY --from=frontend /frontend /srv/jo-etickets/static
RUN mkdir -p /app/var /app/.web /app/.states /tmp/prometheus \
 && chown -R jo:jo /app/var /app/.web /app/.states /tmp/prometheus \
 && chmod 0755 /usr/local/bin/jo-entrypoint
# REFLEX_FRONTEND_PORT=0: rxconfig sets frontend_port=3000 for `make run`, and `reflex run --backend-only` refuses
# any frontend port; 0 means "none".
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    JO_ENV=prod \
    LOG_FORMAT=json \
    APP_PORT=8000 \
    GRANIAN_WORKERS=2 \
    PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus \
    REFLEX_FRONTEND_PORT=0 \
    OUTBOX_DIR=/app/var/outbox \
    CACHE_DIR=/app/var/cache
USER jo
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD curl -fsS "http://127.0.0.1:${APP_PORT}/_health" || exit 1
ENTRYPOINT ["jo-entrypoint"]
CMD ["serve"]
