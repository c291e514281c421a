# Two images from one build of raycc, a static binary for x86_64-unknown-linux-musl (no C
# library needed). Both are based on busybox rather than scratch or distroless: CI systems
# (GitLab's `image:`, say) and the Argo CD plugin's commands need `sh`, and busybox gives it,
# with `find` and `grep`, in about 2 MB.
#
#   docker build -t raycc .                       # the general-purpose image (the last stage)
#   docker run --rm -v "$PWD:/work" raycc validate clusters/
#
#   docker build --target argocd -t raycc-argocd .   # the Argo CD sidecar (deploy/argocd/)
#
# The CI step `scripts/integrations.sh` builds the binary for the target named below, checks
# that it is static, and checks that both images take it and start it as described here.
FROM rust:1.95-bookworm AS build
ARG TARGET=x86_64-unknown-linux-musl
RUN rustup target add "$TARGET"
WORKDIR /src
COPY . .
RUN cargo build --release --locked --target "$TARGET" \
 && cp "target/$TARGET/release/raycc" /raycc

# The sidecar of Argo CD's repo-server. Argo CD supplies the entrypoint,
# /var/run/argocd/argocd-cmp-server, through a shared volume, and requires UID 999.
FROM busybox:1.37-musl AS argocd
COPY --from=build /raycc /usr/local/bin/raycc
USER 999:999
ENTRYPOINT ["/var/run/argocd/argocd-cmp-server"]

# raycc itself: `docker run raycc compile ...` on the folder mounted at /work.
FROM busybox:1.37-musl AS raycc
COPY --from=build /raycc /usr/local/bin/raycc
USER 65532:65532
WORKDIR /work
ENTRYPOINT ["raycc"]
CMD ["--help"]
