#!/usr/bin/env bash
# Remake the README's screenshots: `redeye demo` in a private tmux server,
# captured with its colours (tmux capture-pane -e) and turned into SVG by
# rich (PyPI; installed into target/screenshot-venv, inside the repo), plus
# the plain-text captures in assets/screenshot-*.txt.
#
#   scripts/screenshot.sh            # 120x36, after 75 s of the demo's workload
#   REDEYE_BIN=target/debug/redeye WAIT=40 scripts/screenshot.sh
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
t -f /dev/null new-session -d -s shot -x "$W" -y "$H" \
  "env -u NO_COLOR HOME=$home XDG_CONFIG_HOME=$home/config XDG_DATA_HOME=$home/data COLORTERM=truecolor $BIN demo"
t set-option -t shot status off >/dev/null

echo "waiting ${WAIT}s for the workload's incident to build up…" >&2
sleep "$WAIT"

shot() { # name
  t capture-pane -p -e -t shot >"target/screenshot-$1.ansi"
  t capture-pane -p -t shot >"assets/screenshot-$1.txt"
  "$venv/bin/python" - "$1" "$W" <<'PY'
import sys
from rich.console import Console
from rich.text import Text

name, width = sys.argv[1], int(sys.argv[2])
ansi = open(f"target/screenshot-{name}.ansi", encoding="utf-8").read().rstrip("\n")
console = Console(record=True, width=width, force_terminal=True, color_system="truecolor", file=open("/dev/null", "w"))
for line in ansi.split("\n"):
    console.print(Text.from_ansi(line), no_wrap=True, overflow="crop")
console.save_svg(f"assets/screenshot-{name}.svg", title=f"redeye demo — {name}")
PY
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
