// Package jobs parses, overrides and validates job specs: the YAML files that say what a
// lendscore run reads, fits and publishes (contract section 3). The demo and nightly job specs
// of the project live beside this code.
//
// A spec is refused before anything runs when it has an unknown key, a missing required key, a
// value of the wrong type or an impossible value; the error names the key and what was
// expected, and the CLI exits with status 2 for it.
package jobs

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Kinds of job.
const (
	KindTrain    = "train"
	KindScore    = "score"
	KindBacktest = "backtest"
	KindNightly  = "nightly"
	KindFeatures = "features"
)

// Spec is a job spec. Field names follow the YAML keys.
type Spec struct {
	Kind    string   `yaml:"kind"`
	Name    string   `yaml:"name"`
	Inputs  Inputs   `yaml:"inputs"`
	ID      string   `yaml:"id,omitempty"`
	Target  Target   `yaml:"target,omitempty"`
	Split   Split    `yaml:"split,omitempty"`
	Exclude []string `yaml:"exclude,omitempty"`
	Output  string   `yaml:"output"`
	Model   string   `yaml:"model,omitempty"`
	// AsOf is the observation date (YYYY-MM-DD); --as-of overrides it. Defaults to today (UTC)
	// for nightly and features jobs.
	AsOf     string    `yaml:"as_of,omitempty"`
	Seed     int64     `yaml:"seed,omitempty"`
	Storage  Storage   `yaml:"storage,omitempty"`
	Features Features  `yaml:"features,omitempty"`
	Binning  Binning   `yaml:"binning,omitempty"`
	Select   Selection `yaml:"selection,omitempty"`
	Scaling  Scaling   `yaml:"scaling,omitempty"`
	Grades   Grades    `yaml:"grades,omitempty"`
	Segments Segments  `yaml:"segments,omitempty"`
	Warnings Warnings  `yaml:"warnings,omitempty"`
	Security Security  `yaml:"security,omitempty"`
	// Thresholds set the traffic-light bands of validation figures; a band left out keeps
	// its default.
	Thresholds Thresholds `yaml:"thresholds,omitempty"`
}

// Band is a traffic-light band: green and amber limits of a figure.
type Band struct {
	Green float64 `yaml:"green"`
	Amber float64 `yaml:"amber"`
}

// Thresholds are the traffic-light bands of the validation figures (see the README).
type Thresholds struct {
	AUC              Band `yaml:"auc,omitempty"`
	KS               Band `yaml:"ks,omitempty"`
	HosmerLemeshowP  Band `yaml:"hosmer_lemeshow_p,omitempty"`
	JeffreysP        Band `yaml:"jeffreys_p,omitempty"`
	HHI              Band `yaml:"hhi,omitempty"`
	PSI              Band `yaml:"psi,omitempty"`
	CSI              Band `yaml:"csi,omitempty"`
	AUCDropP         Band `yaml:"auc_drop_p,omitempty"`
	DefaultRateRatio Band `yaml:"default_rate_ratio,omitempty"`
}

// Inputs names the input tables: a flat modelling table, or the relational extracts.
type Inputs struct {
	Table        string `yaml:"table,omitempty"`
	Customers    string `yaml:"customers,omitempty"`
	Loans        string `yaml:"loans,omitempty"`
	Repayments   string `yaml:"repayments,omitempty"`
	Interactions string `yaml:"interactions,omitempty"`
	// CSV says how CSV inputs are read; Parquet inputs ignore it.
	CSV CSVInput `yaml:"csv,omitempty"`
}

// CSVInput says how CSV inputs are read, for files that do not follow the defaults: a
// delimiter other than the one the header line shows, or missing values written as a marker
// the defaults do not know (UCI sets write "?", SAS exports ".").
type CSVInput struct {
	// Delimiter is the field separator: one character, or "tab". Empty: detected from the
	// header line (the most frequent of , ; tab and | outside quotes; a comma when none).
	Delimiter string `yaml:"delimiter,omitempty"`
	// NullValues are markers of missing values read in addition to the defaults ("", NA,
	// N/A, NULL, null, NaN, nan), compared after trimming spaces.
	NullValues []string `yaml:"null_values,omitempty"`
}

