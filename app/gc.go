package app

import (
	"math"
	"runtime/debug"
)

// Curfew keeps a few megabytes of live data, but every request leaves garbage
// behind (the security page about 30 KB). Under Go's default, GOGC=100, the
// collector then runs each time the heap doubles from those few megabytes,
// dozens of times a second under load, and took about a third of the server's
// CPU time (docs/performance.md). Unless the environment sets GOGC or
// GOMEMLIMIT itself, serve lets the heap grow to nine times the live data
// between collections, within a soft limit that keeps the process well under
// 100 MB: near the limit the collector runs as often as it must, whatever the
// percentage says.
const (
	defaultGCPercent   = 800
	defaultMemoryLimit = 96 << 20 // bytes
)

// gcSettings is how the garbage collector was set up, for the start-up log.
type gcSettings struct {
	Percent     int   // -1: off
	MemoryLimit int64 // bytes; math.MaxInt64: none
	FromEnv     bool
}

// tuneGC applies Curfew's collector defaults unless GOGC or GOMEMLIMIT is set,
// in which case the Go runtime has already applied them and they stand.
func tuneGC(getenv func(string) string) gcSettings {
	if getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" {
		pct := debug.SetGCPercent(-1)
		debug.SetGCPercent(pct)
		return gcSettings{Percent: pct, MemoryLimit: debug.SetMemoryLimit(-1), FromEnv: true}
	}
	debug.SetGCPercent(defaultGCPercent)
	debug.SetMemoryLimit(defaultMemoryLimit)
	return gcSettings{Percent: defaultGCPercent, MemoryLimit: defaultMemoryLimit}
}

func (g gcSettings) limitMiB() int64 {
	if g.MemoryLimit == math.MaxInt64 {
		return 0
	}
	return g.MemoryLimit >> 20
}
