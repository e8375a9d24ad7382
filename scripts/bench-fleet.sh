#!/usr/bin/env bash
# The fleet's cost, measured on the real binary: N private redis-servers
# with S streams each (one consumer group each, entries flowing), `redeye
# fleet` on all of them in tmux at a 1 s refresh for D seconds; prints the
# fleet process's CPU (% of one core, from /proc/PID/stat) and each
# server's time spent on the fleet's commands per poll (INFO commandstats,
# the redeye connections' share: every server's own load is only the
# producer's XADD, subtracted).
#
#   scripts/bench-fleet.sh                 # 10 environments x 10 streams, 60 s
#   N=10 S=10 BIG=1000 scripts/bench-fleet.sh   # one of them with 1,000 streams
#   N=1 DASH=1 scripts/bench-fleet.sh      # the same on the single dashboard (Overview), to compare
#
# Needs tmux, redis-server, redis-cli, bc and python3. Writes only under a temp dir.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-10}
S=${S:-10}
BIG=${BIG:-0}
D=${D:-60}
DASH=${DASH:-0}
what=fleet
if [ "$DASH" = 1 ]; then what="--profile env1"; fi
BIN=${REDEYE_BIN:-}
if [ -z "$BIN" ]; then
  cargo build --release --quiet
  BIN=target/release/redeye
fi
dir=$(mktemp -d)
sock="redeye-fleet-bench-$$"
ports=()
cleanup() {
  tmux -L "$sock" kill-server 2>/dev/null || true
  for p in "${ports[@]}"; do redis-cli -p "$p" shutdown nosave >/dev/null 2>&1 || true; done
  rm -rf "$dir"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

{
  echo "profiles:"
} >"$dir/config.yaml"
for i in $(seq 1 "$N"); do
  p=$(free_port)
  ports+=("$p")
  redis-server --port "$p" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes \
    --dir "$dir" --logfile "$dir/$p.log" --pidfile "$dir/$p.pid"
  streams=$S
  if [ "$i" = 1 ] && [ "$BIG" -gt 0 ]; then streams=$BIG; fi
  until redis-cli -p "$p" ping >/dev/null 2>&1; do sleep 0.1; done
  {
    for s in $(seq 1 "$streams"); do
      echo "XGROUP CREATE s$s g \$ MKSTREAM"
      for e in 1 2 3; do echo "XADD s$s * n $e"; done
      echo "XREADGROUP GROUP g c1 COUNT 2 STREAMS s$s >"
    done
  } | redis-cli -p "$p" >/dev/null
  {
    echo "  env$i:"
    echo "    refresh: 1s"
    echo "    redis:"
    echo "      address: 127.0.0.1:$p"
    echo "      streams:"
    for s in $(seq 1 "$streams"); do echo "        s$s: s$s"; done
  } >>"$dir/config.yaml"
done
redis_reset() { for p in "${ports[@]}"; do redis-cli -p "$p" config resetstat >/dev/null; done; }

# A producer on every server: one XADD per stream per second, so every poll
# sees changed streams (the cadence's worst case).
producer() {
  while :; do
    for p in "${ports[@]}"; do
      for s in $(seq 1 "$S"); do echo "XADD s$s * n 1"; done | redis-cli -p "$p" >/dev/null
    done
    sleep 1
  done
}
producer &
prod=$!
trap 'kill $prod 2>/dev/null; cleanup' EXIT

tmux -L "$sock" -f /dev/null new-session -d -s b -x 160 -y 40 \
  "env HOME=$dir XDG_DATA_HOME=$dir/data NO_COLOR=1 $BIN --config $dir/config.yaml $what"
sleep 5 # links open, first polls
# The redeye process itself (not the shell tmux started it with).
pid=""
for c in $(pgrep -f "config $dir/config.yaml $what"); do
  if [ "$(cat /proc/$c/comm 2>/dev/null)" = redeye ]; then pid=$c; fi
done
[ -n "$pid" ] || { echo "redeye $what did not start" >&2; exit 1; }
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
redis_reset
t0=$(ticks)
start=$(date +%s.%N)
sleep "$D"
t1=$(ticks)
end=$(date +%s.%N)
elapsed=$(echo "$end - $start" | bc -l)
cpu=$(echo "($t1 - $t0) / $hz / $elapsed * 100" | bc -l)
tmux -L "$sock" capture-pane -p -t b | head -6 >&2
[ "$DASH" = 1 ] && printf 'single dashboard (Overview) on env1: '
printf '%d environment(s) (%d streams each%s), %.0f s at 1 s refresh\n' "$N" "$S" \
  "$([ "$BIG" -gt 0 ] && echo ", env1 with $BIG")" "$elapsed"
printf 'redeye process CPU: %.2f%% of one core\n' "$cpu"
i=0
for p in "${ports[@]}"; do
  i=$((i + 1))
  # Everything but the producer's XADD is the fleet's poll.
  read -r usec calls < <(redis-cli -p "$p" info commandstats | tr -d '\r' | awk -F'[:=,]' '
    /^cmdstat_/ && $1 != "cmdstat_xadd" && $1 != "cmdstat_config|resetstat" {
      for (k = 2; k <= NF; k++) { if ($k == "usec") u += $(k+1); if ($k == "calls") c += $(k+1) }
    }
    END { print u + 0, c + 0 }')
  printf 'env%-3d server time: %7.1f µs per second = per poll at 1 s (%d commands a second)\n' "$i" \
    "$(echo "$usec / $elapsed" | bc -l)" "$(echo "$calls / $elapsed" | bc)"
done
