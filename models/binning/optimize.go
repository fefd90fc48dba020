package binning

import "math"

// mergeProblem is step 3 on ordered pre-bins: choose contiguous groups of
// pre-bins that maximise the IV under the share, count, bin-number, trend and
// significance constraints.
type mergeProblem struct {
	goods, bads []float64 // per pre-bin, in order
	totalGoods  float64   // goods of the whole variable (missing and special included)
	totalBads   float64   // bads of the whole variable
	minCount    float64   // smallest weight of a group
	minGoods    float64
	minBads     float64
	maxBins     int
	critical    float64 // neighbours need a chi-square statistic ≥ critical
	smoothing   float64
}

// newMergeProblem sets up the search from the configuration.
func newMergeProblem(goods, bads []float64, totalGoods, totalBads float64, cfg Config) *mergeProblem {
	return &mergeProblem{
		goods:      goods,
		bads:       bads,
		totalGoods: totalGoods,
		totalBads:  totalBads,
		minCount:   cfg.MinBinShare * (totalGoods + totalBads),
		minGoods:   cfg.MinGoods,
		minBads:    cfg.MinBads,
		maxBins:    cfg.MaxBins,
		critical:   chiSquareCritical(cfg.Alpha),
		smoothing:  cfg.Smoothing,
	}
}

// chiSquareCritical returns the value c with P(χ²₁ > c) = alpha.
func chiSquareCritical(alpha float64) float64 {
	z := math.Erfcinv(alpha)
	return 2 * z * z
}

// chiSquare is Pearson's statistic of the 2×2 table of goods and bads of two
// groups (1 degree of freedom, no continuity correction); it equals the square
// of the two-proportion z statistic. A table with an empty margin gives 0.
func chiSquare(g1, b1, g2, b2 float64) float64 {
	n1, n2 := g1+b1, g2+b2
	den := n1 * n2 * (g1 + g2) * (b1 + b2)
	if !(den > 0) {
		return 0
	}
	d := g1*b2 - g2*b1
	return (n1 + n2) * d * d / den
}

// ivTerm is the contribution of a group with g goods and b bads to the search
// objective; see the package documentation.
func (p *mergeProblem) ivTerm(g, b float64) float64 {
	G, B := p.totalGoods, p.totalBads
	if !(G > 0 && B > 0) {
		return 0
	}
	s := p.smoothing
	if s == 0 && (g == 0 || b == 0) {
		s = 0.5
	}
	if g+s == 0 || b+s == 0 {
		return 0
	}
	return (g/G - b/B) * math.Log(((g+s)/G)/((b+s)/B))
}

// direction of the event rate from one group to the next.
const (
	dirUp = iota
	dirDown
)

// shapePhases is the number of phases a shape's automaton has: monotone shapes
// have one, peak and valley have a second phase after the turn.
func shapePhases(shape Trend) int {
	if shape == TrendPeak || shape == TrendValley {
		return 2
	}
	return 1
}

// step returns the phase after a move in direction dir from phase ph, and
// whether the move is allowed at all.
func step(shape Trend, ph, dir int) (int, bool) {
	switch shape {
	case TrendAscending:
		return 0, dir == dirUp
	case TrendDescending:
		return 0, dir == dirDown
	case TrendPeak:
		if dir == dirUp {
			return 0, ph == 0
		}
		return 1, true
	case TrendValley:
		if dir == dirDown {
			return 0, ph == 0
		}
		return 1, true
	}
	return 0, false
}

