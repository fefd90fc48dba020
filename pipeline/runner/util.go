package runner

import (
	"fmt"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"

	"lendscore/jobs"
	"lendscore/stages/ingest"
)

func releaseAll(recs []arrow.Record) {
	for _, r := range recs {
		r.Release()
	}
}

// tableReadOptions returns the options that read a job's flat table: the CSV delimiter of
// inputs.csv (detected from the header line when not given) and its missing-value markers
// added to the defaults.
func tableReadOptions(spec *jobs.Spec) ingest.ReadOptions {
	var o ingest.ReadOptions
	o.CSV.Delimiter = spec.Inputs.CSV.DelimiterByte()
	if extra := spec.Inputs.CSV.NullValues; len(extra) > 0 {
		o.CSV.NullValues = append(ingest.DefaultNullValues(), extra...)
	}
	return o
}

// tableError names the table at input in err, unless err already starts with it (a table of
// one file, whose read errors name the file).
func tableError(input string, err error) error {
	if strings.HasPrefix(err.Error(), input+":") {
		return err
	}
	return fmt.Errorf("table %s: %w", input, err)
}
