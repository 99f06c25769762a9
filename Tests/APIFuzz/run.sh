#!/usr/bin/env bash
# Property-based fuzzing of the client API against a live node with schemathesis (PyPI).
#
#   Tests/APIFuzz/run.sh [EXAMPLES]      # EXAMPLES test cases per operation and phase (default 20)
#
# Starts a seeded development node on a free loopback port in a temporary folder, signs in, runs
# schemathesis with the checks below against every operation of Protocol/openapi.yaml, and stops
# the node. Exits non-zero when any response is a 5xx or contradicts the specification, or when
# the registered routes and the specification's operations differ (check_routes.py).
#
# Operations that would spoil the rest run apart: the main run, as the admin `ada`, leaves out the
# Atom feed (outside /api/v1), those that suspend accounts or delete seeded content (run next, as a
# second admin `zed`), and the two that end the session they run in (password change, sign-out:
# each as a member of its own, since the specification says what follows is 401).
# Environment: PRAXIS_BIN (a built `praxis`, else `swift build --product praxis`),
# APIFUZZ_SEED (schemathesis seed, default 1), APIFUZZ_KEEP=1 (keep the node's folder and log).
set -euo pipefail
cd "$(dirname "$0")/../.."
examples=${1:-20}
seed=${APIFUZZ_SEED:-1}
schemathesis_version=4.32.5

python3 Tests/APIFuzz/check_routes.py

if ! st --version 2>/dev/null | grep -q "$schemathesis_version"; then
    echo "error: schemathesis $schemathesis_version is needed: python3 -m pip install 'schemathesis==$schemathesis_version'" >&2
    exit 1
fi

bin=${PRAXIS_BIN:-}
if [[ -z "$bin" ]]; then
    swift build --product praxis >/dev/null
    bin=$(swift build --show-bin-path)/praxis
fi

