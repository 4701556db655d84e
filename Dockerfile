# hpoweb: one image for the web, the workers and beat (docker-compose.yml picks the command).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    HPOWEB_DATA_DIR=/app/data \
    STATIC_ROOT=/app/staticfiles \
    STATIC_MANIFEST=true

WORKDIR /app
COPY pyproject.toml README.md manage.py hpoweb_client.py ./
COPY hpoweb hpoweb
COPY studies studies
COPY workers workers
COPY templates templates
COPY static static
RUN pip install .

# Static files are collected (and hashed) at build time; the secret is a throw-away for this step only.
RUN useradd --create-home --uid 10001 hpoweb \
    && SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput -v0 \
    && rm -rf /app/data && mkdir -p /app/data && chown -R hpoweb:hpoweb /app/data
USER hpoweb

EXPOSE 8000
# The web; compose runs `celery -A hpoweb worker` and `celery -A hpoweb beat` from the same image.
CMD ["sh", "-c", "python manage.py migrate --noinput && python manage.py ensure_admin && exec gunicorn hpoweb.wsgi --bind 0.0.0.0:8000 --workers 3 --threads 4 --access-logfile -"]
