package gen

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/parquet"
	"github.com/apache/arrow/go/v17/parquet/compress"
	"github.com/apache/arrow/go/v17/parquet/pqarrow"

	"lendscore/pipeline/storage"
	"lendscore/schemas"
	"lendscore/stages/ingest"
)

// AnswerKeyName is the name of the JSON summary written beside the table folders. The
// leading underscore keeps it out of input resolution (storage.Resolve skips it).
const AnswerKeyName = "_generator.json"

// Generate writes synthetic extracts of cfg.Customers customers under out: the folders
// customers/, loans/, repayments/ and interactions/, each holding part-NNNNN.parquet files
// (one per cfg.CustomersPerPart customers, in customer order), and AnswerKeyName. Part
// files of an earlier, larger generation that this one does not overwrite are deleted, so
// the folders always hold exactly one generation.
//
// The same Config gives byte-identical files whatever Parallelism or GOMAXPROCS.
func Generate(ctx context.Context, stores *storage.Stores, out storage.Location, cfg Config) (*Summary, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("gen: %w", err)
	}
	st, err := stores.For(ctx, out)
	if err != nil {
		return nil, fmt.Errorf("gen: %w", err)
	}
	w := newWorld(cfg)
	nparts := (cfg.Customers + cfg.CustomersPerPart - 1) / cfg.CustomersPerPart
	parts := make([]*partResult, nparts)
	errs := make([]error, nparts)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(cfg.Parallelism, nparts) {
		wg.Go(func() {
			s := newSim(w)
			for {
				p := int(next.Add(1) - 1)
				if p >= nparts || ctx.Err() != nil {
					return
				}
				res, err := writePart(ctx, st, out, s, p)
				if err != nil {
					errs[p] = err
					cancel()
					return
				}
				parts[p] = res
			}
		})
	}
	wg.Wait()
	if err := firstError(errs); err != nil {
		return nil, fmt.Errorf("gen: %w", err)
	}
	if err := deleteStaleParts(ctx, st, out, nparts); err != nil {
		return nil, fmt.Errorf("gen: %w", err)
	}

	sum := &Summary{
		Config:     cfg,
		Rows:       map[string]int64{},
		Files:      map[string][]string{},
		Injected:   map[string]map[string]int64{},
		Quarantine: map[string]map[string]int64{},
	}
	sum.Signal.Observation = w.cfg.AsOf.AddDate(-1, 0, 0)
	injected, expected := faultCounts(sum.Injected), faultCounts(sum.Quarantine)
	for _, t := range schemas.ExtractTables() {
		injected[t], expected[t] = map[string]int64{}, map[string]int64{}
	}
	for _, p := range parts {
		for t, n := range p.rows {
			sum.Rows[t] += n
		}
		for t, f := range p.files {
			sum.Files[t] = append(sum.Files[t], f)
		}
		injected.merge(p.injected)
		expected.merge(p.expected)
		sum.Signal.Customers += p.signal.Customers
		sum.Signal.Bads += p.signal.Bads
		sum.Shocked.Count += p.shockedCount
		for _, idx := range p.shocked {
			if len(sum.Shocked.IDs) < MaxShockedIDs {
				sum.Shocked.IDs = append(sum.Shocked.IDs, string(appendID(nil, 'C', idx+1, 8)))
			}
		}
	}
	if sum.Signal.Customers > 0 {
		sum.Signal.BadRate = float64(sum.Signal.Bads) / float64(sum.Signal.Customers)
	}
	js, err := json.MarshalIndent(sum, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("gen: %w", err)
	}
	key, err := out.Join(AnswerKeyName)
	if err != nil {
		return nil, fmt.Errorf("gen: %w", err)
	}
	if err := storage.WriteAll(ctx, st, key, append(js, '\n')); err != nil {
		return nil, fmt.Errorf("gen: %w", err)
	}
	return sum, nil
}

// firstError returns the first error that is not a mere cancellation caused by another
// failure, or the first error.
func firstError(errs []error) error {
	var first error
	for _, err := range errs {
		if err == nil {
			continue
		}
		if !errors.Is(err, context.Canceled) {
			return err
		}
		if first == nil {
			first = err
		}
	}
	return first
}

// partResult is what writing one part produced.
type partResult struct {
	rows               map[string]int64
	files              map[string]string
	injected, expected faultCounts
	signal             Signal
	shockedCount       int64
	shocked            []int64 // the first MaxShockedIDs shocked customers' indices
}

func partName(p int) string { return fmt.Sprintf("part-%05d.parquet", p) }

var partPattern = regexp.MustCompile(`^part-(\d{5})\.parquet$`)

