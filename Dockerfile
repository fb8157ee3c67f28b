# aiwebengine container image: build with `docker build -t aiwebengine .`,
# run with `docker compose -f deploy/compose.yaml up` (or see docs/deployment.md).
#
# Stage 1 builds the release binary; ui/dist is committed, so no Node.js.
FROM rust:1.90-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked \
 && strip target/release/aiwebengine \
 && mkdir -p /out/data \
 && cp target/release/aiwebengine /out/

# Stage 2: a small runtime with CA certificates (for scripts' fetch) and curl
# for the health check. Runs as an unprivileged user; the data file lives in
# the /data volume.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin aiwebengine
COPY --from=build /out/aiwebengine /usr/local/bin/aiwebengine
COPY --from=build --chown=aiwebengine:aiwebengine /out/data /data
USER aiwebengine
VOLUME ["/data"]
ENV AIWEBENGINE_DATA=/data/aiwebengine.redb \
    AIWEBENGINE_HTTP=0.0.0.0:8080 \
    AIWEBENGINE_HTTPS=0.0.0.0:8443
EXPOSE 8080 8443
# /health/ready is always served on plain HTTP and turns 503 while draining.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/health/ready || exit 1
# docker stop sends SIGTERM: the engine drains in-flight requests, then exits.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/aiwebengine"]
CMD ["serve"]
