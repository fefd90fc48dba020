//go:build linux

package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/parquet-go/parquet-go"
)

// tree is a job's output as an outside reader sees it: local files read with the os
// package, S3 objects read with a client of their own, never with lendscore's storage code.
type tree interface {
	// String is the tree's location, as lendscore takes it.
	String() string
	// read returns the file at rel; a missing file is an error wrapping fs.ErrNotExist.
	read(rel string) ([]byte, error)
	// list returns every file below rel (all when rel is ""), as paths relative to the
	// tree, with their sizes.
	list(rel string) (map[string]int64, error)
}

// localTree is an output on local disk.
type localTree string

func (d localTree) String() string { return string(d) }

func (d localTree) read(rel string) ([]byte, error) {
	return os.ReadFile(filepath.Join(string(d), filepath.FromSlash(rel)))
}

func (d localTree) list(rel string) (map[string]int64, error) {
	out := map[string]int64{}
	root := filepath.Join(string(d), filepath.FromSlash(rel))
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == root {
				return nil
			}
			return err
		}
		if e.IsDir() {
			return nil
		}
		fi, err := e.Info()
		if err != nil {
			return err
		}
		r, _ := filepath.Rel(string(d), p)
		out[filepath.ToSlash(r)] = fi.Size()
		return nil
	})
	return out, err
}

// s3Tree is an output under a prefix of a bucket.
type s3Tree struct {
	client         *s3.Client
	bucket, prefix string
}

func (s s3Tree) String() string { return "s3://" + s.bucket + "/" + s.prefix }

func (s s3Tree) key(rel string) string { return path.Join(s.prefix, rel) }

func (s s3Tree) read(rel string) ([]byte, error) {
	out, err := s.client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.key(rel))})
	if err != nil {
		var nk *types.NoSuchKey
		if errors.As(err, &nk) {
			return nil, fmt.Errorf("%s/%s: %w", s, rel, fs.ErrNotExist)
		}
		return nil, err
	}
	defer out.Body.Close()
	return io.ReadAll(out.Body)
}

func (s s3Tree) list(rel string) (map[string]int64, error) {
	prefix := s.key(rel) + "/"
	pages := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{Bucket: aws.String(s.bucket), Prefix: aws.String(prefix)})
	out := map[string]int64{}
	for pages.HasMorePages() {
		page, err := pages.NextPage(context.Background())
		if err != nil {
			return nil, err
		}
		for _, o := range page.Contents {
			out[strings.TrimPrefix(aws.ToString(o.Key), s.prefix+"/")] = aws.ToInt64(o.Size)
		}
	}
	return out, nil
}

// latestFile is latest.json (contract section 4).
type latestFile struct {
	RunID string `json:"run_id"`
	Path  string `json:"path"`
	Kind  string `json:"kind"`
	AsOf  string `json:"as_of"`
	Model string `json:"model"`
}

// manifestFile is the part of a run's manifest.json these tests rely on.
type manifestFile struct {
	RunID   string `json:"run_id"`
	Kind    string `json:"kind"`
	Model   string `json:"model"`
	AsOf    string `json:"as_of"`
	Status  string `json:"status"`
	Outputs []struct {
		Path   string `json:"path"`
		Size   int64  `json:"size"`
		SHA256 string `json:"sha256"`
	} `json:"outputs"`
	Inputs map[string][]struct {
		Location string `json:"location"`
		Size     int64  `json:"size"`
		SHA256   string `json:"sha256"`
		Rows     int64  `json:"rows"`
	} `json:"inputs"`
	Rows map[string]struct {
		Input       int64            `json:"input"`
		Used        int64            `json:"used"`
		Quarantined int64            `json:"quarantined"`
		ByReason    map[string]int64 `json:"by_reason"`
	} `json:"rows"`
}

