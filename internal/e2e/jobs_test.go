//go:build linux

package e2e

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

// The as_of of every job in these tests: the generator's default end of history.
const asOf = "2026-06-30"

// trainSpec is a train job on a flat table at input, publishing to output. With id set,
// the table's id column is carried into the scored table.
func trainSpec(name, input, id, output string) string {
	s := fmt.Sprintf("kind: train\nname: %s\ninputs: {table: %q}\ntarget: {column: creditability, bad: bad}\n"+
		"split: {method: random, seed: 11}\noutput: %q\nas_of: %s\n", name, input, output, asOf)
	if id != "" {
		s += "id: " + id + "\n"
	}
	return s
}

// relationalSpec is a job of kind (features, train, nightly) on the four extracts below
// extracts, publishing to output; extra is appended (model: … for nightly jobs).
func relationalSpec(kind, extracts, output, extra string) string {
	return fmt.Sprintf("kind: %s\nname: crm\ninputs:\n  customers: %[2]s/customers/\n  loans: %[2]s/loans/\n"+
		"  repayments: %[2]s/repayments/\n  interactions: %[2]s/interactions/\noutput: %[3]q\nas_of: %[4]s\n%[5]s",
		kind, extracts, output, asOf, extra)
}

// bigTable writes a flat modelling table of rows rows whose customer ids are long random
// hex strings: the scored table then carries about 250 incompressible bytes a row, so that
// 40,000 rows make a Parquet part of some 11 MB — more than lendscore's 8 MiB upload part,
// which makes its upload a multipart one. x1 and x2 carry a logistic risk signal.
func bigTable(rows int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	var b bytes.Buffer
	b.Grow(rows * 520)
	b.WriteString("customer_id,x1,x2,creditability\n")
	for range rows {
		for range 32 {
			fmt.Fprintf(&b, "%016x", r.Uint64())
		}
		x1, x2 := r.NormFloat64(), 100*r.Float64()
		pd := 1 / (1 + math.Exp(1.5-0.8*x1-0.01*x2))
		label := "good"
		if r.Float64() < pd {
			label = "bad"
		}
		fmt.Fprintf(&b, ",%.4f,%.2f,%s\n", x1, x2, label)
	}
	return b.Bytes()
}

// readRepoFile reads a file of the repository.
func readRepoFile(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(repoFile(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// lastLine returns the last non-empty line of b.
func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}
