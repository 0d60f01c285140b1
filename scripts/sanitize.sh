#!/usr/bin/env bash
# The addon under AddressSanitizer and UndefinedBehaviorSanitizer
# (`npm run test:asan`; a step of .ci/run):
#   1. builds it with cmake-js into build-sanitize/ (build/Release, the
#      build everything else uses, is left alone);
#   2. runs every jest suite that drives the native backend against that
#      build (through LIBRSYNC_ADDON_PATH), their [js] twins filtered out;
#   3. runs the fuzzer's signature, delta and patch targets for 60 s
#      (LIBRSYNC_SANITIZE_FUZZ_SECONDS), every case through both backends;
#   4. runs test/sanitize/exercise-native.js, every native entry point many
#      times in a plain node process, with LeakSanitizer on.
# Any sanitizer report from any process (jest workers, the CLI processes
# and worker threads they start) fails the run: reports go to files in a
# scratch folder, which must stay empty.
#
#   scripts/sanitize.sh [--no-build] [--only jest|fuzz|leaks] [jest args, e.g. test/chunking.test.ts]
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

build=1
only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) build=0; shift ;;
    --only) only="$2"; shift 2 ;;
    *) break ;;
  esac
done

addon="$root/build-sanitize/Debug/node_librsync.node"
if [ "$build" = 1 ]; then
  echo "== sanitize: build the addon with ASan + UBSan into build-sanitize/"
  # Node's headers ship with this machine's Node: no download.
  if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node_api.h ]; then export npm_config_nodedir=/usr; fi
  # g++: the runtimes preloaded below are GCC's.
  CXX=g++ npx cmake-js rebuild --debug --CDLIBRSYNC_ASAN=ON --out build-sanitize --log-level warn >/dev/null
fi
test -f "$addon" || { echo "sanitize: $addon is missing (run without --no-build)" >&2; exit 1; }
readelf -d "$addon" | grep -q 'NEEDED.*libasan' || { echo "sanitize: $addon is not an ASan build" >&2; exit 1; }
npm run build:ts >/dev/null

reports="$(mktemp -d "${TMPDIR:-/tmp}/librsync-sanitize.XXXXXX")"
trap 'rm -rf "$reports" "$reports.json"' EXIT

# abort_on_error: a finding kills the process with SIGABRT, never a plain
# exit status 1 that a test expecting a failure could take for its own.
# GCC's UBSan runtime always prints its own report to stderr (log_path is
# not honoured beside ASan); so that a finding in a process whose stderr
# nobody reads still leaves a file, ASan reports every abort too
# (handle_abort), with the stack of the UBSan handler that called it.
asan_options="abort_on_error=1:halt_on_error=1:handle_abort=1:detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1:strict_init_order=1:log_path=$reports/asan"
# (The runtimes share the report path, and UBSan sets it when it starts:
# the same folder here.)
export UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1:log_path=$reports/ubsan"
# Leak detection is off unless asked for, before LD_PRELOAD below: every
# child process gets the runtime (mktemp, rdiff, sync...), and their own
# allocations still live at exit are not ours to report.
export ASAN_OPTIONS="$asan_options:detect_leaks=0"
# Node is not instrumented, so the runtimes must be loaded before anything
# else, which only LD_PRELOAD can do; every child process inherits it.
LD_PRELOAD="$(g++ -print-file-name=libasan.so):$(g++ -print-file-name=libubsan.so)"
export LD_PRELOAD
export LIBRSYNC_ADDON_PATH="$addon"
export LIBRSYNC_REQUIRE_ALL=1  # a suite that cannot load the addon fails, never skips

