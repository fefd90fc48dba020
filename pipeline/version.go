package pipeline

import (
	"runtime"
	"runtime/debug"
)

// Version is the lendscore release; the build may override it with
// -ldflags "-X lendscore/pipeline.Version=…".
var Version = "0.1.0-dev"

// Commit is the source commit; set with -ldflags "-X lendscore/pipeline.Commit=…" (make build
// does), else read from the build info when available.
var Commit = ""

// CurrentVersions returns the versions recorded in manifests and printed by
// `lendscore version`.
func CurrentVersions() Versions {
	c := Commit
	if c == "" {
		if bi, ok := debug.ReadBuildInfo(); ok {
			for _, s := range bi.Settings {
				if s.Key == "vcs.revision" {
					c = s.Value
				}
			}
		}
	}
	if c == "" {
		c = "unknown"
	}
	return Versions{Lendscore: Version, Commit: c, Go: runtime.Version()}
}
