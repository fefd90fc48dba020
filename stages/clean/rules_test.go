package clean_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"lendscore/schemas"
	"lendscore/stages/clean"
	"lendscore/stages/ingest"
)

var asOf = time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)

// table builds an input table from JSON rows, one batch (and file) per argument.
func table(t testing.TB, name string, schema *arrow.Schema, batches ...string) *ingest.Table {
	t.Helper()
	tbl := &ingest.Table{Name: name, Schema: schema}
	for i, js := range batches {
		rec, _, err := array.RecordFromJSON(memory.DefaultAllocator, schema, strings.NewReader(js))
		if err != nil {
			t.Fatalf("%s batch %d: %v", name, i, err)
		}
		file := fmt.Sprintf("mem://%s/part-%d.parquet", name, i)
		tbl.Batches = append(tbl.Batches, ingest.Batch{Record: rec, File: file})
		tbl.Files = append(tbl.Files, ingest.FileInfo{Location: file, Rows: rec.NumRows()})
	}
	return tbl
}

// reasons returns, per input row of table in input order, its quarantine reason ("" when
// used).
func reasons(t *testing.T, res *clean.Result, in map[string]*ingest.Table, name string) []string {
	t.Helper()
	index := map[string]int{}
	n := 0
	for _, b := range in[name].Batches {
		for i := range int(b.Record.NumRows()) {
			index[fmt.Sprintf("%s:%d", b.File, b.FirstRow+int64(i))] = n
			n++
		}
	}
	out := make([]string, n)
	for _, q := range res.Tables[name].Quarantine {
		c := int(q.NumCols())
		files, rows, why := q.Column(c-3).(*array.String), q.Column(c-2).(*array.Int64), q.Column(c-1).(*array.String)
		for i := range int(q.NumRows()) {
			out[index[fmt.Sprintf("%s:%d", files.Value(i), rows.Value(i))]] = why.Value(i)
		}
	}
	return out
}

// cleanExpecting cleans in at asOf and checks the reason of every row of table.
func cleanExpecting(t *testing.T, in map[string]*ingest.Table, table string, want ...string) *clean.Result {
	t.Helper()
	res, err := clean.Extracts(context.Background(), in, clean.Options{AsOf: asOf})
	if err != nil {
		t.Fatal(err)
	}
	if got := reasons(t, res, in, table); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("%s reasons %q, want %q", table, got, want)
	}
	return res
}

