package metrics

import "fmt"

// SampleMetrics are the validation figures of one sample (train, test,
// oot, or one value of a --by column), with the keys of metrics.json.
type SampleMetrics struct {
	Rows    int     `json:"rows"`
	Bads    int     `json:"bads"`
	BadRate float64 `json:"bad_rate"`
	AUC     float64 `json:"auc"`
	// AUCSE is the DeLong standard error and AUCCI95 the 95% interval
	// AUC ± 1.96·AUCSE, clipped to [0, 1].
	AUCSE   float64    `json:"auc_se"`
	AUCCI95 [2]float64 `json:"auc_ci95"`
	Gini    float64    `json:"gini"`
	KS      float64    `json:"ks"`
	// KSScore is where KS peaks, in the units of the score (see KSResult).
	KSScore float64 `json:"ks_score"`
	// Brier and LogLoss need PDs; they are nil when Evaluate gets none.
	Brier   *float64 `json:"brier,omitempty"`
	LogLoss *float64 `json:"logloss,omitempty"`
}

// Evaluate computes the sample figures of a score and, when pd is not nil,
// of the PDs behind it: rows, bads, AUC with DeLong standard error and 95%
// interval, Gini, KS and where it peaks (all from score, sorted once),
// Brier score and log-loss (from pd). higher says what a higher score
// means. The sample needs at least two bads and two goods.
func Evaluate(score, pd []float64, y []int8, higher Higher) (SampleMetrics, error) {
	r, err := newRanking(score, y, higher)
	if err != nil {
		return SampleMetrics{}, err
	}
	m, err := r.discrimination()
	if err != nil {
		return SampleMetrics{}, err
	}
	if pd != nil {
		if len(pd) != m.Rows {
			return SampleMetrics{}, fmt.Errorf("%w: %d scores but %d PDs", ErrInput, m.Rows, len(pd))
		}
		brier, err := Brier(pd, y)
		if err != nil {
			return SampleMetrics{}, err
		}
		logLoss, err := LogLoss(pd, y)
		if err != nil {
			return SampleMetrics{}, err
		}
		m.Brier, m.LogLoss = &brier, &logLoss
	}
	return m, nil
}

// discrimination returns the figures of SampleMetrics that come from the
// ranking: rows, bads, AUC with its DeLong standard error, Gini and KS.
func (r *ranking) discrimination() (SampleMetrics, error) {
	a, err := r.deLong()
	if err != nil {
		return SampleMetrics{}, err
	}
	ks := r.ks()
	n := r.nBad + r.nGood
	return SampleMetrics{
		Rows:    n,
		Bads:    r.nBad,
		BadRate: float64(r.nBad) / float64(n),
		AUC:     a.AUC,
		AUCSE:   a.SE,
		AUCCI95: a.CI95,
		Gini:    Gini(a.AUC),
		KS:      ks.KS,
		KSScore: ks.Score,
	}, nil
}