// DelimiterByte returns the delimiter as a byte, 0 when it is to be detected.
func (c CSVInput) DelimiterByte() byte {
	switch c.Delimiter {
	case "":
		return 0
	case "tab", `\t`:
		return '\t'
	}
	return c.Delimiter[0]
}

func (c *CSVInput) validate() error {
	switch d := c.Delimiter; {
	case d == "" || d == "tab" || d == `\t`:
	case len(d) != 1:
		return bad("inputs.csv.delimiter", "%q is not one character (want e.g. \",\", \";\", \"|\" or \"tab\")", d)
	case d == "\"" || d == "\n" || d == "\r":
		return bad("inputs.csv.delimiter", "%q cannot separate fields", d)
	}
	for i, v := range c.NullValues {
		if strings.ContainsAny(v, "\n\r") {
			return bad(fmt.Sprintf("inputs.csv.null_values[%d]", i), "%q spans lines", v)
		}
		c.NullValues[i] = strings.TrimSpace(v)
	}
	return nil
}

// Relational reports whether the inputs are the relational extracts.
func (in Inputs) Relational() bool {
	return in.Customers != "" || in.Loans != "" || in.Repayments != "" || in.Interactions != ""
}

// Target says which column holds the label and which value means bad.
type Target struct {
	Column string `yaml:"column,omitempty"`
	Bad    string `yaml:"bad,omitempty"`
}

// Split says how rows are assigned to the train, test and oot samples.
type Split struct {
	// Column marks rows train / test / oot by an existing column.
	Column string `yaml:"column,omitempty"`
	// Method is "column" (implied by Column), "random" or "time".
	Method       string  `yaml:"method,omitempty"`
	TestFraction float64 `yaml:"test_fraction,omitempty"`
	Seed         int64   `yaml:"seed,omitempty"`
	// OOTFrom starts the out-of-time sample, for method time.
	OOTFrom string `yaml:"oot_from,omitempty"`
	// Snapshots lists the as_of dates of the training snapshots built from relational
	// extracts (method time); empty means the job's as_of alone.
	Snapshots []string `yaml:"snapshots,omitempty"`
}

// Storage configures object-store access. Credentials never appear here: they come from the
// standard AWS chain.
type Storage struct {
	Endpoint string `yaml:"endpoint,omitempty"`
	Region   string `yaml:"region,omitempty"`
	SSE      string `yaml:"sse,omitempty"`
	KMSKeyID string `yaml:"kms_key_id,omitempty"`
}

// Features configures the customer feature table built from relational extracts.
type Features struct {
	PerformanceWindowMonths int `yaml:"performance_window_months,omitempty"`
	// Label adds the training label (bad, label_status) to a features job's table.
	Label bool `yaml:"label,omitempty"`
}

// Binning configures WOE binning.
type Binning struct {
	MaxBins       int                 `yaml:"max_bins,omitempty"`
	PreBins       int                 `yaml:"pre_bins,omitempty"`
	MinBinShare   float64             `yaml:"min_bin_share,omitempty"`
	MinBads       int                 `yaml:"min_bads,omitempty"`
	MinGoods      int                 `yaml:"min_goods,omitempty"`
	Monotonic     string              `yaml:"monotonic,omitempty"`
	Alpha         float64             `yaml:"alpha,omitempty"`
	SpecialValues []float64           `yaml:"special_values,omitempty"`
	Manual        map[string][]string `yaml:"manual,omitempty"`
	Categorical   []string            `yaml:"categorical,omitempty"`
}

// Selection configures variable selection.
type Selection struct {
	MinIV           float64 `yaml:"min_iv,omitempty"`
	MaxMissingShare float64 `yaml:"max_missing_share,omitempty"`
	MaxSingleShare  float64 `yaml:"max_single_share,omitempty"`
	MaxCorrelation  float64 `yaml:"max_correlation,omitempty"`
	MaxVIF          float64 `yaml:"max_vif,omitempty"`
	Stepwise        string  `yaml:"stepwise,omitempty"`  // "", forward, backward, both
	Criterion       string  `yaml:"criterion,omitempty"` // aic | pvalue
	MaxVariables    int     `yaml:"max_variables,omitempty"`
}

