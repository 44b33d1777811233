# Build: docker build -t incident-bot .
# Run:   docker run --env-file .env -v incident-bot-data:/data -p 8080:8080 incident-bot

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
# CGO off: a static binary (the embedded store is pure-Go SQLite).
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/incident-bot ./cmd/incident-bot \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/incident-bot /usr/local/bin/incident-bot
# The embedded store lives on a volume owned by the non-root user.
COPY --from=build --chown=65532:65532 /out/data /data
ENV SQLITE_PATH=/data/incident-bot.db \
    HTTP_ADDR=:8080
VOLUME ["/data"]
EXPOSE 8080
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/incident-bot"]
CMD ["serve"]
