#!/bin/sh
# Initialises the node on first start (from PRAXIS_DOMAIN, PRAXIS_NAME, PRAXIS_DEV), then serves it.
# Later starts reuse the data folder untouched.
set -eu
data=${PRAXIS_DATA:-/data/node}
if [ ! -f "$data/config.json" ]; then
    : "${PRAXIS_DOMAIN:?set PRAXIS_DOMAIN to the node's public HOST[:PORT]}"
    set -- --data "$data" --domain "$PRAXIS_DOMAIN" --name "${PRAXIS_NAME:-$PRAXIS_DOMAIN}" --listen 0.0.0.0:8080
    if [ "${PRAXIS_DEV:-}" = "1" ]; then set -- "$@" --dev; fi
    praxis init "$@"
    if [ -n "${PRAXIS_ADMIN:-}" ] && [ -n "${PRAXIS_PASSWORD:-}" ]; then
        praxis user add --data "$data" "$PRAXIS_ADMIN" --role admin
    fi
fi
exec praxis serve --data "$data" --listen 0.0.0.0:8080
