package handlers

import (
	"context"
	"time"

	"github.com/maypok86/otter/v2"

	"curfew/policy"
	"curfew/store"
)

// countsTTL is how old the security page's sign-out-everywhere counts may be.
// Counting is one pass over an account's active sessions: cheap for a team,
// tens of milliseconds at 100,000 sessions, and the page may be reloaded often.
// What the counts are taken under is part of the key (see countsKey), so a
// sign-out-everywhere or a policy change shows at once on every instance; only
// sign-ins and sign-outs through other instances can be up to this late.
const countsTTL = 2 * time.Second

// countsKey is everything the counts depend on besides the clock: the account,
// the caller's session ("everyone but me"), the account's revocation point as
// the request's session lookup read it, and the policy in force.
type countsKey struct {
	accountID      int64
	sessionID      string
	revokedThrough int64
	revokedKept    string
	policy         policy.Effective
}

// countsCache keeps recent sign-out-everywhere counts per owner session
// (maypok86/otter: bounded, expiring, and one load per key at a time; unlike
// hashicorp/golang-lru's expirable cache it keeps no goroutine ticking for the
// life of the process).
type countsCache struct {
	cache *otter.Cache[countsKey, store.SessionCounts]
}

func newCountsCache() *countsCache {
	return &countsCache{cache: otter.Must(&otter.Options[countsKey, store.SessionCounts]{
		MaximumSize:      1024,
		ExpiryCalculator: otter.ExpiryWriting[countsKey, store.SessionCounts](countsTTL),
	})}
}

// get returns the counts for key, counting with count when none are recent.
// Requests for the same key wait for one count.
func (cc *countsCache) get(ctx context.Context, key countsKey, count func(context.Context) (store.SessionCounts, error)) (store.SessionCounts, error) {
	return cc.cache.Get(ctx, key, otter.LoaderFunc[countsKey, store.SessionCounts](
		func(ctx context.Context, _ countsKey) (store.SessionCounts, error) {
			// The first request counts for all who wait, so one leaving
			// early must not fail the others; its deadline still holds.
			lctx := context.WithoutCancel(ctx)
			if d, ok := ctx.Deadline(); ok {
				var cancel context.CancelFunc
				lctx, cancel = context.WithDeadline(lctx, d)
				defer cancel()
			}
			return count(lctx)
		}))
}

// forget drops an account's counts after this instance started or ended one
// of its sessions, so its own changes show at once.
func (cc *countsCache) forget(accountID int64) {
	for k := range cc.cache.Keys() {
		if k.accountID == accountID {
			cc.cache.Invalidate(k)
		}
	}
}
