package runner

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"lendscore/jobs"
	"lendscore/pipeline/storage"
)

func TestScorePseudonymisesIDs(t *testing.T) {
	dir := t.TempDir()
	abs, _ := filepath.Abs("../../testdata/germancredit_split.csv")
	model := filepath.Join(dir, "model")
	runSpec(t, writeSpec(t, dir, fmt.Sprintf("kind: train\nname: gc\ninputs: {table: %s}\ntarget: {column: creditability, bad: bad}\nsplit: {column: sample}\noutput: %s\n", abs, model)))
	scoreSpec := fmt.Sprintf("kind: score\nname: s\ninputs: {table: %s}\nmodel: %s\noutput: %s\nsecurity: {pseudonymise_ids: true, pseudonym_key_env: LENDSCORE_TEST_KEY}\n", abs, model, filepath.Join(dir, "scored"))

	t.Setenv("LENDSCORE_TEST_KEY", "")
	spec, err := jobs.Parse("s.yaml", []byte(scoreSpec), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Run(t.Context(), spec, Env{Stores: storage.NewStores(storage.Options{})})
	if err == nil || !strings.Contains(err.Error(), "LENDSCORE_TEST_KEY") {
		t.Fatalf("a missing key: %v", err)
	}

	t.Setenv("LENDSCORE_TEST_KEY", "a-secret-key-of-enough-length")
	var runs [][]scoredPlain
	for i := 0; i < 2; i++ {
		m, err := Run(t.Context(), spec, Env{Stores: storage.NewStores(storage.Options{})})
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, readParts[scoredPlain](t, filepath.Join(dir, "scored", "runs", m.RunID, "scored")))
	}
	hex32 := regexp.MustCompile(`^[0-9a-f]{32}$`)
	seen := map[string]bool{}
	for i, r := range runs[0] {
		if !hex32.MatchString(r.CustomerID) || r.CustomerID == fmt.Sprint(i) {
			t.Fatalf("row %d: id %q is not a pseudonym", i, r.CustomerID)
		}
		if seen[r.CustomerID] {
			t.Fatalf("pseudonym %s twice", r.CustomerID)
		}
		seen[r.CustomerID] = true
		if runs[1][i].CustomerID != r.CustomerID {
			t.Fatalf("row %d: pseudonyms differ between runs with the same key", i)
		}
	}
	// Row 0's id is "0": its pseudonym is HMAC-SHA256 under the key, first 32 hex digits.
	mac := hmac.New(sha256.New, []byte("a-secret-key-of-enough-length"))
	mac.Write([]byte("0"))
	if want := hex.EncodeToString(mac.Sum(nil))[:32]; runs[0][0].CustomerID != want {
		t.Errorf("pseudonym of row 0 %s, want %s", runs[0][0].CustomerID, want)
	}
}

type scoredPlain struct {
	CustomerID string `parquet:"customer_id"`
	Score      int32  `parquet:"score"`
}
