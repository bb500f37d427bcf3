package loadgen

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

func TestQuantileIsNearestRank(t *testing.T) {
	r := Result{Window: time.Second}
	for i := 1; i <= 100; i++ {
		r.latencies = append(r.latencies, time.Duration(i)*time.Millisecond)
	}
	r.OK = len(r.latencies)
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 50 * time.Millisecond}, {0.99, 99 * time.Millisecond}, {1, 100 * time.Millisecond}, {0, time.Millisecond}} {
		if got := r.Quantile(tc.q); got != tc.want {
			t.Errorf("Quantile(%v) = %v, want %v", tc.q, got, tc.want)
		}
	}
	if r.Throughput() != 100 {
		t.Errorf("Throughput = %v, want 100", r.Throughput())
	}
	if (Result{}).Quantile(0.5) != 0 {
		t.Error("an empty result has no latency")
	}
}

// Only requests that finish inside the window count, errors apart.
func TestRunCountsTheWindowOnly(t *testing.T) {
	var calls atomic.Int64
	op := func(ctx context.Context) error {
		time.Sleep(5 * time.Millisecond)
		if calls.Add(1)%10 == 0 {
			return errors.New("every tenth fails")
		}
		return nil
	}
	r := Run(context.Background(), "sleep", Options{Concurrency: 4, Warmup: 50 * time.Millisecond, Duration: 200 * time.Millisecond}, op)
	total := int(calls.Load())
	if r.OK+r.Errors >= total {
		t.Errorf("counted %d of %d requests: the warm-up must not count", r.OK+r.Errors, total)
	}
	// 4 workers, 5 ms each, 200 ms: at most about 160 requests (sleeping only
	// ever takes longer, so a busy machine counts fewer, never more).
	if r.OK+r.Errors > 170 || r.OK+r.Errors == 0 {
		t.Errorf("counted %d requests in the window, want between 1 and about 160", r.OK+r.Errors)
	}
	if r.OK+r.Errors >= 10 && (r.Errors == 0 || r.FirstError == nil) {
		t.Errorf("errors = %d (%v), want some", r.Errors, r.FirstError)
	}
	if p := r.Quantile(0.5); p < 5*time.Millisecond {
		t.Errorf("p50 = %v, below the op's own 5 ms", p)
	}
}
