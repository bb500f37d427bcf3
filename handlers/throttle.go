package handlers

import (
	"errors"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"curfew/policy"
	"curfew/store"
)

// purgeEvery is how often, on average, a recorded sign-in attempt also deletes
// attempts past the window: often enough to keep the table small, rare enough
// to cost nothing on the sign-in path.
const purgeEvery = 100

// throttleSignIn reserves sign-in attempt a against the limits per email
// (the counter of a's device, of its known address, or of strangers: see
// store.ReserveLoginAttempt) and per client IP, and returns the counter it
// was counted against, for ClearLoginAttempts. When a limit is reached it
// answers for the caller: the Retry-After header, the refusal counted (and
// audited once per window, see store.RecordLoginRefusal) when the email is an
// account's, and the message the login page shows; the password is never
// checked then. An empty message means go ahead.
func (s *Server) throttleSignIn(c echo.Context, a store.LoginAttempt) (scope, message string, err error) {
	ctx := c.Request().Context()
	now := s.now()
	limits := store.LoginLimits{PerAccount: s.cfg.LoginLimitPerAccount, PerIP: s.cfg.LoginLimitPerIP}
	r, err := s.store.ReserveLoginAttempt(ctx, a, limits, now)
	if err != nil {
		return "", "", err
	}
	if r.RetryAt.IsZero() {
		if rand.IntN(purgeEvery) == 0 {
			if _, err := s.store.PurgeLoginAttempts(ctx, now); err != nil {
				s.log.WarnContext(ctx, "purge sign-in attempts", "err", err)
			}
		}
		return r.Scope, "", nil
	}
	// The refusal is counted even when the client has gone meanwhile.
	ctx, cancel := s.detached(c)
	defer cancel()
	u, err := s.store.UserByEmail(ctx, a.Email)
	switch {
	case err == nil:
		actor := store.Actor{AccountID: u.AccountID, UserID: u.ID, IP: c.RealIP(), UserAgent: c.Request().UserAgent()}
		if _, err := s.store.RecordLoginRefusal(ctx, actor, a.Email, now); err != nil {
			return "", "", err
		}
	case !errors.Is(err, store.ErrNotFound):
		return "", "", err
	}
	wait := r.RetryAt.Sub(now)
	c.Response().Header().Set("Retry-After", strconv.Itoa(ceilDiv(wait, time.Second)))
	return "", throttledMessage(wait), nil
}

// throttledMessage tells the person how long to wait, in whole minutes.
func throttledMessage(wait time.Duration) string {
	return "Too many sign-in attempts. Try again in " + policy.HumanMinutes(ceilDiv(wait, time.Minute)) + "."
}

// ceilDiv is d/unit rounded up, and at least 1.
func ceilDiv(d, unit time.Duration) int {
	n := int((d + unit - 1) / unit)
	return max(n, 1)
}
