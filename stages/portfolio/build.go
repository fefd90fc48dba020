package portfolio

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/apache/arrow/go/v17/arrow"

	"lendscore/models/metrics"
	"lendscore/models/scorecard"
	"lendscore/stages/report"
)

// Input is what the portfolio report is built from. Build only reads it.
type Input struct {
	// AsOf is the observation date of the run; only its UTC calendar date counts.
	AsOf time.Time
	// Loans and Repayments are the clean extracts in the canonical schemas of package
	// schemas (columns found by name; extra columns are ignored).
	Loans      []arrow.Record
	Repayments []arrow.Record
	// Book, when set, is the loan book with the repayments streamed into it (NewBook,
	// Book.AddRepayments), in place of Loans and Repayments, which are then not read.
	Book *Book
	// Customers are tonight's scored customers.
	Customers Customers
	// Development is the score distribution of the champion's development (train)
	// sample, from its train run (report.NewScoreBins); nil leaves PSI out.
	Development *report.ScoreBins
	// Model, ModelVersion and RunID identify the run in the report's title.
	Model, ModelVersion, RunID string
}

// Customers are the scored customers as parallel slices, one entry per customer. No
// customer id is needed or taken: the report holds aggregates only.
type Customers struct {
	Score []int32
	PD    []float64
	Grade []string
	// Tier is the risk tier: prime, standard or high_risk.
	Tier []string
	// Segment is the segment id of each customer (negative: none); nil when segmentation
	// is off.
	Segment []int32
	// SegmentNames[k] names segment k (an empty name: an id not in use, left out of the
	// report when no customer has it, as 0 when the ids start at 1). Nil names the
	// segments "segment k", up to the largest id found.
	SegmentNames []string
	// Warnings lists the warning codes of each customer; nil when none were raised.
	Warnings [][]string
	// Grades are the grade names of the master scale, best first (the scorecard's
	// Grades); every grade must be one of them. Nil takes the grades found, in name order.
	Grades []string
}

// Len is the number of customers.
func (c *Customers) Len() int { return len(c.Score) }

// check verifies that the slices line up and hold usable values.
func (c *Customers) check() error {
	n := c.Len()
	for _, s := range []struct {
		name     string
		n        int
		optional bool
	}{{"pd", len(c.PD), false}, {"grade", len(c.Grade), false}, {"tier", len(c.Tier), false},
		{"segment", len(c.Segment), c.Segment == nil}, {"warnings", len(c.Warnings), c.Warnings == nil}} {
		if s.n != n && !s.optional {
			return fmt.Errorf("portfolio: customers: %d %s values for %d scores", s.n, s.name, n)
		}
	}
	for i, pd := range c.PD {
		if !(pd >= 0 && pd <= 1) {
			return fmt.Errorf("portfolio: customers: pd %v at row %d is not a probability", pd, i)
		}
	}
	return nil
}

// Build computes the portfolio report at in.AsOf. See the package documentation for the
// definitions.
func Build(ctx context.Context, in Input, opts Options) (*Report, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if in.AsOf.IsZero() {
		return nil, errors.New("portfolio: as_of date is missing")
	}
	if err := in.Customers.check(); err != nil {
		return nil, err
	}
	asOf := in.AsOf.UTC()
	r := &Report{
		AsOf:         asOf.Format(time.DateOnly),
		Model:        in.Model,
		ModelVersion: in.ModelVersion,
		RunID:        in.RunID,
	}
	start := time.Now()
	var loans *Classification
	if in.Book != nil {
		if in.Book.b == nil {
			return nil, errors.New("portfolio: the loan book was released")
		}
		if in.Book.b.asOf != int32(arrow.Date32FromTime(asOf)) {
			return nil, fmt.Errorf("portfolio: the loan book is at %s, the report at %s", in.Book.asOf(), r.AsOf)
		}
		loans = in.Book.b.classify(o.Bands)
	} else if loans, err = classify(ctx, in.Loans, in.Repayments, int32(arrow.Date32FromTime(asOf)), o.Bands); err != nil {
		return nil, err
	}
	r.Loans = *loans
	o.Logger.Debug("portfolio: loans classified", "loans", r.Loans.Loans, "elapsed", time.Since(start))
	start = time.Now()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := r.customers(&in.Customers, o); err != nil {
		return nil, err
	}
	if err := r.scores(&in.Customers, in.Development, o); err != nil {
		return nil, err
	}
	o.Logger.Debug("portfolio: customers counted", "customers", r.Customers, "elapsed", time.Since(start))
	return r, nil
}

// classify reads the loans and repayments and classifies the book at day asOf.
func classify(ctx context.Context, loanRecs, repRecs []arrow.Record, asOf int32, bands Bands) (*Classification, error) {
	b, err := readLoans(loanRecs, asOf)
	if err != nil {
		return nil, err
	}
	if err := b.readRepayments(ctx, repRecs); err != nil {
		return nil, err
	}
	return b.classify(bands), nil
}

