package handlers

import (
	"context"
	"errors"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"curfew/store"
	"curfew/words"
)

// purgeEvery is how often, on average, a recorded sign-in attempt also deletes
// attempts past the window: often enough to keep the table small, rare enough
// to cost nothing on the sign-in path.
const purgeEvery = 100

// throttleSignIn reserves this sign-in attempt against the limits per email
// and per client IP (reserveSignIn). When a limit is reached it answers for
// the caller: the Retry-After header and the message the page shows; the
// password is never checked then. An empty message means go ahead.
func (s *Server) throttleSignIn(c echo.Context, email string) (message string, err error) {
	wait, throttled, err := s.reserveSignIn(c.Request().Context(), email, c.RealIP(), c.Request().UserAgent())
	if err != nil || !throttled {
		return "", err
	}
	setRetryAfter(c, wait)
	return throttledMessage(wait), nil
}

// reserveSignIn counts a sign-in attempt from ip as email against the limits.
// When a limit is reached it reports how long to wait and writes one
// auth.login_failed audit row marked throttled (when the email is an
// account's).
func (s *Server) reserveSignIn(ctx context.Context, email, ip, userAgent string) (wait time.Duration, throttled bool, err error) {
	now := s.now()
	limits := store.LoginLimits{PerAccount: s.cfg.LoginLimitPerAccount, PerIP: s.cfg.LoginLimitPerIP}
	retryAt, err := s.store.ReserveLoginAttempt(ctx, email, ip, limits, now)
	if err != nil {
		return 0, false, err
	}
	if retryAt.IsZero() {
		if rand.IntN(purgeEvery) == 0 {
			if _, err := s.store.PurgeLoginAttempts(ctx, now); err != nil {
				s.log.WarnContext(ctx, "purge sign-in attempts", "err", err)
			}
		}
		return 0, false, nil
	}
	u, err := s.store.UserByEmail(ctx, email)
	switch {
	case err == nil:
		actor := store.Actor{AccountID: u.AccountID, UserID: u.ID, IP: ip, UserAgent: userAgent}
		payload := map[string]any{"email": email, "throttled": true}
		if err := s.store.InsertAudit(ctx, actor, store.ActionLoginFailed, payload); err != nil {
			return 0, false, err
		}
	case !errors.Is(err, store.ErrNotFound):
		return 0, false, err
	}
	return retryAt.Sub(now), true, nil
}

// setRetryAfter tells a throttled client when to try again, in whole seconds.
func setRetryAfter(c echo.Context, wait time.Duration) {
	c.Response().Header().Set("Retry-After", strconv.Itoa(ceilDiv(wait, time.Second)))
}

// throttledMessage tells the person how long to wait, in whole minutes.
func throttledMessage(wait time.Duration) string {
	return "Too many sign-in attempts. Try again in " + words.Minutes(ceilDiv(wait, time.Minute)) + "."
}

// ceilDiv is d/unit rounded up, and at least 1.
func ceilDiv(d, unit time.Duration) int {
	n := int((d + unit - 1) / unit)
	return max(n, 1)
}
