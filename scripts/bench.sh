#!/usr/bin/env bash
# bench.sh — `make bench`: measure Curfew on this machine, in one run.
#
# Builds the real binary, gives it a fresh PostgreSQL database (curfew_bench)
# with demo and bench data, starts it with CURFEW_ENV=dev on a free loopback
# port, and drives it with cmd/curfew-load at a fixed concurrency (the HTTP
# figures through wrk, the lookup from Go):
#   (a) GET /healthz, (b) authenticated GET /api/session,
#   (c) authenticated GET /settings/security (as an owner),
#   (e) GET /auth/verify with the session cookie, as a reverse proxy asks it,
#   (f) a product page through Debian's nginx running deploy/nginx/curfew.conf
#       (auth_request to Curfew on every request), and
#   (g) the same page through nginx without the check (the product is nginx
#       itself answering a fixed 1 KB page),
#   (d) the session lookup query alone, straight to PostgreSQL, run the same way,
# sampling the server's resident memory meanwhile. Then it runs the Go
# benchmarks of ./store/ (lookup at 10k and 1M sessions, sign-out-everywhere of
# 100k sessions, audit first page). It ends with three lines:
#   limit: X   throughput of (e) / 1/(1/(a) + 1/(d)), what one HTTP exchange
#              and one lookup query allow together (target >= 0.85)
#   proxy: X   throughput of (f) / (g) (target >= 0.5)
#   ratio: X   throughput of (c) / (d), last (no target: see docs/performance.md)
#
# Environment:
#   BENCH_CONCURRENCY (32), BENCH_WARMUP (2s), BENCH_DURATION (10s)
#   BENCH_GO_BENCH    regexp of Go benchmarks to run (default: all in ./store/)
#   BENCH_HTTP        what drives the HTTP figures: wrk (default) or go (Go's HTTP client)
#   BENCH_LOOKUP_VARIANTS=1  also send the lookup SQL by hand three ways (see curfew-load)
#   BENCH_POOLER=pgbouncer   serve through PgBouncer in transaction mode, with
#                     CURFEW_DB_POOLER=transaction (no prepared statements); (d) stays direct
#   DATABASE_URL / CURFEW_PG_*  where PostgreSQL is, as for scripts/pg.sh
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$REPO"
CONCURRENCY="${BENCH_CONCURRENCY:-32}"
WARMUP="${BENCH_WARMUP:-2s}"
DURATION="${BENCH_DURATION:-10s}"
GO_BENCH="${BENCH_GO_BENCH:-.}"
DB_NAME=curfew_bench
BENCH_EMAIL=bench-owner@bench.test
BENCH_PASSWORD=bench-owner-pass

