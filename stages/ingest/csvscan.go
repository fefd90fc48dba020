package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// scanner splits CSV input (RFC 4180 with common leniencies) into records without
// allocating per record: fields are slices of its buffer, valid until the next call to
// next. Records end in \n or \r\n; blank lines are skipped; a field that starts with a
// double quote is quoted (it may hold delimiters, newlines and doubled quotes); a quote
// inside an unquoted field is an ordinary character. A UTF-8 byte order mark at the start is
// dropped.
type scanner struct {
	r     io.Reader
	delim byte

	buf        []byte
	start, end int // unconsumed input is buf[start:end]
	eof        bool
	started    bool

	fields  [][]byte
	scratch []byte // unescaped quoted fields
	record  []byte // raw bytes of the current record
	line    int64  // line on which the current record starts (1-based)
	nextAt  int64  // line on which the unconsumed input starts
	read    int64  // bytes read from r
}

const (
	scanBufSize = 1 << 20
	utf8BOM     = "\xef\xbb\xbf"
)

var errNeedMore = errors.New("need more input")

// errSyntax is a malformed-CSV error at a line.
type errSyntax struct {
	line int64
	msg  string
}

func (e *errSyntax) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }

func newScanner(r io.Reader, delim byte) *scanner {
	return &scanner{r: r, delim: delim, buf: make([]byte, scanBufSize), nextAt: 1}
}

