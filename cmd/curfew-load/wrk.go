package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// wrkScript makes wrk print, when it is done, one line curfew-load reads:
// requests, window (µs), bytes read, socket errors, HTTP errors (status 400
// and up), and the p50, p99 and maximum latency (µs). wrk keeps every latency
// at microsecond resolution, so the percentiles are exact at that resolution.
const wrkScript = `done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("curfew-wrk %d %d %d %d %d %d %d %d\n",
    summary.requests, summary.duration, summary.bytes,
    e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(99), latency.max))
end
`

// wrkRun is what one wrk run reported.
type wrkRun struct {
	requests, bytes     int64
	window              time.Duration
	socketErrs, badHTTP int64
	p50, p99, max       time.Duration
	cpu                 time.Duration // wrk's own user+system time
}

// runWrk drives GET url with wrk and script (wrkScript), c connections on 2
// threads, for d. The cookie header, if any, is sent with every request.
func runWrk(ctx context.Context, wrk, script, url, cookie string, c int, d time.Duration) (wrkRun, error) {
	// wrk reads whole seconds only ("1.5s" is refused).
	secs := max(1, int(math.Ceil(d.Seconds())))
	args := []string{"-t", strconv.Itoa(min(2, c)), "-c", strconv.Itoa(c), "-d", strconv.Itoa(secs) + "s",
		"--timeout", "10s", "-s", script}
	if cookie != "" {
		args = append(args, "-H", "Cookie: "+cookie)
	}
	cmd := exec.CommandContext(ctx, wrk, append(args, url)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return wrkRun{}, fmt.Errorf("wrk %s: %v\n%s%s", url, err, out.String(), errOut.String())
	}
	var r wrkRun
	for _, line := range strings.Split(out.String(), "\n") {
		rest, ok := strings.CutPrefix(line, "curfew-wrk ")
		if !ok {
			continue
		}
		var window, p50, p99, mx int64
		if _, err := fmt.Sscan(rest, &r.requests, &window, &r.bytes, &r.socketErrs, &r.badHTTP, &p50, &p99, &mx); err != nil {
			return wrkRun{}, fmt.Errorf("wrk printed %q: %v", line, err)
		}
		r.window, r.p50, r.p99, r.max = us2d(window), us2d(p50), us2d(p99), us2d(mx)
		r.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		return r, nil
	}
	return wrkRun{}, fmt.Errorf("wrk printed no result line:\n%s%s", out.String(), errOut.String())
}

func us2d(us int64) time.Duration { return time.Duration(us) * time.Microsecond }

// wrkFigure measures one HTTP figure with wrk: a warm-up run, then the
// measured run between the CPU meter's readings. Every answer must be the
// 200 page a single request gets first: wrk counts only statuses of 400 and
// up as errors, so a redirect (an ended session, say) is caught by the bytes
// read per answer falling below that page's body length.
func wrkFigure(ctx context.Context, o options, client *http.Client, sc scenario, cpu *cpuMeter) (figure, cpuCost, error) {
	var body bytes.Buffer
	if err := get(ctx, client, sc.url(o.base), sc.cookie, &body); err != nil {
		return figure{}, cpuCost{}, err
	}
	dir, err := os.MkdirTemp("", "curfew-wrk")
	if err != nil {
		return figure{}, cpuCost{}, err
	}
	defer os.RemoveAll(dir)
	script := filepath.Join(dir, "curfew-wrk.lua")
	if err := os.WriteFile(script, []byte(wrkScript), 0o644); err != nil {
		return figure{}, cpuCost{}, err
	}
	if o.load.Warmup > 0 {
		if _, err := runWrk(ctx, o.wrk, script, sc.url(o.base), sc.cookie, o.load.Concurrency, o.load.Warmup); err != nil {
			return figure{}, cpuCost{}, err
		}
	}
	cpu.window(true)
	r, err := runWrk(ctx, o.wrk, script, sc.url(o.base), sc.cookie, o.load.Concurrency, o.load.Duration)
	cpu.window(false)
	if err != nil {
		return figure{}, cpuCost{}, err
	}
	f := figure{name: sc.name, tool: "wrk", concurrency: o.load.Concurrency, window: r.window,
		ok: int(r.requests - r.badHTTP), errors: int(r.socketErrs + r.badHTTP), p50: r.p50, p99: r.p99, max: r.max}
	switch {
	case r.socketErrs+r.badHTTP > 0:
		f.firstError = fmt.Errorf("%d socket errors, %d answers with status 400 or more", r.socketErrs, r.badHTTP)
	case r.requests == 0:
		f.firstError = fmt.Errorf("no request completed")
	case r.bytes/r.requests < int64(body.Len()):
		f.errors, f.ok = int(r.requests), 0
		f.firstError = fmt.Errorf("answers averaged %d bytes, less than the %d-byte body of the page: some were not the page",
			r.bytes/r.requests, body.Len())
	}
	cost := cpu.perRequest(int(r.requests))
	cost.self = r.cpu / time.Duration(max(r.requests, 1))
	return f, cost, nil
}
