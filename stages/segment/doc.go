// Package segment divides customers into segments for CRM: k-means on standardised value
// and behaviour features of the customer feature table (package stages/features), with
// per-segment profiles, readable names, service tiers and a lifecycle stage per customer.
//
// # Use in runs
//
// A segmentation run fits a Model and stores it as model/segments.json (Marshal); nightly
// runs Load it and Assign customers to the same segments until the model is refitted:
//
//	m, err := segment.Fit(ctx, features, segment.Options{Seed: 1})  // K chosen in 3…8
//	data, err := m.Marshal()                                        // → model/segments.json
//	…
//	m, err := segment.Load(data)
//	seg, err := m.Assign(features)                                  // 1 … K per row
//	stage, err := m.Lifecycle(features)                             // per row
//	profiles, err := segment.Profile(features, seg, segment.Outcomes{Score: …, PD: …, Grade: …, Lifecycle: stage}, m)
//	name := m.Name(seg[i])                                          // segment_name of row i
//
// # Standardisation
//
// Each feature is standardised with the mean and population standard deviation of its
// finite training values: z = (t(x) − mean) / std. The heavy-tailed money columns of
// DefaultLog (monetary_12m, annual_income, total_balance, total_credit_limit,
// total_exposure, when they are features) are first transformed by t(x) = sign(x)·ln(1 + |x|),
// so that a few large customers do not take a segment each; other features use t(x) = x.
// A missing (NaN) or infinite value is imputed with the fitted mean, i.e. z = 0: it pulls
// the row towards no segment in particular. (A customer who never paid thus has an average
// recency_days; the frequency and monetary features, 0 for such a customer, carry the
// difference.) A constant feature gets std 1 and contributes nothing.
//
// # Clustering
//
// k-means (package models/kmeans): greedy k-means++ seeding, Options.Restarts runs (default
// 5) keeping the lowest inertia, a fixed Options.Seed. The centroids are fitted on a
// deterministic sample of Options.SampleRows rows (default 200,000) when there are more;
// every row is then assigned to its nearest centroid. With Options.K = 0 the number of
// segments is the k in [KMin, KMax] (default 3 … 8) with the highest mean silhouette on a
// sample of Options.SilhouetteSample rows (default 4,000). Same data and seed give the
// same model, byte for byte, for any GOMAXPROCS.
//
// # Canonical order
//
// k-means numbers its clusters arbitrarily; segments are renumbered 1 … K by descending
// value score (the trait below: the mean percentile of the segment's customers on the value
// columns), then by centroid coordinates in standardised units (ascending, feature by
// feature). Segment 1 is thus the most valuable one, and refits on similar data give the
// same numbers to the same kinds of customers unless two segments have nearly equal value.
//
// # Traits, names and tiers
//
// The traits of a segment are read at fit time from the rows the centroids were fitted on
// (all training rows up to Options.SampleRows, else that deterministic sample, which
// estimates a mean percentile to about ±0.002), with the columns named by Options.Roles (a
// role whose column is absent is skipped). Value,
// engagement and channel use percentiles, which are unaffected by the heavy tails and the
// many zeros of money columns: a customer's percentile on a column is the mid-rank of the
// value, (#lower + #lower-or-equal) / 2n, so the population's mean percentile is 0.5; a
// segment is high on a trait when its customers' mean percentile is at least 0.65
// (HighPercentile) and low when it is at most 0.35 (LowPercentile).
//
//   - value: the mean percentile over the value columns (monetary_12m, total_balance,
//     total_exposure): "high value", "mid value" or "low value".
//   - engagement: "dormant" when at least half of the segment's customers are dormant by
//     the lifecycle rules; otherwise the mean of the frequency_12m percentile and one minus
//     the recency_days percentile (a customer who never paid ranks with the longest
//     recency): "engaged" when high, "low activity" when low, nothing in between.
//   - channel: the mean percentile of digital_share_12m among the segment's customers who
//     have one (at least half of them must): "digital" when high, "branch" when low,
//     nothing in between.
//   - risk: with Options.PD, the segment's mean PD over the population's; otherwise the
//     share of customers with max_dpd_12m above 30 days over the population's: "low risk"
//     when the ratio is at most 0.5, "high risk" when at least 2, "medium risk" otherwise
//     (all "low risk" when nobody in the population is delinquent).
//
// The name joins the traits in that order, e.g. "high value, engaged, digital, low risk".
// Names are unique within a model: segments that read alike each get a qualifier naming
// the feature on which their centroid stands farthest from the mean of those segments'
// centroids, e.g. "(higher tenure)"; if two still read alike, or a name is empty, the
// segment number is appended.
//
// The service tier combines value and risk (see Tier): VIP for high value unless high
// risk; basic for high risk unless high value, and for low value with medium risk;
// standard otherwise. Names, traits and tiers are stored in the model, so a nightly run
// reports the names CRM systems know; Profile recomputes sizes, means and outcomes on the
// night's population under those names.
//
// # Lifecycle
//
// Lifecycle gives each customer a stage — new, dormant, declining, mature or active — by
// the first rule of LifecycleRules that holds: new below 6 months of tenure; dormant
// without a payment for more than 180 days (or ever); declining when the days since the
// last payment exceed both 45 and twice the customer's usual gap between payments (12
// months / frequency_12m), or, given a recent-frequency column such as frequency_3m, when
// the recent payment rate is below half the 12-month rate; mature from 60 months of
// tenure; active otherwise.
package segment
