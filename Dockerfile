# x0tta6bl4 node image: built from this repository with its own CMake on Debian 12, run as an
# unprivileged user with only the runtime libraries. Logs go to stderr (`docker logs ... | grep
# ERROR`). Configuration: /etc/x0tta6bl4/x0tta6bl4.toml (deploy/docker/x0tta6bl4.toml, all
# listeners on 0.0.0.0; mount your own file over it) and X0TTA6BL4_* variables (docs/CONFIG.md).
#   docker build -t x0tta6bl4 .
#   docker run -p 8080:8080 -p 8081:8081 -p 9090:9090 x0tta6bl4
# The same image runs the demo origin: docker run x0tta6bl4 origin --host 0.0.0.0 --port 9001

FROM debian:12 AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      g++ cmake ninja-build pkg-config libssl-dev libsqlite3-dev libcurl4-openssl-dev libtomlplusplus-dev \
      nlohmann-json3-dev libgtest-dev libgmock-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# What the CMake project reads: its modules, the embedded defaults and policy, and the tests'
# CMakeLists (configured, not built).
COPY CMakeLists.txt ./
COPY cmake/ cmake/
COPY examples/ examples/
COPY policy/ policy/
COPY src/ src/
COPY tests/ tests/
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DX0_BENCH=OFF \
 && cmake --build build --target x0tta6bl4 -j "$(nproc)" \
 && strip build/x0tta6bl4 \
 && build/x0tta6bl4 version

FROM debian:12-slim AS runtime
# Runtime libraries, plus what the runbooks run inside the container: curl (the HEALTHCHECK and
# `kubectl exec ... -- curl localhost:8080/admin/...`), ps/top, ip/ss, ping; tini reaps the
# node's hook processes and forwards signals (SIGTERM drains, SIGHUP reloads).
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libssl3 libsqlite3-0 libcurl4 libtomlplusplus3 ca-certificates \
      curl procps iproute2 iputils-ping tini \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 x0tta6bl4 \
 && useradd --system --uid 10001 --gid x0tta6bl4 --home-dir /var/lib/x0tta6bl4 \
      --shell /usr/sbin/nologin x0tta6bl4 \
 && install -d -o x0tta6bl4 -g x0tta6bl4 -m 0750 /var/lib/x0tta6bl4 \
 && install -d -m 0755 /etc/x0tta6bl4 /etc/x0tta6bl4/certs
COPY --from=build /src/build/x0tta6bl4 /usr/local/bin/x0tta6bl4
COPY deploy/docker/x0tta6bl4.toml /etc/x0tta6bl4/x0tta6bl4.toml

USER 10001:10001
WORKDIR /var/lib/x0tta6bl4
# data plane + operator API, probes, metrics, mesh links
EXPOSE 8080 8081 9090 7946
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8081/health/live"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/x0tta6bl4"]
CMD ["run", "--config", "/etc/x0tta6bl4/x0tta6bl4.toml"]
