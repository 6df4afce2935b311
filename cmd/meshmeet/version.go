package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Stamped by `make dist` (-ldflags -X); a plain `go build` or `go install`
// leaves them, and versionLine falls back to what the toolchain recorded.
var (
	version = "dev"
	commit  = ""
	date    = ""
)

// versionLine is what --version prints after "meshmeet version".
func versionLine() string {
	v, c, d := version, commit, date
	if info, ok := debug.ReadBuildInfo(); ok {
		if v == "dev" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			v = info.Main.Version
		}
		for _, s := range info.Settings {
			switch {
			case s.Key == "vcs.revision" && c == "":
				c = s.Value
			case s.Key == "vcs.time" && d == "":
				d = s.Value
			}
		}
	}
	if c == "" {
		c = "unknown"
	}
	if len(c) > 12 {
		c = c[:12]
	}
	if d == "" {
		d = "unknown"
	}
	return fmt.Sprintf("%s (commit %s, built %s, %s %s/%s)", v, c, d, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
