package storage

import (
	"context"
	"fmt"
	"sync"
)

// Options configure access to object stores. The zero value uses the standard AWS
// configuration chain for S3.
type Options struct {
	// Endpoint overrides the S3 endpoint (an S3-compatible store such as MinIO). When empty,
	// AWS_ENDPOINT_URL_S3 (then AWS_ENDPOINT_URL) applies, as in the AWS SDK. A custom
	// endpoint implies path-style addressing.
	Endpoint string
	// Region overrides the region of the configuration chain (default us-east-1 when none).
	Region string
	// SSE asks for server-side encryption of every write: "" (none), "AES256" (SSE-S3) or
	// "aws:kms" (SSE-KMS, with KMSKeyID).
	SSE      string
	KMSKeyID string
}

// Stores hands out the Store for a location, creating each store once. It is safe for
// concurrent use.
type Stores struct {
	opts Options
	mu   sync.Mutex
	s3   *S3
}

// NewStores returns a Stores configured with opts.
func NewStores(opts Options) *Stores { return &Stores{opts: opts} }

// For returns the Store that holds loc.
func (s *Stores) For(ctx context.Context, loc Location) (Store, error) {
	switch loc.Scheme {
	case SchemeFile:
		return Local{}, nil
	case SchemeS3:
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.s3 == nil {
			st, err := NewS3(ctx, s.opts)
			if err != nil {
				return nil, fmt.Errorf("s3 store: %w", err)
			}
			s.s3 = st
		}
		return s.s3, nil
	}
	return nil, fmt.Errorf("location %s: unsupported scheme %q", loc, loc.Scheme)
}
