# The etcd-operator image, for a release pipeline with a container engine:
#   docker build -t REGISTRY/etcd-operator:v0.1.0 . && docker push REGISTRY/etcd-operator:v0.1.0
# scripts/image.sh builds the same image without one (an OCI archive from a built binary).
#
# Build: the release binary, which links glibc (no musl target needed). Run: distroless
# cc-debian12, the same Debian 12 glibc as the build stage, with libgcc_s, the CA roots
# (rustls reads them for object stores over HTTPS) and the user nonroot (65532).

FROM rust:1.95-bookworm AS build
# etcd-client's build script compiles protobufs: protoc and its well-known types.
RUN apt-get update \
    && apt-get install -y --no-install-recommends protobuf-compiler libprotobuf-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p etcd-operator \
    && install -m 0755 target/release/etcd-operator /etcd-operator

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /etcd-operator /usr/local/bin/etcd-operator
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/etcd-operator"]
CMD ["run"]
