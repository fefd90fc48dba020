// Package score applies a published scorecard to rows: score, PD, grade, risk tier and the
// three reason codes of every row. Rows are scored in parallel in fixed chunks, so the result
// does not depend on the number of cores.
package score

import (
	"context"
	"fmt"
	"runtime"
	"sync"

	"lendscore/models/scorecard"
	"lendscore/stages/frame"
)

// Scores holds the scoring of a set of rows, column by column.
type Scores struct {
	Score   []int32
	PD      []float64
	Grade   []string
	Tier    []string
	Reasons [3][]string
	// Attr holds, when asked for (FrameWithAttributes), the attribute index of every row per
	// characteristic: Attr[characteristic][row]. Validation uses it for CSI.
	Attr [][]uint16
}

// Len is the number of scored rows.
func (s *Scores) Len() int { return len(s.Score) }

// chunk is the number of rows a worker scores at a time.
const chunk = 16384

// Frame scores the given rows of fr (nil rows: every row). Every characteristic of the
// scorecard must be a column of fr; a numeric characteristic needs a numeric column.
func Frame(ctx context.Context, sc *scorecard.Scorecard, fr *frame.Frame, rows []int) (*Scores, error) {
	return scoreFrame(ctx, sc, fr, rows, false)
}

// FrameWithAttributes is Frame that also keeps the attribute index of every row per
// characteristic in Scores.Attr.
func FrameWithAttributes(ctx context.Context, sc *scorecard.Scorecard, fr *frame.Frame, rows []int) (*Scores, error) {
	return scoreFrame(ctx, sc, fr, rows, true)
}

func scoreFrame(ctx context.Context, sc *scorecard.Scorecard, fr *frame.Frame, rows []int, keepAttr bool) (*Scores, error) {
	cols := make([]*frame.Column, len(sc.Characteristics))
	for j, ch := range sc.Characteristics {
		c := fr.Column(ch.Name)
		if c == nil {
			return nil, fmt.Errorf("column %s: the scorecard needs it and the input lacks it", ch.Name)
		}
		if ch.Kind == "numeric" && c.Kind != frame.Numeric {
			return nil, fmt.Errorf("column %s: the scorecard bins it as numeric and the input holds text", ch.Name)
		}
		cols[j] = c
	}
	n := fr.Rows
	if rows != nil {
		n = len(rows)
	}
	out := &Scores{
		Score: make([]int32, n), PD: make([]float64, n), Grade: make([]string, n), Tier: make([]string, n),
	}
	for k := range out.Reasons {
		out.Reasons[k] = make([]string, n)
	}
	if keepAttr {
		out.Attr = make([][]uint16, len(cols))
		for j := range out.Attr {
			out.Attr[j] = make([]uint16, n)
		}
	}
	maxPoints := sc.MaxPointsAll()
	var wg sync.WaitGroup
	work := make(chan int)
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			attr := make([]int, len(cols))
			for start := range work {
				end := min(start+chunk, n)
				for k := start; k < end; k++ {
					i := k
					if rows != nil {
						i = rows[k]
					}
					for j, c := range cols {
						ch := &sc.Characteristics[j]
						if ch.Kind == "numeric" {
							attr[j] = ch.NumericAttribute(c.Num[i])
						} else if c.Kind == frame.Numeric {
							t, ok := c.Text(i)
							attr[j] = ch.CategoryAttribute(t, ok)
						} else {
							attr[j] = ch.CategoryAttribute(c.Str[i], c.Valid[i] && c.Str[i] != "")
						}
					}
					if keepAttr {
						for j, a := range attr {
							out.Attr[j][k] = uint16(a)
						}
					}
					r := sc.ScoreAttributes(attr, maxPoints)
					out.Score[k], out.PD[k], out.Grade[k], out.Tier[k] = int32(r.Score), r.PD, r.Grade, r.Tier
					for q := range r.Reasons {
						out.Reasons[q][k] = r.Reasons[q]
					}
				}
			}
		}()
	}
	for start := 0; start < n; start += chunk {
		if ctx.Err() != nil {
			break
		}
		work <- start
	}
	close(work)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