// classify classifies the book with the repayments read so far.
func (b *loanBook) classify(bands Bands) *Classification {
	c := &Classification{Bands: bands, OrphanRepayments: b.orphanRepayments}
	var loans [5]int64
	var balances [5]float64
	b.each(func(_ int, state uint8, dpd int32, bal float64) {
		switch state {
		case notOriginated:
			c.NotOriginated++
		case closed:
			c.Closed++
		default:
			k := bands.class(dpd)
			loans[k]++
			balances[k] += bal
		}
	})
	upper := bands.upper()
	lower := int32(0)
	for k, name := range ClassNames() {
		cl := Class{Name: name, MinDPD: lower, Loans: loans[k], Balance: balances[k]}
		if k < len(upper) {
			cl.MaxDPD = &upper[k]
			lower = upper[k] + 1
		}
		c.Classes = append(c.Classes, cl)
		c.Loans += loans[k]
		c.Balance += balances[k]
		if k >= nplFrom {
			c.NPLLoans += loans[k]
			c.NPLBalance += balances[k]
		}
	}
	for k := range c.Classes {
		c.Classes[k].LoanShare = share(float64(c.Classes[k].Loans), float64(c.Loans))
		c.Classes[k].BalanceShare = share(c.Classes[k].Balance, c.Balance)
	}
	c.NPLRatio = share(c.NPLBalance, c.Balance)
	c.NPLLoanRatio = share(float64(c.NPLLoans), float64(c.Loans))
	return c
}

// share returns part / whole, 0 when whole is 0.
func share(part, whole float64) float64 {
	if whole == 0 {
		return 0
	}
	return part / whole
}

// customers counts the customers by tier, grade, segment × grade and warning.
func (r *Report) customers(c *Customers, o Options) error {
	n := c.Len()
	r.Customers = int64(n)
	total := float64(n)

	// Grades, in master-scale order.
	grades := c.Grades
	if grades == nil {
		grades = distinct(c.Grade)
	}
	gradeIndex := make(map[string]int, len(grades))
	for k, g := range grades {
		if _, dup := gradeIndex[g]; dup {
			return fmt.Errorf("portfolio: grade %q is listed twice in the master scale", g)
		}
		gradeIndex[g] = k
	}
	gradeOf := make([]int32, n)
	gradeN := make([]int64, len(grades))
	pdSum := make([]float64, len(grades))
	scoreSum := make([]float64, len(grades))
	last, lastK := "", -1
	for i, g := range c.Grade {
		if lastK < 0 || g != last {
			k, ok := gradeIndex[g]
			if !ok {
				return fmt.Errorf("portfolio: grade %q of row %d is not on the master scale %v", g, i, grades)
			}
			last, lastK = g, k
		}
		gradeOf[i] = int32(lastK)
		gradeN[lastK]++
		pdSum[lastK] += c.PD[i]
		scoreSum[lastK] += float64(c.Score[i])
	}
	counts := make([]float64, len(grades))
	for k, g := range grades {
		gc := GradeCount{Name: g, Customers: gradeN[k], Share: share(float64(gradeN[k]), total)}
		if gradeN[k] > 0 {
			pd, score := pdSum[k]/float64(gradeN[k]), scoreSum[k]/float64(gradeN[k])
			gc.MeanPD, gc.MeanScore = &pd, &score
		}
		r.Grades.Grades = append(r.Grades.Grades, gc)
		counts[k] = float64(gradeN[k])
	}
	r.Grades.HHIRule = o.HHI.Rule()
	if n > 0 {
		h, hn, err := metrics.HHI(counts)
		if err != nil {
			return fmt.Errorf("portfolio: grade concentration: %w", err)
		}
		r.Grades.HHI, r.Grades.HHINormalized, r.Grades.HHIStatus = h, hn, o.HHI.Rate(hn)
	}

	// Tiers: the three of the contract first, others after in name order.
	tiers := []string{scorecard.TierPrime, scorecard.TierStandard, scorecard.TierHighRisk}
	for _, t := range distinct(c.Tier) {
		if !slices.Contains(tiers, t) {
			tiers = append(tiers, t)
		}
	}
	tierN := countBy(c.Tier, tiers)
	for k, t := range tiers {
		if k < 3 || tierN[k] > 0 {
			r.Tiers = append(r.Tiers, Count{Name: t, Customers: tierN[k], Share: share(float64(tierN[k]), total)})
		}
	}
	hr := tierN[2]
	r.HighRisk = HighRisk{Customers: hr, Share: share(float64(hr), total), Target: o.HighRiskTarget, Status: WithinTarget}
	if r.HighRisk.Share > o.HighRiskTarget {
		r.HighRisk.Status = AboveTarget
	}

	if c.Segment != nil {
		sg, err := segmentGrade(c, grades, gradeOf, total)
		if err != nil {
			return err
		}
		r.Segments = sg
	}
	r.Warnings = warnings(c.Warnings, total)
	return nil
}

