# The production image: gunicorn + WhiteNoise, every setting from the environment (README, Deploying).
# The same steps as the Makefile: `npm ci` for Bootstrap, `pip install . --group prod`, collectstatic with the
# compressed manifest storage, deploy/prepare.sh once per release, gunicorn -c cmmc_site/gunicorn.conf.py.
# Not built in CI (no Docker engine there); compose.yaml runs it with PostgreSQL.

FROM node:22-bookworm-slim AS assets
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM python:3.13-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    STATICFILES_BACKEND=whitenoise.storage.CompressedManifestStaticFilesStorage \
    BIND=0.0.0.0:8000
# WeasyPrint's libraries and the SSP PDF's fonts (as .ci/run installs them); postgresql-client for pg_dump.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core fonts-noto-core \
       fonts-noto-cjk fonts-noto-color-emoji postgresql-client \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --no-create-home app
WORKDIR /app
COPY pyproject.toml ./
RUN pip install --no-cache-dir --upgrade "pip>=25.1" && pip install --no-cache-dir . --group prod
COPY --from=assets /src/node_modules ./node_modules
COPY . .
# Static files are part of the image: hashed names, gzip and brotli copies, served by WhiteNoise.
RUN python manage.py collectstatic --noinput
USER app
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]
CMD ["gunicorn", "-c", "cmmc_site/gunicorn.conf.py", "cmmc_site.wsgi"]
