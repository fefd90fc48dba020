// Package kmeans clusters points with k-means: k-means++ seeding, Lloyd iterations to
// convergence and several restarts that keep the lowest inertia, plus the silhouette
// coefficient on a sample and a choice of k by silhouette.
//
// # Data
//
// Points are rows of a flat row-major []float64 with d columns: row i is x[i*d : (i+1)*d].
// Every value must be finite; standardise and impute before clustering (package
// stages/segment does).
//
// # Algorithm
//
// Seeding is greedy k-means++ (Arthur and Vassilvitskii 2007, with the 2 + ⌊ln k⌋ local
// trials per centre that scikit-learn uses): the first centre is a uniformly drawn row; each
// next centre is the best, by the resulting inertia, of several rows drawn with probability
// proportional to their squared distance to the nearest chosen centre. Lloyd iterations then
// alternate assigning every row to its nearest centroid (ties go to the lowest index) and
// moving each centroid to the mean of its rows. They stop when no row changes cluster, when
// the summed squared centroid shift is at most Tolerance times the mean variance of the
// columns (scikit-learn's rule), or after MaxIterations. Each of Restarts runs seeds afresh;
// the run with the lowest inertia is kept (ties: the earliest).
//
// Empty clusters. When an update leaves a cluster without rows, it is re-seeded with the row
// farthest from its own centroid, taken from a cluster that keeps at least one row (several
// empty clusters take the farthest rows in turn; ties: the lowest row index). When every row
// sits exactly on its centroid, as happens when the data hold fewer than k distinct points,
// there is nothing to gain: the surplus clusters stay empty, keep their centroid (a copy of
// a data point from seeding) and report size 0. Assign never returns them, as ties go to
// the lowest index.
//
// # Sampling
//
// Fit computes the centroids on a deterministic sample of Options.SampleRows rows (200,000
// by default) when there are more rows: the centroids of k-means on a random sample of that
// size differ from those on all rows by far less than their sampling noise matters for
// segmentation, and fitting stays a matter of seconds for ten million rows. Sizes and
// Inertia of the returned model are then computed over all rows, with one assignment pass.
// Sample draws the rows (selection sampling, Knuth's Algorithm S, so indices come out
// sorted).
//
// # Determinism
//
// A fixed Options.Seed gives the same model bit for bit for any GOMAXPROCS and Workers:
// random numbers come from math/rand/v2 PCG streams derived from the seed (one per k and
// restart, one for sampling), rows are processed in fixed chunks of 4,096 whose partial sums
// are added in chunk order, and every choice breaks ties by the lowest index.
package kmeans
