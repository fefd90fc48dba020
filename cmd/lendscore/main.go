// Command lendscore runs the lendscore credit-scoring pipeline: job specs (train, score,
// backtest, nightly, features), the synthetic data generator, scoring, backtests and
// evaluation of existing scores. See the README and ../shared/CONTRACT.md for the commands.
//
// Exit status: 0 done; 1 the job failed (the message names the stage, the input and the
// reason); 2 a usage or job-spec error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"
)

// usageError marks errors in how the command was called; they exit with status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

const usage = `usage: lendscore <command> [arguments]

commands:
  run JOB.yaml [--as-of YYYY-MM-DD] [--set key=value]...   run a job spec
      [--shard i/n | --shards n] [--run-id ID]             one shard of a sharded score or train run
                                                            (index of --shards from $JOB_COMPLETION_INDEX
                                                            or $AWS_BATCH_JOB_ARRAY_INDEX)
  commit JOB.yaml --shards n [--as-of D] [--set k=v]... [--run-id ID]
                                                            merge the shards of a run and publish it (a
                                                            train run: fit the model on the merged shards)
  gen --customers N --out LOCATION [--months M] [--seed S] [--dirty-rate R] [--as-of DATE]
      [--drift D --drift-from DATE] [--shock-share R --shock-from DATE] [--history-start DATE]
                                                            write synthetic relational extracts
  score --model LOCATION --input LOCATION --out LOCATION    score new data with a published scorecard
  backtest --model LOCATION --input LOCATION --out LOCATION apply a model to a later labelled snapshot
  evaluate --input LOCATION --score COL --label COL --bad VALUE [--higher bad|good] [--by COL]
           [--base LOCATION] --out LOCATION                 evaluate an existing score against labels
  version                                                   print version, commit and Go version

global flags (any position): --log-format text|json, --log-level debug|info|warn|error
`

func main() {
	os.Exit(mainCode())
}

func mainCode() int {
	// LENDSCORE_CPUPROFILE=file writes a CPU profile of the whole command and
	// LENDSCORE_MEMPROFILE=file an allocation profile (for `go tool pprof`): debugging aids
	// for performance work.
	if p := os.Getenv("LENDSCORE_MEMPROFILE"); p != "" {
		runtime.MemProfileRate = 512 * 1024
		defer func() {
			if f, err := os.Create(p); err == nil {
				pprof.Lookup("allocs").WriteTo(f, 0)
				f.Close()
			}
		}()
	}
	if p := os.Getenv("LENDSCORE_CPUPROFILE"); p != "" {
		if f, err := os.Create(p); err == nil {
			if pprof.StartCPUProfile(f) == nil {
				code := run(os.Args[1:], os.Stdout, os.Stderr)
				pprof.StopCPUProfile()
				f.Close()
				return code
			}
		}
	}
	return run(os.Args[1:], os.Stdout, os.Stderr)
}

// run executes the command line and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	g, rest, err := globalFlags(args)
	if err != nil {
		fmt.Fprintf(stderr, "lendscore: %v\n%s", err, usage)
		return 2
	}
	log := newLogger(stderr, g)
	env := &environment{stdout: stdout, stderr: stderr, log: log, progress: isTerminal(stderr) && g.format != "json"}
	if len(rest) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, cmdArgs := rest[0], rest[1:]
	var runErr error
	switch cmd {
	case "run":
		runErr = env.cmdRun(ctx, cmdArgs)
	case "commit":
		runErr = env.cmdCommit(ctx, cmdArgs)
	case "gen":
		runErr = env.cmdGen(ctx, cmdArgs)
	case "score":
		runErr = env.cmdScore(ctx, cmdArgs)
	case "backtest":
		runErr = env.cmdBacktest(ctx, cmdArgs)
	case "evaluate":
		runErr = env.cmdEvaluate(ctx, cmdArgs)
	case "version":
		runErr = env.cmdVersion(cmdArgs)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "lendscore: unknown command %q\n%s", cmd, usage)
		return 2
	}
	return exitStatus(runErr, ctx, stderr, log)
}

func exitStatus(err error, ctx context.Context, stderr io.Writer, log *slog.Logger) int {
	if err == nil {
		return 0
	}
	var ue *usageError
	if errors.As(err, &ue) || isSpecError(err) {
		fmt.Fprintf(stderr, "lendscore: %v\n", err)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if ctx.Err() != nil {
		err = fmt.Errorf("interrupted: %w", err)
	}
	log.Error("job failed", "error", err.Error())
	fmt.Fprintf(stderr, "lendscore: %v\n", err)
	return 1
}

type globalOptions struct {
	format string
	level  slog.Level
}

// globalFlags takes --log-format and --log-level from anywhere in args and returns the rest.
func globalFlags(args []string) (globalOptions, []string, error) {
	g := globalOptions{format: "text", level: slog.LevelInfo}
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || (name != "log-format" && name != "log-level") {
			rest = append(rest, a)
			continue
		}
		if !hasValue {
			if i+1 >= len(args) {
				return g, nil, usagef("--%s needs a value", name)
			}
			i++
			value = args[i]
		}
		switch name {
		case "log-format":
			if value != "text" && value != "json" {
				return g, nil, usagef("--log-format %q: want text or json", value)
			}
			g.format = value
		case "log-level":
			if err := g.level.UnmarshalText([]byte(value)); err != nil {
				return g, nil, usagef("--log-level %q: want debug, info, warn or error", value)
			}
		}
	}
	return g, rest, nil
}

func newLogger(w io.Writer, g globalOptions) *slog.Logger {
	opts := &slog.HandlerOptions{Level: g.level}
	if g.format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// environment is what every command gets: where to print and log, and whether to show
// progress.
type environment struct {
	stdout, stderr io.Writer
	log            *slog.Logger
	progress       bool
}

// parseFlags parses flags that may come before, between or after positional arguments and
// returns the positional ones.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usagef("%s: %v", fs.Name(), err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// multiFlag collects a repeated string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func required(fs *flag.FlagSet, names ...string) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for _, n := range names {
		if !set[n] {
			return usagef("%s: --%s is required", fs.Name(), n)
		}
	}
	return nil
}
