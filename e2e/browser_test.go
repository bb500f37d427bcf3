package e2e_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"curfew/internal/apptest"
)

func TestMain(m *testing.M) { os.Exit(apptest.Main(m)) }

// chromiumPath finds Debian's Chromium; a missing browser fails the test with
// what to install, never a silent skip.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("CURFEW_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	t.Fatal("Chromium is not installed: run `make setup` or `apt-get install chromium` (browser tests need /usr/bin/chromium)")
	return ""
}

// newBrowser starts a fresh headless Chromium with an empty profile and returns
// a tab context that ends with the test.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	// A bound for a hung browser, not a timing assertion: make test runs this
	// package beside the fault suites, which start PostgreSQL clusters, and a
	// flow that takes 3 s alone took over a minute there.
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx
}

// do runs browser steps and fails the test with the step's error.
func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		screenshot(t, ctx, "failure-"+filepath.Base(t.Name()))
		t.Fatal(err)
	}
}

// text reads an element's visible text.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible))
	if err != nil {
		t.Fatalf("read %s: %v", sel, err)
	}
	return s
}

// signIn fills the real login form.
func signIn(t *testing.T, ctx context.Context, srv *apptest.Server, email string) {
	t.Helper()
	do(t, ctx,
		chromedp.Navigate(srv.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), apptest.Password),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
	)
}

// screenshot saves a PNG when CURFEW_SCREENSHOTS names a folder (make screenshots).
func screenshot(t *testing.T, ctx context.Context, name string) {
	dir := os.Getenv("CURFEW_SCREENSHOTS")
	if dir == "" {
		dir = os.Getenv("CURFEW_FAILURE_SHOTS")
		if dir == "" {
			return
		}
	}
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	os.MkdirAll(dir, 0o755)
	if err := os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644); err != nil {
		t.Logf("write screenshot: %v", err)
	}
}
