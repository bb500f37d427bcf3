// Package countcache keeps the security page's recent session counts: how
// many active sessions of how many people an account has, as
// store.CountActiveSessions counts them, for a moment, so that reloading the
// page or paging through a long session list does not recount 100,000
// sessions each time (docs/performance.md).
package countcache

import (
	"context"
	"time"

	"github.com/maypok86/otter/v2"

	"curfew/policy"
	"curfew/store"
)

// TTL is how old the security page's sign-out-everywhere counts may be.
// Counting is one pass over an account's active sessions: cheap for a team,
// tens of milliseconds at 100,000 sessions, and the page may be reloaded often.
// What the counts are taken under is part of the key (see Key), so a
// sign-out-everywhere or a policy change shows at once on every instance; only
// sign-ins and sign-outs through other instances can be up to this late.
const TTL = 2 * time.Second

// Key is everything the counts depend on besides the clock: the account,
// the caller's session ("everyone but me"), the account's revocation point as
// the request's session lookup read it, and the policy in force.
type Key struct {
	AccountID      int64
	SessionID      string
	RevokedThrough int64
	RevokedKept    string
	Policy         policy.Effective
	// Limits are every role's limits (store.ActiveAt.Limits), so a change of
	// one role's values shows at once too.
	Limits string
}

// Cache keeps recent sign-out-everywhere counts per owner session
// (maypok86/otter: bounded, expiring, and one load per key at a time; unlike
// hashicorp/golang-lru's expirable cache it keeps no goroutine ticking for the
// life of the process).
type Cache struct {
	cache *otter.Cache[Key, store.SessionCounts]
}

// New returns an empty cache of at most 1024 keys, each kept for TTL.
func New() *Cache {
	return &Cache{cache: otter.Must(&otter.Options[Key, store.SessionCounts]{
		MaximumSize:      1024,
		ExpiryCalculator: otter.ExpiryWriting[Key, store.SessionCounts](TTL),
	})}
}

// Get returns the counts for key, counting with count when none are recent.
// Requests for the same key wait for one count.
func (cc *Cache) Get(ctx context.Context, key Key, count func(context.Context) (store.SessionCounts, error)) (store.SessionCounts, error) {
	return cc.cache.Get(ctx, key, otter.LoaderFunc[Key, store.SessionCounts](
		func(ctx context.Context, _ Key) (store.SessionCounts, error) {
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

// Forget drops an account's counts after this instance started or ended one
// of its sessions, so its own changes show at once.
func (cc *Cache) Forget(accountID int64) {
	for k := range cc.cache.Keys() {
		if k.AccountID == accountID {
			cc.cache.Invalidate(k)
		}
	}
}