// segmentGrade counts the customers per segment and grade.
func segmentGrade(c *Customers, grades []string, gradeOf []int32, total float64) (*SegmentGrade, error) {
	k := len(c.SegmentNames)
	if c.SegmentNames == nil {
		for _, s := range c.Segment {
			k = max(k, int(s)+1)
		}
	}
	g := len(grades)
	counts := make([]int64, (k+1)*g) // the last row: unassigned
	for i, s := range c.Segment {
		row := int(s)
		switch {
		case s < 0:
			row = k
		case row >= k:
			return nil, fmt.Errorf("portfolio: segment %d of row %d has no name (%d segment names)", s, i, k)
		}
		counts[row*g+int(gradeOf[i])]++
	}
	sg := &SegmentGrade{Grades: slices.Clone(grades), Totals: make([]int64, g)}
	for row := range k + 1 {
		sr := SegmentRow{ID: int32(row), Counts: counts[row*g : (row+1)*g : (row+1)*g]}
		switch {
		case row == k:
			sr.ID, sr.Name = -1, "unassigned"
		case c.SegmentNames != nil:
			sr.Name = c.SegmentNames[row]
		default:
			sr.Name = "segment " + strconv.Itoa(row)
		}
		for j, v := range sr.Counts {
			sr.Customers += v
			sg.Totals[j] += v
		}
		if sr.Customers == 0 && (row == k || c.SegmentNames != nil && sr.Name == "") {
			continue // nobody unassigned, or an id not in use
		}
		sr.Share = share(float64(sr.Customers), total)
		sg.Segments = append(sg.Segments, sr)
	}
	return sg, nil
}

// warnings counts the customers per warning code; a code listed twice for one customer
// counts once.
func warnings(lists [][]string, total float64) Warnings {
	var w Warnings
	byCode := map[string]int64{}
	for _, codes := range lists {
		if len(codes) == 0 {
			continue
		}
		w.Customers++
		for j, code := range codes {
			if !slices.Contains(codes[:j], code) {
				byCode[code]++
			}
		}
	}
	w.Share = share(float64(w.Customers), total)
	w.ByCode = []Count{}
	for code, n := range byCode {
		w.ByCode = append(w.ByCode, Count{Name: code, Customers: n, Share: share(float64(n), total)})
	}
	slices.SortFunc(w.ByCode, func(a, b Count) int {
		return cmp.Or(cmp.Compare(b.Customers, a.Customers), cmp.Compare(a.Name, b.Name))
	})
	return w
}

// scores summarises tonight's scores and compares them with the development bins.
func (r *Report) scores(c *Customers, dev *report.ScoreBins, o Options) error {
	s := &r.Score
	s.PSIRule = o.PSI.Rule()
	n := c.Len()
	if n > 0 {
		var scoreSum, pdSum float64
		for i := range n {
			scoreSum += float64(c.Score[i])
			pdSum += c.PD[i]
		}
		s.MeanScore, s.MeanPD, s.ExpectedDefaults = scoreSum/float64(n), pdSum/float64(n), pdSum
	}
	s.Bins = []ScoreBin{}
	if dev == nil {
		return nil
	}
	if len(dev.Counts) != len(dev.Edges)+1 || !slices.IsSorted(dev.Edges) {
		return fmt.Errorf("portfolio: development score bins: %d counts for %d edges, or edges not ascending", len(dev.Counts), len(dev.Edges))
	}
	tonight := make([]int64, len(dev.Counts))
	for _, v := range c.Score {
		// Bin k is (Edges[k-1], Edges[k]]: the first edge at or above the score.
		k, _ := slices.BinarySearch(dev.Edges, float64(v))
		tonight[k]++
	}
	var devTotal float64
	for _, v := range dev.Counts {
		devTotal += v
	}
	edges := slices.Clone(dev.Edges) // the report must not alias the caller's bins
	actual := make([]float64, len(tonight))
	for k := range dev.Counts {
		b := ScoreBin{
			Development: dev.Counts[k], DevelopmentShare: share(dev.Counts[k], devTotal),
			Tonight: tonight[k], TonightShare: share(float64(tonight[k]), float64(n)),
		}
		if k > 0 {
			b.Lower = &edges[k-1]
		}
		if k < len(dev.Edges) {
			b.Upper = &edges[k]
		}
		s.Bins = append(s.Bins, b)
		actual[k] = float64(tonight[k])
	}
	if n == 0 {
		return nil
	}
	psi, err := metrics.PSIFromCounts(dev.Counts, actual)
	if err != nil {
		return fmt.Errorf("portfolio: score PSI: %w", err)
	}
	s.PSI, s.PSIStatus = &psi, o.PSI.Rate(psi)
	return nil
}

// distinct returns the distinct values of v in ascending order.
func distinct(v []string) []string {
	var out []string
	seen := map[string]bool{}
	last, have := "", false
	for _, s := range v {
		if have && s == last {
			continue
		}
		last, have = s, true
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}

// countBy counts the values of v per name of names (every value must be one of them).
func countBy(v []string, names []string) []int64 {
	index := make(map[string]int, len(names))
	for k, s := range names {
		index[s] = k
	}
	out := make([]int64, len(names))
	last, lastK := "", -1
	for _, s := range v {
		if lastK < 0 || s != last {
			last, lastK = s, index[s]
		}
		out[lastK]++
	}
	return out
}
