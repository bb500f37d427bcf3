// Package loadgen is a small closed-loop load generator: a fixed number of
// workers each send one request, wait for the whole answer, and send the next.
// Every latency measured in the window is kept, so percentiles are exact, not
// estimated from buckets.
//
// Closed loop means the offered load adapts to the server: when it slows down,
// fewer requests are sent. The latencies are therefore those seen by N busy
// clients, not by an open stream of arrivals at a fixed rate.
package loadgen

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Op is one request. It returns when the answer has been read in full.
type Op func(ctx context.Context) error

// Options say how hard and how long to push.
type Options struct {
	Concurrency int
	Warmup      time.Duration // requests finishing before this are not counted
	Duration    time.Duration // the measured window after the warm-up
	// OnWindow, if set, is called when the measured window opens (true) and
	// when it closes (false), for example to read CPU counters.
	OnWindow func(open bool)
}

// Result is what one measured window saw.
type Result struct {
	Name        string
	Concurrency int
	Window      time.Duration
	OK          int
	Errors      int
	FirstError  error
	latencies   []time.Duration // sorted, successful requests only
}

// Run drives op with opts.Concurrency workers through the warm-up and the
// measured window, counting the requests that complete inside the window.
func Run(ctx context.Context, name string, opts Options, op Op) Result {
	type worker struct {
		lat      []time.Duration
		errs     int
		firstErr error
	}
	workers := make([]worker, opts.Concurrency)
	start := time.Now()
	from, until := start.Add(opts.Warmup), start.Add(opts.Warmup+opts.Duration)
	ctx, cancel := context.WithDeadline(ctx, until.Add(5*time.Second))
	defer cancel()

	var wg sync.WaitGroup
	if opts.OnWindow != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Until(from))
			opts.OnWindow(true)
			time.Sleep(time.Until(until))
			opts.OnWindow(false)
		}()
	}
	for i := range workers {
		w := &workers[i]
		w.lat = make([]time.Duration, 0, 1<<14)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				t0 := time.Now()
				if !t0.Before(until) {
					return
				}
				err := op(ctx)
				t1 := time.Now()
				if t1.Before(from) || t1.After(until) {
					continue
				}
				if err != nil {
					w.errs++
					if w.firstErr == nil {
						w.firstErr = err
					}
					continue
				}
				w.lat = append(w.lat, t1.Sub(t0))
			}
		}()
	}
	wg.Wait()

	r := Result{Name: name, Concurrency: opts.Concurrency, Window: opts.Duration}
	for _, w := range workers {
		r.latencies = append(r.latencies, w.lat...)
		r.Errors += w.errs
		if r.FirstError == nil {
			r.FirstError = w.firstErr
		}
	}
	r.OK = len(r.latencies)
	slices.Sort(r.latencies)
	return r
}

// Throughput is successful requests per second in the window.
func (r Result) Throughput() float64 { return float64(r.OK) / r.Window.Seconds() }

// Quantile returns the latency below which a fraction q of requests finished
// (nearest rank), or 0 when nothing succeeded.
func (r Result) Quantile(q float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	i := int(q*float64(len(r.latencies))+0.5) - 1
	i = max(0, min(i, len(r.latencies)-1))
	return r.latencies[i]
}

// Max is the slowest successful request.
func (r Result) Max() time.Duration { return r.Quantile(1) }
