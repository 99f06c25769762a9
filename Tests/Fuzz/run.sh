#!/usr/bin/env bash
# Builds the libFuzzer targets and runs them.
#
#   Tests/Fuzz/run.sh TARGET|all SECONDS      build, then fuzz each target for SECONDS
#   Tests/Fuzz/run.sh TARGET|all build        build only
#   Tests/Fuzz/run.sh TARGET replay FILE...   run the target once on each FILE (reproduce a finding)
#
# Targets: http-request structured-fields signature-headers as2-json jcs markdown
# (sources in Tests/Fuzz/Targets, seed corpora in Tests/Fuzz/Corpus/<target>).
#
# How it builds, and why not through SwiftPM: `-sanitize=fuzzer` links libFuzzer, whose `main`
# clashes with every executable's, and SwiftPM's `-Xswiftc` reaches every target. So this script
# compiles the modules under test straight from Sources/ with swiftc (whole-module, -O, ASan and
# libFuzzer coverage, `-enable-testing` so a target may `@testable import` an internal parser)
# into .build-fuzz/, then links one executable per target from Tests/Fuzz/Targets/<Target>.swift
# plus FuzzSupport.swift. `swift build` and `swift test` never see any of this: Package.swift
# declares no fuzz target, and Tests/Fuzz belongs to no SwiftPM target. ld.gold prints harmless
# "Cannot export local symbol" warnings while linking; they are filtered out.
#
# Each run uses -max_total_time=SECONDS -timeout=5 -rss_limit_mb=2048, grows a working corpus in
# .build-fuzz/corpus/<target> (seeded from the committed corpus, which it never modifies), and
# writes crashing, hanging or leaking inputs to .build-fuzz/findings/<target>/. The script exits
# non-zero if any target reports a finding (crash, invariant violation, timeout, sanitizer report).
#
# Environment: FUZZ_BUILD_DIR (default .build-fuzz), FUZZ_OPT (default -O), FUZZ_JOBS (targets
# fuzzed at once with `all`, default 1), FUZZ_NICE (nice level, default 0).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
fuzz="$root/Tests/Fuzz"
build="${FUZZ_BUILD_DIR:-$root/.build-fuzz}"
opt="${FUZZ_OPT:--O}"
jobs="${FUZZ_JOBS:-1}"
nice_level="${FUZZ_NICE:-0}"

all_targets=(http-request structured-fields signature-headers as2-json jcs markdown)

usage() {
    echo "usage: $0 TARGET|all SECONDS|build  or  $0 TARGET replay FILE..." >&2
    echo "targets: ${all_targets[*]}" >&2
    exit 2
}

# Per target: the harness file and the modules it needs, in dependency order, plus extra sources.
target_source() {
    case "$1" in
        http-request) echo HTTPRequest.swift ;;
        structured-fields) echo StructuredFields.swift ;;
        signature-headers) echo SignatureHeaders.swift ;;
        as2-json) echo AS2JSON.swift ;;
        jcs) echo JCS.swift ;;
        markdown) echo Markdown.swift ;;
        *) return 1 ;;
    esac
}
target_modules() {
    case "$1" in
        http-request) echo PraxisHTTP ;;
        structured-fields | signature-headers | jcs) echo PraxisJSON PraxisHTTP PraxisCrypto ;;
        as2-json) echo PraxisJSON PraxisHTTP PraxisCrypto PraxisActivityStreams ;;
        markdown) echo PraxisText ;;
    esac
}
target_extra_sources() {
    case "$1" in
        # The strict HTML checker of the PraxisText tests is self-contained; the fuzzer reuses it.
        markdown) echo "$root/Tests/PraxisTextTests/StrictHTMLChecker.swift" ;;
    esac
}

common_flags=(-swift-version 6 -sanitize=fuzzer,address -parse-as-library -package-name praxis
    -gline-tables-only "$opt" -I "$build/modules" -I "$root/Sources/COpenSSL" -I "$root/Sources/CSQLite")

# Compiles one module to .build-fuzz/modules/<Module>.swiftmodule and .build-fuzz/obj/<Module>.o,
# unless the object is newer than its sources and than the modules it imports (the arguments after
# the first, already built).
build_module() {
    local module=$1
    shift
    local object="$build/obj/$module.o" dependency sources
    mapfile -t sources < <(find "$root/Sources/$module" -name '*.swift' | sort)
    local inputs=("${sources[@]}")
    for dependency in "$@"; do inputs+=("$build/modules/$dependency.swiftmodule"); done
    if up_to_date "$object" "${inputs[@]}"; then return 0; fi
    echo "==> compiling $module for fuzzing ($opt)"
    swiftc "${common_flags[@]}" -module-name "$module" -enable-testing -wmo -emit-module \
        -emit-module-path "$build/modules/$module.swiftmodule" -c -o "$object" "${sources[@]}"
    # swiftc leaves an unchanged output file alone; mark the object as fresh for up_to_date.
    touch "$object"
}

