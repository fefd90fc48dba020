package metrics_test

import (
	"encoding/json"
	"errors"
	"math"
	"testing"

	"lendscore/models/metrics"
)

func TestEvaluateAgreesWithTheParts(t *testing.T) {
	s, y := randomSample(20_000, 21, 100)
	pd := make([]float64, len(s))
	points := make([]float64, len(s))
	for i, v := range s {
		pd[i] = 1 / (1 + math.Exp(-(v - 1)))
		points[i] = 600 - 50*v // a scorecard: higher is safer
	}
	got, err := metrics.Evaluate(points, pd, y, metrics.HigherGood)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := metrics.DeLong(s, y, metrics.HigherBad)
	ks, _ := metrics.KS(points, y, metrics.HigherGood)
	brier, _ := metrics.Brier(pd, y)
	logLoss, _ := metrics.LogLoss(pd, y)
	bads := 0
	for _, v := range y {
		bads += int(v)
	}
	if got.Rows != len(y) || got.Bads != bads {
		t.Errorf("rows %d bads %d", got.Rows, got.Bads)
	}
	near(t, "auc", got.AUC, d.AUC, 1e-15)
	near(t, "auc se", got.AUCSE, d.SE, 1e-15)
	near(t, "gini", got.Gini, 2*d.AUC-1, 1e-15)
	near(t, "ks", got.KS, ks.KS, 0)
	near(t, "ks score", got.KSScore, ks.Score, 0)
	near(t, "brier", *got.Brier, brier, 0)
	near(t, "logloss", *got.LogLoss, logLoss, 0)
	if got.AUCCI95[0] >= got.AUC || got.AUCCI95[1] <= got.AUC {
		t.Errorf("CI %v around %v", got.AUCCI95, got.AUC)
	}

	// The metrics.json keys of the contract.
	raw, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	var keys map[string]any
	if err := json.Unmarshal(raw, &keys); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"rows", "bads", "auc", "auc_ci95", "gini", "ks", "ks_score", "brier", "logloss"} {
		if _, ok := keys[k]; !ok {
			t.Errorf("metrics.json key %q missing from %s", k, raw)
		}
	}

	// Without PDs there is no Brier score or log-loss.
	noPD, err := metrics.Evaluate(points, nil, y, metrics.HigherGood)
	if err != nil {
		t.Fatal(err)
	}
	if noPD.Brier != nil || noPD.LogLoss != nil || noPD.AUC != got.AUC {
		t.Errorf("without PD: %+v", noPD)
	}
	raw, _ = json.Marshal(noPD)
	keys = nil
	_ = json.Unmarshal(raw, &keys)
	if _, ok := keys["brier"]; ok {
		t.Errorf("brier present without PDs: %s", raw)
	}
}

func TestEvaluateErrors(t *testing.T) {
	if _, err := metrics.Evaluate([]float64{1, 2, 3}, nil, []int8{0, 0, 0}, metrics.HigherBad); !errors.Is(err, metrics.ErrClasses) {
		t.Errorf("no bads: err = %v", err)
	}
	if _, err := metrics.Evaluate([]float64{1, 2, 3, 4}, []float64{0.1}, []int8{0, 1, 0, 1}, metrics.HigherBad); !errors.Is(err, metrics.ErrInput) {
		t.Errorf("short pd: err = %v", err)
	}
}
