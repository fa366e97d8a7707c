# Production image: gunicorn web, Celery worker and beat share it (see docker-compose.yml).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 LANG=C.UTF-8 \
    DJANGO_SETTINGS_MODULE=credit_platform.settings
# CJK fonts and HarfBuzz subsetting for the PDF credit reports (WeasyPrint).
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-noto-cjk libharfbuzz-subset0 libpango-1.0-0 \
       libpangoft2-1.0-0 gettext \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN DEBUG=true python manage.py collectstatic --noinput \
    && useradd --system --home /app credit && mkdir -p /app/.data && chown -R credit /app/.data
USER credit
EXPOSE 8000
CMD ["gunicorn", "credit_platform.wsgi", "--bind", "0.0.0.0:8000", "--workers", "4", "--no-control-socket"]
