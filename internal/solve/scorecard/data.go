package scorecard

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Kind is how a variable is binned: numeric variables by value ranges, categorical ones by levels.
type Kind int

const (
	Numeric Kind = iota
	Categorical
)

func (k Kind) String() string {
	if k == Categorical {
		return "categorical"
	}
	return "numeric"
}

// MarshalJSON writes the kind as "numeric" or "categorical".
func (k Kind) MarshalJSON() ([]byte, error) { return json.Marshal(k.String()) }

// UnmarshalJSON reads "numeric" or "categorical".
func (k *Kind) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	switch s {
	case "numeric":
		*k = Numeric
	case "categorical":
		*k = Categorical
	default:
		return fmt.Errorf("scorecard: unknown variable kind %q", s)
	}
	return nil
}

// Column is one explanatory variable of a Dataset. Str holds the trimmed raw values ("" = missing) for every kind —
// except that a numeric column built in code may leave Str nil (saves a string per value on large data);
// Num holds the parsed values of a numeric column (NaN = missing) and is nil for a categorical one.
type Column struct {
	Name string
	Kind Kind
	Str  []string
	Num  []float64
}

// Dataset is a table of applicants: explanatory columns and the outcome (Bad[i] is true for a bad record).
type Dataset struct {
	Target   string // name of the outcome column in the source file
	BadValue string // the outcome value that means "bad"
	Columns  []Column
	Bad      []bool
}

// Len is the number of records.
func (d Dataset) Len() int { return len(d.Bad) }

// Counts returns the number of good and bad records.
func (d Dataset) Counts() (good, bad int) {
	for _, b := range d.Bad {
		if b {
			bad++
		} else {
			good++
		}
	}
	return good, bad
}

// Subset returns the records at idx (in that order). Columns share no memory with d.
func (d Dataset) Subset(idx []int) Dataset {
	s := Dataset{Target: d.Target, BadValue: d.BadValue, Columns: make([]Column, len(d.Columns)), Bad: make([]bool, len(idx))}
	for j, c := range d.Columns {
		nc := Column{Name: c.Name, Kind: c.Kind}
		if c.Str != nil {
			nc.Str = make([]string, len(idx))
		}
		if c.Num != nil {
			nc.Num = make([]float64, len(idx))
		}
		for k, i := range idx {
			if c.Str != nil {
				nc.Str[k] = c.Str[i]
			}
			if c.Num != nil {
				nc.Num[k] = c.Num[i]
			}
		}
		s.Columns[j] = nc
	}
	for k, i := range idx {
		s.Bad[k] = d.Bad[i]
	}
	return s
}

// Record returns record i as raw values by column name (missing values are left out).
func (d Dataset) Record(i int) Record {
	r := make(Record, len(d.Columns))
	for _, c := range d.Columns {
		switch {
		case c.Str != nil && c.Str[i] != "":
			r[c.Name] = c.Str[i]
		case c.Str == nil && c.Num != nil && !math.IsNaN(c.Num[i]):
			r[c.Name] = formatNum(c.Num[i])
		}
	}
	return r
}

// SetKind changes how column name is treated, e.g. numeric-looking codes that are really categories. Values that
// do not parse as numbers become missing when a column is made numeric.
func (d *Dataset) SetKind(name string, kind Kind) error {
	for j := range d.Columns {
		c := &d.Columns[j]
		if c.Name != name {
			continue
		}
		c.Kind = kind
		if kind == Categorical {
			c.Num = nil
			return nil
		}
		c.Num = make([]float64, len(c.Str))
		for i, s := range c.Str {
			c.Num[i] = parseNumber(s)
		}
		return nil
	}
	return fmt.Errorf("scorecard: no column %q", name)
}

// Record is one applicant's raw values by column name, as read from a file or a form. A missing key, an empty value
// or a missing-value marker (NA, NULL, ?, …) counts as missing.
type Record map[string]string

// missing reports whether a raw value stands for "no value".
func missing(s string) bool {
	switch strings.ToLower(s) {
	case "", "na", "n/a", "nan", "null", "none", "?":
		return true
	}
	return false
}

// parseNumber parses a numeric cell; missing or unparseable cells give NaN.
func parseNumber(s string) float64 {
	if missing(s) {
		return math.NaN()
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) {
		return math.NaN()
	}
	return v
}

// isNumber reports whether a present cell is a finite number.
func isNumber(s string) bool {
	v, err := strconv.ParseFloat(s, 64)
	return err == nil && !math.IsNaN(v) && !math.IsInf(v, 0)
}