// readLatest reads latest.json of an output; ok is false when there is none.
func readLatest(t testing.TB, tr tree) (l latestFile, raw []byte, ok bool) {
	t.Helper()
	raw, err := tr.read("latest.json")
	if errors.Is(err, fs.ErrNotExist) {
		return latestFile{}, nil, false
	}
	if err != nil {
		t.Fatalf("%s: latest.json: %v", tr, err)
	}
	if err := json.Unmarshal(raw, &l); err != nil {
		t.Fatalf("%s: latest.json is not whole JSON: %v\n%s", tr, err, raw)
	}
	return l, raw, true
}

// publishedRun is a complete run that latest.json names.
type publishedRun struct {
	tree     tree
	latest   latestFile
	manifest manifestFile
	dir      string // "runs/<run_id>"

	normalized map[string][]byte // normalized content by path and mask, for compareRuns
}

// content returns the normalized content of the output p (see normalized), read and
// normalized once per run.
func (r publishedRun) content(t testing.TB, p string, mask ...string) []byte {
	t.Helper()
	key := strings.Join(append([]string{p}, mask...), "\x00")
	if b, ok := r.normalized[key]; ok {
		return b
	}
	data, err := r.tree.read(r.dir + "/" + p)
	if err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	b := normalized(t, p, data, mask...)
	r.normalized[key] = b
	return b
}

// verifyPublished checks what a reader following latest.json sees: latest.json names a
// run folder whose manifest is complete and lists every file of the folder, each with the
// listed size and SHA-256 — nothing half-written, nothing unlisted.
func verifyPublished(t testing.TB, tr tree) publishedRun {
	t.Helper()
	l, _, ok := readLatest(t, tr)
	if !ok {
		t.Fatalf("%s: no latest.json", tr)
	}
	if l.Path != "runs/"+l.RunID {
		t.Fatalf("%s: latest.json path %q does not name run %s", tr, l.Path, l.RunID)
	}
	data, err := tr.read(l.Path + "/manifest.json")
	if err != nil {
		t.Fatalf("%s: latest.json names %s, whose manifest cannot be read: %v", tr, l.Path, err)
	}
	var m manifestFile
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s/%s/manifest.json is not whole JSON: %v", tr, l.Path, err)
	}
	if m.RunID != l.RunID || m.Status != "complete" || m.Kind != l.Kind || m.AsOf != l.AsOf {
		t.Fatalf("%s: manifest of %s: run %s, status %q, kind %s, as_of %s; latest.json: %+v", tr, l.Path, m.RunID, m.Status, m.Kind, m.AsOf, l)
	}
	files, err := tr.list(l.Path)
	if err != nil {
		t.Fatalf("%s: list %s: %v", tr, l.Path, err)
	}
	listed := map[string]bool{"manifest.json": true}
	for _, o := range m.Outputs {
		listed[o.Path] = true
		got, err := tr.read(l.Path + "/" + o.Path)
		if err != nil {
			t.Errorf("%s: output %s of run %s: %v", tr, o.Path, m.RunID, err)
			continue
		}
		sum := sha256.Sum256(got)
		if int64(len(got)) != o.Size || hex.EncodeToString(sum[:]) != o.SHA256 {
			t.Errorf("%s: output %s of run %s has %d bytes, sha256 %x; the manifest lists %d bytes, %s",
				tr, o.Path, m.RunID, len(got), sum, o.Size, o.SHA256)
		}
	}
	for f := range files {
		rel := strings.TrimPrefix(f, l.Path+"/")
		if !listed[rel] {
			t.Errorf("%s: run %s holds %s, which its manifest does not list", tr, m.RunID, rel)
		}
	}
	if len(m.Outputs) == 0 {
		t.Errorf("%s: run %s lists no outputs", tr, m.RunID)
	}
	return publishedRun{tree: tr, latest: l, manifest: m, dir: l.Path, normalized: map[string][]byte{}}
}

