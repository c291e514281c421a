# The raycc sidecar image for Argo CD's repo-server (deploy/argocd/):
#   docker build -t raycc-argocd .
# raycc is built as a static musl binary, so the image needs no C library. The base is
# busybox rather than scratch or distroless because the plugin's commands (plugin.yaml) run
# `sh -c`, `find` and `grep`; busybox gives those in about 2 MB. Argo CD supplies the
# entrypoint, /var/run/argocd/argocd-cmp-server, through a shared volume, and requires UID 999.
# The CI step `scripts/integrations.sh` builds the binary for the target named below.
FROM rust:1.95-bookworm AS build
ARG TARGET=x86_64-unknown-linux-musl
RUN rustup target add "$TARGET"
WORKDIR /src
COPY . .
RUN cargo build --release --locked --target "$TARGET" \
 && cp "target/$TARGET/release/raycc" /raycc

FROM busybox:1.37-musl
COPY --from=build /raycc /usr/local/bin/raycc
USER 999:999
ENTRYPOINT ["/var/run/argocd/argocd-cmp-server"]
