package countcache_test

import (
	"context"
	"testing"

	"curfew/internal/countcache"
	"curfew/store"
)

func TestCacheCountsOncePerKeyAndForgetsOneAccount(t *testing.T) {
	ctx := context.Background()
	cc := countcache.New()
	loads := map[int64]int{}
	get := func(key countcache.Key) store.SessionCounts {
		t.Helper()
		n, err := cc.Get(ctx, key, func(context.Context) (store.SessionCounts, error) {
			loads[key.AccountID]++
			return store.SessionCounts{Sessions: int(key.AccountID) * 10}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	a, b := countcache.Key{AccountID: 1, SessionID: "x"}, countcache.Key{AccountID: 2, SessionID: "y"}
	if get(a).Sessions != 10 || get(a).Sessions != 10 || get(b).Sessions != 20 {
		t.Fatal("wrong counts")
	}
	if loads[1] != 1 || loads[2] != 1 {
		t.Fatalf("loads = %v, want one per key", loads)
	}
	// Another policy is another key: counted afresh.
	a2 := a
	a2.Policy.IdleMinutes = 15
	get(a2)
	if loads[1] != 2 {
		t.Errorf("a key with another policy reused the counts (loads %v)", loads)
	}
	cc.Forget(1)
	get(a)
	get(b)
	if loads[1] != 3 || loads[2] != 1 {
		t.Errorf("after Forget(1): loads = %v, want account 1 recounted and account 2 not", loads)
	}
}
