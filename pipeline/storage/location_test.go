package storage

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want Location
	}{
		{"data/x.csv", Location{Scheme: SchemeFile, Key: "data/x.csv"}},
		{"./data//x.csv", Location{Scheme: SchemeFile, Key: "data/x.csv"}},
		{"/abs/dir/", Location{Scheme: SchemeFile, Key: "/abs/dir", Dir: true}},
		{"file:///abs/x.parquet", Location{Scheme: SchemeFile, Key: "/abs/x.parquet"}},
		{"file://rel/dir/", Location{Scheme: SchemeFile, Key: "rel/dir", Dir: true}},
		{"s3://bank/extracts/dt=2025-01-31/customers/", Location{Scheme: SchemeS3, Bucket: "bank", Key: "extracts/dt=2025-01-31/customers", Dir: true}},
		{"s3://bank/a/b.parquet", Location{Scheme: SchemeS3, Bucket: "bank", Key: "a/b.parquet"}},
		{"s3://bank", Location{Scheme: SchemeS3, Bucket: "bank", Key: "", Dir: true}},
		{"s3://bank/", Location{Scheme: SchemeS3, Bucket: "bank", Key: "", Dir: true}},
		{"s3://bank/part-*.parquet", Location{Scheme: SchemeS3, Bucket: "bank", Key: "part-*.parquet"}},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("Parse(%q) = %#v, want %#v", tt.in, got, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ in, wantErr string }{
		{"", "empty location"},
		{"s3:///key", "no bucket"},
		{"s3://bank/a/../b", `".." is not allowed`},
		{"s3://bank/..", `".." is not allowed`},
		{"gs://bank/x", "unsupported scheme"},
		{"file://", "empty path"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("Parse(%q) error = %v, want one containing %q", tt.in, err, tt.wantErr)
		}
	}
}

func TestStringRoundTrip(t *testing.T) {
	for _, s := range []string{"data/x.csv", "/abs/x", "s3://bank/a/b.parquet", "s3://bank/"} {
		l := MustParse(s)
		again, err := Parse(l.String())
		if err != nil {
			t.Fatalf("Parse(%q): %v", l.String(), err)
		}
		again.Dir = l.Dir
		if again != l {
			t.Errorf("Parse(%q.String()) = %#v, want %#v", s, again, l)
		}
	}
}

func TestJoin(t *testing.T) {
	tests := []struct {
		base string
		elem []string
		want string
	}{
		{"out/demo", []string{"runs", "r1", "manifest.json"}, "out/demo/runs/r1/manifest.json"},
		{"out/demo/", []string{"latest.json"}, "out/demo/latest.json"},
		{".", []string{"a.csv"}, "a.csv"},
		{"s3://bank/out", []string{"runs/r1", "scored"}, "s3://bank/out/runs/r1/scored"},
		{"s3://bank/", []string{"x.parquet"}, "s3://bank/x.parquet"},
		{"s3://bank/out", []string{"a/./b"}, "s3://bank/out/a/b"},
		{"s3://bank/out", nil, "s3://bank/out"},
	}
	for _, tt := range tests {
		got, err := MustParse(tt.base).Join(tt.elem...)
		if err != nil {
			t.Errorf("%s.Join(%q): %v", tt.base, tt.elem, err)
			continue
		}
		if got.String() != tt.want {
			t.Errorf("%s.Join(%q) = %s, want %s", tt.base, tt.elem, got, tt.want)
		}
	}
}

func TestJoinRefusesEscapes(t *testing.T) {
	for _, elem := range [][]string{
		{".."},
		{"a", "..", ".."},
		{"a/../../b"},
		{"/etc/passwd"},
		{"runs", "../x"},
		{"a/.."}, // stays below after cleaning, but a ".." is refused outright
	} {
		for _, base := range []string{"out/demo", "s3://bank/out"} {
			if got, err := MustParse(base).Join(elem...); err == nil {
				t.Errorf("%s.Join(%q) = %s, want an error", base, elem, got)
			} else if !strings.Contains(err.Error(), "escapes") {
				t.Errorf("%s.Join(%q) error = %v, want it to say the element escapes", base, elem, err)
			}
		}
	}
}

func TestRel(t *testing.T) {
	tests := []struct {
		parent, child, want string
		ok                  bool
	}{
		{"s3://bank/out", "s3://bank/out/runs/r1", "runs/r1", true},
		{"s3://bank/", "s3://bank/a/b", "a/b", true},
		{"s3://bank/out", "s3://bank/out", "", true},
		{"s3://bank/out", "s3://bank/outside/x", "", false},
		{"s3://bank/out", "s3://other/out/x", "", false},
		{"out", "out/a/b.parquet", "a/b.parquet", true},
		{".", "a/b.parquet", "a/b.parquet", true},
		{"out", "s3://bank/out/a", "", false},
	}
	for _, tt := range tests {
		got, err := MustParse(tt.parent).Rel(MustParse(tt.child))
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("%s.Rel(%s) = %q, %v; want %q, ok=%v", tt.parent, tt.child, got, err, tt.want, tt.ok)
		}
	}
}