check_reports() {  # $1: what ran
  if compgen -G "$reports/*" >/dev/null; then
    echo "sanitize: $1 produced sanitizer reports:" >&2
    for f in "$reports"/*; do echo "---- $f" >&2; cat "$f" >&2; done
    rm -f "$reports"/*
    return 1
  fi
}

run_jest() {
  echo "== sanitize: native test suites (jest; leak detection off, see README)"
  local start=$SECONDS results="$reports.json" status=0
  # Not run here: suites about loading the addon or the package (they load
  # build/Release or prebuilds/ on purpose), suites with no native code,
  # and the memory suites, whose bounds on RSS measure the allocator that
  # ASan replaces (quarantine, redzones, shadow memory).
  local ignore=(
    '/test/addon-loading\.' '/test/prebuild\.' '/test/package\.' '/test/module-formats\.'
    '/test/js-' '/test/strong-sum-worker-death\.' '/test/block-device-size\.'
    '/test/backup-local-store\.' '/test/backup-lock\.'
    '/test/memory\.' '/test/backup-memory\.'
    # The long fault trials of the backup engine (full disks, SIGKILLs, soaks, a concurrent writer) drive the
    # same native calls as the backup suites that do run here; under ASan they would add many minutes.
    '/test/backup-full-disk\.' '/test/backup-crash-trials\.' '/test/backup-soak\.' '/test/backup-changing-writer\.'
    # Bounds on RSS again (the stream soak), and the fuzzer, which watches its workers' RSS: it runs on its own below.
    '/test/soak-streams\.' '/test/fuzz\.'
  )
  npx jest --ci --testPathIgnorePatterns "${ignore[@]}" --testNamePattern '^(?!.*\[js\])' \
    --json --outputFile="$results" "$@" || status=1
  # Every suite must have passed tests of its own; the only tests allowed to
  # be skipped are the [js] twins filtered out above. A jest worker killed
  # by a sanitizer fails its suite here, whatever jest printed.
  node -e '
    const r = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
    let bad = 0;
    for (const s of r.testResults) {
      const name = s.name.replace(process.cwd() + "/", "");
      const count = (status) => s.assertionResults.filter((t) => t.status === status).length;
      const stray = s.assertionResults.filter((t) => t.status !== "passed" && t.status !== "failed" && !t.fullName.includes("[js]"));
      // "focused": the name pattern left some tests out
      if (!["passed", "focused"].includes(s.status) || s.testExecError || count("failed") > 0 || count("passed") === 0 || stray.length > 0) {
        bad++;
        console.error(`sanitize: ${name}: ${s.status}, ${count("passed")} passed, ${count("failed")} failed, ${stray.length} skipped that should have run`);
      }
    }
    console.log(`sanitize: ${r.testResults.length} suites, ${r.numPassedTests} tests passed, ${r.numFailedTests} failed, ${r.numPendingTests} [js] twins skipped`);
    if (bad > 0 || r.testResults.length === 0 || !r.success) process.exit(1);
  ' "$results" || status=1
  check_reports "jest" || status=1
  echo "jest under sanitizers: $((SECONDS - start)) s"
  return "$status"
}

run_leak_check() {
  echo "== sanitize: leak check (plain node, LeakSanitizer on)"
  local start=$SECONDS status=0
  ASAN_OPTIONS="$asan_options:detect_leaks=1" node --expose-gc test/sanitize/exercise-native.js || status=1
  check_reports "the leak check" || status=1
  echo "leak check: $((SECONDS - start)) s"
  return "$status"
}

run_fuzz() {
  echo "== sanitize: the fuzzer's signature, delta and patch targets (both backends, every case under ASan + UBSan)"
  local start=$SECONDS status=0 findings
  findings="$(mktemp -d "${TMPDIR:-/tmp}/librsync-sanitize-fuzz.XXXXXX")"
  # ASan's shadow memory and quarantine inflate RSS several times: the workers' cap is raised to match.
  node fuzz/run.js --seconds "${LIBRSYNC_SANITIZE_FUZZ_SECONDS:-60}" --target loadsig,delta,patch --seed 7 --max-rss 4096 --out "$findings" || status=1
  check_reports "the fuzzer" || status=1
  rm -rf "$findings"
  echo "fuzzer under sanitizers: $((SECONDS - start)) s"
  return "$status"
}

status=0
if [ -z "$only" ] || [ "$only" = jest ]; then run_jest "$@" || status=1; fi
if [ -z "$only" ] || [ "$only" = fuzz ]; then run_fuzz || status=1; fi
if [ -z "$only" ] || [ "$only" = leaks ]; then run_leak_check || status=1; fi
if [ "$status" = 0 ]; then echo "sanitize: clean"; else echo "sanitize: FAILED" >&2; fi
exit "$status"