func TestRowRules(t *testing.T) {
	in := map[string]*ingest.Table{
		schemas.Customers: table(t, "customers", schemas.CustomersSchema(), `[
			{"customer_id":"C1","customer_type":"individual","birth_date":"1980-01-01","annual_income":50000,"onboard_date":"2020-01-01"},
			{"customer_id":"C2","customer_type":"Private","onboard_date":"2020-01-01"},
			{"customer_id":"C3","customer_type":"corporate","employees":2000000,"onboard_date":"2020-01-01"},
			{"customer_id":"C4","customer_type":"individual","birth_date":"1850-01-01","onboard_date":"2020-01-01"},
			{"customer_id":"C5","customer_type":"corporate","annual_income":-5,"employees":-1,"onboard_date":"2020-01-01"},
			{"customer_id":null,"customer_type":"individual","annual_income":-5,"onboard_date":"2020-01-01"},
			{"customer_id":"C7","customer_type":"individual","birth_date":"2026-07-01","onboard_date":"2020-01-01"},
			{"customer_id":"C1","customer_type":"individual","onboard_date":"2021-01-01"},
			{"customer_id":"C9","customer_type":"x","onboard_date":"2020-01-01"},
			{"customer_id":"C9","customer_type":"corporate","onboard_date":"2020-01-01"},
			{"customer_id":"C10","customer_type":"corporate","annual_income":2e9,"onboard_date":"2026-06-30"}
		]`),
		schemas.Loans: table(t, "loans", schemas.LoansSchema(), `[
			{"loan_id":"L1","customer_id":"C1","principal":1000,"rate":0.05,"origination_date":"2024-01-01","maturity_date":"2027-01-01"},
			{"loan_id":"L2","customer_id":"C1","principal":1000,"origination_date":"2024-01-01","maturity_date":"2023-12-31"},
			{"loan_id":"L3","customer_id":"C1","principal":1000,"origination_date":"2026-07-01"},
			{"loan_id":"L4","customer_id":"C1","principal":1000,"collateral":"car","origination_date":"2024-01-01"},
			{"loan_id":"L5","customer_id":"C1","principal":1000,"rate":-0.01,"origination_date":"2024-01-01"},
			{"loan_id":"L6","customer_id":"C404","principal":1000,"origination_date":"2024-01-01"},
			{"loan_id":"L7","customer_id":"C2","principal":1000,"origination_date":"2024-01-01"},
			{"loan_id":"L8","customer_id":"C9","principal":1000,"origination_date":"2024-01-01"},
			{"loan_id":"L1","customer_id":"C404","principal":1000,"origination_date":"2024-01-01"}
		]`),
		schemas.Repayments: table(t, "repayments", schemas.RepaymentsSchema(), `[
			{"loan_id":"L1","due_date":"2024-02-01","amount_due":100,"paid_date":"2024-02-01","amount_paid":100,"days_past_due":0},
			{"loan_id":"L1","due_date":"2024-03-01","amount_due":100,"paid_date":"2026-07-01","amount_paid":100,"days_past_due":0},
			{"loan_id":"L1","due_date":"2024-04-01","amount_due":100,"paid_date":"2023-03-01","amount_paid":100},
			{"loan_id":"L1","due_date":"2024-05-01","amount_due":100,"days_past_due":-1},
			{"loan_id":"L6","due_date":"2024-02-01","amount_due":100},
			{"loan_id":"L8","due_date":"2024-02-01","amount_due":100}
		]`, `[
			{"loan_id":"L1","due_date":"2024-02-01","amount_due":100},
			{"loan_id":"L1","due_date":"2024-06-01","amount_due":100,"paid_date":"2024-04-20","amount_paid":100}
		]`),
		schemas.Interactions: table(t, "interactions", schemas.InteractionsSchema(), `[
			{"customer_id":"C1","ts":"2025-01-01T10:00:00Z","kind":"survey","satisfaction":4},
			{"customer_id":"C1","ts":"2025-01-01T10:00:00Z","kind":"chat"},
			{"customer_id":"C1","ts":"2025-01-01T10:00:00Z","kind":"survey","satisfaction":0},
			{"customer_id":"C1","ts":"2026-07-01T00:00:00Z","kind":"visit"},
			{"customer_id":"C1","ts":"2026-06-30T23:59:59Z","kind":"visit"},
			{"customer_id":"C5","ts":"2025-01-01T10:00:00Z","kind":"visit"}
		]`),
	}
	defer release(in)
	res, err := clean.Extracts(context.Background(), in, clean.Options{AsOf: asOf})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Release()
	want := map[string][]string{
		"customers": {"", "invalid_value:customer_type", "outlier:employees", "outlier:birth_date",
			"negative_amount:annual_income", "null_required:customer_id", "date_order:birth_date>as_of",
			"duplicate_key:customer_id", "invalid_value:customer_type", "", "outlier:annual_income"},
		"loans": {"", "date_order:maturity_date<origination_date", "date_order:origination_date>as_of",
			"invalid_value:collateral", "outlier:rate", "orphan:customer_id", "orphan:customer_id", "",
			"duplicate_key:loan_id"},
		"repayments": {"", "date_order:paid_date>as_of", "date_order:paid_date<due_date-366d",
			"outlier:days_past_due", "orphan:loan_id", "", "duplicate_key:loan_id+due_date", ""},
		"interactions": {"", "invalid_value:kind", "outlier:satisfaction", "date_order:ts>as_of", "", "orphan:customer_id"},
	}
	for name, w := range want {
		got := reasons(t, res, in, name)
		if len(got) != len(w) {
			t.Fatalf("%s: %d rows, want %d", name, len(got), len(w))
		}
		for i := range w {
			if got[i] != w[i] {
				t.Errorf("%s row %d: reason %q, want %q", name, i, got[i], w[i])
			}
		}
		c := res.Tables[name].Counts
		if c.Input != int64(len(w)) || c.Used+c.Quarantined != c.Input {
			t.Errorf("%s: counts %+v", name, c)
		}
	}
	// Without an extract date the future rules are off.
	res2, err := clean.Extracts(context.Background(), in, clean.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer res2.Release()
	if got := reasons(t, res2, in, "customers")[6]; got != "" {
		t.Errorf("customer born after the (unset) extract date: %q, want used", got)
	}
	if got := reasons(t, res2, in, "interactions")[3]; got != "" {
		t.Errorf("interaction after the (unset) extract date: %q, want used", got)
	}
}

func TestSchemaErrors(t *testing.T) {
	noID := arrow.NewSchema(schemas.CustomersSchema().Fields()[1:], nil)
	boolIncome := replaceField(schemas.CustomersSchema(), "annual_income", arrow.FixedWidthTypes.Boolean)
	listTS := replaceField(schemas.InteractionsSchema(), "ts", arrow.ListOf(arrow.PrimitiveTypes.Int64))
	twice := arrow.NewSchema(append(schemas.LoansSchema().Fields(), arrow.Field{Name: "rate", Type: arrow.PrimitiveTypes.Float64}), nil)
	for _, c := range []struct {
		name  string
		table *ingest.Table
		want  string
	}{
		{"customers", table(t, "customers", noID, `[]`), "clean customers: file mem://customers/part-0.parquet: column customer_id: missing (a required column)"},
		{"customers", table(t, "customers", boolIncome, `[{"customer_id":"C1","customer_type":"individual","onboard_date":"2020-01-01"}]`), "clean customers: file mem://customers/part-0.parquet: column annual_income: cannot cast bool to float64"},
		{"interactions", table(t, "interactions", listTS, `[{"customer_id":"C1","ts":[1]}]`), "clean interactions: file mem://interactions/part-0.parquet: column ts: cannot cast list<item: int64, nullable> to timestamp[ms, tz=UTC]"},
		{"loans", withExtraColumn(table(t, "loans", schemas.LoansSchema(), `[]`), twice), "clean loans: file mem://loans/part-0.parquet: column rate: appears 2 times"},
		{"accounts", table(t, "accounts", noID, `[]`), `clean: unknown table "accounts"`},
	} {
		_, err := clean.Extracts(context.Background(), map[string]*ingest.Table{c.name: c.table}, clean.Options{})
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
}

// withExtraColumn adds an empty float64 column to a table's single, empty batch, under
// schema (RecordFromJSON cannot build a record with two columns of one name).
func withExtraColumn(t *ingest.Table, schema *arrow.Schema) *ingest.Table {
	rec := t.Batches[0].Record
	extra := array.NewFloat64Builder(memory.DefaultAllocator).NewArray()
	t.Batches[0].Record = array.NewRecord(schema, append(rec.Columns(), extra), 0)
	t.Schema = schema
	return t
}

func replaceField(s *arrow.Schema, name string, typ arrow.DataType) *arrow.Schema {
	fs := s.Fields()
	for i := range fs {
		if fs[i].Name == name {
			fs[i].Type = typ
		}
	}
	return arrow.NewSchema(fs, nil)
}

// TestCasts feeds a legacy-typed customers extract: ids as integers, incomes and dates as
// text, employees as int64, onboarding as microsecond timestamps, no gender column.
func TestCasts(t *testing.T) {
	legacy := arrow.NewSchema([]arrow.Field{
		{Name: "customer_id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "customer_type", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "birth_date", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "occupation", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "annual_income", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "employees", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "onboard_date", Type: &arrow.TimestampType{Unit: arrow.Microsecond}, Nullable: true},
		{Name: "legacy_flag", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	in := map[string]*ingest.Table{"customers": table(t, "customers", legacy, `[
		{"customer_id":1,"customer_type":"individual","birth_date":"1980-02-28","annual_income":" 52000.5 ","onboard_date":"2020-01-01T23:30:00"},
		{"customer_id":2,"customer_type":"individual","birth_date":"1980-02-31","onboard_date":"2020-01-01T00:00:00"},
		{"customer_id":3,"customer_type":"individual","annual_income":"12,5k","onboard_date":"2020-01-01T00:00:00"},
		{"customer_id":4,"customer_type":"individual","annual_income":"NaN","onboard_date":"2020-01-01T00:00:00"},
		{"customer_id":5,"customer_type":"corporate","annual_income":"","employees":3000000000,"onboard_date":"2020-01-01T00:00:00"},
		{"customer_id":6,"customer_type":"individual","birth_date":"1975-05-05T22:00:00-03:00","annual_income":"1e4","onboard_date":"1969-12-31T23:00:00"}
	]`)}
	defer release(in)
	res := cleanExpecting(t, in, "customers", "", "unparseable:birth_date", "unparseable:annual_income", "unparseable:annual_income", "outlier:employees", "")
	defer res.Release()
	tr := res.Tables["customers"]
	if strings.Join(tr.MissingColumns, ",") != "gender,region,industry,established_date" {
		t.Errorf("missing columns %v", tr.MissingColumns)
	}
	rows := rowsOf(tr.Clean, "customer_id")
	// Columns: customer_id, customer_type, birth_date, gender, occupation, annual_income,
	// region, industry, employees, established_date, onboard_date. 1975-05-05T22:00-03:00 is
	// 1975-05-06 in UTC; 1969-12-31T23:00 is the day before the epoch.
	for id, w := range map[string]string{
		"1": "1|individual|1980-02-28|(null)|(null)|52000.5|(null)|(null)|(null)|(null)|2020-01-01",
		"6": "6|individual|1975-05-06|(null)|(null)|10000|(null)|(null)|(null)|(null)|1969-12-31",
	} {
		if rows[id] != w {
			t.Errorf("customer %s: %s\nwant %s", id, rows[id], w)
		}
	}
	// The quarantine keeps the raw types, including the extra column.
	if !arrow.TypeEqual(tr.QuarantineSchema.Field(0).Type, arrow.PrimitiveTypes.Int64) || tr.QuarantineSchema.Field(7).Name != "legacy_flag" {
		t.Errorf("quarantine schema %v", tr.QuarantineSchema)
	}
}

// TestCastsInteractions covers timestamps and booleans from text, integral floats and
// dictionary-encoded categories.
func TestCastsInteractions(t *testing.T) {
	dict := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: arrow.BinaryTypes.String}
	s := arrow.NewSchema([]arrow.Field{
		{Name: "customer_id", Type: arrow.BinaryTypes.String},
		{Name: "ts", Type: arrow.BinaryTypes.String},
		{Name: "kind", Type: dict, Nullable: true},
		{Name: "satisfaction", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "resolved", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	in := map[string]*ingest.Table{"interactions": table(t, "interactions", s, `[
		{"customer_id":"C1","ts":"2024-01-02 03:04:05","kind":"survey","satisfaction":3.0,"resolved":"Yes"},
		{"customer_id":"C1","ts":"2024-01-02T03:04:05.250+02:00","kind":"complaint","resolved":"0"},
		{"customer_id":"C1","ts":"yesterday","kind":"complaint"},
		{"customer_id":"C1","ts":"2024-01-02","kind":"survey","satisfaction":3.5},
		{"customer_id":"C1","ts":"2024-01-02","kind":"inquiry","resolved":"maybe"},
		{"customer_id":"C1","ts":"2024-01-02","kind":"chat"}
	]`)}
	defer release(in)
	res := cleanExpecting(t, in, "interactions", "", "", "unparseable:ts", "unparseable:satisfaction", "unparseable:resolved", "invalid_value:kind")
	defer res.Release()
	var lines []string
	for _, rec := range res.Tables["interactions"].Clean {
		for i := range int(rec.NumRows()) {
			var v []string
			for c := range int(rec.NumCols()) {
				v = append(v, rec.Column(c).ValueStr(i))
			}
			lines = append(lines, strings.Join(v, "|"))
		}
	}
	// 03:04:05.250+02:00 is 01:04:05.250 UTC.
	wantRows := "C1|2024-01-02 03:04:05Z|(null)|survey|3|true\nC1|2024-01-02 01:04:05.25Z|(null)|complaint|(null)|false"
	if strings.Join(lines, "\n") != wantRows {
		t.Errorf("clean rows\n%s\nwant\n%s", strings.Join(lines, "\n"), wantRows)
	}
}
