package metrics

import (
	"fmt"
	"iter"
	"math"
)

// PDCount is the rows of a sample that share a PD and a grade, with their number of bads
// and goods. Grade indexes the caller's grade names; −1 is no grade.
type PDCount struct {
	PD          float64
	Grade       int
	Bads, Goods int
}

// CalibrationFigures are the calibration figures of a sample's PDs (Calibrate).
type CalibrationFigures struct {
	Rows, Bads int
	// SumPD is the sum of the rows' PDs: the expected number of bads.
	SumPD float64
	// Brier and LogLoss are those of Brier and LogLoss.
	Brier, LogLoss float64
	// HosmerLemeshow is the test HosmerLemeshow computes; HosmerLemeshowErr says why there
	// is none (too few distinct PDs for three groups, say), when there is none.
	HosmerLemeshow    *HosmerLemeshowResult
	HosmerLemeshowErr error
	// Grades are the grades with rows, as CalibrationByGrade gives them; nil when no row
	// has a grade.
	Grades []GradeCalibration
}

// Calibrate computes the calibration figures of a sample from its rows' PDs, labels and
// grades taken in increasing order of PD, counted together where they agree (PDCount; the
// counts of one PD may come in any order of grade). It needs only that stream, not the
// rows: a sample too large to hold is sorted by PD on disk and read back in order. rows is
// the number of rows of the sample (Hosmer-Lemeshow's groups need it from the start),
// groups the number of Hosmer-Lemeshow groups (DefaultGroups when 0), grades the names of
// the grades the counts index.
//
// The figures are those of Brier, LogLoss, HosmerLemeshow and CalibrationByGrade on the
// rows, sums being taken in order of PD rather than of rows (so the last digits of Brier,
// LogLoss and mean PDs may differ from theirs; Hosmer-Lemeshow sums in PD order there too).
func Calibrate(counts iter.Seq2[PDCount, error], rows, groups int, grades []string) (CalibrationFigures, error) {
	groups, err := groupCount(groups)
	if err != nil {
		return CalibrationFigures{}, err
	}
	if rows <= 0 {
		return CalibrationFigures{}, fmt.Errorf("%w: no rows", ErrInput)
	}
	f := CalibrationFigures{}
	hl := hlGroups{n: rows, groups: groups}
	gradeRows := make([]GradeCalibration, len(grades))
	gradeSums := make([]float64, len(grades))
	var brier, logLoss float64
	tiePD, tieBads, tieGoods, tie := 0.0, 0, 0, false
	for c, err := range counts {
		if err != nil {
			return CalibrationFigures{}, err
		}
		p := c.PD
		switch {
		case !(p >= 0 && p <= 1):
			return CalibrationFigures{}, fmt.Errorf("%w: PD %v, want a value in [0, 1]", ErrInput, p)
		case tie && p < tiePD:
			return CalibrationFigures{}, fmt.Errorf("%w: PD %v after %v: the counts are not in increasing order", ErrInput, p, tiePD)
		case c.Grade >= len(grades) || c.Grade < -1:
			return CalibrationFigures{}, fmt.Errorf("%w: grade %d of %d", ErrInput, c.Grade, len(grades))
		case c.Bads < 0 || c.Goods < 0:
			return CalibrationFigures{}, fmt.Errorf("%w: %d bads and %d goods", ErrInput, c.Bads, c.Goods)
		}
		if tie && p != tiePD {
			hl.add(tiePD, tieBads, tieGoods)
			tieBads, tieGoods = 0, 0
		}
		tiePD, tie = p, true
		tieBads += c.Bads
		tieGoods += c.Goods
		n := c.Bads + c.Goods
		f.Rows += n
		f.Bads += c.Bads
		f.SumPD += p * float64(n)
		brier += float64(c.Goods)*p*p + float64(c.Bads)*(1-p)*(1-p)
		q := math.Min(math.Max(p, LogLossClip), 1-LogLossClip)
		logLoss -= float64(c.Bads)*math.Log(q) + float64(c.Goods)*math.Log1p(-q)
		if c.Grade >= 0 {
			g := &gradeRows[c.Grade]
			g.Rows += n
			g.Bads += c.Bads
			gradeSums[c.Grade] += p * float64(n)
		}
	}
	if f.Rows != rows {
		return CalibrationFigures{}, fmt.Errorf("%w: the counts hold %d rows, not %d", ErrInput, f.Rows, rows)
	}
	hl.add(tiePD, tieBads, tieGoods)
	if r, err := hl.result(); err != nil {
		f.HosmerLemeshowErr = err
	} else {
		f.HosmerLemeshow = &r
	}
	f.Brier, f.LogLoss = brier/float64(rows), logLoss/float64(rows)
	var present []GradeCalibration
	var sums []float64
	for k, g := range gradeRows {
		if g.Rows > 0 {
			g.Grade = grades[k]
			present = append(present, g)
			sums = append(sums, gradeSums[k])
		}
	}
	if present != nil {
		if f.Grades, err = gradeTests(present, sums); err != nil {
			return CalibrationFigures{}, err
		}
	}
	return f, nil
}
