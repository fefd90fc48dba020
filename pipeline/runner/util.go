package runner

import "github.com/apache/arrow/go/v17/arrow"

func releaseAll(recs []arrow.Record) {
	for _, r := range recs {
		r.Release()
	}
}
