package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeWrk writes a stand-in for wrk that prints line, as wrk runs our script's
// done() and prints what it writes.
func fakeWrk(t *testing.T, line string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "wrk")
	if err := os.WriteFile(path, []byte("#!/bin/sh\necho 'Running 5s test'\necho '"+line+"'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestWrkFigure(t *testing.T) {
	page := strings.Repeat("x", 1000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(page)) }))
	defer srv.Close()
	sc := scenario{"security", "(c) GET /settings/security", "/settings/security", "t=1", ""}
	opts := func(wrk string) options {
		o := options{base: srv.URL, wrk: wrk}
		o.load.Concurrency, o.load.Duration = 32, 5*time.Second
		return o
	}

	// 10,000 answers of 1,100 bytes (the page and its headers) in 5 s.
	f, _, err := wrkFigure(context.Background(), opts(fakeWrk(t, "curfew-wrk 10000 5000000 11000000 0 0 2500 9000 20000")), srv.Client(), sc, &cpuMeter{})
	if err != nil {
		t.Fatal(err)
	}
	if f.throughput() != 2000 || f.p50 != 2500*time.Microsecond || f.p99 != 9*time.Millisecond || f.errors != 0 || f.firstError != nil {
		t.Errorf("figure = %+v, want 2,000 req/s, p50 2.5 ms, p99 9 ms, no errors", f)
	}

	// Answers shorter than the page (redirects to the sign-in page, say) are
	// not the page: wrk does not count a 303 as an error, so curfew-load must.
	f, _, err = wrkFigure(context.Background(), opts(fakeWrk(t, "curfew-wrk 10000 5000000 3000000 0 0 2500 9000 20000")), srv.Client(), sc, &cpuMeter{})
	if err != nil {
		t.Fatal(err)
	}
	if f.ok != 0 || f.errors != 10000 || f.firstError == nil {
		t.Errorf("short answers: figure = %+v, want every request an error", f)
	}

	// Socket and HTTP errors are reported.
	f, _, _ = wrkFigure(context.Background(), opts(fakeWrk(t, "curfew-wrk 10000 5000000 11000000 3 7 2500 9000 20000")), srv.Client(), sc, &cpuMeter{})
	if f.errors != 10 || f.ok != 9993 {
		t.Errorf("errors: figure = %+v, want 10 errors and 9,993 ok", f)
	}

	// No result line is an error, not a zero.
	if _, _, err := wrkFigure(context.Background(), opts(fakeWrk(t, "nothing")), srv.Client(), sc, &cpuMeter{}); err == nil {
		t.Error("a wrk run without a result line gave no error")
	}
}
