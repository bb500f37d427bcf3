#!/usr/bin/env bash
# pg.sh — find or start a PostgreSQL server for Curfew and print a libpq URL.
#
# Usage:
#   scripts/pg.sh                 print an admin URL (database "postgres")
#   scripts/pg.sh ensure-db NAME  print a URL to database NAME, creating it if needed
#   scripts/pg.sh stop            stop the private cluster under .data/ if it runs
#   scripts/pg.sh status          say which server would be used (stderr), print its URL
#
# Exactly one line (the URL) goes to stdout; everything else goes to stderr.
#
# Where the server comes from, first match wins:
#   (a) $DATABASE_URL, if set (it must be reachable, otherwise this fails);
#   (b) a server on 127.0.0.1:$CURFEW_PG_PROBE_PORT (default 5432) that lets user
#       "postgres" in without a password;
#   (c) a private cluster in $REPO/.data/pg on 127.0.0.1:$CURFEW_PG_PORT (default
#       55432), created with the installed initdb and started with pg_ctl.
#
# Environment:
#   DATABASE_URL          use this server (case a)
#   CURFEW_PG_PROBE_PORT  port probed on 127.0.0.1 in case (b) (default 5432)
#   CURFEW_PG_PORT        port of the private cluster (default 55432)
#   CURFEW_PG_BIN         directory holding initdb/pg_ctl (default: searched)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
DATA_DIR="$REPO/.data"
PGDATA_DIR="$DATA_DIR/pg"
SOCK_DIR="$DATA_DIR/pg-run"
LOG_FILE="$DATA_DIR/pg.log"
LOCK_FILE="$DATA_DIR/pg.lock"
PROBE_PORT="${CURFEW_PG_PROBE_PORT:-5432}"
PRIVATE_PORT="${CURFEW_PG_PORT:-55432}"
RUNUSER=""
PSQL=""
PG_ISREADY=""

INSTALL_HINT="Install PostgreSQL (Debian: apt-get install postgresql), or set DATABASE_URL to a reachable server."

say() { printf 'pg.sh: %s\n' "$*" >&2; }
die() {
	printf 'pg.sh: error: %s\n' "$1" >&2
	shift || true
	local line
	for line in "$@"; do printf 'pg.sh:        %s\n' "$line" >&2; done
	exit 1
}

# ---------------------------------------------------------------------------
# Locating the PostgreSQL programs.

