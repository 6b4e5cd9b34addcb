# The action's image: ecr-mirror and its runtime libraries on debian:bookworm-slim.
# No USER and no WORKDIR: the Actions runner runs container actions as root with
# --workdir /github/workspace and its own mounts.

# ---- build: compiler and -dev packages, only the ecr-mirror target ----
FROM debian:bookworm-slim AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      g++ cmake ninja-build pkg-config libcurl4-openssl-dev rapidjson-dev libssl-dev \
      libboost-program-options-dev libpugixml-dev \
 && rm -rf /var/lib/apt/lists/*
# Sources last, so a code change reuses the package layer above.
COPY CMakeLists.txt /src/
COPY src /src/src
RUN cmake -S /src -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DECRM_TESTS=OFF \
 && cmake --build /build --target ecr-mirror \
 && cmake --install /build --strip --prefix /usr/local

# ---- final: the binary, the shared libraries it links, CA certificates ----
FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libcurl4 libssl3 libboost-program-options1.74.0 libpugixml1v5 ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /usr/local/bin/ecr-mirror /usr/local/bin/ecr-mirror
# Fail the build, not the first workflow run, if a runtime library is missing.
RUN /usr/local/bin/ecr-mirror --version
ENTRYPOINT ["/usr/local/bin/ecr-mirror"]
