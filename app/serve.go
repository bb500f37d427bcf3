package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"curfew/config"
	"curfew/handlers"
	"curfew/store"
)

// serve runs the console until ctx ends, then drains requests gracefully.
func serve(ctx context.Context, cfg config.Config, logger *slog.Logger, stdout io.Writer) error {
	if err := cfg.NeedSessionKeys(); err != nil {
		return err
	}
	return withStore(ctx, cfg, logger, func(st *store.Store) error {
		reg := prometheus.NewRegistry()
		e, err := handlers.New(handlers.Deps{Store: st, Config: cfg, Logger: logger, Now: time.Now, Registry: reg})
		if err != nil {
			return err
		}
		ln, err := net.Listen("tcp", cfg.Addr)
		if err != nil {
			return fmt.Errorf("listen on %s (CURFEW_ADDR): %w", cfg.Addr, err)
		}
		if cfg.MetricsAddr != "" {
			stop, err := serveMetrics(cfg.MetricsAddr, reg, logger)
			if err != nil {
				ln.Close()
				return err
			}
			defer stop()
		}
		srv := &http.Server{
			Handler:           e,
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       30 * time.Second,
			WriteTimeout:      30 * time.Second,
			IdleTimeout:       120 * time.Second,
			ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		}
		jobsCtx, stopJobs := context.WithCancel(ctx)
		defer stopJobs()
		go runJanitor(jobsCtx, st, cfg, logger)

		logger.Info("serving", "url", "http://"+ln.Addr().String(), "dev", cfg.Dev)
		errc := make(chan error, 1)
		go func() { errc <- srv.Serve(ln) }()
		select {
		case err := <-errc:
			return fmt.Errorf("serve: %w", err)
		case <-ctx.Done():
		}
		logger.Info("shutting down")
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("shutdown: %w", err)
		}
		logger.Info("stopped")
		return nil
	})
}

// runJanitor purges ended sessions (and old audit rows, when a retention is
// set) once at start and then hourly.
func runJanitor(ctx context.Context, st *store.Store, cfg config.Config, logger *slog.Logger) {
	tick := time.NewTicker(time.Hour)
	defer tick.Stop()
	for {
		n, err := st.PurgeSessions(ctx, time.Now().Add(-cfg.SessionRetention), cfg.Policy.AbsoluteMax)
		if err != nil && ctx.Err() == nil {
			logger.Warn("purge ended sessions", "err", err)
		} else if n > 0 {
			logger.Info("purged ended sessions", "count", n)
		}
		if cfg.AuditRetention > 0 {
			n, err := st.PurgeAudit(ctx, time.Now().Add(-cfg.AuditRetention))
			if err != nil && ctx.Err() == nil {
				logger.Warn("purge audit events", "err", err)
			} else if n > 0 {
				logger.Info("purged audit events", "count", n)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