# Directories that may hold the server programs, best first.
pg_bin_dirs() {
	local want="${1:-}" d
	if [[ -n "${CURFEW_PG_BIN:-}" ]]; then echo "$CURFEW_PG_BIN"; fi
	# A cluster must be run by the major version that created it.
	if [[ -n "$want" && -d "/usr/lib/postgresql/$want/bin" ]]; then echo "/usr/lib/postgresql/$want/bin"; fi
	local p
	for p in initdb pg_ctl; do
		if command -v "$p" >/dev/null 2>&1; then dirname "$(readlink -f "$(command -v "$p")")"; fi
	done
	if [[ -x /usr/local/bin/initdb ]]; then dirname "$(readlink -f /usr/local/bin/initdb)"; fi
	# Newest Debian-packaged version first.
	for d in /usr/lib/postgresql/*/bin; do [[ -d "$d" ]] && echo "$d"; done | sort -t/ -k4,4nr
}

# find_tool NAME [MAJOR]: print the path of a PostgreSQL program, or nothing.
find_tool() {
	local name="$1" want="${2:-}" d
	while read -r d; do
		[[ -n "$d" && -x "$d/$name" ]] && { echo "$d/$name"; return 0; }
	done < <(pg_bin_dirs "$want")
	# Client programs also come from Debian's wrapper in /usr/bin.
	if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return 0; fi
	return 1
}

need_client_tools() {
	PSQL="$(find_tool psql)" || die "psql was not found." "$INSTALL_HINT"
	PG_ISREADY="$(find_tool pg_isready)" || die "pg_isready was not found." "$INSTALL_HINT"
}

# ---------------------------------------------------------------------------
# Probing servers.

# can_login URL: true if URL accepts a connection and runs a query.
can_login() {
	PGCONNECT_TIMEOUT=5 "$PSQL" -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c 'select 1' >/dev/null 2>&1
}

login_error() {
	PGCONNECT_TIMEOUT=5 "$PSQL" -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c 'select 1' 2>&1 >/dev/null | head -n 3
}

redact() { # hide a password in a URL before printing it
	sed -E 's#(://[^:/@]*):[^@/]*@#\1:***@#' <<<"$1"
}

# ---------------------------------------------------------------------------
# The private cluster in .data/pg.

# Run a command as the owner of the cluster. PostgreSQL refuses to run as root,
# so as root we switch to the "postgres" user (or whoever owns .data/pg).
# fd 9 holds our lock and must not leak into the postmaster.
as_owner() {
	if [[ $EUID -eq 0 ]]; then
		local owner
		owner="$(stat -c %U "$PGDATA_DIR")"
		(cd / && "$RUNUSER" -u "$owner" -- "$@" 9>&-)
	else
		(cd / && "$@" 9>&-)
	fi
}

find_runuser() {
	RUNUSER="$(command -v runuser 2>/dev/null || true)"
	[[ -z "$RUNUSER" && -x /usr/sbin/runuser ]] && RUNUSER=/usr/sbin/runuser
	[[ -z "$RUNUSER" && -x /sbin/runuser ]] && RUNUSER=/sbin/runuser
	[[ -n "$RUNUSER" ]] || die "runuser (util-linux) is needed to run PostgreSQL as the postgres user." "apt-get install util-linux"
}

# The cluster's major version, or nothing if it is not initialised.
cluster_version() {
	[[ -f "$PGDATA_DIR/PG_VERSION" ]] && cat "$PGDATA_DIR/PG_VERSION" || true
}

# Port of the running postmaster (line 4 of postmaster.pid), or nothing.
running_port() {
	[[ -f "$PGDATA_DIR/postmaster.pid" ]] && sed -n 4p "$PGDATA_DIR/postmaster.pid" 2>/dev/null || true
}

# True if the postmaster named in postmaster.pid is dead but not reaped. This
# happens after a crash where PID 1 does not reap orphans (some containers);
# PostgreSQL then mistakes the zombie for a live server and refuses to start.
postmaster_is_zombie() {
	local pid
	pid="$( [[ -f "$PGDATA_DIR/postmaster.pid" ]] && sed -n 1p "$PGDATA_DIR/postmaster.pid" 2>/dev/null || true)"
	[[ "$pid" =~ ^[0-9]+$ && -r "/proc/$pid/stat" ]] || return 1
	[[ "$(sed -E 's/^.*\) ([A-Za-z]).*$/\1/' "/proc/$pid/stat" 2>/dev/null)" == Z ]]
}

private_running() {
	[[ -f "$PGDATA_DIR/PG_VERSION" ]] || return 1
	local pg_ctl
	pg_ctl="$(find_tool pg_ctl "$(cluster_version)")" || return 1
	as_owner "$pg_ctl" status -D "$PGDATA_DIR" >/dev/null 2>&1 || return 1
	! postmaster_is_zombie
}

private_url() {
	local port
	port="$(running_port)"
	echo "postgres://postgres@127.0.0.1:${port:-$PRIVATE_PORT}/postgres?sslmode=disable"
}

lock_data() {
	exec 9>>"$LOCK_FILE"
	if command -v flock >/dev/null 2>&1; then
		flock -w 120 9 || die "timed out waiting for the lock $LOCK_FILE (another pg.sh is running?)"
	fi
}

prepare_data_dir() {
	mkdir -p "$DATA_DIR"
	if [[ $EUID -ne 0 && -e "$PGDATA_DIR" && ! -O "$PGDATA_DIR" ]]; then
		die "$PGDATA_DIR belongs to $(stat -c %U "$PGDATA_DIR"), so $(id -un) cannot run that cluster." \
			"Run this as root (or as that user), or remove it: sudo make clean-data"
	fi
	if [[ $EUID -eq 0 ]]; then
		find_runuser
		id -u postgres >/dev/null 2>&1 || {
			say "creating the system user \"postgres\" to own the private cluster"
			useradd --system --user-group --no-create-home --home-dir /nonexistent \
				--shell /usr/sbin/nologin postgres ||
				die "could not create the \"postgres\" user." "$INSTALL_HINT"
		}
		# The postgres user must be able to reach .data (it need not read the repo).
		chmod o+x "$DATA_DIR"
		if ! (cd / && "$RUNUSER" -u postgres -- test -x "$DATA_DIR"); then
			die "the postgres user cannot reach $DATA_DIR (a parent directory is not traversable)." \
				"Make the parents of $REPO traversable (chmod o+x), or set DATABASE_URL."
		fi
	fi
}

init_cluster() {
	local initdb
	initdb="$(find_tool initdb)" ||
		die "initdb was not found, so no private PostgreSQL cluster can be created." "$INSTALL_HINT"
	local version
	version="$("$initdb" --version 2>/dev/null | sed -E 's/^[^0-9]*([0-9]+).*/\1/')"

	if [[ -e "$PGDATA_DIR" ]]; then
		say "removing the incomplete cluster directory $PGDATA_DIR"
		rm -rf "$PGDATA_DIR"
	fi
	mkdir -p "$PGDATA_DIR" "$SOCK_DIR"
	chmod 700 "$PGDATA_DIR"
	if [[ $EUID -eq 0 ]]; then chown postgres: "$PGDATA_DIR" "$SOCK_DIR"; fi

	local locale=C
	if locale -a 2>/dev/null | grep -qixE 'c\.utf-?8'; then locale=C.UTF-8; fi

	say "initialising a private PostgreSQL ${version:-} cluster in $PGDATA_DIR"
	local out
	if ! out="$(as_owner "$initdb" -D "$PGDATA_DIR" -U postgres -A trust -E UTF8 \
		--locale="$locale" --no-instructions 2>&1)"; then
		printf '%s\n' "$out" >&2
		rm -rf "$PGDATA_DIR"
		die "initdb failed (output above)." "$INSTALL_HINT"
	fi
	# Settings of our own live in curfew.conf, rewritten on every start.
	printf "\n# Added by scripts/pg.sh\ninclude_if_exists = 'curfew.conf'\n" >>"$PGDATA_DIR/postgresql.conf"
}

