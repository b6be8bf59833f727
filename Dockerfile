# The platform as one image: the web server by default, the worker with `python manage.py db_worker`.
# Not built in CI (no container engine there); README.md, "Déploiement".
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    PATH=/app/.venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    VAR_DIR=/app/var \
    PORT=8000

RUN pip install --no-cache-dir uv \
    && useradd --create-home --uid 10001 incubateur

WORKDIR /app
# Dependencies first: this layer is rebuilt only when the lock file changes.
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project
COPY . .

# Static files at build time (the production settings need a secret key to load: a throwaway one, not kept).
RUN SECRET_KEY="collectstatic-only-$(python -c 'import secrets; print(secrets.token_urlsafe(48))')" \
    python manage.py collectstatic --no-input \
    && mkdir -p /app/var && chown -R incubateur: /app/var

USER incubateur
EXPOSE 8000
# /healthz answers 200 while the database is reachable (503 otherwise); Host must be one of ALLOWED_HOSTS.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import os, urllib.request; host = os.environ.get('ALLOWED_HOSTS', 'localhost').split(',')[0]; urllib.request.urlopen(urllib.request.Request(f\"http://127.0.0.1:{os.environ['PORT']}/healthz\", headers={'Host': host, 'X-Forwarded-Proto': 'https'}), timeout=4)"
CMD ["sh", "-c", "exec gunicorn config.wsgi --bind 0.0.0.0:$PORT --worker-class gthread --workers ${WEB_CONCURRENCY:-2} --threads 4 --access-logfile -"]