// Scaling configures points scaling.
type Scaling struct {
	PDO        float64 `yaml:"pdo,omitempty"`
	BasePoints float64 `yaml:"base_points,omitempty"`
	BaseOdds   float64 `yaml:"base_odds,omitempty"`
}

// Grades configures the master scale and the risk tiers.
type Grades struct {
	// PD upper bounds of the grades, best grade first; names in Names (default A, B, …).
	PDBounds []float64 `yaml:"pd_bounds,omitempty"`
	Names    []string  `yaml:"names,omitempty"`
	// Tiers: grades up to PrimeUpTo are prime; above HighRiskFrom are high_risk.
	PrimeMaxPD    float64 `yaml:"prime_max_pd,omitempty"`
	HighRiskMinPD float64 `yaml:"high_risk_min_pd,omitempty"`
}

// Segments configures customer segmentation.
type Segments struct {
	K        int      `yaml:"k,omitempty"`
	KMin     int      `yaml:"k_min,omitempty"`
	KMax     int      `yaml:"k_max,omitempty"`
	Features []string `yaml:"features,omitempty"`
	Restarts int      `yaml:"restarts,omitempty"`
	Refit    bool     `yaml:"refit,omitempty"`
}

// Warnings configures the early-warning flags of nightly runs.
type Warnings struct {
	ScoreDrop        int     `yaml:"score_drop,omitempty"`
	UtilisationAbove float64 `yaml:"utilisation_above,omitempty"`
	ComplaintDays    int     `yaml:"complaint_days,omitempty"`
	HighRiskTarget   float64 `yaml:"high_risk_target,omitempty"`
	SatisfactionDrop float64 `yaml:"satisfaction_drop,omitempty"`
}

// Security configures protections for exports.
type Security struct {
	// PseudonymiseIDs replaces customer_id by a keyed hash (HMAC-SHA256 with the key in the
	// environment variable named by PseudonymKeyEnv).
	PseudonymiseIDs bool   `yaml:"pseudonymise_ids,omitempty"`
	PseudonymKeyEnv string `yaml:"pseudonym_key_env,omitempty"`
}

// SpecError is a usage error in a job spec: the CLI exits with status 2 for it.
type SpecError struct {
	File string
	Key  string
	Msg  string
}

func (e *SpecError) Error() string {
	var b strings.Builder
	b.WriteString("job spec")
	if e.File != "" {
		b.WriteString(" " + e.File)
	}
	if e.Key != "" {
		b.WriteString(": " + e.Key)
	}
	b.WriteString(": " + e.Msg)
	return b.String()
}

// Load reads the job spec at path, applies the --set overrides (key=value, dotted keys) and
// the as_of date (overriding the spec's as_of when not empty), expands {{as_of}} in every
// string, fills defaults and validates the result.
func Load(path string, sets []string, asOf string) (*Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &SpecError{File: path, Msg: err.Error()}
	}
	return Parse(path, data, sets, asOf)
}

// Parse is Load for a spec already in memory; name is used in error messages.
func Parse(name string, data []byte, sets []string, asOf string) (*Spec, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, &SpecError{File: name, Msg: "not valid YAML: " + trimYAML(err)}
	}
	if root.Kind == 0 {
		return nil, &SpecError{File: name, Msg: "empty"}
	}
	doc := &root
	if doc.Kind == yaml.DocumentNode {
		doc = doc.Content[0]
	}
	if doc.Kind != yaml.MappingNode {
		return nil, &SpecError{File: name, Msg: "must be a mapping of keys to values"}
	}
	// Check the file as written first, so that errors carry the user's line numbers.
	if err := decodeStrict(data, new(Spec)); err != nil {
		return nil, decodeError(name, err, true)
	}
	for _, s := range sets {
		key, value, ok := strings.Cut(s, "=")
		if !ok || key == "" {
			return nil, &SpecError{File: name, Key: s, Msg: "--set wants key=value"}
		}
		if err := setPath(doc, strings.Split(key, "."), value); err != nil {
			return nil, &SpecError{File: name, Key: key, Msg: err.Error()}
		}
	}
	if asOf != "" {
		if err := setPath(doc, []string{"as_of"}, asOf); err != nil {
			return nil, &SpecError{File: name, Key: "as_of", Msg: err.Error()}
		}
	}
	merged, err := yaml.Marshal(doc)
	if err != nil {
		return nil, &SpecError{File: name, Msg: err.Error()}
	}
	var spec Spec
	if err := decodeStrict(merged, &spec); err != nil {
		return nil, decodeError(name, err, false)
	}
	if err := spec.normalise(); err != nil {
		var se *SpecError
		if errors.As(err, &se) {
			se.File = name
		}
		return nil, err
	}
	return &spec, nil
}