write_conf() {
	# A Unix socket path must fit in 107 bytes; use TCP only if the repo path is too long.
	local sockets="$SOCK_DIR"
	if (( ${#SOCK_DIR} + 20 > 107 )); then sockets=""; fi
	local conf="$PGDATA_DIR/curfew.conf"
	{
		echo "# Written by scripts/pg.sh on every start; edits are lost."
		echo "listen_addresses = '127.0.0.1'"
		echo "port = $PRIVATE_PORT"
		echo "unix_socket_directories = '${sockets//\'/\'\'}'"
		echo "max_connections = 200"
		echo "fsync = off"
		echo "synchronous_commit = off"
		echo "full_page_writes = off"
	} >"$conf"
	if [[ $EUID -eq 0 ]]; then chown "$(stat -c %U "$PGDATA_DIR")": "$conf"; fi
}

start_private() {
	prepare_data_dir
	lock_data

	if private_running; then
		local port
		port="$(running_port)"
		if [[ -n "$port" && "$port" != "$PRIVATE_PORT" ]]; then
			say "the private cluster already runs on port $port (not $PRIVATE_PORT); using it"
		else
			say "using the private PostgreSQL cluster on 127.0.0.1:${port:-$PRIVATE_PORT}"
		fi
		wait_ready "$(private_url)"
		private_url
		return 0
	fi

	if "$PG_ISREADY" -q -h 127.0.0.1 -p "$PRIVATE_PORT" -t 3 >/dev/null 2>&1; then
		die "another server already listens on 127.0.0.1:$PRIVATE_PORT, so the private cluster cannot start." \
			"Set CURFEW_PG_PORT to a free port, or set DATABASE_URL."
	fi

	if [[ ! -f "$PGDATA_DIR/PG_VERSION" ]]; then init_cluster; fi
	if postmaster_is_zombie; then
		say "the private cluster's postmaster died (zombie process); removing its stale lock files"
		rm -f "$PGDATA_DIR/postmaster.pid" "$SOCK_DIR"/.s.PGSQL.*
	fi
	if [[ $EUID -eq 0 && "$(stat -c %u "$PGDATA_DIR")" == 0 ]]; then
		say "giving $PGDATA_DIR to the postgres user (PostgreSQL refuses to run as root)"
		chown -R postgres: "$PGDATA_DIR"
	fi

	local version pg_ctl
	version="$(cluster_version)"
	pg_ctl="$(find_tool pg_ctl "$version")" ||
		die "pg_ctl was not found, so the private cluster cannot start." "$INSTALL_HINT"
	local have
	have="$("$pg_ctl" --version 2>/dev/null | sed -E 's/^[^0-9]*([0-9]+).*/\1/')"
	if [[ -n "$have" && "$have" != "$version" ]]; then
		die "the private cluster in $PGDATA_DIR was made by PostgreSQL $version but pg_ctl is version $have." \
			"Install PostgreSQL $version (apt-get install postgresql-$version), or delete the cluster: make clean-data"
	fi

	if [[ $EUID -eq 0 ]]; then
		mkdir -p "$SOCK_DIR"
		chown "$(stat -c %U "$PGDATA_DIR")": "$SOCK_DIR"
		touch "$LOG_FILE"
		chown "$(stat -c %U "$PGDATA_DIR")": "$LOG_FILE"
	else
		mkdir -p "$SOCK_DIR"
	fi
	write_conf

	say "starting the private PostgreSQL cluster on 127.0.0.1:$PRIVATE_PORT (log: $LOG_FILE)"
	if ! as_owner "$pg_ctl" start -D "$PGDATA_DIR" -l "$LOG_FILE" -w -t 60 >/dev/null 2>&1; then
		tail -n 20 "$LOG_FILE" >&2 2>/dev/null || true
		die "the private cluster did not start (log above, full log in $LOG_FILE)." \
			"To start afresh, delete it with: make clean-data"
	fi
	wait_ready "$(private_url)"
	private_url
}

stop_private() {
	if [[ ! -f "$PGDATA_DIR/PG_VERSION" ]]; then
		say "no private cluster in $PGDATA_DIR"
		return 0
	fi
	[[ $EUID -eq 0 ]] && find_runuser
	lock_data
	if ! private_running; then
		say "the private cluster is not running"
		return 0
	fi
	local pg_ctl
	pg_ctl="$(find_tool pg_ctl "$(cluster_version)")" || die "pg_ctl was not found." "$INSTALL_HINT"
	say "stopping the private PostgreSQL cluster"
	as_owner "$pg_ctl" stop -D "$PGDATA_DIR" -m fast -w -t 60 >/dev/null ||
		die "pg_ctl stop failed; see $LOG_FILE"
}

wait_ready() {
	local url="$1" i
	for ((i = 0; i < 60; i++)); do
		if can_login "$url"; then return 0; fi
		sleep 0.5
	done
	die "the server at $(redact "$url") does not accept connections: $(login_error "$url")" \
		"See $LOG_FILE."
}

# ---------------------------------------------------------------------------
# Choosing a server.

admin_url() {
	need_client_tools

	# (a) DATABASE_URL from the environment.
	if [[ -n "${DATABASE_URL:-}" ]]; then
		if ! "$PG_ISREADY" -q -d "$DATABASE_URL" -t 5 >/dev/null 2>&1; then
			die "DATABASE_URL is set but no server answers at $(redact "$DATABASE_URL")." \
				"Start that server, fix DATABASE_URL, or unset it to use a local one."
		fi
		if ! can_login "$DATABASE_URL"; then
			die "DATABASE_URL is set but connecting to $(redact "$DATABASE_URL") fails: $(login_error "$DATABASE_URL")" \
				"Fix DATABASE_URL, or unset it to use a local server."
		fi
		say "using DATABASE_URL ($(redact "$DATABASE_URL"))"
		echo "$DATABASE_URL"
		return 0
	fi

	# (b) A server on 127.0.0.1:5432 that lets "postgres" in.
	local url="postgres://postgres@127.0.0.1:$PROBE_PORT/postgres?sslmode=disable"
	if "$PG_ISREADY" -q -h 127.0.0.1 -p "$PROBE_PORT" -t 3 >/dev/null 2>&1; then
		if can_login "$url"; then
			say "using the PostgreSQL server on 127.0.0.1:$PROBE_PORT"
			echo "$url"
			return 0
		fi
		say "a server answers on 127.0.0.1:$PROBE_PORT but user postgres cannot log in without a password" \
			"($(login_error "$url" | head -n 1)); using a private cluster instead"
	fi

	# (c) The private cluster.
	start_private
}

# with_database URL NAME: URL with its database replaced by NAME.
with_database() {
	local url="$1" name="$2"
	case "$url" in
	postgres://* | postgresql://*)
		local scheme="${url%%://*}" rest="${url#*://}" query=""
		if [[ "$rest" == *"?"* ]]; then query="?${rest#*\?}"; rest="${rest%%\?*}"; fi
		local authority="${rest%%/*}"
		echo "$scheme://$authority/$name$query"
		;;
	*)
		# keyword=value connection string: replace dbname, or add it.
		if [[ "$url" =~ (^|[[:space:]])dbname[[:space:]]*=[[:space:]]*[^[:space:]\']+ ]]; then
			sed -E "s/(^|[[:space:]])dbname[[:space:]]*=[[:space:]]*[^[:space:]']+/\1dbname=$name/" <<<"$url"
		else
			echo "$url dbname=$name"
		fi
		;;
	esac
}

ensure_db() {
	local name="${1:-}"
	[[ -n "$name" ]] || die "usage: scripts/pg.sh ensure-db NAME"
	[[ "$name" =~ ^[A-Za-z_][A-Za-z0-9_]{0,62}$ ]] ||
		die "database name \"$name\" must be a simple identifier ([A-Za-z_][A-Za-z0-9_]*, at most 63 characters)"

	need_client_tools
	local admin
	admin="$(admin_url)"
	local exists
	exists="$(PGCONNECT_TIMEOUT=5 "$PSQL" -X -q -At -v ON_ERROR_STOP=1 -v name="$name" -d "$admin" \
		<<<"select count(*) from pg_database where datname = :'name';")" ||
		die "could not list databases on $(redact "$admin")"
	if [[ "$exists" == "0" ]]; then
		say "creating database $name"
		if ! PGCONNECT_TIMEOUT=5 "$PSQL" -X -q -v ON_ERROR_STOP=1 -v name="$name" -d "$admin" \
			<<<'create database :"name";' >/dev/null 2>&1; then
			# Another process may have created it at the same moment.
			exists="$(PGCONNECT_TIMEOUT=5 "$PSQL" -X -q -At -v name="$name" -d "$admin" \
				<<<"select count(*) from pg_database where datname = :'name';" 2>/dev/null || true)"
			[[ "$exists" == "1" ]] ||
				die "could not create database $name on $(redact "$admin") (does the user have CREATEDB?)"
		fi
	fi
	local url
	url="$(with_database "$admin" "$name")"
	can_login "$url" || die "cannot connect to $(redact "$url"): $(login_error "$url")"
	echo "$url"
}

main() {
	local cmd="${1:-url}"
	if [[ $EUID -eq 0 ]]; then find_runuser; fi
	case "$cmd" in
	url | "") admin_url ;;
	status)
		admin_url
		if private_running 2>/dev/null; then say "private cluster: running on port $(running_port)"; else say "private cluster: not running"; fi
		;;
	ensure-db) shift; ensure_db "$@" ;;
	stop) stop_private ;;
	-h | --help | help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2 ;;
	*) die "unknown command \"$cmd\" (want: url, ensure-db NAME, stop, status)" ;;
	esac
}

main "$@"
