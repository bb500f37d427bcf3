package handlers

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
	"golang.org/x/sync/singleflight"

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

// countsCache keeps recent sign-out-everywhere counts per owner session, and
// lets only one request per key count at a time.
type countsCache struct {
	lru    *expirable.LRU[countsKey, store.SessionCounts]
	flight singleflight.Group
}

func newCountsCache() *countsCache {
	return &countsCache{lru: expirable.NewLRU[countsKey, store.SessionCounts](1024, nil, countsTTL)}
}

// get returns the counts for key, counting with count when none are recent.
func (cc *countsCache) get(ctx context.Context, key countsKey, count func(context.Context) (store.SessionCounts, error)) (store.SessionCounts, error) {
	if n, ok := cc.lru.Get(key); ok {
		return n, nil
	}
	// The first caller counts for all who wait on the same key, so one
	// leaving early must not fail the others; the deadline still holds.
	v, err, _ := cc.flight.Do(fmt.Sprint(key), func() (any, error) {
		fctx := context.WithoutCancel(ctx)
		if d, ok := ctx.Deadline(); ok {
			var cancel context.CancelFunc
			fctx, cancel = context.WithDeadline(fctx, d)
			defer cancel()
		}
		n, err := count(fctx)
		if err == nil {
			cc.lru.Add(key, n)
		}
		return n, err
	})
	if err != nil {
		return store.SessionCounts{}, err
	}
	return v.(store.SessionCounts), nil
}

// forget drops an account's counts after this instance started or ended one
// of its sessions, so its own changes show at once.
func (cc *countsCache) forget(accountID int64) {
	for _, k := range cc.lru.Keys() {
		if k.accountID == accountID {
			cc.lru.Remove(k)
		}
	}
}
