#!/usr/bin/env bash
# Installs code-server 4.100.3 (= VS Code 1.100, runs on Node 20) into a cache folder outside
# git, for the end-to-end tests in test/e2e (see shared/design/E2E-VSCODE.md for the recipe).
#
# Offline-friendly: only the npm registry and Debian's packages are used. code-server's own
# postinstall is skipped (it would download ripgrep from GitHub); its steps are redone here.
#
# Idempotent: a marker file is written at the very end; when it is there (and matches this
# version and this Node's ABI) a run only checks the Debian packages and exits in seconds.
# A run interrupted half-way simply redoes every step next time.
#
# Environment: PREFLENS_CACHE (default ~/.cache/preflens) chooses the cache root.
# Prints the path of the code-server binary on its last line.
set -euo pipefail

VERSION=4.100.3
CACHE_ROOT="${PREFLENS_CACHE:-$HOME/.cache/preflens}"
DIR="$CACHE_ROOT/code-server-$VERSION"
CS="$DIR/node_modules/code-server"
VSCODE="$CS/lib/vscode"
BIN="$DIR/node_modules/.bin/code-server"
MARKER="$DIR/.preflens-ready"

log() { printf '[setup-code-server] %s\n' "$*" >&2; }

# ---------------------------------------------------------------- Debian packages
APT_PKGS=(libkrb5-dev ripgrep chromium pkg-config libsecret-1-dev libx11-dev libxkbfile-dev)

pkg_installed() {
  [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]
}

ensure_apt_packages() {
  local missing=() p
  for p in "${APT_PKGS[@]}"; do pkg_installed "$p" || missing+=("$p"); done
  # Build tools for node-gyp: only ask for them when the commands are absent.
  command -v make >/dev/null 2>&1 || missing+=(make)
  command -v g++ >/dev/null 2>&1 || missing+=(g++)
  command -v python3 >/dev/null 2>&1 || missing+=(python3)
  [ ${#missing[@]} -eq 0 ] && return 0

  if [ "$(id -u)" -ne 0 ]; then
    log "missing Debian packages: ${missing[*]}"
    log "install them with:"
    echo "  sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  log "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_apt_packages

# Marker content: version plus the Node ABI the native modules were built for.
NODE_ABI="$(node -p 'process.versions.modules')"
WANT_MARKER="code-server $VERSION node-abi $NODE_ABI"

if [ -f "$MARKER" ] && [ "$(cat "$MARKER")" = "$WANT_MARKER" ] && [ -f "$CS/out/node/entry.js" ] && [ -x "$BIN" ]; then
  log "already installed ($WANT_MARKER)"
  echo "$BIN"
  exit 0
fi

# ---------------------------------------------------------------- preconditions
NODE_MAJOR="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$NODE_MAJOR" != "20" ]; then
  log "warning: code-server $VERSION expects Node 20, this is Node $(node -v)"
fi
NODE_PREFIX="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
if [ ! -f "$NODE_PREFIX/include/node/node.h" ]; then
  log "Node headers not found under $NODE_PREFIX/include/node (node-gyp would try to download them)"
  exit 1
fi

find_node_gyp() {
  local npm_cli npm_root c
  npm_cli="$(readlink -f "$(command -v npm)")"          # .../npm/bin/npm-cli.js
  npm_root="$(dirname "$(dirname "$npm_cli")")"          # .../npm
  for c in "$npm_root/node_modules/node-gyp/bin/node-gyp.js" \
           "$(npm root -g 2>/dev/null)/npm/node_modules/node-gyp/bin/node-gyp.js"; do
    [ -f "$c" ] && { echo "$c"; return 0; }
  done
  log "cannot find npm's bundled node-gyp (looked under $npm_root)"
  return 1
}
NODE_GYP="$(find_node_gyp)"

export npm_config_yes=true npm_config_audit=false npm_config_fund=false \
       npm_config_update_notifier=false npm_config_loglevel=error \
       npm_config_nodedir="$NODE_PREFIX"   # any node-gyp run by npm: use local headers, no download
NPM_FLAGS=(--no-audit --no-fund --no-update-notifier)

rm -f "$MARKER"
mkdir -p "$DIR"
START=$SECONDS

# ---------------------------------------------------------------- 1. code-server itself
log "npm install code-server@$VERSION (scripts skipped) into $DIR"
[ -f "$DIR/package.json" ] || echo '{ "name": "preflens-code-server-cache", "private": true }' > "$DIR/package.json"
(cd "$DIR" && npm install "code-server@$VERSION" --ignore-scripts --save-exact "${NPM_FLAGS[@]}" >&2)

# ---------------------------------------------------------------- 2. VS Code's dependencies
log "npm install in lib/vscode and lib/vscode/extensions (--omit=dev --ignore-scripts)"
(cd "$VSCODE" && npm install --omit=dev --ignore-scripts "${NPM_FLAGS[@]}" >&2)
(cd "$VSCODE/extensions" && npm install --omit=dev --ignore-scripts "${NPM_FLAGS[@]}" >&2)

# ---------------------------------------------------------------- 3. native modules
for m in node-pty @parcel/watcher @vscode/spdlog @vscode/deviceid kerberos native-watchdog; do
  d="$VSCODE/node_modules/$m"
  if [ ! -f "$d/binding.gyp" ]; then
    log "warning: $m has no binding.gyp at $d, skipped"
    continue
  fi
  log "node-gyp rebuild $m"
  (cd "$d" && node "$NODE_GYP" rebuild --nodedir="$NODE_PREFIX" -j "$(nproc)" >/dev/null 2>"$DIR/node-gyp-${m//\//_}.log") || {
    log "node-gyp failed for $m; log:"; tail -n 40 "$DIR/node-gyp-${m//\//_}.log" >&2; exit 1; }
done

# ---------------------------------------------------------------- 4. links the postinstall would make
log "linking ripgrep, node_modules.asar, remote-cli and browser helpers"
mkdir -p "$VSCODE/node_modules/@vscode/ripgrep/bin"
ln -sfn "$(command -v rg)" "$VSCODE/node_modules/@vscode/ripgrep/bin/rg"
(cd "$VSCODE" && ln -sfn node_modules node_modules.asar)
(cd "$VSCODE/bin/remote-cli" && ln -sfn code-linux.sh code-server)
(cd "$VSCODE/bin/helpers" && ln -sfn browser-linux.sh browser.sh)

# ---------------------------------------------------------------- 5. argon2 (code-server's password hashing)
log "npm rebuild argon2"
(cd "$DIR" && npm rebuild argon2 "${NPM_FLAGS[@]}" >&2)

[ -f "$CS/out/node/entry.js" ] && [ -x "$BIN" ] || { log "install incomplete: $BIN missing"; exit 1; }
echo "$WANT_MARKER" > "$MARKER"
log "done in $((SECONDS - START)) s"
echo "$BIN"