// writePart generates customers [p·perPart, (p+1)·perPart) and writes the four tables' part
// files, one row group per chunk of customers.
func writePart(ctx context.Context, st storage.Store, out storage.Location, s *sim, p int) (*partResult, error) {
	cfg := s.w.cfg
	lo := int64(p) * int64(cfg.CustomersPerPart)
	hi := min(int64(cfg.Customers), lo+int64(cfg.CustomersPerPart))
	res := &partResult{rows: map[string]int64{}, files: map[string]string{}, injected: faultCounts{}, expected: faultCounts{}}

	tables := schemas.ExtractTables()
	writers := make([]*partWriter, len(tables))
	defer func() {
		for _, pw := range writers {
			if pw != nil {
				pw.abort()
			}
		}
	}()
	for i, t := range tables {
		loc, err := out.Join(t, partName(p))
		if err != nil {
			return nil, err
		}
		schema, err := tableSchema(t, s.w.dirty)
		if err != nil {
			return nil, err
		}
		pw, err := newPartWriter(ctx, st, loc, schema, noDictionary[t])
		if err != nil {
			return nil, err
		}
		writers[i] = pw
		res.files[t] = t + "/" + partName(p)
	}
	for first := lo; first < hi; first += chunkCustomers {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		ch := s.generate(first, min(hi, first+chunkCustomers))
		cols := [][]column{ch.cust.columns(), ch.loans.columns(), ch.reps.columns(), ch.inter.columns()}
		for i, pw := range writers {
			if err := pw.write(cols[i], ch.rows[tables[i]]); err != nil {
				return nil, err
			}
		}
		for t, n := range ch.rows {
			res.rows[t] += n
		}
		res.injected.merge(ch.injected)
		res.expected.merge(ch.expected)
		res.signal.Customers += ch.signal.Customers
		res.signal.Bads += ch.signal.Bads
		res.shockedCount += int64(len(ch.shocked))
		res.shocked = append(res.shocked, ch.shocked[:min(len(ch.shocked), MaxShockedIDs-len(res.shocked))]...)
	}
	for i, pw := range writers {
		if err := pw.commit(); err != nil {
			return nil, err
		}
		writers[i] = nil
	}
	slog.Debug("gen: part written", "part", p, "customers", hi-lo, "repayments", res.rows[schemas.Repayments])
	return res, nil
}

// noDictionary names the columns written without dictionary encoding: ids that are
// (nearly) unique per row, where a dictionary only costs time.
var noDictionary = map[string][]string{
	schemas.Customers:    {"customer_id"},
	schemas.Loans:        {"loan_id", "customer_id"},
	schemas.Interactions: {"customer_id", "ts"},
}

// partWriter writes one Parquet part file onto a storage.Writer, one row group per chunk.
// Generation needs part files written in parallel under chosen numbers, which
// ingest.PartWriter (one writer numbering its own parts) does not offer.
type partWriter struct {
	loc    storage.Location
	schema *arrow.Schema
	sw     storage.Writer
	buf    *bufio.Writer
	fw     *pqarrow.FileWriter
}

func newPartWriter(ctx context.Context, st storage.Store, loc storage.Location, schema *arrow.Schema, noDict []string) (*partWriter, error) {
	sw, err := st.Create(ctx, loc)
	if err != nil {
		return nil, err
	}
	// Snappy rather than ingest's zstd: generation is bound by encoding time.
	opts := []parquet.WriterProperty{parquet.WithCompression(compress.Codecs.Snappy), parquet.WithCreatedBy(ingest.CreatedBy)}
	for _, c := range noDict {
		opts = append(opts, parquet.WithDictionaryFor(c, false))
	}
	pw := &partWriter{loc: loc, schema: schema, sw: sw, buf: bufio.NewWriterSize(sw, 1<<20)}
	pw.fw, err = pqarrow.NewFileWriter(schema, pw.buf, parquet.NewWriterProperties(opts...), pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		sw.Abort()
		return nil, fmt.Errorf("write %s: %w", loc, err)
	}
	return pw, nil
}

// write writes one row group.
func (pw *partWriter) write(cols []column, rows int64) error {
	arrs := make([]arrow.Array, len(cols))
	for i, c := range cols {
		arrs[i] = c.array()
	}
	rec := array.NewRecord(pw.schema, arrs, rows)
	for _, a := range arrs {
		a.Release()
	}
	defer rec.Release()
	if err := pw.fw.Write(rec); err != nil {
		return fmt.Errorf("write %s: %w", pw.loc, err)
	}
	return nil
}

func (pw *partWriter) commit() error {
	if err := pw.fw.Close(); err != nil {
		return fmt.Errorf("write %s: %w", pw.loc, err)
	}
	if err := pw.buf.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", pw.loc, err)
	}
	if err := pw.sw.Commit(); err != nil {
		return fmt.Errorf("write %s: %w", pw.loc, err)
	}
	return nil
}

func (pw *partWriter) abort() { pw.sw.Abort() }

// deleteStaleParts removes part files numbered nparts or more from the table folders: the
// leftovers of an earlier, larger generation into the same place.
func deleteStaleParts(ctx context.Context, st storage.Store, out storage.Location, nparts int) error {
	for _, t := range schemas.ExtractTables() {
		dir, err := out.Join(t)
		if err != nil {
			return err
		}
		dir.Dir = true
		objs, err := st.List(ctx, dir)
		if err != nil {
			return err
		}
		for _, o := range objs {
			rel, err := dir.Rel(o.Location)
			if err != nil {
				continue
			}
			m := partPattern.FindStringSubmatch(rel)
			if m == nil {
				continue
			}
			if n, _ := strconv.Atoi(m[1]); n >= nparts {
				slog.Info("gen: deleting a part file of an earlier generation", "file", o.Location.String())
				if err := st.Delete(ctx, o.Location); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
