package gen

import "time"

// Dates are days since 1970-01-01 (Arrow date32), computed with Howard Hinnant's civil
// calendar algorithms: exact for the proleptic Gregorian calendar and much cheaper per row
// than time.Date.

// dayOf returns the date32 value of the calendar date y-m-d.
func dayOf(y, m, d int) int32 {
	if m <= 2 {
		y--
	}
	era := y
	if era < 0 {
		era -= 399
	}
	era /= 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int32(era*146097 + doe - 719468)
}

// civil returns the calendar date of a date32 value.
func civil(day int32) (y, m, d int) {
	z := int(day) + 719468
	era := z
	if era < 0 {
		era -= 146096
	}
	era /= 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	if mp < 10 {
		m = mp + 3
	} else {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

// monthOf returns the month number (year*12 + month-1) of a date32 value.
func monthOf(day int32) int {
	y, m, _ := civil(day)
	return y*12 + m - 1
}

// dayIn returns the date32 value of day dom (1–28, valid in every month) of month number mon.
func dayIn(mon, dom int) int32 {
	return dayOf(mon/12, mon%12+1, dom)
}

// dateOf converts a time to its UTC calendar date.
func dateOf(t time.Time) int32 {
	y, m, d := t.UTC().Date()
	return dayOf(y, int(m), d)
}

// appendDate appends the ISO form YYYY-MM-DD of a date32 value.
func appendDate(b []byte, day int32) []byte {
	y, m, d := civil(day)
	b = appendPadded(b, int64(y), 4)
	b = append(b, '-')
	b = appendPadded(b, int64(m), 2)
	b = append(b, '-')
	return appendPadded(b, int64(d), 2)
}

// appendPadded appends v (≥ 0) in decimal, zero-padded to width digits.
func appendPadded(b []byte, v int64, width int) []byte {
	var buf [20]byte
	i := len(buf)
	for v > 0 || i > len(buf)-width {
		i--
		buf[i] = byte('0' + v%10)
		v /= 10
	}
	return append(b, buf[i:]...)
}

const msPerDay = 86_400_000
