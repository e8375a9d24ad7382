#!/usr/bin/env bash
# Remake the README's screenshots: `redeye demo` in a private tmux server,
# captured with its colours (tmux capture-pane -e) and turned into SVG by
# rich (PyPI; installed into target/screenshot-venv, inside the repo), plus
# the plain-text captures in assets/screenshot-*.txt.
#
#   scripts/screenshot.sh            # 120x36, after 75 s of the demo's workload
#   REDEYE_BIN=target/debug/redeye WAIT=40 scripts/screenshot.sh
#   ONLY=fleet scripts/screenshot.sh    # only the fleet's
#
# Needs tmux, redis-server and python3 on PATH. Writes only under assets/
# and target/.
set -euo pipefail
cd "$(dirname "$0")/.."

W=${W:-120}
H=${H:-36}
WAIT=${WAIT:-75}
BIN=${REDEYE_BIN:-}
if [ -z "$BIN" ]; then
  cargo build --release --quiet
  BIN=target/release/redeye
fi

venv=target/screenshot-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet 'rich>=13,<15'
fi

sock="redeye-shot-$$"
t() { tmux -L "$sock" "$@"; }
trap 't kill-server 2>/dev/null || true' EXIT

# A home of its own: no profile file, no recordings left in the user's.
home=$(mktemp -d)
trap 't kill-server 2>/dev/null || true; rm -rf "$home"' EXIT
# target/screenshot-NAME.ansi → assets/screenshot-NAME.svg, titled $2.
svg() {
  "$venv/bin/python" - "$1" "$W" "$2" <<'PY'
import sys
from rich.console import Console
from rich.text import Text

name, width, title = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ansi = open(f"target/screenshot-{name}.ansi", encoding="utf-8").read().rstrip("\n")
console = Console(record=True, width=width, force_terminal=True, color_system="truecolor", file=open("/dev/null", "w"))
for line in ansi.split("\n"):
    console.print(Text.from_ansi(line), no_wrap=True, overflow="crop")
console.save_svg(f"assets/screenshot-{name}.svg", title=title)
PY
}

if [ "${ONLY:-}" != fleet ]; then
t -f /dev/null new-session -d -s shot -x "$W" -y "$H" \
  "env -u NO_COLOR HOME=$home XDG_CONFIG_HOME=$home/config XDG_DATA_HOME=$home/data COLORTERM=truecolor $BIN demo"
t set-option -t shot status off >/dev/null

echo "waiting ${WAIT}s for the workload's incident to build up…" >&2
sleep "$WAIT"

shot() { # name
  t capture-pane -p -e -t shot >"target/screenshot-$1.ansi"
  t capture-pane -p -t shot >"assets/screenshot-$1.txt"
  svg "$1" "redeye demo — $1"
  echo "assets/screenshot-$1.svg, assets/screenshot-$1.txt" >&2
}

shot overview
t send-keys -t shot 4
sleep 2
shot streams
t send-keys -t shot 5
sleep 3
shot pending
t send-keys -t shot q
sleep 1
fi

# The fleet: two private servers under the demo's workload (one at a higher
# rate and failure rate: the incident), and a third profile whose server is
# down.
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
a=$(port)
b=$(port)
for p in $a $b; do
  redis-server --port "$p" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes \
    --dir "$home" --logfile "$home/$p.log" --pidfile "$home/$p.pid" --maxmemory 256mb
done
trap 't kill-server 2>/dev/null || true; for p in $a $b; do redis-cli -p $p shutdown nosave >/dev/null 2>&1 || true; done; rm -rf "$home"' EXIT
until redis-cli -p "$a" ping >/dev/null 2>&1 && redis-cli -p "$b" ping >/dev/null 2>&1; do sleep 0.1; done
"$BIN" demo --workload-only --address "127.0.0.1:$a" --duration "$((WAIT + 30))s" --seed 3 >/dev/null 2>&1 &
"$BIN" demo --workload-only --address "127.0.0.1:$b" --duration "$((WAIT + 30))s" --seed 5 \
  --rate 150 --failure-rate 0.3 >/dev/null 2>&1 &
down=$(port)
printf 'profiles:\n  staging-eu:\n    environment: staging\n    redis:\n      address: 127.0.0.1:%s\n  production-us:\n    environment: production\n    redis:\n      address: 127.0.0.1:%s\n  production-ap:\n    environment: production\n    redis:\n      address: 127.0.0.1:%s\n' \
  "$a" "$b" "$down" >"$home/fleet.yaml"
t new-session -d -s fleet -x "$W" -y 12 \
  "env -u NO_COLOR HOME=$home XDG_CONFIG_HOME=$home/config XDG_DATA_HOME=$home/data COLORTERM=truecolor $BIN --config $home/fleet.yaml fleet"
echo "waiting ${WAIT}s for the fleet's trends…" >&2
sleep "$WAIT"
t capture-pane -p -e -t fleet >target/screenshot-fleet.ansi
t capture-pane -p -t fleet >assets/screenshot-fleet.txt
svg fleet "redeye fleet"
echo "assets/screenshot-fleet.svg, assets/screenshot-fleet.txt" >&2
t send-keys -t fleet q
sleep 1
