package jobs

import (
	"path/filepath"
	"testing"
)

// TestBundledSpecsParse keeps the job specs shipped in this folder valid.
func TestBundledSpecsParse(t *testing.T) {
	files, err := filepath.Glob("*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no job specs bundled")
	}
	for _, f := range files {
		if _, err := Load(f, nil, "2026-06-30"); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}
