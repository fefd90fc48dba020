package segment

import (
	"testing"

	"github.com/apache/arrow/go/v17/arrow"

	"lendscore/stages/features"
)

// TestDefaultsAreFeatureTableColumns: every default column name is a float64 column of
// the feature table with its default options, so the defaults cannot drift from it.
func TestDefaultsAreFeatureTableColumns(t *testing.T) {
	schema, err := features.FeatureSchema(features.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r, l := DefaultRoles(), DefaultLifecycleRules()
	lists := map[string][]string{
		"features":   DefaultFeatures(),
		"log":        DefaultLog(),
		"impute max": DefaultImputeMax(),
		"roles":      append(r.Value, r.Frequency, r.Recency, r.Digital, r.Delinquency),
		"lifecycle":  {l.Tenure, l.Recency, l.Frequency},
	}
	for what, names := range lists {
		for _, name := range names {
			f, ok := schema.FieldsByName(name)
			if !ok || f[0].Type.ID() != arrow.FLOAT64 {
				t.Errorf("%s: %s is not a numeric column of the feature table", what, name)
			}
		}
	}
	if l.WindowMonths != features.DefaultWindow {
		t.Errorf("lifecycle window %v months, feature window %d", l.WindowMonths, features.DefaultWindow)
	}
}