var (
	unknownField = regexp.MustCompile(`line (\d+): field (\S+) not found in type jobs\.(\w+)`)
	wrongType    = regexp.MustCompile("line (\\d+): cannot unmarshal !!(\\w+) `([^`]*)` into (\\S+)")
)

func decodeStrict(data []byte, v *Spec) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	return dec.Decode(v)
}

// decodeError turns yaml.v3's decoding errors into messages that name the key. Line numbers
// are given only for the file as written (inFile), not for values that came from --set.
func decodeError(name string, err error, inFile bool) error {
	msg := err.Error()
	where := func(line string) string {
		if inFile {
			return "line " + line
		}
		return "from --set"
	}
	if m := unknownField.FindStringSubmatch(msg); m != nil {
		key := m[2]
		if sec := sectionOf(m[3]); sec != "" {
			key = sec + "." + key
		}
		return &SpecError{File: name, Key: key, Msg: fmt.Sprintf("unknown key (%s)", where(m[1]))}
	}
	if m := wrongType.FindStringSubmatch(msg); m != nil {
		return &SpecError{File: name, Msg: fmt.Sprintf("%s: %q is a %s where %s is expected", where(m[1]), m[3], m[2], goTypeName(m[4]))}
	}
	return &SpecError{File: name, Msg: trimYAML(err)}
}

func sectionOf(goType string) string {
	switch goType {
	case "Spec":
		return ""
	case "Selection":
		return "selection"
	case "Band":
		return "thresholds.<figure>"
	case "CSVInput":
		return "inputs.csv"
	}
	return strings.ToLower(goType)
}

func goTypeName(t string) string {
	switch {
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case strings.HasPrefix(t, "map"):
		return "a mapping"
	case t == "int" || t == "int64":
		return "a whole number"
	case t == "float64":
		return "a number"
	case t == "bool":
		return "true or false"
	case t == "string":
		return "a string"
	}
	return "a mapping"
}

func trimYAML(err error) string {
	return strings.TrimPrefix(strings.TrimPrefix(err.Error(), "yaml: "), "unmarshal errors:\n  ")
}

// setPath sets the dotted key path in a mapping node to value, parsed as a YAML scalar or
// flow collection, creating mappings on the way.
func setPath(m *yaml.Node, path []string, value string) error {
	for i, k := range path {
		if k == "" {
			return errors.New("empty key segment")
		}
		var child *yaml.Node
		for j := 0; j+1 < len(m.Content); j += 2 {
			if m.Content[j].Value == k {
				child = m.Content[j+1]
				break
			}
		}
		last := i == len(path)-1
		if last {
			var v yaml.Node
			if err := yaml.Unmarshal([]byte(value), &v); err != nil || len(v.Content) == 0 {
				v = yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.ScalarNode, Tag: "!!str", Value: value}}}
			}
			nv := v.Content[0]
			if child != nil {
				*child = *nv
			} else {
				m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k}, nv)
			}
			return nil
		}
		if child == nil {
			child = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k}, child)
		}
		if child.Kind != yaml.MappingNode {
			return fmt.Errorf("%s is not a mapping", strings.Join(path[:i+1], "."))
		}
		m = child
	}
	return nil
}

// Validate fills the defaults of a spec built in code (as the score, backtest and evaluate
// commands do) and validates it like a parsed one.
func (s *Spec) Validate() error { return s.normalise() }

// AsOfDate returns the spec's as_of as a date (UTC midnight).
func (s *Spec) AsOfDate() time.Time {
	t, _ := time.Parse(time.DateOnly, s.AsOf)
	return t
}

func bad(key, format string, args ...any) error {
	return &SpecError{Key: key, Msg: fmt.Sprintf(format, args...)}
}

