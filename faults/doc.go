// Package faults holds Curfew's fault-injection tests. They start a private
// PostgreSQL cluster of their own (initdb + pg_ctl into a temporary directory),
// run Curfew on it, and then stop, restart, lock up and kill parts of the
// database under load, checking what people and load balancers see.
package faults
