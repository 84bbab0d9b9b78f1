package tabular

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// FuzzReadXLSX feeds damaged and odd workbooks to the reader: it must never panic, and rows it returns must have
// increasing line numbers.
func FuzzReadXLSX(f *testing.F) {
	var buf bytes.Buffer
	if err := WriteXLSX(&buf, Sheet{Header: []string{"名称", "身份证号"}, Rows: [][]string{{"向明德", "500237198003150012"}, {"", ""}, {"冉春秋", "x"}}}); err != nil {
		f.Fatal(err)
	}
	good := buf.Bytes()
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte("PK\x03\x04garbage"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Open(bytes.NewReader(data), "f.xlsx")
		if err != nil {
			return
		}
		defer r.Close()
		last := 0
		for i := 0; i < 10000; i++ {
			row, err := r.Next()
			if errors.Is(err, io.EOF) || err != nil {
				return
			}
			if row.Line <= last {
				t.Fatalf("line %d after %d", row.Line, last)
			}
			last = row.Line
		}
	})
}
