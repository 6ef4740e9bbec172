#!/usr/bin/env bash
# Runs the whole suite on Node, Deno and Bun (PADDOCK_RUNTIMES=node,deno,bun picks a subset),
# prints a per-runtime summary and a last line "N passed, N failed, N skipped (why: ...)", and
# exits non-zero if any runtime failed. With PADDOCK_FORBID_SKIPS=1 (.ci/run sets it after
# installing every tool the interop suites need) a skipped test fails the run too. What
# `npm test` runs.
set -uo pipefail

cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
export NO_COLOR=1
unset FORCE_COLOR # Deno forces colour when it is set at all

IFS=',' read -r -a runtimes <<< "${PADDOCK_RUNTIMES:-node,deno,bun}"
# Node 20's --test does not expand globs itself. PADDOCK_TEST_FILES="a b" runs only those files.
shopt -s globstar nullglob
if [ -n "${PADDOCK_TEST_FILES:-}" ]; then
  read -r -a test_files <<< "$PADDOCK_TEST_FILES"
else
  test_files=(tests/**/*.test.ts)
fi
# Long files whose subject is not the runtime (the simulator's mutation hunt, the differential
# against ZooKeeper, chaos and failover of whole ensembles) run on Node only; Deno and Bun run every
# other file, which starts Paddock servers, members and shells on their own runtime. To run every
# file on every runtime: PADDOCK_EVERY_FILE_EVERY_RUNTIME=1 npm test (npm run test:every-runtime).
# Ensembles of real members stay on every runtime through tests/ensemble_hostile_peers.test.ts;
# the files below compare whole ensembles and recipe suites with ZooKeeper's, Java against Java.
NODE_ONLY=(tests/admin_ensemble.test.ts tests/chaos_short.test.ts tests/differential.test.ts tests/ensemble.test.ts
  tests/ensemble_clients.test.ts tests/ensemble_failover.test.ts tests/ensemble_mixed.test.ts tests/ensemble_mixed_diff_hole.test.ts
  tests/ensemble_read_only.test.ts
  tests/interop_divergences.test.ts tests/kazoo_suite.test.ts tests/recipes_curator_interop.test.ts tests/sim_mutants.test.ts)
is_node_only() {
  local heavy
  for heavy in "${NODE_ONLY[@]}"; do [ "$1" = "$heavy" ] && return 0; done
  return 1
}
files_for() {
  local runtime="$1" file
  for file in "${test_files[@]}"; do
    if [ "$runtime" != node ] && [ "${PADDOCK_EVERY_FILE_EVERY_RUNTIME:-0}" != 1 ] && is_node_only "$file"; then continue; fi
    echo "$file"
  done
}
log_dir="$(mktemp -d "${TMPDIR:-/tmp}/paddock-tests.XXXXXX")"
trap 'rm -rf "$log_dir"' EXIT
# Every test that skips writes its reason here (tests/support/skips.ts): the summary says why.
export PADDOCK_SKIP_LOG="$log_dir/skips.log"
: > "$PADDOCK_SKIP_LOG"

total_pass=0 total_fail=0 total_skip=0
summary=()

# Last number captured by a sed -E expression over the log (ANSI colours stripped), or 0.
count() {
  local n
  n="$(sed -E 's/\x1b\[[0-9;]*m//g' "$2" | sed -nE "$1" | tail -n 1)"
  echo "${n:-0}"
}
# Sum of every number captured by a sed -E expression over the log (ANSI colours stripped).
total() {
  sed -E 's/\x1b\[[0-9;]*m//g' "$2" | sed -nE "$1" | awk '{ s += $1 } END { print s + 0 }'
}

# On Node the files the other runtimes also run go two at a time (each mostly waits on its servers'
# sockets and disks); the NODE_ONLY ones (whole ensembles, chaos, JVM-heavy comparisons, timed
# fault schedules) then run one at a time, as they would alone on the machine.
run_node() {
  # --test-timeout is per test; the interop tests set their own, this only bounds a hang.
  local light=() heavy=() file status=0
  mapfile -t files < <(files_for node)
  for file in "${files[@]}"; do
    if is_node_only "$file"; then heavy+=("$file"); else light+=("$file"); fi
  done
  if [ "${#light[@]}" -gt 0 ]; then
    npx tsx --test --test-concurrency=2 --test-reporter=tap --test-timeout=600000 "${light[@]}" || status=1
  fi
  if [ "${#heavy[@]}" -gt 0 ]; then
    npx tsx --test --test-concurrency=1 --test-reporter=tap --test-timeout=600000 "${heavy[@]}" || status=1
  fi
  return "$status"
}
run_deno() {
  mapfile -t files < <(files_for deno)
  npx deno test -A --no-check "${files[@]}"
}
# bun test takes paths only with a leading ./ (otherwise they are name filters).
run_bun() {
  mapfile -t files < <(files_for bun)
  npx bun test --timeout 300000 "${files[@]/#/./}"
}

