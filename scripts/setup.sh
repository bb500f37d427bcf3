#!/usr/bin/env bash
# setup.sh — install what Curfew's build and tests need, if it is missing.
#
# Usage:
#   scripts/setup.sh         Chromium (browser tests), nginx-light and caddy (proxy
#                            tests), PgBouncer and pg_auto_failover (fault tests),
#                            go/node/npm checks, npm ci
#   scripts/setup.sh bench   the same, plus wrk (HTTP load generator)
#
# Idempotent, and silent when everything is already present. PostgreSQL is
# handled separately by scripts/pg.sh.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$REPO"

# The Go toolchain's usual home, also added to PATH by the Makefile and .ci/run.
case ":$PATH:" in *:/usr/local/go/bin:*) ;; *) PATH="$PATH:/usr/local/go/bin" ;; esac

say() { printf 'setup: %s\n' "$*" >&2; }
die() {
	printf 'setup: error: %s\n' "$1" >&2
	shift || true
	local line
	for line in "$@"; do printf 'setup:        %s\n' "$line" >&2; done
	exit 1
}

APT_UPDATED=0
apt_install() { # apt_install PACKAGE... — install Debian packages as root
	local pkgs=("$@")
	if [[ $EUID -ne 0 ]]; then
		die "Debian packages needed: ${pkgs[*]}; installing them needs root." "Run: sudo apt-get install ${pkgs[*]}"
	fi
	command -v apt-get >/dev/null 2>&1 ||
		die "missing: ${pkgs[*]}, and apt-get is not available to install it." "Install ${pkgs[*]} with your package manager."
	export DEBIAN_FRONTEND=noninteractive
	if [[ $APT_UPDATED -eq 0 ]]; then
		say "apt-get update"
		apt-get update -qq </dev/null >&2 || die "apt-get update failed." "Run: apt-get update && apt-get install -y ${pkgs[*]}"
		APT_UPDATED=1
	fi
	say "apt-get install ${pkgs[*]}"
	apt-get install -y -qq --no-install-recommends "${pkgs[@]}" </dev/null >&2 ||
		die "apt-get install ${pkgs[*]} failed." "Run: apt-get install -y ${pkgs[*]}"
}

# --- Chromium, for the browser tests (chromedp).
if [[ ! -x /usr/bin/chromium ]]; then
	# fonts-liberation (only recommended by chromium) gives pages and screenshots real fonts.
	apt_install chromium fonts-liberation
	[[ -x /usr/bin/chromium ]] || die "chromium was installed but /usr/bin/chromium is missing." "Run: apt-get install chromium"
fi

# --- nginx (with auth_request) and Caddy: the proxy tests run the configs in deploy/.
proxies=()
if [[ ! -x /usr/sbin/nginx ]] && ! command -v nginx >/dev/null 2>&1; then proxies+=(nginx-light); fi
if [[ ! -x /usr/bin/caddy ]] && ! command -v caddy >/dev/null 2>&1; then proxies+=(caddy); fi
if [[ ${#proxies[@]} -gt 0 ]]; then
	apt_install "${proxies[@]}"
	# Debian's packages start a system service on port 80; the tests run their own.
	for svc in nginx caddy; do
		if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then
			systemctl disable --now "$svc" >/dev/null 2>&1 || true
		fi
	done
fi

# --- PgBouncer and pg_auto_failover, for the fault tests (faults/) that run
# Curfew through a real pooler and a real failover.
if ! command -v pgbouncer >/dev/null 2>&1 && [[ ! -x /usr/sbin/pgbouncer ]]; then
	apt_install pgbouncer
fi
if ! command -v pg_autoctl >/dev/null 2>&1; then
	apt_install postgresql-15-auto-failover
fi

# --- wrk, only for benchmarks.
if [[ "${1:-}" == "bench" ]]; then
	if ! command -v wrk >/dev/null 2>&1; then apt_install wrk; fi
elif [[ -n "${1:-}" ]]; then
	die "unknown argument \"$1\" (want nothing, or: bench)"
fi

# --- Go, Node.js and npm.
command -v go >/dev/null 2>&1 ||
	die "go was not found (looked in PATH and /usr/local/go/bin)." \
		"Install Go from https://go.dev/dl/ into /usr/local/go (the version named in go.mod or newer)."
command -v node >/dev/null 2>&1 ||
	die "node was not found." "Install Node.js 18 or newer (Debian: apt-get install nodejs npm)."
command -v npm >/dev/null 2>&1 ||
	die "npm was not found." "Install npm (Debian: apt-get install npm)."

# Warn (do not fail) if the installed Go is older than go.mod asks for: the go
# command will then try to download a newer toolchain.
want="$(sed -n -E 's/^go ([0-9]+\.[0-9]+(\.[0-9]+)?).*/\1/p' go.mod 2>/dev/null | head -n 1)"
have="$(go env GOVERSION 2>/dev/null | sed -E 's/^go//; s/[^0-9.].*$//')"
if [[ -n "$want" && -n "$have" ]] &&
	[[ "$(printf '%s\n%s\n' "$want" "$have" | sort -V | head -n 1)" != "$want" ]]; then
	say "warning: go.mod wants Go $want but go is $have; the go command may download Go $want."
fi

node_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
if [[ "$node_major" -lt 18 ]]; then
	die "node $(node --version 2>/dev/null) is too old." "Install Node.js 18 or newer."
fi

# --- Front-end tools (tailwindcss, htmx.org, axe-core) from package-lock.json.
if [[ ! -f package-lock.json ]]; then
	die "package-lock.json is missing from $REPO."
fi
if [[ ! -d node_modules || ! -f node_modules/.package-lock.json ||
	package-lock.json -nt node_modules/.package-lock.json ]]; then
	say "npm ci"
	npm ci --no-audit --no-fund --loglevel=error </dev/null >&2 ||
		die "npm ci failed." "Check network access to the npm registry, then run: npm ci"
fi
