package app_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"curfew/app"
	"curfew/internal/apptest"
)

// TestMetricsOnTheirOwnAddress: with CURFEW_METRICS_ADDR set, /metrics is
// served there and is a 404 on the public address.
func TestMetricsOnTheirOwnAddress(t *testing.T) {
	env := baseEnv(t)
	env["CURFEW_ADDR"] = "127.0.0.1:0"
	env["CURFEW_METRICS_ADDR"] = "127.0.0.1:0"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var errOut apptest.SyncBuffer
	done := make(chan error, 1)
	go func() {
		done <- app.Run(ctx, []string{"serve"}, func(k string) string { return env[k] }, strings.NewReader(""), &bytes.Buffer{}, &errOut)
	}()
	stopped := false
	defer func() {
		if cancel(); !stopped {
			<-done
		}
	}()
	urls := regexp.MustCompile(`msg="?serving(?: metrics)?"? url=(\S+)`)
	var public, metrics string
	for deadline := time.Now().Add(20 * time.Second); public == "" || metrics == ""; time.Sleep(20 * time.Millisecond) {
		select {
		case err := <-done:
			stopped = true
			t.Fatalf("serve stopped: %v\n%s", err, errOut.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not start:\n%s", errOut.String())
		}
		for _, m := range urls.FindAllStringSubmatch(errOut.String(), -1) {
			if strings.HasSuffix(m[1], "/metrics") {
				metrics = m[1]
			} else {
				public = m[1]
			}
		}
	}
	get := func(url string) (int, string) {
		res, err := http.Get(url)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	get(public + "/healthz")
	if status, _ := get(public + "/metrics"); status != http.StatusNotFound {
		t.Errorf("GET /metrics on the public address: %d, want 404", status)
	}
	status, body := get(metrics)
	if status != http.StatusOK || !strings.Contains(body, `curfew_http_requests_total{code="200",method="GET",route="/healthz"}`) {
		t.Errorf("GET %s: %d, want the request metrics\n%.2000s", metrics, status, body)
	}
	if status, _ := get(strings.TrimSuffix(metrics, "/metrics") + "/healthz"); status != http.StatusNotFound {
		t.Errorf("the metrics address serves more than /metrics: /healthz %d", status)
	}
}
