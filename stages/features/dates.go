package features

import (
	"math"
	"time"
)

// Dates are handled as day numbers: days since 1970-01-01 (UTC), the representation of an
// Arrow date32. A timestamp belongs to the UTC calendar day it falls on.

// noDate stands for a missing date (an unpaid instalment's paid_date, a missing birth date):
// it compares after every real date.
const noDate int32 = math.MaxInt32

const msPerDay = 86_400_000

// dayOf returns the day number of t's UTC calendar date.
func dayOf(t time.Time) int32 {
	y, m, d := t.UTC().Date()
	return civilDay(y, m, d)
}

// civilDay returns the day number of a calendar date.
func civilDay(y int, m time.Month, d int) int32 {
	return int32(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// dayTime returns the UTC midnight of day number d.
func dayTime(d int32) time.Time {
	return time.Unix(int64(d)*86400, 0).UTC()
}

// floorDiv divides rounding towards minus infinity (timestamps before 1970 stay on their
// own day).
func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// addMonths moves day d by n calendar months. A day of month that does not exist in the
// target month is clamped to its last day: 2024-03-31 minus one month is 2024-02-29.
func addMonths(d int32, n int) int32 {
	y, m, dd := dayTime(d).Date()
	total := y*12 + int(m-1) + n
	ny := int(floorDiv(int64(total), 12))
	nm := time.Month(total - ny*12 + 1)
	if last := daysIn(ny, nm); dd > last {
		dd = last
	}
	return civilDay(ny, nm, dd)
}

// daysIn returns the number of days of month m of year y.
func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// wholeMonths returns the number of whole calendar months from day from to day to: the
// largest k ≥ 0 with addMonths(from, k) ≤ to. It is 0 when to is before from.
func wholeMonths(from, to int32) int {
	if to <= from {
		return 0
	}
	fy, fm, _ := dayTime(from).Date()
	ty, tm, _ := dayTime(to).Date()
	k := (ty-fy)*12 + int(tm-fm)
	if addMonths(from, k) > to {
		k--
	}
	return k
}