// ErrNoData is returned for input without a header or without records.
var ErrNoData = errors.New("scorecard: no data")

// ReadCSV reads a table with a header row. The delimiter (comma, semicolon or tab) is taken from the header line; a
// UTF-8 byte order mark is skipped; blank lines are ignored; every record must have as many fields as the header.
// The columns are then taken as by FromRows.
func ReadCSV(r io.Reader, target, bad string) (Dataset, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return Dataset{}, err
	}
	raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
	cr := csv.NewReader(bytes.NewReader(raw))
	cr.Comma = sniffComma(raw)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err == io.EOF {
		return Dataset{}, ErrNoData
	}
	if err != nil {
		return Dataset{}, fmt.Errorf("scorecard: header: %w", err)
	}
	var rows [][]string
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return Dataset{}, fmt.Errorf("scorecard: %w", err)
		}
		if len(rec) != len(header) {
			line, _ := cr.FieldPos(0)
			return Dataset{}, fmt.Errorf("scorecard: line %d has %d fields, the header has %d", line, len(rec), len(header))
		}
		rows = append(rows, rec)
	}
	return FromRows(header, rows, target, bad)
}

// FromRows builds a Dataset from a header and rows of cells (e.g. a spreadsheet read elsewhere). Cells are trimmed;
// a row shorter than the header is padded with missing values, a longer one is an error. Column target holds the
// outcome, and records whose outcome equals bad (after trimming) are the bad ones; every other outcome value is
// good, and a missing outcome is an error. Every other column is numeric if all its present values are finite
// numbers, else categorical; missing values (empty, NA, NULL, ?, …) are kept and binned on their own.
func FromRows(header []string, rows [][]string, target, bad string) (Dataset, error) {
	if len(header) == 0 {
		return Dataset{}, ErrNoData
	}
	names := make([]string, len(header))
	seen := make(map[string]bool, len(header))
	ti := -1
	for j, h := range header {
		h = strings.TrimSpace(h)
		if h == "" {
			return Dataset{}, fmt.Errorf("scorecard: header column %d has no name", j+1)
		}
		if seen[h] {
			return Dataset{}, fmt.Errorf("scorecard: header column %q appears twice", h)
		}
		seen[h] = true
		names[j] = h
		if h == strings.TrimSpace(target) {
			ti = j
		}
	}
	if ti < 0 {
		return Dataset{}, fmt.Errorf("scorecard: no target column %q in the header", target)
	}
	if len(rows) == 0 {
		return Dataset{}, ErrNoData
	}
	bad = strings.TrimSpace(bad)
	d := Dataset{Target: names[ti], BadValue: bad, Bad: make([]bool, len(rows))}
	cols := make([][]string, len(names))
	for j := range cols {
		if j != ti {
			cols[j] = make([]string, len(rows))
		}
	}
	for i, rec := range rows {
		if len(rec) > len(names) {
			return Dataset{}, fmt.Errorf("scorecard: record %d has %d fields, the header has %d", i+1, len(rec), len(names))
		}
		t := ""
		if ti < len(rec) {
			t = strings.TrimSpace(rec[ti])
		}
		if missing(t) {
			return Dataset{}, fmt.Errorf("scorecard: record %d has no value in the target column %q", i+1, names[ti])
		}
		d.Bad[i] = t == bad
		for j, v := range rec {
			if j == ti {
				continue
			}
			if v = strings.TrimSpace(v); !missing(v) {
				cols[j][i] = v
			}
		}
	}
	for j, name := range names {
		if j == ti {
			continue
		}
		c := Column{Name: name, Str: cols[j], Kind: Numeric}
		for _, v := range c.Str {
			if v != "" && !isNumber(v) {
				c.Kind = Categorical
				break
			}
		}
		if c.Kind == Numeric {
			c.Num = make([]float64, len(c.Str))
			for i, v := range c.Str {
				c.Num[i] = parseNumber(v)
			}
		}
		d.Columns = append(d.Columns, c)
	}
	return d, nil
}

// sniffComma picks the delimiter that occurs most often on the first non-blank line (comma on a tie).
func sniffComma(raw []byte) rune {
	for len(raw) > 0 {
		line := raw
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			line, raw = raw[:i], raw[i+1:]
		} else {
			raw = nil
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		best, n := ',', bytes.Count(line, []byte{','})
		for _, c := range []rune{';', '\t'} {
			if m := bytes.Count(line, []byte(string(c))); m > n {
				best, n = c, m
			}
		}
		return best
	}
	return ','
}