# True when the file $1 exists and is newer than every other argument.
up_to_date() {
    local output=$1 input
    shift
    [[ -f "$output" ]] || return 1
    for input in "$@"; do [[ "$input" -nt "$output" ]] && return 1; done
    return 0
}

build_target() {
    local target=$1 source module
    source=$(target_source "$target") || usage
    local objects=() built=()
    for module in $(target_modules "$target"); do
        build_module "$module" "${built[@]}"
        built+=("$module")
        objects+=("$build/obj/$module.o")
    done
    local extras binary="$build/bin/fuzz-$target"
    read -r -a extras <<<"$(target_extra_sources "$target")"
    local inputs=("$fuzz/Targets/$source" "$fuzz/Targets/FuzzSupport.swift" "${extras[@]}" "${objects[@]}" "$0")
    if up_to_date "$binary" "${inputs[@]}"; then return 0; fi
    echo "==> linking fuzz-$target"
    # The fuzz binaries themselves: warnings are errors here too, gold's export notes are noise.
    swiftc "${common_flags[@]}" -module-name "Fuzz${source%.swift}" -warnings-as-errors \
        -o "$binary" "$fuzz/Targets/$source" "$fuzz/Targets/FuzzSupport.swift" "${extras[@]}" \
        "${objects[@]}" -lssl -lcrypto 2>&1 | { grep -v "Cannot export local symbol" || true; }
    test "${PIPESTATUS[0]}" -eq 0
}

# Fuzzes one target for $1 seconds; returns non-zero on a finding.
run_target() {
    local target=$1 seconds=$2
    local corpus="$build/corpus/$target" findings="$build/findings/$target" log="$build/logs/$target.log"
    mkdir -p "$corpus" "$findings" "$build/logs"
    echo "==> fuzzing $target for ${seconds}s (log: $log)"
    local status=0
    # libFuzzer prints the stack of a crash itself; Swift's backtracer would add a misleading
    # AddressSanitizer report of its own memory reads.
    SWIFT_BACKTRACE=enable=no nice -n "$nice_level" "$build/bin/fuzz-$target" "$corpus" "$fuzz/Corpus/$target" \
        -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -max_len=8192 \
        -artifact_prefix="$findings/" -print_final_stats=1 >"$log" 2>&1 || status=$?
    # Keep the summary lines: executions, coverage, corpus size.
    grep -E "^(Done|stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+[[:space:]]+DONE)" "$log" | sed "s/^/   $target: /" || true
    if ((status != 0)) || compgen -G "$findings/*" >/dev/null; then
        echo "FINDING in $target (exit $status); inputs in $findings, log in $log:" >&2
        grep -E "ERROR|invariant|Fatal error|SUMMARY" "$log" | head -5 >&2 || true
        return 1
    fi
}

(($# >= 2)) || usage
what=$1
shift
if [[ $what == all ]]; then targets=("${all_targets[@]}"); else targets=("$what"); fi
for target in "${targets[@]}"; do target_source "$target" >/dev/null || usage; done
mkdir -p "$build/modules" "$build/obj" "$build/bin"

for target in "${targets[@]}"; do build_target "$target"; done

case $1 in
    build) exit 0 ;;
    replay)
        shift
        ((${#targets[@]} == 1 && $# >= 1)) || usage
        exec "$build/bin/fuzz-${targets[0]}" -runs=1 "$@"
        ;;
esac
[[ $1 =~ ^[0-9]+$ ]] || usage
seconds=$1

# Each run records its status in a file, so the outcome does not depend on which `wait` reaped it.
rm -f "$build"/logs/*.status
mkdir -p "$build/logs"
for target in "${targets[@]}"; do
    while (($(jobs -rp | wc -l) >= jobs)); do wait -n || true; done
    (
        status=0
        run_target "$target" "$seconds" || status=$?
        echo "$status" >"$build/logs/$target.status"
    ) &
done
wait
failed=()
for target in "${targets[@]}"; do
    [[ "$(cat "$build/logs/$target.status" 2>/dev/null)" == 0 ]] || failed+=("$target")
done
if ((${#failed[@]})); then
    echo "fuzzing found problems in: ${failed[*]}" >&2
    exit 1
fi
echo "fuzzing: no findings in ${targets[*]} (${seconds}s each)"
