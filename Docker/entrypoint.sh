#!/bin/sh
# Initialises the node on first start (from PRAXIS_DOMAIN, PRAXIS_NAME, PRAXIS_DEV, PRAXIS_ADMIN and
# PRAXIS_PASSWORD), then serves it on PRAXIS_LISTEN (default 0.0.0.0:8080).
# Later starts reuse the data folder untouched.
set -eu
data=${PRAXIS_DATA:-/data/node}
listen=${PRAXIS_LISTEN:-0.0.0.0:8080}
if [ ! -f "$data/config.json" ]; then
    : "${PRAXIS_DOMAIN:?set PRAXIS_DOMAIN to the public HOST[:PORT] of the node}"
    set -- --data "$data" --domain "$PRAXIS_DOMAIN" --name "${PRAXIS_NAME:-$PRAXIS_DOMAIN}" --listen "$listen"
    if [ "${PRAXIS_DEV:-}" = "1" ]; then set -- "$@" --dev; fi
    praxis init "$@"
    if [ -n "${PRAXIS_ADMIN:-}" ] && [ -n "${PRAXIS_PASSWORD:-}" ]; then
        praxis user add --data "$data" "$PRAXIS_ADMIN" --role admin
    fi
fi
exec praxis serve --data "$data" --listen "$listen"
