# syntax=docker/dockerfile:1
# Build: one self-contained executable.
FROM oven/bun:1.4.5 AS build
WORKDIR /src
COPY package.json bun.lock ./
RUN bun install --frozen-lockfile
COPY . .
RUN bun run build

# Run: slim Debian with python3 (and numpy, which halves the scorer's cost per call) for the embedded scorer.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-numpy ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin oo \
 && mkdir -p /data && chown oo:oo /data
COPY --from=build /src/dist/oo /usr/local/bin/oo
USER oo
WORKDIR /data
ENV DATA_DIR=/data HOST=0.0.0.0 PORT=3001
VOLUME ["/data"]
EXPOSE 3001
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD python3 -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\", \"3001\")}/health', timeout=4)"
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/oo"]
CMD ["serve"]
