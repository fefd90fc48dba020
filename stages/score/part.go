package score

import (
	"github.com/apache/arrow/go/v17/arrow/memory"

	"lendscore/schemas"
	"lendscore/stages/ingest"
)

// PartOptions returns the options with which an ingest.PartWriter writes parts of the scored
// table (schemas.ScoredSchema) from the records of a RecordBuilder, buffers coming from mem
// (nil: memory.DefaultAllocator), such as a pool that recycles them (stages/score/bufpool).
// The caller sets RowsPerPart and RowGroupRows. The encodings are chosen for the scored
// table:
//
//   - customer_id and pd hold (nearly) one distinct value per row, so they are written as
//     plain pages: a dictionary would only cost a hash per row and a page of every value;
//   - the code columns (grade, risk tier, reasons, model, version, run id) come as Arrow
//     dictionaries from the RecordBuilder and are written as dictionary pages straight from
//     their indices, without hashing a string per row;
//   - score and as_of_date keep Arrow's dictionary encoding (a few hundred values);
//   - the code columns carry no statistics (min, max, null count): Arrow would hash every
//     index to find the codes used, and bounds over a handful of codes prune nothing.
func PartOptions(mem memory.Allocator) ingest.PartOptions {
	scored := schemas.ScoredSchema()
	noStats := make([]string, len(codeColumns))
	for i, c := range codeColumns {
		noStats[i] = scored.Field(c).Name
	}
	return ingest.PartOptions{
		Compression:    "zstd",
		Fast:           true,
		Allocator:      mem,
		PlainColumns:   []string{scored.Field(colID).Name, scored.Field(colPD).Name},
		NoStatsColumns: noStats,
	}
}
