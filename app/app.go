// Package app is Curfew's program: it reads the command line and environment,
// opens the database and runs one verb. main only calls Run, and tests can too.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"curfew/config"
	"curfew/store"
)

// UsageError is a bad command line; the process exits with status 2.
type UsageError struct{ msg string }

func (e UsageError) Error() string { return e.msg + "\n\n" + usage }

const usage = `usage:
  curfew [serve]                 run the web console (CURFEW_ADDR, default 127.0.0.1:8080)
  curfew migrate                 apply database migrations
  curfew seed --demo             create the demo accounts (idempotent)
  curfew account create NAME     create an account
  curfew user create --account NAME --email E --role owner|engineer [--name N]
                                 create a user; the password is read from stdin`

// ExitCode maps an error from Run to a process exit status.
func ExitCode(err error) int {
	var u UsageError
	if errors.As(err, &u) {
		return 2
	}
	return 1
}

// Run executes one command. It returns every error instead of exiting.
func Run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cfg, err := config.Load(getenv)
	if err != nil {
		return fmt.Errorf("configuration:\n  %s", strings.ReplaceAll(err.Error(), "\n", "\n  "))
	}
	logger := newLogger(cfg, stderr)
	verb := "serve"
	if len(args) > 0 {
		verb, args = args[0], args[1:]
	}
	switch verb {
	case "serve":
		if len(args) > 0 {
			return UsageError{"serve takes no arguments"}
		}
		gc := tuneGC(getenv)
		logger.Info("garbage collector", "gogc", gc.Percent, "memory_limit_mib", gc.limitMiB(), "from_env", gc.FromEnv)
		return serve(ctx, cfg, logger, stdout)
	case "migrate":
		return withStore(ctx, cfg, logger, func(st *store.Store) error {
			fmt.Fprintln(stdout, "database is up to date")
			return nil
		})
	case "seed":
		if len(args) != 1 || args[0] != "--demo" {
			return UsageError{"seed needs --demo"}
		}
		return withStore(ctx, cfg, logger, func(st *store.Store) error { return seedDemo(ctx, st, stdout) })
	case "account":
		if len(args) != 2 || args[0] != "create" {
			return UsageError{"usage: curfew account create NAME"}
		}
		return withStore(ctx, cfg, logger, func(st *store.Store) error { return createAccount(ctx, st, args[1], stdout) })
	case "user":
		if len(args) < 1 || args[0] != "create" {
			return UsageError{"usage: curfew user create --account NAME --email E --role owner|engineer"}
		}
		opts, err := parseUserCreate(args[1:])
		if err != nil {
			return err
		}
		return withStore(ctx, cfg, logger, func(st *store.Store) error { return createUser(ctx, st, opts, stdin, stdout) })
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	return UsageError{fmt.Sprintf("unknown command %q", verb)}
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	if cfg.Dev {
		return slog.New(slog.NewTextHandler(w, nil))
	}
	return slog.New(slog.NewJSONHandler(w, nil))
}

// withStore opens the database, applies migrations and runs fn.
func withStore(ctx context.Context, cfg config.Config, logger *slog.Logger, fn func(*store.Store) error) error {
	if err := cfg.NeedDatabase(); err != nil {
		return err
	}
	st, err := store.Open(ctx, cfg.DatabaseURL, store.WithPooler(cfg.DBPooler))
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx, logger); err != nil {
		return err
	}
	return fn(st)
}
