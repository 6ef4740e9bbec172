#!/usr/bin/env bash
# Runs the whole suite on Node, Deno and Bun (PADDOCK_RUNTIMES=node,deno,bun picks a subset),
# prints a per-runtime summary and a last line "N passed, N failed, N skipped", and exits
# non-zero if any runtime failed. What `npm test` runs.
set -uo pipefail

cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
export NO_COLOR=1
unset FORCE_COLOR # Deno forces colour when it is set at all

IFS=',' read -r -a runtimes <<< "${PADDOCK_RUNTIMES:-node,deno,bun}"
# Node 20's --test does not expand globs itself.
shopt -s globstar nullglob
test_files=(tests/**/*.test.ts)
log_dir="$(mktemp -d "${TMPDIR:-/tmp}/paddock-tests.XXXXXX")"
trap 'rm -rf "$log_dir"' EXIT

total_pass=0 total_fail=0 total_skip=0
summary=()

# Last number captured by a sed -E expression over the log (ANSI colours stripped), or 0.
count() {
  local n
  n="$(sed -E 's/\x1b\[[0-9;]*m//g' "$2" | sed -nE "$1" | tail -n 1)"
  echo "${n:-0}"
}

run_node() {
  # --test-timeout is per test; the interop tests set their own, this only bounds a hang.
  npx tsx --test --test-concurrency=1 --test-reporter=tap --test-timeout=600000 "${test_files[@]}"
}
run_deno() { npx deno test -A --no-check tests/; }
run_bun() { npx bun test --timeout 300000 tests/; }

for runtime in "${runtimes[@]}"; do
  log="$log_dir/$runtime.log"
  echo "=== $runtime ==="
  case "$runtime" in
    node) run_node ;;
    deno) run_deno ;;
    bun) run_bun ;;
    *) echo "unknown runtime '$runtime' (expected node, deno or bun)"; false ;;
  esac 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  case "$runtime" in
    node)
      pass=$(count 's/^# pass ([0-9]+)$/\1/p' "$log")
      fail=$(count 's/^# fail ([0-9]+)$/\1/p' "$log")
      cancelled=$(count 's/^# cancelled ([0-9]+)$/\1/p' "$log")
      fail=$((fail + cancelled))
      skip=$(count 's/^# skipped ([0-9]+)$/\1/p' "$log") ;;
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
  verdict="ok"
  [ "$fail" -gt 0 ] && verdict="FAILED"
  summary+=("$(printf '%-5s %-6s %4d passed, %4d failed, %4d skipped (exit %d)' "$runtime" "$verdict" "$pass" "$fail" "$skip" "$status")")
  total_pass=$((total_pass + pass)) total_fail=$((total_fail + fail)) total_skip=$((total_skip + skip))
done

echo
echo "=== summary ==="
printf '%s\n' "${summary[@]}"
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" -eq 0 ]
