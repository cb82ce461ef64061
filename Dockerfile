# Multi-stage build of the `broker` binary.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p broker-api --bin broker

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/broker /usr/local/bin/broker
USER nobody
EXPOSE 8080
ENTRYPOINT ["broker"]
CMD ["serve"]