say() { printf 'bench: %s\n' "$*" >&2; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/curfew-bench.XXXXXX")"
SERVER_PID=""
BOUNCER_PID=""
SERVE_ENV=() # the server's own settings, on top of the exports below
cleanup() {
	[[ -n "$BOUNCER_PID" ]] && kill -TERM "$BOUNCER_PID" 2>/dev/null || true
	[[ -n "${BOUNCER_DIR:-}" ]] && rm -rf "$BOUNCER_DIR"
	if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
		kill -TERM "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT

# PostgreSQL: an admin URL for the Go benchmarks and a fresh database for the server.
ADMIN_URL="$(bash scripts/pg.sh 2>"$WORK/pg.log")" || { cat "$WORK/pg.log" >&2; exit 1; }
PSQL="$(command -v psql || ls /usr/lib/postgresql/*/bin/psql 2>/dev/null | sort -V | tail -n 1)"
[[ -x "$PSQL" ]] || { say "psql not found (apt-get install postgresql-client)"; exit 1; }
psql_admin() { "$PSQL" -X -q -At -v ON_ERROR_STOP=1 -d "$ADMIN_URL" "$@"; }
PGOPTIONS='-c client_min_messages=warning' psql_admin -c "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)"
DB_URL="$(bash scripts/pg.sh ensure-db "$DB_NAME" 2>"$WORK/pg.log")" || { cat "$WORK/pg.log" >&2; exit 1; }
psql_db() { "$PSQL" -X -q -At -v ON_ERROR_STOP=1 -d "$DB_URL" "$@"; }

say "building curfew and curfew-load"
go build -o "$WORK/curfew" ./cmd/curfew
go build -o "$WORK/curfew-load" ./cmd/curfew-load

export DATABASE_URL="$DB_URL" CURFEW_ENV=dev CURFEW_ADDR=127.0.0.1:0
CURFEW_SESSION_KEYS="$(head -c 32 /dev/urandom | base64)"
export CURFEW_SESSION_KEYS

say "migrating and seeding $DB_NAME"
quietly() { "$@" >"$WORK/step.log" 2>&1 || { cat "$WORK/step.log" >&2; exit 1; }; }
quietly "$WORK/curfew" migrate
quietly "$WORK/curfew" seed --demo
quietly "$WORK/curfew" account create Bench
printf '%s\n' "$BENCH_PASSWORD" >"$WORK/password"
quietly "$WORK/curfew" user create --account Bench --email "$BENCH_EMAIL" --role owner --name 'Bench Owner' <"$WORK/password"
# The bench account: 50 people with 4 active and 16 ended sessions each; and 2,000
# other accounts with 20 sessions each, so the indexes are not trivially small.
psql_db <<'SQL'
INSERT INTO users (account_id, email, name, password_hash, role)
SELECT a.id, 'engineer' || g || '@bench.test', 'Engineer ' || g, o.password_hash, 'engineer'
FROM accounts a JOIN users o ON o.account_id = a.id AND o.email = 'bench-owner@bench.test',
     generate_series(1, 49) g
WHERE a.name = 'Bench';

INSERT INTO sessions (account_id, user_id, token_hash, created_at, last_seen_at, authenticated_at,
                      revoked_at, revoked_reason, ip, user_agent)
SELECT u.account_id, u.id, sha256(convert_to('bench-' || u.id || '-' || g, 'UTF8')),
       now() - interval '3 hours', now() - (g % 20) * interval '1 minute', now() - interval '3 hours',
       CASE WHEN g > 4 THEN now() - interval '1 hour' END, CASE WHEN g > 4 THEN 'logout' END,
       '203.0.113.' || (g % 250), 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36'
FROM users u JOIN accounts a ON a.id = u.account_id AND a.name = 'Bench', generate_series(1, 20) g;

INSERT INTO accounts (name) SELECT 'filler-' || g FROM generate_series(1, 2000) g;
INSERT INTO users (account_id, email, password_hash, role)
SELECT a.id, a.name || '@filler.test', 'x', 'owner' FROM accounts a WHERE a.name LIKE 'filler-%';
INSERT INTO sessions (account_id, user_id, token_hash, created_at, last_seen_at, authenticated_at)
SELECT u.account_id, u.id, sha256(convert_to('filler-' || u.id || '-' || g, 'UTF8')),
       now() - interval '1 hour', now() - interval '5 minutes', now() - interval '1 hour'
FROM users u JOIN accounts a ON a.id = u.account_id AND a.name LIKE 'filler-%', generate_series(1, 20) g;
ANALYZE;
SQL
say "$(psql_db -c "SELECT count(*) || ' sessions in ' || (SELECT count(*) FROM accounts) || ' accounts' FROM sessions")"

if [[ "${BENCH_POOLER:-}" == "pgbouncer" ]]; then
	# PgBouncer in transaction mode between the server and PostgreSQL, as in
	# docs/deploy.md; migrating and seeding above went to PostgreSQL itself.
	BOUNCER="$(command -v pgbouncer || echo /usr/sbin/pgbouncer)"
	[[ -x "$BOUNCER" ]] || { say "pgbouncer not found (scripts/setup.sh installs it: apt-get install pgbouncer)"; exit 1; }
	BOUNCER_PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
	PG_PORT="$(psql_db -c "SELECT current_setting('port')")"
	BOUNCER_DIR="$(mktemp -d "${TMPDIR:-/tmp}/curfew-bench-pgbouncer.XXXXXX")" # $WORK is private to us
	printf '"postgres" ""\n' >"$BOUNCER_DIR/userlist.txt"
	cat >"$BOUNCER_DIR/pgbouncer.ini" <<INI
[databases]
$DB_NAME = host=127.0.0.1 port=$PG_PORT
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $BOUNCER_PORT
unix_socket_dir =
auth_type = trust
auth_file = $BOUNCER_DIR/userlist.txt
pool_mode = transaction
default_pool_size = 20
max_client_conn = 200
ignore_startup_parameters = extra_float_digits
INI
	RUN_AS=()
	if [[ $EUID -eq 0 ]]; then chown -R postgres: "$BOUNCER_DIR"; RUN_AS=(runuser -u postgres --); fi
	"${RUN_AS[@]}" "$BOUNCER" "$BOUNCER_DIR/pgbouncer.ini" >"$BOUNCER_DIR/log" 2>&1 &
	BOUNCER_PID=$!
	sleep 0.5
	kill -0 "$BOUNCER_PID" 2>/dev/null || { cat "$BOUNCER_DIR/log" >&2; say "pgbouncer did not start"; exit 1; }
	SERVE_ENV=(DATABASE_URL="postgres://postgres@127.0.0.1:$BOUNCER_PORT/$DB_NAME?sslmode=disable" CURFEW_DB_POOLER=transaction)
	say "serving through pgbouncer $("$BOUNCER" --version | head -n 1 | cut -d' ' -f2) on $BOUNCER_PORT (transaction mode)"
fi

say "starting the server"
env ${SERVE_ENV[@]+"${SERVE_ENV[@]}"} "$WORK/curfew" serve >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
BASE=""
for _ in $(seq 1 300); do
	BASE="$(grep -o 'url=http://[0-9.:]*' "$WORK/server.log" | head -n 1 | cut -d= -f2 || true)"
	[[ -n "$BASE" ]] && break
	kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; say "the server exited"; exit 1; }
	sleep 0.1
done
[[ -n "$BASE" ]] || { cat "$WORK/server.log" >&2; say "the server did not start"; exit 1; }
say "server pid $SERVER_PID on $BASE; $CONCURRENCY workers, ${WARMUP} warm-up + ${DURATION} per figure"
say "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), load average $(cut -d' ' -f1-3 /proc/loadavg)"

"$WORK/curfew-load" -url "$BASE" -db "$DB_URL" -email "$BENCH_EMAIL" -password "$BENCH_PASSWORD" \
	-pid "$SERVER_PID" -c "$CONCURRENCY" -warmup "$WARMUP" -d "$DURATION" -results "$WORK/results" \
	-http "${BENCH_HTTP:-wrk}" -nginx-conf "$REPO/deploy/nginx/curfew.conf" \
	${BENCH_LOOKUP_VARIANTS:+-lookup-variants}

if grep -q '^[a-z_]* [0-9.]* [0-9.]* [0-9.]* [1-9]' "$WORK/results"; then
	say "some requests failed; see the lines above"
	exit 1
fi
kill -TERM "$SERVER_PID" && wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=""

say "Go benchmarks in ./store/ (the scale ones insert 1,000,000 sessions first)"
if ! CURFEW_TEST_DATABASE_URL="$ADMIN_URL" go test -count=1 -run='^$' -bench="$GO_BENCH" -timeout=10m ./store/ >"$WORK/gobench" 2>&1; then
	cat "$WORK/gobench" >&2
	say "the Go benchmarks failed"
	exit 1
fi
mkdir -p .data/bench
cp "$WORK/gobench" .data/bench/gobench.txt
{ grep -E '^(Benchmark|scale:)' "$WORK/gobench" || true; } | sed -E 's/[[:space:]]+/ /g'
say "query plans and set-up times of the Go benchmarks: .data/bench/gobench.txt"

awk '{ x[$1] = $2 }
	END {
		a = x["healthz"]; c = x["security"]; d = x["lookup"]; e = x["verify"]; f = x["proxy_auth"]; g = x["proxy_plain"]
		if (a == "" || c == "" || d == "" || e == "" || f == "" || g == "" || a == 0 || d == 0 || g == 0) exit 1
		printf "limit: %.2f\n", e * (1 / a + 1 / d)
		printf "proxy: %.2f\n", f / g
		printf "ratio: %.2f\n", c / d
	}' "$WORK/results"