// normalise expands templates, fills defaults and validates the spec.
func (s *Spec) normalise() error {
	switch s.Kind {
	case KindTrain, KindScore, KindBacktest, KindNightly, KindFeatures:
	case "":
		return bad("kind", "missing (want train, score, backtest, nightly or features)")
	default:
		return bad("kind", "%q is not a job kind (want train, score, backtest, nightly or features)", s.Kind)
	}
	if s.Name == "" {
		return bad("name", "missing (the model name carried into every artifact)")
	}
	if !validName(s.Name) {
		return bad("name", "%q may hold only letters, digits, '-', '_' and '.'", s.Name)
	}
	if s.AsOf == "" && (s.Kind == KindNightly || s.Kind == KindFeatures) {
		s.AsOf = time.Now().UTC().Format(time.DateOnly)
	}
	if s.AsOf != "" {
		if _, err := time.Parse(time.DateOnly, s.AsOf); err != nil {
			return bad("as_of", "%q is not a date YYYY-MM-DD", s.AsOf)
		}
	}
	s.expand()

	if s.Output == "" {
		return bad("output", "missing (where the run is published)")
	}
	in := s.Inputs
	switch {
	case in.Table != "" && in.Relational():
		return bad("inputs", "give either table or the relational extracts, not both")
	case in.Table == "" && !in.Relational():
		return bad("inputs", "missing (want inputs.table, or inputs.customers, loans, repayments, interactions)")
	case in.Relational():
		for _, kv := range [][2]string{{"customers", in.Customers}, {"loans", in.Loans}, {"repayments", in.Repayments}, {"interactions", in.Interactions}} {
			if kv[1] == "" {
				return bad("inputs."+kv[0], "missing (relational inputs need customers, loans, repayments and interactions)")
			}
		}
	}
	if err := s.Inputs.CSV.validate(); err != nil {
		return err
	}
	if s.Kind == KindTrain {
		if in.Table != "" {
			if s.Target.Column == "" {
				return bad("target.column", "missing (the label column of the flat table)")
			}
			if s.Target.Bad == "" {
				return bad("target.bad", "missing (the value of %s that means bad)", s.Target.Column)
			}
		}
	}
	if s.Kind == KindBacktest && in.Table != "" && s.Target.Column != "" && s.Target.Bad == "" {
		return bad("target.bad", "missing (the value of %s that means bad)", s.Target.Column)
	}
	if s.Kind == KindScore || s.Kind == KindBacktest || s.Kind == KindNightly {
		if s.Model == "" {
			return bad("model", "missing (a train run's output or a scorecard.json)")
		}
	}
	if in.Relational() && s.AsOf == "" {
		return bad("as_of", "missing (relational extracts are read as of a date; set as_of or --as-of)")
	}
	if err := s.Split.normalise(s); err != nil {
		return err
	}
	if err := s.Binning.validate(); err != nil {
		return err
	}
	if err := s.Select.normalise(); err != nil {
		return err
	}
	if err := s.Scaling.normalise(); err != nil {
		return err
	}
	if err := s.Grades.validate(); err != nil {
		return err
	}
	if err := s.Segments.normalise(); err != nil {
		return err
	}
	s.Warnings.normalise()
	if s.Features.PerformanceWindowMonths == 0 {
		s.Features.PerformanceWindowMonths = 12
	}
	if s.Features.PerformanceWindowMonths < 1 || s.Features.PerformanceWindowMonths > 60 {
		return bad("features.performance_window_months", "%d is out of range (want 1 to 60)", s.Features.PerformanceWindowMonths)
	}
	switch s.Storage.SSE {
	case "", "AES256", "aws:kms":
	default:
		return bad("storage.sse", "%q is not AES256 or aws:kms", s.Storage.SSE)
	}
	if s.Storage.SSE == "aws:kms" && s.Storage.KMSKeyID == "" {
		return bad("storage.kms_key_id", "missing (storage.sse aws:kms needs a key id)")
	}
	if s.Security.PseudonymiseIDs && s.Security.PseudonymKeyEnv == "" {
		s.Security.PseudonymKeyEnv = "LENDSCORE_PSEUDONYM_KEY"
	}
	return nil
}

