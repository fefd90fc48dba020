package jobs

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

const trainSpec = `
kind: train
name: germancredit
inputs:
  table: data/germancredit.csv
target:
  column: creditability
  bad: bad
split:
  column: sample
exclude: [sample]
output: out/germancredit
`

func TestParseValid(t *testing.T) {
	s, err := Parse("t.yaml", []byte(trainSpec), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if s.Kind != KindTrain || s.Name != "germancredit" || s.Target.Bad != "bad" || s.Split.Method != "column" {
		t.Fatalf("parsed %+v", s)
	}
	if s.Scaling.PDO != 20 || s.Scaling.BasePoints != 600 || s.Scaling.BaseOdds != 50 {
		t.Errorf("scaling defaults %+v", s.Scaling)
	}
	if s.Select.MinIV != 0.02 || s.Select.MaxCorrelation != 0.7 {
		t.Errorf("selection defaults %+v", s.Select)
	}
	if len(s.Exclude) != 1 || s.Exclude[0] != "sample" {
		t.Errorf("exclude %v", s.Exclude)
	}
}

func TestParseRefuses(t *testing.T) {
	tests := []struct {
		name string
		spec string
		sets []string
		want []string // substrings of the message
	}{
		{"unknown top-level key", trainSpec + "colour: red\n", nil, []string{"colour", "unknown key", "line 13"}},
		{"unknown nested key", trainSpec + "split2: 1\n", nil, []string{"split2", "unknown key"}},
		{"unknown key in a section", strings.Replace(trainSpec, "  column: sample", "  column: sample\n  ratio: 3", 1), nil, []string{"split.ratio", "unknown key"}},
		{"wrong type", trainSpec + "scaling: {pdo: twenty}\n", nil, []string{`"twenty"`, "a number"}},
		{"missing kind", strings.Replace(trainSpec, "kind: train", "", 1), nil, []string{"kind", "missing"}},
		{"bad kind", strings.Replace(trainSpec, "kind: train", "kind: fit", 1), nil, []string{"kind", `"fit"`}},
		{"missing output", strings.Replace(trainSpec, "output: out/germancredit", "", 1), nil, []string{"output", "missing"}},
		{"missing target", strings.Replace(trainSpec, "  bad: bad\n", "", 1), nil, []string{"target.bad", "missing"}},
		{"impossible fraction", trainSpec, []string{"split.method=random", "split.test_fraction=1.5"}, []string{"split.test_fraction", "1.5"}},
		{"bad set", trainSpec, []string{"nonsense"}, []string{"key=value"}},
		{"set unknown key", trainSpec, []string{"binning.colour=1"}, []string{"binning.colour", "unknown key"}},
		{"bad as_of", trainSpec + "as_of: 2026-13-01\n", nil, []string{"as_of", "YYYY-MM-DD"}},
		{"score without model", strings.Replace(trainSpec, "kind: train", "kind: score", 1), nil, []string{"model", "missing"}},
		{"relational incomplete", "kind: features\nname: x\noutput: o\nas_of: 2026-01-01\ninputs: {customers: c}\n", nil, []string{"inputs.loans", "missing"}},
		{"both inputs", strings.Replace(trainSpec, "  table:", "  customers: c\n  table:", 1), nil, []string{"inputs", "not both"}},
		{"not yaml", "kind: [", nil, []string{"not valid YAML"}},
		{"not a mapping", "- a\n- b\n", nil, []string{"mapping"}},
		{"bad monotonic", trainSpec + "binning: {monotonic: sideways}\n", nil, []string{"binning.monotonic", "sideways"}},
		{"bad name", strings.Replace(trainSpec, "name: germancredit", "name: ../evil", 1), nil, []string{"name", "letters"}},
		{"long delimiter", strings.Replace(trainSpec, "  table:", "  csv: {delimiter: \";;\"}\n  table:", 1), nil, []string{"inputs.csv.delimiter", `";;"`, "one character"}},
		{"quote delimiter", strings.Replace(trainSpec, "  table:", "  csv: {delimiter: '\"'}\n  table:", 1), nil, []string{"inputs.csv.delimiter", "cannot separate"}},
		{"unknown csv key", strings.Replace(trainSpec, "  table:", "  csv: {sep: \";\"}\n  table:", 1), nil, []string{"inputs.csv.sep", "unknown key"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("t.yaml", []byte(tt.spec), tt.sets, "")
			if err == nil {
				t.Fatal("accepted")
			}
			var se *SpecError
			if !errors.As(err, &se) {
				t.Fatalf("error %v is not a SpecError", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if !strings.HasPrefix(err.Error(), "job spec t.yaml") {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}

func TestSetAndAsOf(t *testing.T) {
	spec := `
kind: features
name: nightly
inputs:
  customers: s3://bank/extracts/dt={{as_of}}/customers/
  loans: s3://bank/extracts/dt={{as_of}}/loans/
  repayments: s3://bank/extracts/dt={{as_of}}/repayments/
  interactions: s3://bank/extracts/dt={{as_of}}/interactions/
output: s3://bank/features
`
	s, err := Parse("n.yaml", []byte(spec), []string{"output=s3://other/features", "binning.max_bins=6", "binning.special_values=[-1, 9999]"}, "2026-03-31")
	if err != nil {
		t.Fatal(err)
	}
	if s.AsOf != "2026-03-31" {
		t.Errorf("as_of %q", s.AsOf)
	}
	if s.Inputs.Loans != "s3://bank/extracts/dt=2026-03-31/loans/" {
		t.Errorf("template not expanded: %q", s.Inputs.Loans)
	}
	if s.Output != "s3://other/features" || s.Binning.MaxBins != 6 {
		t.Errorf("--set not applied: %q %d", s.Output, s.Binning.MaxBins)
	}
	if len(s.Binning.SpecialValues) != 2 || s.Binning.SpecialValues[1] != 9999 {
		t.Errorf("special values %v", s.Binning.SpecialValues)
	}
	if s.AsOfDate().Format("2006-01-02") != "2026-03-31" {
		t.Errorf("AsOfDate %v", s.AsOfDate())
	}
}

func TestThresholds(t *testing.T) {
	s, err := Parse("t.yaml", []byte(trainSpec+"thresholds:\n  psi: {green: 0.05, amber: 0.2}\n  auc: {green: 0.75, amber: 0.65}\n"), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if s.Thresholds.PSI != (Band{Green: 0.05, Amber: 0.2}) || s.Thresholds.AUC.Green != 0.75 || s.Thresholds.KS != (Band{}) {
		t.Errorf("thresholds %+v", s.Thresholds)
	}
	_, err = Parse("t.yaml", []byte(trainSpec+"thresholds:\n  psi: {green: 0.05, red: 0.2}\n"), nil, "")
	if err == nil || !strings.Contains(err.Error(), "red") || !strings.Contains(err.Error(), "unknown key") {
		t.Errorf("an unknown band key: %v", err)
	}
}

func TestCSVInput(t *testing.T) {
	tests := []struct {
		yaml  string
		delim byte
		nulls []string
	}{
		{"", 0, nil},
		{"  csv: {delimiter: \";\"}\n", ';', nil},
		{"  csv: {delimiter: tab, null_values: [\" ? \", \".\"]}\n", '\t', []string{"?", "."}},
		{"  csv: {delimiter: '|'}\n", '|', nil},
	}
	for _, tt := range tests {
		s, err := Parse("t.yaml", []byte(strings.Replace(trainSpec, "  table:", tt.yaml+"  table:", 1)), nil, "")
		if err != nil {
			t.Fatalf("%q: %v", tt.yaml, err)
		}
		if got := s.Inputs.CSV.DelimiterByte(); got != tt.delim {
			t.Errorf("%q: delimiter %q, want %q", tt.yaml, got, tt.delim)
		}
		if !slices.Equal(s.Inputs.CSV.NullValues, tt.nulls) {
			t.Errorf("%q: null values %q, want %q", tt.yaml, s.Inputs.CSV.NullValues, tt.nulls)
		}
	}
}
