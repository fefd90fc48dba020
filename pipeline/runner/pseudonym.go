package runner

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"

	"lendscore/jobs"
)

// pseudonymiser replaces customer ids by a keyed hash for exports outside production:
// HMAC-SHA256 under a secret key, hex-encoded, first 32 characters (128 bits). The same key
// gives the same pseudonym for an id in every run, so nightly comparisons still work; without
// the key the id cannot be recovered or confirmed.
type pseudonymiser struct{ key []byte }

// newPseudonymiser returns nil when the spec does not ask for pseudonyms, and an error when it
// does but the key's environment variable is empty. The key itself is never logged.
func newPseudonymiser(spec *jobs.Spec) (*pseudonymiser, error) {
	if !spec.Security.PseudonymiseIDs {
		return nil, nil
	}
	key := os.Getenv(spec.Security.PseudonymKeyEnv)
	if len(key) < 16 {
		return nil, fmt.Errorf("security.pseudonymise_ids: the key in $%s is missing or shorter than 16 bytes", spec.Security.PseudonymKeyEnv)
	}
	return &pseudonymiser{key: []byte(key)}, nil
}

// ids returns the pseudonyms of ids (ids itself when p is nil).
func (p *pseudonymiser) ids(ids []string) []string {
	if p == nil {
		return ids
	}
	out := make([]string, len(ids))
	m := hmac.New(sha256.New, p.key)
	for i, id := range ids {
		m.Reset()
		m.Write([]byte(id))
		out[i] = hex.EncodeToString(m.Sum(nil))[:32]
	}
	return out
}
