# resque-web dashboard: gunicorn on the app factory, as a non-root user.
#   docker build -t resque-web .
#   docker run -p 5678:5678 -e REDIS_URL=redis://redis-host:6379/0 resque-web
# It listens on every interface of the container: give it a password when the port is
# published beyond a trusted network, -e RESQUE_WEB_AUTH=user:password (HTTP Basic; put TLS
# in front). Settings are environment variables: REDIS_URL, RESQUE_NAMESPACE,
# RESQUE_WEB_URL_PREFIX, RESQUE_WEB_POLL_INTERVAL, RESQUE_WEB_READ_ONLY,
# RESQUE_WEB_RETRY_REMOVES, RESQUE_WEB_AUTH, RESQUE_WEB_SECRET_KEY; GUNICORN_CMD_ARGS
# adds gunicorn options (e.g. "--workers 4", with RESQUE_WEB_SECRET_KEY set so that flash
# messages survive across worker processes).
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml README.md ./
COPY resque_web ./resque_web
COPY templates ./templates
COPY static ./static
RUN pip install ".[server]" \
    && rm -rf /src \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin resque

WORKDIR /
USER resque
ENV REDIS_URL=redis://redis:6379/0 \
    RESQUE_WEB_PORT=5678
EXPOSE 5678

CMD ["sh", "-c", "exec gunicorn --bind 0.0.0.0:${RESQUE_WEB_PORT} --workers 1 --threads 8 --access-logfile - 'resque_web.web:create_app()'"]
