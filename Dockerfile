# One image with phalanx-controller, phalanx-webhook and phalanx-extender, built from Debian 12
# packages only (the project's rule): a build stage with the -dev packages, a runtime stage with just
# the shared libraries the binaries link, running as a non-root user.
#
#   docker build -t registry.example.com/phalanx:v0.1.0 .
#
# The manifests run each binary by its path (/usr/local/bin/phalanx-*) from the image phalanx/phalanx;
# point them at your registry with kustomize `images:` in the overlay (docs/install.md).

FROM debian:12-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config \
      libabsl-dev nlohmann-json3-dev rapidjson-dev libcpp-httplib-dev libssl-dev libyaml-cpp-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release -DPHALANX_BUILD_TESTS=OFF -DPHALANX_BUILD_BENCH=OFF \
 && cmake --build /build -j"$(nproc)" --target phalanx-controller phalanx-webhook phalanx-extender \
 && install -m 0755 -s /build/controller/phalanx-controller /build/webhook/phalanx-webhook \
      /build/scheduler-extender/phalanx-extender /usr/local/bin/

FROM debian:12-slim
# Runtime libraries of the -dev packages above (absl 20220623, yaml-cpp 0.7, cpp-httplib 0.11 with
# OpenSSL 3 and brotli).
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libabsl20220623 libyaml-cpp0.7 libcpp-httplib0.11 libssl3 libbrotli1 zlib1g \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /usr/local/bin/phalanx-controller /usr/local/bin/phalanx-webhook /usr/local/bin/phalanx-extender \
     /usr/local/bin/
# The same uid as distroless "nonroot"; the manifests also set runAsNonRoot and a read-only root
# filesystem (the binaries write nothing to disk).
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/phalanx-controller"]