// solve returns the optimal cuts 0 = c₀ < c₁ < … < c_m = n (group i is
// pre-bins [c_i, c_{i+1})) for the given shape and the objective value. The
// whole range as one group is always admissible, so there is always an answer.
//
// The dynamic programme's state is the last group [i, j), the number of groups
// k and the phase of the shape; the best value of a state extends the best
// compatible state ending at i. It is exact because the objective is a sum over
// groups and every constraint involves one group or two neighbours. Time
// O(n³·K), memory O(n²·K) for n pre-bins and at most K groups.
func (p *mergeProblem) solve(shape Trend) ([]int, float64) {
	n := len(p.goods)
	if n == 0 {
		return []int{0}, 0
	}
	w := n + 1
	cumG := make([]float64, w)
	cumB := make([]float64, w)
	for i := range n {
		cumG[i+1] = cumG[i] + p.goods[i]
		cumB[i+1] = cumB[i] + p.bads[i]
	}
	// Per group [i, j): admissible alone, event rate, objective term.
	ok := make([]bool, w*w)
	rate := make([]float64, w*w)
	term := make([]float64, w*w)
	for i := range n {
		for j := i + 1; j <= n; j++ {
			g, b := cumG[j]-cumG[i], cumB[j]-cumB[i]
			at := i*w + j
			ok[at] = g+b >= p.minCount && g >= p.minGoods && b >= p.minBads && g+b > 0
			if g+b > 0 {
				rate[at] = b / (g + b)
			}
			term[at] = p.ivTerm(g, b)
		}
	}
	ok[n] = true // [0, n): a single group is always allowed

	maxK := min(p.maxBins, n)
	if p.minCount > 0 {
		maxK = min(maxK, int((cumG[n]+cumB[n])/p.minCount+1e-9))
	}
	maxK = max(maxK, 1)
	phases := shapePhases(shape)
	layer := w * w
	states := maxK * phases * layer
	best := make([]float64, states)
	from := make([]int32, states) // previous group start h and phase: h*phases + ph
	for i := range best {
		best[i] = math.Inf(-1)
	}
	at := func(k, ph, i, j int) int { return ((k-1)*phases+ph)*layer + i*w + j }
	for j := 1; j <= n; j++ {
		if ok[j] {
			best[at(1, 0, 0, j)] = term[j]
		}
	}
	for j := 2; j <= n && maxK > 1; j++ {
		for i := 1; i < j; i++ {
			cur := i*w + j
			if !ok[cur] {
				continue
			}
			rc := rate[cur]
			g2, b2 := cumG[j]-cumG[i], cumB[j]-cumB[i]
			for h := range i {
				prev := h*w + i
				if !ok[prev] {
					continue
				}
				rp := rate[prev]
				var dir int
				switch {
				case rc > rp:
					dir = dirUp
				case rc < rp:
					dir = dirDown
				default:
					continue
				}
				if p.critical > 0 && chiSquare(cumG[i]-cumG[h], cumB[i]-cumB[h], g2, b2) < p.critical {
					continue
				}
				for k := 2; k <= maxK; k++ {
					for ph := range phases {
						v := best[at(k-1, ph, h, i)]
						if math.IsInf(v, -1) {
							continue
						}
						nph, allowed := step(shape, ph, dir)
						if !allowed {
							continue
						}
						v += term[cur]
						if dst := at(k, nph, i, j); v > best[dst] {
							best[dst] = v
							from[dst] = int32(h*phases + ph)
						}
					}
				}
			}
		}
	}
	// The best final state; fewer groups win ties.
	bestV := math.Inf(-1)
	bk, bph, bi := 0, 0, 0
	for k := 1; k <= maxK; k++ {
		for ph := range phases {
			for i := range n {
				v := best[at(k, ph, i, n)]
				if math.IsInf(v, -1) {
					continue
				}
				if bk == 0 || v > bestV+1e-12*math.Abs(bestV) {
					bestV, bk, bph, bi = v, k, ph, i
				}
			}
		}
	}
	cuts := make([]int, bk+1)
	cuts[bk] = n
	j, i, ph := n, bi, bph
	for k := bk; k >= 1; k-- {
		cuts[k-1] = i
		if k == 1 {
			break
		}
		f := int(from[at(k, ph, i, j)])
		j, i, ph = i, f/phases, f%phases
	}
	return cuts, bestV
}

// solveTrend solves for the requested trend; auto applies the rule of the
// package documentation. It returns the cuts and the shape that was solved.
func (p *mergeProblem) solveTrend(trend Trend, margin float64) ([]int, Trend) {
	if trend != TrendAuto {
		cuts, _ := p.solve(trend)
		return cuts, trend
	}
	monoCuts, monoV := p.solve(TrendAscending)
	monoShape := TrendAscending
	if c, v := p.solve(TrendDescending); better(v, monoV, len(c), len(monoCuts)) {
		monoCuts, monoV, monoShape = c, v, TrendDescending
	}
	turnCuts, turnV := p.solve(TrendPeak)
	turnShape := TrendPeak
	if c, v := p.solve(TrendValley); better(v, turnV, len(c), len(turnCuts)) {
		turnCuts, turnV, turnShape = c, v, TrendValley
	}
	if turnV > (1+margin)*monoV+1e-12 {
		return turnCuts, turnShape
	}
	return monoCuts, monoShape
}

// better reports whether objective v with n cuts beats w with m cuts: a larger
// value, or an equal one with fewer groups.
func better(v, w float64, n, m int) bool {
	tol := 1e-12 * math.Max(math.Abs(v), math.Abs(w))
	if v > w+tol {
		return true
	}
	return v >= w-tol && n < m
}
