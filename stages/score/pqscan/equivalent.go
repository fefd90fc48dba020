package pqscan

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"sort"

	"github.com/apache/arrow/go/v17/parquet/metadata"
)

// Equivalent reports (nil) whether two Parquet files hold the same bytes, up to the order of
// the page encoding statistics in their footers. Arrow v17 lists a column chunk's page
// encodings by ranging over a Go map, so a chunk whose dictionary fell back to plain pages
// (a column of mostly distinct strings, such as customer ids) lists its two data page
// encodings in either order from one write to the next; everything else it writes is
// deterministic. Equivalent compares every byte before the footer, and the footers with
// those lists sorted.
func Equivalent(a, b []byte) error {
	if bytes.Equal(a, b) {
		return nil
	}
	if len(a) != len(b) {
		return fmt.Errorf("%d bytes versus %d", len(a), len(b))
	}
	fa, err := footer(a)
	if err != nil {
		return err
	}
	fb, err := footer(b)
	if err != nil {
		return err
	}
	start := len(a) - 8 - len(fa)
	if len(fa) != len(fb) || !bytes.Equal(a[:start], b[:start]) {
		for i := range a {
			if a[i] != b[i] {
				return fmt.Errorf("the bytes differ at offset %d", i)
			}
		}
	}
	ca, err := canonicalFooter(fa)
	if err != nil {
		return err
	}
	cb, err := canonicalFooter(fb)
	if err != nil {
		return err
	}
	if !bytes.Equal(ca, cb) {
		return fmt.Errorf("the footers differ beyond the order of page encoding statistics")
	}
	return nil
}

// footer returns the serialized footer of a Parquet file.
func footer(data []byte) ([]byte, error) {
	if len(data) < 12 || string(data[len(data)-4:]) != "PAR1" {
		return nil, fmt.Errorf("not a Parquet file")
	}
	n := int(binary.LittleEndian.Uint32(data[len(data)-8:]))
	if n > len(data)-12 {
		return nil, fmt.Errorf("footer length %d out of range", n)
	}
	return data[len(data)-8-n : len(data)-8], nil
}

// canonicalFooter parses a footer, sorts each column chunk's page encoding statistics and
// serializes it again.
func canonicalFooter(f []byte) ([]byte, error) {
	md, err := metadata.NewFileMetaData(f, nil)
	if err != nil {
		return nil, fmt.Errorf("footer: %w", err)
	}
	for _, rg := range md.FileMetaData.RowGroups {
		for _, c := range rg.Columns {
			if c.MetaData == nil {
				continue
			}
			st := c.MetaData.EncodingStats
			sort.SliceStable(st, func(i, j int) bool {
				if st[i].PageType != st[j].PageType {
					return st[i].PageType < st[j].PageType
				}
				return st[i].Encoding < st[j].Encoding
			})
		}
	}
	return md.Serialize(context.Background())
}