// Run ids and RFC 3339 timestamps are the only parts of two runs' outputs allowed to differ.
var (
	runIDPattern     = regexp.MustCompile(`\d{8}T\d{6}\.\d{3}Z-[0-9a-f]{8}`)
	timestampPattern = regexp.MustCompile(`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})`)
)

// normalized returns the content of an output with what may differ between two runs of the
// same job masked: run ids, timestamps, and the strings of mask (such as the two runs'
// output locations). Parquet files become one text line per row, without the run_id
// column, so that encoding details of that column do not count.
func normalized(t testing.TB, name string, data []byte, mask ...string) []byte {
	t.Helper()
	if strings.HasSuffix(name, ".parquet") {
		return parquetRows(t, name, data)
	}
	for _, m := range mask {
		data = bytes.ReplaceAll(data, []byte(m), []byte("<masked>"))
	}
	data = runIDPattern.ReplaceAll(data, []byte("<run_id>"))
	return timestampPattern.ReplaceAll(data, []byte("<time>"))
}

// parquetRows renders the rows of a Parquet file as text, one line per row, leaving out
// the run_id column.
func parquetRows(t testing.TB, name string, data []byte) []byte {
	t.Helper()
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("%s: not a whole Parquet file: %v", name, err)
	}
	skip := -1
	if leaf, ok := f.Schema().Lookup("run_id"); ok {
		skip = leaf.ColumnIndex
	}
	var out bytes.Buffer
	fmt.Fprintf(&out, "schema %s\n", f.Schema())
	r := parquet.NewReader(bytes.NewReader(data))
	defer r.Close()
	rows := make([]parquet.Row, 512)
	var line []byte
	for {
		n, err := r.ReadRows(rows)
		for _, row := range rows[:n] {
			line = line[:0]
			for _, v := range row {
				if v.Column() == skip {
					continue
				}
				line = strconv.AppendInt(line, int64(v.Column()), 10)
				line = append(line, ':')
				line = append(line, v.String()...)
				line = append(line, '|')
			}
			out.Write(append(line, '\n'))
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	return out.Bytes()
}

// compareRuns checks that two published runs hold the same files with the same content,
// apart from run ids, timestamps and the strings of mask. The manifests must agree on the
// kind, model, as_of, inputs and row counts.
func compareRuns(t testing.TB, a, b publishedRun, mask ...string) {
	t.Helper()
	paths := func(r publishedRun) []string {
		var p []string
		for _, o := range r.manifest.Outputs {
			p = append(p, o.Path)
		}
		sort.Strings(p)
		return p
	}
	pa, pb := paths(a), paths(b)
	if strings.Join(pa, ",") != strings.Join(pb, ",") {
		t.Fatalf("runs %s and %s publish different files:\n%v\n%v", a.manifest.RunID, b.manifest.RunID, pa, pb)
	}
	for _, p := range pa {
		na, nb := a.content(t, p, mask...), b.content(t, p, mask...)
		if !bytes.Equal(na, nb) {
			t.Errorf("%s differs between runs %s and %s: %s", p, a.manifest.RunID, b.manifest.RunID, firstDifference(na, nb))
		}
	}
	ma, mb := a.manifest, b.manifest
	ja, _ := json.Marshal([]any{ma.Kind, ma.Model, ma.AsOf, ma.Inputs, ma.Rows})
	jb, _ := json.Marshal([]any{mb.Kind, mb.Model, mb.AsOf, mb.Inputs, mb.Rows})
	if !bytes.Equal(ja, jb) {
		t.Errorf("manifests of %s and %s disagree on kind, model, as_of, inputs or rows:\n%s\n%s", ma.RunID, mb.RunID, ja, jb)
	}
}

// firstDifference shows where two byte slices first differ.
func firstDifference(a, b []byte) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	from := max(0, i-60)
	return fmt.Sprintf("at byte %d: %q vs %q", i, a[from:min(len(a), i+60)], b[from:min(len(b), i+60)])
}
