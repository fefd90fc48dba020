// Package ingest reads input tables (Parquet or CSV, local or in an object store) into Arrow
// record batches, and writes Arrow record batches out as Parquet part files.
//
// Reading streams: Parquet files are read row group by row group through pqarrow, CSV files
// in fixed-size chunks, so memory follows the batch size, not the file size. A Parquet
// batch holds buffers sized to its rows: the decoder's can hold twice that, so those are
// copied (see compactRecord), and a table kept in memory costs what its rows need. Every
// batch remembers the file it came from and the row number of its first row in that file,
// so that later stages can name file and row when they refuse a row.
package ingest

import (
	"github.com/apache/arrow/go/v17/arrow"
)

// Batch is one Arrow record batch of an input table, with where its rows came from.
type Batch struct {
	Record arrow.Record
	// File is the location (as a string) of the file the rows were read from.
	File string
	// FirstRow is the 0-based row number, within File, of the batch's first row.
	FirstRow int64
	// FileIndex is the index of File among the table's files, in key order (StreamTable).
	FileIndex int
}

// Table is an input table held in memory as a sequence of batches, all with one schema.
// The caller owns the records and must Release the table when done.
type Table struct {
	Name    string
	Schema  *arrow.Schema
	Batches []Batch
	// Files lists every file that was read, in order, with its size and checksum, for the
	// run manifest.
	Files []FileInfo
}

// FileInfo describes one input file as the manifest records it.
type FileInfo struct {
	Location string `json:"location"`
	Size     int64  `json:"size"`
	SHA256   string `json:"sha256"`
	Rows     int64  `json:"rows"`
}

// NumRows returns the total number of rows of the table.
func (t *Table) NumRows() int64 {
	var n int64
	for _, b := range t.Batches {
		n += b.Record.NumRows()
	}
	return n
}

// Release releases every record of the table.
func (t *Table) Release() {
	for _, b := range t.Batches {
		b.Record.Release()
	}
	t.Batches = nil
}
