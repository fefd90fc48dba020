package score

import (
	"testing"

	"github.com/apache/arrow/go/v17/arrow"

	"lendscore/models/scorecard"
)

// RichCard and RichRecord give the external tests (record_test.go, which imports
// stages/publish, which imports this package) the scorecard and rows of scorer_test.go.
func RichCard(t testing.TB) *scorecard.Scorecard { return richCard(t) }

// RichRecord is richRecord.
func RichRecord(n int, seed uint64) arrow.Record { return richRecord(n, seed) }
