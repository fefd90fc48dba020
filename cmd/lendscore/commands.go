package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"lendscore/jobs"
	"lendscore/pipeline"
)

func isSpecError(err error) bool {
	var se *jobs.SpecError
	return errors.As(err, &se)
}

func (e *environment) cmdVersion(args []string) error {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	v := pipeline.CurrentVersions()
	fmt.Fprintf(e.stdout, "lendscore %s\ncommit %s\n%s\n", v.Lendscore, v.Commit, v.Go)
	return nil
}

func (e *environment) cmdRun(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	asOf := fs.String("as-of", "", "observation date YYYY-MM-DD")
	var sets multiFlag
	fs.Var(&sets, "set", "override a job-spec key: key=value (repeatable)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("run: want one job spec, got %d arguments", len(pos))
	}
	spec, err := jobs.Load(pos[0], sets, *asOf)
	if err != nil {
		return err
	}
	return e.runJob(ctx, spec)
}

func (e *environment) runJob(ctx context.Context, spec *jobs.Spec) error {
	return fmt.Errorf("job kind %s is not built yet", spec.Kind)
}

func (e *environment) cmdGen(ctx context.Context, args []string) error {
	return errors.New("gen is not built yet")
}

func (e *environment) cmdScore(ctx context.Context, args []string) error {
	return errors.New("score is not built yet")
}

func (e *environment) cmdBacktest(ctx context.Context, args []string) error {
	return errors.New("backtest is not built yet")
}

func (e *environment) cmdEvaluate(ctx context.Context, args []string) error {
	return errors.New("evaluate is not built yet")
}
