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

// throttleSignIn reserves sign-in attempt a against the limits (reserveSignIn)
// and returns the counter it was counted against, for ClearLoginAttempts.
// When a limit is reached it answers for the caller: the Retry-After header
// and the message the page shows; the password is never checked then. An
// empty message means go ahead.
func (s *Server) throttleSignIn(c echo.Context, a store.LoginAttempt) (scope, message string, err error) {
	r, err := s.reserveSignIn(c.Request().Context(), a, c.Request().UserAgent())
	if err != nil || r.RetryAt.IsZero() {
		return r.Scope, "", err
	}
	wait := r.RetryAt.Sub(s.now())
	setRetryAfter(c, wait)
	return "", throttledMessage(wait), nil
}

// reserveSignIn counts a sign-in attempt against the limits per email (the
// counter of a's device, of its known address, or of strangers: see
// store.ReserveLoginAttempt) and per client IP. When a limit is reached the
// refusal is counted, and audited once per window (store.RecordLoginRefusal),
// when the email is an account's.
func (s *Server) reserveSignIn(ctx context.Context, a store.LoginAttempt, userAgent string) (store.LoginReservation, error) {
	now := s.now()
	limits := store.LoginLimits{PerAccount: s.cfg.LoginLimitPerAccount, PerIP: s.cfg.LoginLimitPerIP}
	r, err := s.store.ReserveLoginAttempt(ctx, a, limits, now)
	if err != nil {
		return store.LoginReservation{}, err
	}
	if r.RetryAt.IsZero() {
		if rand.IntN(purgeEvery) == 0 {
			if _, err := s.store.PurgeLoginAttempts(ctx, now); err != nil {
				s.log.WarnContext(ctx, "purge sign-in attempts", "err", err)
			}
		}
		return r, nil
	}
	u, err := s.store.UserByEmail(ctx, a.Email)
	switch {
	case err == nil:
		actor := store.Actor{AccountID: u.AccountID, UserID: u.ID, IP: a.IP, UserAgent: userAgent}
		if _, err := s.store.RecordLoginRefusal(ctx, actor, a.Email, now); err != nil {
			return store.LoginReservation{}, err
		}
	case !errors.Is(err, store.ErrNotFound):
		return store.LoginReservation{}, err
	}
	return r, nil
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