work=$(mktemp -d)
data=$work/node
node_pid=
cleanup() {
    if [[ -n "$node_pid" ]] && kill -0 "$node_pid" 2>/dev/null; then
        kill -TERM "$node_pid"
        wait "$node_pid" 2>/dev/null || true
    fi
    if [[ "${APIFUZZ_KEEP:-0}" == 1 ]]; then
        echo "kept $work (node data, node.log, reports)"
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
node="http://127.0.0.1:$port"
api="$node/api/v1"
export PRAXIS_PASSWORD=correct-horse-battery

echo "==> seeding a development node at $node"
"$bin" init --data "$data" --domain "127.0.0.1:$port" --name "API fuzz node" --dev >/dev/null
# The fuzzer sends thousands of requests from one address: lift the per-address API and sign-in
# rates (429 stays documented and is still accepted by the checks) so the run exercises the
# endpoints rather than the limiter, which has its own tests (APILimitsTests).
python3 - "$data/config.json" <<'PY'
import json, sys
path = sys.argv[1]
config = json.load(open(path))
config["limits"] = {
    "apiPerAddress": {"perSecond": 100000, "burst": 100000},
    "signInPerAddressAndName": {"perSecond": 100000, "burst": 100000},
    "signInFailures": 100000,
}
json.dump(config, open(path, "w"), indent=2)
PY
for user in "ada admin" "zed admin" "pat member" "sol member" "mo moderator" "ana member" "bob member"; do
    set -- $user
    "$bin" user add --data "$data" "$1" --role "$2" >/dev/null
done
"$bin" community create --data "$data" cloud --title "Cloud procurement" --owner ada \
    --visibility public --join open >/dev/null
"$bin" community create --data "$data" secret --title "Framework agreements" --owner ada \
    --visibility members --join approval >/dev/null
"$bin" community create --data "$data" club --title "Invitation only" --owner ana \
    --visibility members --join invite >/dev/null

"$bin" serve --data "$data" --listen "127.0.0.1:$port" >"$work/node.log" 2>&1 &
node_pid=$!
for _ in $(seq 1 100); do
    curl -sf "$node/healthz" >/dev/null 2>&1 && break
    kill -0 "$node_pid" 2>/dev/null || { cat "$work/node.log" >&2; exit 1; }
    sleep 0.1
done
curl -sf "$node/healthz" >/dev/null || { echo "error: the node did not answer /healthz within 10 s" >&2; exit 1; }

# call METHOD PATH TOKEN [BODY] prints the response body; on a non-2xx answer it shows it and fails.
call() {
    local method=$1 path=$2 token=$3 body=${4:-} answer
    local args=(-sS -w '\n%{http_code}' -X "$method" -H "Authorization: Bearer $token")
    [[ -n "$body" ]] && args+=(-H "Content-Type: application/json" --data-binary "$body")
    answer=$(curl "${args[@]}" "$api$path")
    if [[ "${answer##*$'\n'}" != 2* ]]; then
        echo "error: seeding failed: $method $path answered ${answer##*$'\n'}: ${answer%$'\n'*}" >&2
        return 1
    fi
    printf '%s\n' "${answer%$'\n'*}"
}
field() { python3 -c 'import json, sys; print(json.load(sys.stdin)'"$1"')'; }
sign_in() {
    curl -sS --fail-with-body -H "Content-Type: application/json" \
        --data "{\"username\":\"$1\",\"password\":\"$PRAXIS_PASSWORD\"}" "$api/auth/sign-in" | field '["token"]'
}

ada=$(sign_in ada)
ana=$(sign_in ana)
zed=$(sign_in zed)
# A node without a code of conduct needs no acceptance; one with a code needs it before posting.
for token in "$ada" "$ana" "$zed"; do
    version=$(call GET /conduct "$token" | python3 -c 'import json, sys; c = json.load(sys.stdin)["codes"]; print(c[0]["version"] if c else "")')
    if [[ -n "$version" ]]; then call POST /conduct/accept "$token" "{\"version\":$version}" >/dev/null; fi
    call POST /communities/cloud/join "$token" '{}' >/dev/null
done
thread=$(call POST /communities/cloud/posts "$ada" \
    '{"title":"Cloud framework lots","kind":"question","content":"How do you split **cloud** lots?","tags":["cloud","lots"],"language":"en"}' \
    | field '["id"]')
reply=$(call POST /communities/cloud/posts "$ana" \
    "{\"content\":\"By service model, as @ada@127.0.0.1:$port suggested.\",\"inReplyTo\":\"$thread\"}" | field '["id"]')
# zed's own post and document, for zed's deleting run.
zed_post=$(call POST /communities/cloud/posts "$zed" "{\"content\":\"Agreed.\",\"inReplyTo\":\"$thread\"}" | field '["id"]')
upload() {
    curl -sS --fail-with-body -H "Authorization: Bearer $1" --data-binary $'lot,value\n1,100\n' \
        "$api/communities/cloud/documents?filename=lots.csv&title=Lots&tags=lots" | field '["id"]'
}
document=$(upload "$ada")
zed_document=$(upload "$zed")
# ana's feed (ada's token may be rotated by the main run).
feed_token=$(call POST /me/feed-token "$ana" | field '["url"].rsplit("/", 1)[1].removesuffix(".atom")')

# Path parameters and the body members that name things come from these dictionaries part of the
# time, so that operations reach their handlers' success paths, and are generated freely otherwise
# (404s, malformed values). Schemathesis percent-encodes path values itself.
config=$work/schemathesis.toml
cat >"$config" <<EOF
# Per-run state stays in the temporary folder, not in the repository.
[cache]
directory = "$work/schemathesis-cache"

[dictionaries.names]
values = ["cloud", "secret", "club", "ana", "bob", "nobody"]
[dictionaries.ids]
values = ["$thread", "$reply", "$document", "$zed_post", "$zed_document"]
[dictionaries.feeds]
values = ["$feed_token"]
[dictionaries.handles]
values = ["ana", "bob", "ada@127.0.0.1:$port", "ghost"]
[dictionaries.communities]
values = ["$node/communities/cloud", "$node/communities/secret", "cloud"]
[dictionaries.accounts]
values = ["ana", "bob", "$node/users/bob", "@mo@127.0.0.1:$port"]

[parameters]
"path.name" = { dictionary = "names", probability = 0.7 }
"path.id" = { dictionary = "ids", probability = 0.7 }
"path.token" = { dictionary = "feeds", probability = 0.5 }
"path.handle" = { dictionary = "handles", probability = 0.7 }
"body.community" = { dictionary = "communities", probability = 0.7 }
"body.inReplyTo" = { dictionary = "ids", probability = 0.7 }
"body.object" = { dictionary = "ids", probability = 0.7 }
"body.answer" = { dictionary = "ids", probability = 0.7 }
"body.account" = { dictionary = "accounts", probability = 0.7 }
"body.invitee" = { dictionary = "accounts", probability = 0.7 }
"body.follower" = { dictionary = "accounts", probability = 0.7 }
EOF

checks=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance
# Operations that delete or remove seeded content, suspend accounts or leave communities.
deleters='^(deletePost|deleteDocument)$'
spoilers='^(suspendAccount|reinstateAccount|removePost|leaveCommunity)$'
# Operations that end the session they run in: each gets a member of its own.
enders='^(signOut|changePassword)$'
common=(--checks "$checks" --max-examples "$examples" --seed "$seed" --continue-on-failure
        --workers 1 --request-timeout 10 --no-color
        --suppress-health-check all --warnings off)

# run TITLE BASE-URL TOKEN FILTER...: one schemathesis run; its JUnit report goes to $work/report-N.
runs=0
status=0
run() {
    local title=$1 base=$2 token=$3
    shift 3
    runs=$((runs + 1))
    echo "==> schemathesis $schemathesis_version ($examples examples per operation and phase): $title"
    st --config-file "$config" run Protocol/openapi.yaml "${common[@]}" --url "$base" -H "Authorization: Bearer $token" "$@" \
        --report junit --report-dir "$work/report-$runs" || status=1
}
# The Atom feed's path item has its own server outside /api/v1 (schemathesis applies one base URL
# per run, so it gets a run of its own).
run "every operation but the spoilers and the feed, as ada" "$api" "$ada" \
    --exclude-operation-id-regex "$deleters|$spoilers|$enders|^notificationFeed\$"
run "the Atom feed" "$node" "$ada" --include-operation-id notificationFeed
# Deleting before moderating: a removal would leave nothing for zed to delete.
run "deleting posts and documents, as zed" "$api" "$zed" --include-operation-id-regex "$deleters"
run "removals, suspensions, leaving, as zed" "$api" "$zed" --include-operation-id-regex "$spoilers"
run "changing the password, as pat" "$api" "$(sign_in pat)" --include-operation-id changePassword
run "signing out, as sol" "$api" "$(sign_in sol)" --include-operation-id signOut

# The node's access log: method, path, status per request (fields 3 to 5).
echo "==> responses by status (node access log): $(awk 'NF == 7 && $5 ~ /^[1-5][0-9][0-9]$/ { n[$5]++ }
    END { for (s in n) printf "%s:%d\n", s, n[s] }' "$work/node.log" | sort | tr '\n' ' ')"
if ! kill -0 "$node_pid" 2>/dev/null; then
    echo "error: the node died during the run" >&2
    tail -20 "$work/node.log" >&2
    status=1
fi
exit $status
