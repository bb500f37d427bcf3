package proxyrun

import (
	"os"
	"strings"
	"testing"
)

func TestRenderRefusesAMissingEdit(t *testing.T) {
	got, err := Render("listen 80;\nserver 127.0.0.1:8080;", Edit{"listen 80;", "listen 127.0.0.1:9;"}, Edit{"8080", "7"})
	if err != nil || got != "listen 127.0.0.1:9;\nserver 127.0.0.1:7;" {
		t.Errorf("Render = %q, %v", got, err)
	}
	if _, err := Render("listen 443 ssl;", Edit{"listen 80;", "x"}); err == nil {
		t.Error("an edit whose text is missing was applied silently")
	}
}

// The shipped configs take every edit, and leave nothing pointing at the
// example names or ports that a loopback test cannot reach.
func TestShippedConfigsRender(t *testing.T) {
	s := Sites{Curfew: "127.0.0.1:1001", Product: "127.0.0.1:1002", AppPort: 1003, LoginPort: 1004}
	for _, c := range []struct {
		path   string
		render func(string, Sites) (string, error)
	}{
		{"../../deploy/nginx/curfew.conf", NginxSites},
		{"../../deploy/caddy/Caddyfile", CaddySites},
	} {
		src, err := os.ReadFile(c.path)
		if err != nil {
			t.Fatal(err)
		}
		out, err := c.render(string(src), s)
		if err != nil {
			t.Fatalf("%s: %v", c.path, err)
		}
		var live []string
		for _, line := range strings.Split(out, "\n") {
			if i := strings.IndexByte(line, '#'); i >= 0 {
				line = line[:i]
			}
			live = append(live, line)
		}
		body := strings.Join(live, "\n")
		for _, stale := range []string{"example.com {", "https://login.example.com", "127.0.0.1:8080", "127.0.0.1:3000", "listen 80"} {
			if strings.Contains(body, stale) {
				t.Errorf("%s still has %q after rendering", c.path, stale)
			}
		}
		for _, want := range []string{"127.0.0.1:1001", "127.0.0.1:1002", "1003", "http://127.0.0.1:1004"} {
			if !strings.Contains(body, want) {
				t.Errorf("%s has no %q after rendering", c.path, want)
			}
		}
	}
}
