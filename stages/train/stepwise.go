package train

import (
	"context"
	"fmt"

	"lendscore/models/logit"
)

// stepwise runs the logit package's stepwise selection over the selected variables and
// records every variable it leaves out, and the steps, in the report.
func stepwise(ctx context.Context, selected []string, d *design, sel Selection, byName map[string]*VariableReport, res *Result) ([]string, error) {
	opt := logit.StepwiseOptions{Criterion: logit.AIC}
	switch sel.Stepwise {
	case "forward":
		opt.Direction = logit.Forward
	case "backward":
		opt.Direction = logit.Backward
	case "both":
		opt.Direction = logit.Both
	default:
		return nil, fmt.Errorf("stepwise direction %q (want forward, backward or both)", sel.Stepwise)
	}
	if sel.Criterion == "pvalue" {
		opt.Criterion = logit.PValue
	}
	r, err := logit.StepwiseContext(ctx, d.matrix(selected), d.y, selected, opt)
	if err != nil {
		return nil, fmt.Errorf("stepwise selection: %w", err)
	}
	in := map[int]bool{}
	for _, j := range r.Selected {
		in[j] = true
	}
	for _, s := range r.Steps {
		res.StepLog = append(res.StepLog, fmt.Sprintf("stepwise %d: %v %s (%s)", s.Step, s.Action, s.Name, s.Reason))
	}
	var out []string
	for j, name := range selected {
		if in[j] {
			out = append(out, name)
		} else {
			byName[name].DroppedBecause = fmt.Sprintf("left out by %s stepwise selection (%s)", sel.Stepwise, sel.Criterion)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("stepwise selection kept no variable")
	}
	return out, nil
}
