# nudgebot: the Discord or Slack bot in a small image. Build: docker build -t nudgebot .
# Run:   docker run --env-file .env -v nudgebot-data:/data nudgebot discord   (or: slack)

# Stage 1 builds the wheel (rule packs and migrations are copied into it), so the runtime image holds no sources.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY cogs ./cogs
COPY rules ./rules
COPY migrations ./migrations
RUN pip wheel --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
LABEL org.opencontainers.image.title="nudgebot" \
      org.opencontainers.image.description="Policy-driven moderation for student-group chats on Discord and Slack" \
      org.opencontainers.image.licenses="MIT"
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    NUDGEBOT_DB=/data/nudgebot.db

# A fixed, unprivileged uid/gid so a host directory mounted on /data can be chowned to match (10001:10001).
RUN groupadd --system --gid 10001 nudgebot \
    && useradd --system --uid 10001 --gid nudgebot --home-dir /home/nudgebot --create-home \
       --shell /usr/sbin/nologin nudgebot \
    && mkdir /data \
    && chown nudgebot:nudgebot /data

COPY --from=build /wheels /wheels
RUN pip install /wheels/*.whl \
    && rm -rf /wheels

USER 10001:10001
WORKDIR /home/nudgebot
VOLUME ["/data"]

# Healthy while the incident database is readable and fully migrated (the bot migrates it on start).
HEALTHCHECK --interval=60s --timeout=10s --start-period=30s --retries=3 \
    CMD ["nudgebot", "db", "status", "--db", "/data/nudgebot.db"]

ENTRYPOINT ["nudgebot"]
CMD ["discord"]
