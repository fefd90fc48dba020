// Package e2e holds the end-to-end tests of lendscore: they build ./cmd/lendscore once and
// run the real binary, as a scheduler would, against local disk and against a real MinIO
// server (internal/miniotest), through a fault-injecting proxy (internal/faultproxy) where
// the store should look unreliable.
//
// What they prove:
//
//   - object-store faults (500, 503 SlowDown, connection resets, slow and truncated
//     responses) at a 10% rate are ridden out by retries, and the published outputs equal
//     those of a fault-free run; at 100% a job fails with exit status 1, names the stage
//     and the location, publishes nothing and leaves no multipart upload open;
//   - a run killed with SIGKILL at any point (every stage, inside publishing, between the
//     manifest and latest.json) leaves latest.json naming the previous complete run, whose
//     every listed file is intact, and a rerun of the same as_of gives the same outputs;
//     SIGTERM stops a run within seconds, with status 1, and publishes nothing;
//   - credentials (access key, secret key, session token) never appear in anything the
//     process writes or publishes.
//
// The package has no non-test code; this file carries its documentation.
package e2e