// next reads the next record into s.fields; it returns io.EOF after the last one.
func (s *scanner) next() error {
	if !s.started {
		s.started = true
		for s.end-s.start < len(utf8BOM) && !s.eof {
			if err := s.fill(); err != nil {
				return err
			}
		}
		if bytes.HasPrefix(s.buf[s.start:s.end], []byte(utf8BOM)) {
			s.start += len(utf8BOM)
		}
		if s.delim == 0 {
			if err := s.detectDelimiter(); err != nil {
				return err
			}
		}
	}
	for {
		n, blank, lines, ok, err := s.parse(s.buf[s.start:s.end], s.eof)
		if err == errNeedMore {
			if err := s.fill(); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		s.record = s.buf[s.start : s.start+n]
		s.start += n
		s.line = s.nextAt + blank
		s.nextAt += blank + lines
		if !ok {
			return io.EOF
		}
		return nil
	}
}

// offset returns the position in r of the unconsumed input: where the next record (or the
// blank lines before it) begins.
func (s *scanner) offset() int64 { return s.read - int64(s.end-s.start) }

// fill reads more input, moving the unconsumed bytes to the front of the buffer and
// growing it when a record does not fit.
func (s *scanner) fill() error {
	if s.eof {
		return fmt.Errorf("internal: scanner asked for input after EOF")
	}
	if s.start > 0 {
		copy(s.buf, s.buf[s.start:s.end])
		s.end -= s.start
		s.start = 0
	}
	if s.end == len(s.buf) {
		nb := make([]byte, 2*len(s.buf))
		copy(nb, s.buf[:s.end])
		s.buf = nb
	}
	n, err := s.r.Read(s.buf[s.end:])
	s.end += n
	s.read += int64(n)
	if err == io.EOF {
		s.eof = true
		return nil
	}
	return err
}

// delimiters are the field separators a scanner without one chooses from, in order of
// preference when the header line holds as many of two.
var delimiters = [...]byte{',', ';', '\t', '|'}

// detectDelimiter sets s.delim to the most frequent of delimiters outside double quotes in
// the first line (a comma when the line holds none of them: a one-column file), reading
// until the line ends.
func (s *scanner) detectDelimiter() error {
	for {
		line, complete := firstLine(s.buf[s.start:s.end])
		if complete || s.eof {
			var counts [len(delimiters)]int
			quoted := false
			for _, c := range line {
				if c == '"' {
					quoted = !quoted
					continue
				}
				if quoted {
					continue
				}
				for k, d := range delimiters {
					if c == d {
						counts[k]++
					}
				}
			}
			best := 0
			for k := range counts {
				if counts[k] > counts[best] {
					best = k
				}
			}
			s.delim = delimiters[best]
			return nil
		}
		if err := s.fill(); err != nil {
			return err
		}
	}
}

// firstLine returns data up to its first line break outside double quotes, and whether
// there was one.
func firstLine(data []byte) ([]byte, bool) {
	quoted := false
	for i, c := range data {
		switch {
		case c == '"':
			quoted = !quoted
		case c == '\n' && !quoted:
			return data[:i], true
		}
	}
	return data, false
}

// parse splits the first record off data. It returns the bytes consumed, the blank lines
// skipped before the record, the line breaks within and after it, and whether there was a
// record; errNeedMore when data ends inside a record and more may come.
func (s *scanner) parse(data []byte, atEOF bool) (n int, blank, lines int64, ok bool, err error) {
	i := 0
	for {
		if i < len(data) && data[i] == '\n' {
			i++
			blank++
			continue
		}
		if i < len(data) && data[i] == '\r' {
			if i+1 < len(data) && data[i+1] == '\n' {
				i += 2
				blank++
				continue
			}
			if i+1 == len(data) && !atEOF {
				return 0, 0, 0, false, errNeedMore
			}
		}
		break
	}
	if i == len(data) {
		if !atEOF {
			return 0, 0, 0, false, errNeedMore
		}
		return i, blank, 0, false, nil
	}
	s.fields = s.fields[:0]
	s.scratch = s.scratch[:0]
	at := func() int64 { return s.nextAt + blank + lines }
	nl := -1 // index of the next '\n' at or after i, once looked up
	for {
		if i < len(data) && data[i] == '"' {
			j := i + 1
			escaped := false
			var q int
			for {
				k := bytes.IndexByte(data[j:], '"')
				if k < 0 {
					if atEOF {
						return 0, 0, 0, false, &errSyntax{line: at(), msg: "quoted field never ends (missing closing quote)"}
					}
					return 0, 0, 0, false, errNeedMore
				}
				q = j + k
				if q+1 < len(data) && data[q+1] == '"' {
					escaped = true
					j = q + 2
					continue
				}
				if q+1 == len(data) && !atEOF {
					return 0, 0, 0, false, errNeedMore
				}
				break
			}
			val := data[i+1 : q]
			inner := int64(bytes.Count(val, []byte{'\n'}))
			if escaped {
				from := len(s.scratch)
				s.scratch = appendUnquoted(s.scratch, val)
				val = s.scratch[from:]
			}
			s.fields = append(s.fields, val)
			lines += inner
			i = q + 1
			switch {
			case i == len(data):
				return i, blank, lines, true, nil
			case data[i] == s.delim:
				i++
				continue
			case data[i] == '\n':
				return i + 1, blank, lines + 1, true, nil
			case data[i] == '\r' && i+1 < len(data) && data[i+1] == '\n':
				return i + 2, blank, lines + 1, true, nil
			case data[i] == '\r' && i+1 == len(data):
				if !atEOF {
					return 0, 0, 0, false, errNeedMore
				}
				return i + 1, blank, lines, true, nil
			default:
				return 0, 0, 0, false, &errSyntax{line: at(), msg: fmt.Sprintf("unexpected %q after the closing quote of field %d", data[i], len(s.fields))}
			}
		}
		if nl < i {
			k := bytes.IndexByte(data[i:], '\n')
			switch {
			case k >= 0:
				nl = i + k
			case atEOF:
				nl = len(data)
			default:
				return 0, 0, 0, false, errNeedMore
			}
		}
		if k := bytes.IndexByte(data[i:nl], s.delim); k >= 0 {
			s.fields = append(s.fields, data[i:i+k])
			i += k + 1
			continue
		}
		f := data[i:nl]
		if len(f) > 0 && f[len(f)-1] == '\r' {
			f = f[:len(f)-1]
		}
		s.fields = append(s.fields, f)
		if nl < len(data) {
			return nl + 1, blank, lines + 1, true, nil
		}
		return nl, blank, lines, true, nil
	}
}

// appendUnquoted appends the content of a quoted field to dst, turning "" into ".
func appendUnquoted(dst, val []byte) []byte {
	for {
		k := bytes.IndexByte(val, '"')
		if k < 0 {
			return append(dst, val...)
		}
		dst = append(dst, val[:k+1]...)
		val = val[k+2:]
	}
}
