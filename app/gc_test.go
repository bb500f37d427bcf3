package app

import (
	"runtime/debug"
	"testing"
)

func TestTuneGC(t *testing.T) {
	pct, limit := debug.SetGCPercent(100), debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetGCPercent(pct); debug.SetMemoryLimit(limit) })

	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	got := tuneGC(getenv)
	if got.Percent != defaultGCPercent || got.MemoryLimit != defaultMemoryLimit || got.FromEnv {
		t.Errorf("tuneGC with nothing set = %+v, want Curfew's defaults", got)
	}
	if p := debug.SetGCPercent(100); p != defaultGCPercent {
		t.Errorf("GC percent in force = %d, want %d", p, defaultGCPercent)
	}
	if l := debug.SetMemoryLimit(-1); l != defaultMemoryLimit {
		t.Errorf("memory limit in force = %d, want %d", l, defaultMemoryLimit)
	}

	// What the environment set (the runtime applied it at start) stands.
	debug.SetGCPercent(150)
	env["GOGC"] = "150"
	got = tuneGC(getenv)
	if got.Percent != 150 || !got.FromEnv {
		t.Errorf("tuneGC with GOGC=150 = %+v, want 150 from the environment", got)
	}
	if p := debug.SetGCPercent(150); p != 150 {
		t.Errorf("GC percent in force = %d after GOGC=150, want it left alone", p)
	}
}
