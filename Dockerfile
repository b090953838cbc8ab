# Builds clinload and ships it with its pipelines and schemas. Used by docker-compose.yml.
FROM swift:6.1-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev libssl-dev libxml2-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
RUN swift build -c release --product clinload

FROM swift:6.1-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 libssl3 libxml2 \
    && rm -rf /var/lib/apt/lists/* && useradd --system --home /var/lib/clinload clinload \
    && mkdir -p /var/lib/clinload && chown clinload /var/lib/clinload
COPY --from=build /src/.build/release/clinload /usr/local/bin/clinload
COPY pipelines /opt/clinload/pipelines
COPY schemas /opt/clinload/schemas
USER clinload
WORKDIR /opt/clinload
ENTRYPOINT ["clinload"]