func validName(n string) bool {
	for _, r := range n {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// expand replaces {{as_of}} in every location of the spec.
func (s *Spec) expand() {
	r := strings.NewReplacer("{{as_of}}", s.AsOf, "{{ as_of }}", s.AsOf)
	for _, p := range []*string{&s.Inputs.Table, &s.Inputs.Customers, &s.Inputs.Loans, &s.Inputs.Repayments, &s.Inputs.Interactions, &s.Output, &s.Model} {
		*p = r.Replace(*p)
	}
}

func (sp *Split) normalise(s *Spec) error {
	if sp.Method == "" {
		switch {
		case sp.Column != "":
			sp.Method = "column"
		case s.Kind == KindTrain:
			sp.Method = "random"
		}
	}
	switch sp.Method {
	case "", "column":
		if sp.Method == "column" && sp.Column == "" {
			return bad("split.column", "missing (method column needs the column that marks train / test / oot)")
		}
	case "random":
		if sp.TestFraction == 0 {
			sp.TestFraction = 0.3
		}
		if sp.TestFraction <= 0 || sp.TestFraction >= 1 {
			return bad("split.test_fraction", "%v is impossible (want a fraction between 0 and 1)", sp.TestFraction)
		}
		if sp.Seed == 0 {
			sp.Seed = 42
		}
	case "time":
		if sp.OOTFrom == "" {
			return bad("split.oot_from", "missing (method time needs the first date of the out-of-time sample)")
		}
		if _, err := time.Parse(time.DateOnly, sp.OOTFrom); err != nil {
			return bad("split.oot_from", "%q is not a date YYYY-MM-DD", sp.OOTFrom)
		}
		if sp.Column == "" && !s.Inputs.Relational() {
			return bad("split.column", "missing (method time on a flat table needs its date column)")
		}
		for i, d := range sp.Snapshots {
			if _, err := time.Parse(time.DateOnly, d); err != nil {
				return bad("split.snapshots["+strconv.Itoa(i)+"]", "%q is not a date YYYY-MM-DD", d)
			}
		}
		if sp.TestFraction == 0 {
			sp.TestFraction = 0.3
		}
		if sp.Seed == 0 {
			sp.Seed = 42
		}
	default:
		return bad("split.method", "%q is not a split method (want column, random or time)", sp.Method)
	}
	return nil
}

func (b *Binning) validate() error {
	switch {
	case b.MaxBins < 0 || b.MaxBins == 1:
		return bad("binning.max_bins", "%d is impossible (want 2 or more)", b.MaxBins)
	case b.PreBins < 0:
		return bad("binning.pre_bins", "%d is impossible (want a positive number)", b.PreBins)
	case b.MinBinShare < 0 || b.MinBinShare >= 0.5:
		return bad("binning.min_bin_share", "%v is impossible (want a fraction below 0.5)", b.MinBinShare)
	case b.Alpha < 0 || b.Alpha >= 1:
		return bad("binning.alpha", "%v is impossible (want a significance level between 0 and 1)", b.Alpha)
	case b.MinBads < 0:
		return bad("binning.min_bads", "%d is negative", b.MinBads)
	case b.MinGoods < 0:
		return bad("binning.min_goods", "%d is negative", b.MinGoods)
	}
	switch b.Monotonic {
	case "", "auto", "ascending", "descending", "peak", "valley":
	default:
		return bad("binning.monotonic", "%q is not a trend (want auto, ascending, descending, peak or valley)", b.Monotonic)
	}
	return nil
}

func (s *Selection) normalise() error {
	if s.MinIV == 0 {
		s.MinIV = 0.02
	}
	if s.MaxMissingShare == 0 {
		s.MaxMissingShare = 0.95
	}
	if s.MaxSingleShare == 0 {
		s.MaxSingleShare = 0.95
	}
	if s.MaxCorrelation == 0 {
		s.MaxCorrelation = 0.7
	}
	if s.MaxVIF == 0 {
		s.MaxVIF = 10
	}
	switch {
	case s.MinIV < 0:
		return bad("selection.min_iv", "%v is negative", s.MinIV)
	case s.MaxMissingShare <= 0 || s.MaxMissingShare > 1:
		return bad("selection.max_missing_share", "%v is impossible (want a fraction in (0, 1])", s.MaxMissingShare)
	case s.MaxSingleShare <= 0 || s.MaxSingleShare > 1:
		return bad("selection.max_single_share", "%v is impossible (want a fraction in (0, 1])", s.MaxSingleShare)
	case s.MaxCorrelation <= 0 || s.MaxCorrelation > 1:
		return bad("selection.max_correlation", "%v is impossible (want a correlation in (0, 1])", s.MaxCorrelation)
	case s.MaxVIF < 1:
		return bad("selection.max_vif", "%v is impossible (a VIF is at least 1)", s.MaxVIF)
	case s.MaxVariables < 0:
		return bad("selection.max_variables", "%d is negative", s.MaxVariables)
	}
	switch s.Stepwise {
	case "", "none", "forward", "backward", "both":
	default:
		return bad("selection.stepwise", "%q is not a direction (want forward, backward or both)", s.Stepwise)
	}
	if s.Criterion == "" {
		s.Criterion = "aic"
	}
	if s.Criterion != "aic" && s.Criterion != "pvalue" {
		return bad("selection.criterion", "%q is not a criterion (want aic or pvalue)", s.Criterion)
	}
	return nil
}

func (s *Scaling) normalise() error {
	if s.PDO == 0 {
		s.PDO = 20
	}
	if s.BasePoints == 0 {
		s.BasePoints = 600
	}
	if s.BaseOdds == 0 {
		s.BaseOdds = 50
	}
	switch {
	case s.PDO <= 0:
		return bad("scaling.pdo", "%v is impossible (want points to double the odds > 0)", s.PDO)
	case s.BaseOdds <= 0:
		return bad("scaling.base_odds", "%v is impossible (want good:bad odds > 0)", s.BaseOdds)
	}
	return nil
}

func (g *Grades) validate() error {
	for i, b := range g.PDBounds {
		if b <= 0 || b > 1 {
			return bad("grades.pd_bounds", "%v is not a probability in (0, 1]", b)
		}
		if i > 0 && b <= g.PDBounds[i-1] {
			return bad("grades.pd_bounds", "must increase (%v after %v)", b, g.PDBounds[i-1])
		}
	}
	if len(g.Names) > 0 && len(g.Names) != len(g.PDBounds)+1 && len(g.PDBounds) > 0 {
		return bad("grades.names", "%d names for %d bounds (want one more name than bounds)", len(g.Names), len(g.PDBounds))
	}
	if g.PrimeMaxPD < 0 || g.PrimeMaxPD > 1 {
		return bad("grades.prime_max_pd", "%v is not a probability", g.PrimeMaxPD)
	}
	if g.HighRiskMinPD < 0 || g.HighRiskMinPD > 1 {
		return bad("grades.high_risk_min_pd", "%v is not a probability", g.HighRiskMinPD)
	}
	if g.PrimeMaxPD > 0 && g.HighRiskMinPD > 0 && g.PrimeMaxPD >= g.HighRiskMinPD {
		return bad("grades.prime_max_pd", "%v must be below grades.high_risk_min_pd %v", g.PrimeMaxPD, g.HighRiskMinPD)
	}
	return nil
}

func (s *Segments) normalise() error {
	if s.K < 0 || s.K == 1 {
		return bad("segments.k", "%d is impossible (want 2 or more, or 0 to choose by silhouette)", s.K)
	}
	if s.KMin == 0 {
		s.KMin = 3
	}
	if s.KMax == 0 {
		s.KMax = 8
	}
	if s.KMin < 2 || s.KMax < s.KMin {
		return bad("segments.k_min", "%d..%d is not a range of cluster counts from 2 up", s.KMin, s.KMax)
	}
	if s.Restarts == 0 {
		s.Restarts = 5
	}
	if s.Restarts < 1 {
		return bad("segments.restarts", "%d is impossible", s.Restarts)
	}
	return nil
}

func (w *Warnings) normalise() {
	if w.ScoreDrop == 0 {
		w.ScoreDrop = 30
	}
	if w.UtilisationAbove == 0 {
		w.UtilisationAbove = 0.9
	}
	if w.ComplaintDays == 0 {
		w.ComplaintDays = 30
	}
	if w.HighRiskTarget == 0 {
		w.HighRiskTarget = 0.10
	}
	if w.SatisfactionDrop == 0 {
		w.SatisfactionDrop = 1
	}
}