run_runtime() {
  case "$1" in
    node) run_node ;;
    deno) run_deno ;;
    bun) run_bun ;;
    *) echo "unknown runtime '$1' (expected node, deno or bun)"; false ;;
  esac
}

# Adds one runtime's counts, read from its log and exit status, to the totals and the summary.
tally() {
  local runtime="$1" status="$2" log="$log_dir/$1.log" pass fail skip cancelled
  case "$runtime" in
    node) # two runs (see run_node): their counts add up
      pass=$(total 's/^# pass ([0-9]+)$/\1/p' "$log")
      fail=$(total 's/^# fail ([0-9]+)$/\1/p' "$log")
      cancelled=$(total 's/^# cancelled ([0-9]+)$/\1/p' "$log")
      fail=$((fail + cancelled))
      skip=$(total 's/^# skipped ([0-9]+)$/\1/p' "$log") ;;
    deno)
      pass=$(count 's/^(ok|FAILED) \| ([0-9]+) passed.*/\2/p' "$log")
      fail=$(count 's/^(ok|FAILED) \|.* ([0-9]+) failed.*/\2/p' "$log")
      skip=$(count 's/^(ok|FAILED) \|.* ([0-9]+) ignored.*/\2/p' "$log") ;;
    bun)
      pass=$(count 's/^ *([0-9]+) pass$/\1/p' "$log")
      fail=$(count 's/^ *([0-9]+) fail$/\1/p' "$log")
      skip=$(count 's/^ *([0-9]+) skip$/\1/p' "$log") ;;
    *) pass=0 fail=1 skip=0 ;;
  esac
  # A runner that crashed before reporting, or exited non-zero with no counted failure, still fails.
  if [ "$status" -ne 0 ] && [ "$fail" -eq 0 ]; then fail=1; fi
  if [ $((pass + fail + skip)) -eq 0 ]; then fail=1; fi
  local verdict="ok"
  [ "$fail" -gt 0 ] && verdict="FAILED"
  summary+=("$(printf '%-5s %-6s %4d passed, %4d failed, %4d skipped (exit %d)' "$runtime" "$verdict" "$pass" "$fail" "$skip" "$status")")
  total_pass=$((total_pass + pass)) total_fail=$((total_fail + fail)) total_skip=$((total_skip + skip))
}

# Node runs alone (its NODE_ONLY files want the machine to themselves). Deno and Bun then run side
# by side, each one file at a time: the load of the two files Node's first run already puts on the
# machine, for about four minutes less. Bun's output follows Deno's once both are done.
# PADDOCK_SERIAL_RUNTIMES=1 runs them one after the other instead.
bun_beside_deno=0
if [ "${PADDOCK_SERIAL_RUNTIMES:-0}" != 1 ] && [[ " ${runtimes[*]} " == *" deno "* && " ${runtimes[*]} " == *" bun "* ]]; then
  bun_beside_deno=1
fi
for runtime in "${runtimes[@]}"; do
  [ "$bun_beside_deno" = 1 ] && [ "$runtime" = bun ] && continue
  if [ "$bun_beside_deno" = 1 ] && [ "$runtime" = deno ]; then
    echo "=== bun (running beside deno; its output follows deno's) ==="
    (run_runtime bun > "$log_dir/bun.log" 2>&1; echo $? > "$log_dir/bun.status") &
    bun_pid=$!
  fi
  echo "=== $runtime ==="
  run_runtime "$runtime" 2>&1 | tee "$log_dir/$runtime.log"
  tally "$runtime" "${PIPESTATUS[0]}"
  if [ "$bun_beside_deno" = 1 ] && [ "$runtime" = deno ]; then
    wait "$bun_pid"
    echo "=== bun ==="
    cat "$log_dir/bun.log"
    tally bun "$(cat "$log_dir/bun.status" 2> /dev/null || echo 1)"
  fi
done

# Why tests skipped: each distinct reason once, most frequent first.
reasons="$(sort "$PADDOCK_SKIP_LOG" | uniq -c | sort -rn | sed -E 's/^ *[0-9]+ //' | paste -sd ';' - | sed 's/;/; /g')"
why=""
if [ "$total_skip" -gt 0 ] || [ -n "$reasons" ]; then why=" (why: ${reasons:-not recorded, see the runner output above})"; fi

echo
echo "=== summary ==="
printf '%s\n' "${summary[@]}"
status=0
[ "$total_fail" -eq 0 ] || status=1
if [ "${PADDOCK_FORBID_SKIPS:-0}" = "1" ] && { [ "$total_skip" -gt 0 ] || [ -n "$reasons" ]; }; then
  echo "FAILED: tests skipped although every tool they need was to be installed (PADDOCK_FORBID_SKIPS=1)"
  status=1
fi
echo "$total_pass passed, $total_fail failed, $total_skip skipped$why"
exit "$status"
