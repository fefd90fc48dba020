// Command flatgen writes a synthetic flat modelling table as CSV for benchmarks and tests:
// N rows of 20 candidate variables (12 numeric with missing values and a special value, 8
// categorical with rare categories) and a label `bad`/`good` drawn from a logistic model of
// some of them, so that a scorecard has real signal to find. The same seed gives the same
// bytes.
//
//	go run ./internal/tools/flatgen -rows 1000000 -seed 1 -out data/flat1m.csv
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
)

func main() {
	rows := flag.Int("rows", 100000, "rows")
	seed := flag.Uint64("seed", 1, "seed")
	out := flag.String("out", "", "output CSV (default stdout)")
	flag.Parse()
	w := os.Stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer f.Close()
		w = f
	}
	if err := write(w, *rows, *seed); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

var (
	regions  = []string{"north", "south", "east", "west", "central", "islands"}
	jobs     = []string{"employee", "self_employed", "civil_servant", "retired", "student", "unemployed", "farmer"}
	housing  = []string{"own", "rent", "mortgage", "family"}
	channels = []string{"branch", "web", "app", "broker", "phone"}
	products = []string{"card", "personal", "auto", "mortgage", "overdraft"}
	edu      = []string{"primary", "secondary", "bachelor", "master", "doctorate"}
	marital  = []string{"single", "married", "divorced", "widowed"}
	sector   = []string{"retail", "manufacturing", "public", "finance", "health", "construction", "agriculture", "it", "other", "mining"}
)

func write(out *os.File, n int, seed uint64) error {
	w := bufio.NewWriterSize(out, 1<<20)
	rng := rand.New(rand.NewPCG(seed, 0xf1a7))
	w.WriteString("id,age,income,debt_ratio,utilisation,months_on_book,num_loans,max_dpd_12m,late_payments_12m,inquiries_6m,savings,credit_limit,score_bureau,region,occupation,housing,channel,product,education,marital_status,sector,target\n")
	b := make([]byte, 0, 256)
	for i := 0; i < n; i++ {
		age := 18 + rng.Float64()*62
		income := math.Exp(10 + 0.6*rng.NormFloat64())
		debt := math.Max(0, 0.35+0.2*rng.NormFloat64())
		util := math.Min(1.5, math.Max(0, 0.4+0.3*rng.NormFloat64()))
		mob := float64(rng.IntN(240))
		loans := float64(rng.IntN(6))
		dpd := 0.0
		if rng.Float64() < 0.15 {
			dpd = float64(rng.IntN(120))
		}
		late := float64(rng.IntN(4)) * float64(btoi(dpd > 0))
		inq := float64(rng.IntN(8))
		savings := math.Exp(8 + 1.5*rng.NormFloat64())
		limit := income * (0.2 + rng.Float64())
		bureau := 300 + 550*rng.Float64()
		reg := pick(rng, regions)
		job := pick(rng, jobs)
		hous := pick(rng, housing)
		ch := pick(rng, channels)
		prod := pick(rng, products)
		ed := pick(rng, edu)
		mar := pick(rng, marital)
		sec := pick(rng, sector)
		if rng.Float64() < 0.003 {
			sec = "space" // a rare category
		}
		eta := -2.2 - 0.025*(age-45) - 0.5*(math.Log(income)-10) + 1.8*(debt-0.35) + 1.2*(util-0.4) +
			0.015*dpd + 0.25*late + 0.12*inq - 0.004*(bureau-575) - 0.002*mob
		switch job {
		case "unemployed":
			eta += 0.8
		case "civil_servant":
			eta -= 0.4
		}
		if hous == "rent" {
			eta += 0.3
		}
		bad := rng.Float64() < 1/(1+math.Exp(-eta))
		b = b[:0]
		b = strconv.AppendInt(b, int64(i), 10)
		b = appendNum(b, age, 0, rng, 0)
		b = appendNum(b, income, 0, rng, 0.05)
		b = appendNum(b, debt, 3, rng, 0.02)
		b = appendNum(b, util, 3, rng, 0.01)
		b = appendNum(b, mob, 0, rng, 0)
		b = appendNum(b, loans, 0, rng, 0)
		if rng.Float64() < 0.02 {
			b = append(b, ",-1"...) // special value: not reported
		} else {
			b = appendNum(b, dpd, 0, rng, 0)
		}
		b = appendNum(b, late, 0, rng, 0)
		b = appendNum(b, inq, 0, rng, 0.03)
		b = appendNum(b, savings, 0, rng, 0.1)
		b = appendNum(b, limit, 0, rng, 0)
		b = appendNum(b, bureau, 0, rng, 0.08)
		for _, s := range []string{reg, job, hous, ch, prod, ed, mar, sec} {
			b = append(b, ',')
			if rng.Float64() < 0.01 {
				b = append(b, "NA"...)
			} else {
				b = append(b, s...)
			}
		}
		if bad {
			b = append(b, ",bad\n"...)
		} else {
			b = append(b, ",good\n"...)
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return w.Flush()
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func pick(rng *rand.Rand, xs []string) string { return xs[rng.IntN(len(xs))] }

func appendNum(b []byte, v float64, prec int, rng *rand.Rand, missing float64) []byte {
	b = append(b, ',')
	if missing > 0 && rng.Float64() < missing {
		return b
	}
	return strconv.AppendFloat(b, v, 'f', prec, 64)
}
