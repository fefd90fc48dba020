package storage

import (
	"context"
	"errors"
)

// S3 is the Store of an S3-compatible object store.
type S3 struct{}

// NewS3 returns an S3 store configured by the standard AWS chain and opts.
func NewS3(ctx context.Context, opts Options) (*S3, error) {
	return nil, errors.New("s3 support is not built yet")
}

// Stat implements Store.
func (s *S3) Stat(ctx context.Context, loc Location) (Object, error) {
	return Object{}, errors.ErrUnsupported
}

// List implements Store.
func (s *S3) List(ctx context.Context, prefix Location) ([]Object, error) {
	return nil, errors.ErrUnsupported
}

// Open implements Store.
func (s *S3) Open(ctx context.Context, loc Location) (Reader, error) {
	return nil, errors.ErrUnsupported
}

// Create implements Store.
func (s *S3) Create(ctx context.Context, loc Location) (Writer, error) {
	return nil, errors.ErrUnsupported
}

// Delete implements Store.
func (s *S3) Delete(ctx context.Context, loc Location) error { return errors.ErrUnsupported }
