// Package faults holds Curfew's fault-injection tests, on the real engines.
// They start a private PostgreSQL cluster of their own (initdb + pg_ctl into a
// temporary directory), run Curfew on it, and then stop, restart, lock up and
// kill parts of the database under load, checking what people and load
// balancers see. They also start a real PgBouncer in front of it (session and
// transaction pooling) and a real pg_auto_failover formation (a monitor and two
// nodes) whose primary they kill. A missing engine is a failure that names the
// Debian package to install (scripts/setup.sh installs them), never a skip.
package faults
