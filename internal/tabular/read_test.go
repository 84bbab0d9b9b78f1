package tabular

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

func mustReadAll(t *testing.T, data []byte, filename string) ([]string, []Row) {
	t.Helper()
	h, rows, err := ReadAll(bytes.NewReader(data), filename)
	if err != nil {
		t.Fatalf("ReadAll(%s): %v", filename, err)
	}
	return h, rows
}

func gb18030(t *testing.T, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(b, []byte(s)) {
		t.Fatal("test setup: GB18030 bytes equal UTF-8 bytes")
	}
	return b
}

func checkRows(t *testing.T, got []Row, want []Row) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rows:\n got %+v\nwant %+v", got, want)
	}
}

const sampleCSV = "姓名,身份证号,手机号\n张三,11010519491231002X,13800138000\n李四,110101199003077774,13912345678\n"

var sampleHeader = []string{"姓名", "身份证号", "手机号"}
var sampleRows = []Row{
	{Line: 2, Cells: []string{"张三", "11010519491231002X", "13800138000"}},
	{Line: 3, Cells: []string{"李四", "110101199003077774", "13912345678"}},
}

func TestCSVEncodings(t *testing.T) {
	utf16le, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes([]byte(strings.ReplaceAll(sampleCSV, ",", "\t")))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data []byte
	}{
		{"utf8", []byte(sampleCSV)},
		{"utf8-bom", append([]byte("\xEF\xBB\xBF"), sampleCSV...)},
		{"gb18030", gb18030(t, sampleCSV)},
		{"gb18030-crlf", gb18030(t, strings.ReplaceAll(sampleCSV, "\n", "\r\n"))},
		{"tab", []byte(strings.ReplaceAll(sampleCSV, ",", "\t"))},
		{"semicolon", []byte(strings.ReplaceAll(sampleCSV, ",", ";"))},
		{"utf16le-bom-tab", utf16le},
		{"no-trailing-newline", []byte(strings.TrimSuffix(sampleCSV, "\n"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, rows := mustReadAll(t, tt.data, tt.name+".csv")
			if !reflect.DeepEqual(h, sampleHeader) {
				t.Errorf("header %q", h)
			}
			checkRows(t, rows, sampleRows)
		})
	}
}

// A GB18030 file whose first 64 KiB are pure ASCII must still be detected.
func TestCSVGB18030AfterLongASCIIPrefix(t *testing.T) {
	var sb strings.Builder
	sb.WriteString("id,name\n")
	for i := 0; sb.Len() < 100<<10; i++ {
		fmt.Fprintf(&sb, "%d,user%d\n", i, i)
	}
	n := strings.Count(sb.String(), "\n")
	sb.WriteString("99999,王小明\n")
	_, rows := mustReadAll(t, gb18030(t, sb.String()), "big.csv")
	last := rows[len(rows)-1]
	if last.Line != n+1 || last.Get(1) != "王小明" {
		t.Errorf("last row %+v, want line %d 王小明", last, n+1)
	}
}

// A UTF-8 file with a stray invalid byte is still UTF-8, not GB18030.
func TestCSVMostlyUTF8(t *testing.T) {
	data := []byte("姓名,地址\n张三,福建省福州市鼓楼区\xff五一路\n")
	_, rows := mustReadAll(t, data, "a.csv")
	if got := rows[0].Get(1); got != "福建省福州市鼓楼区\ufffd五一路" {
		t.Errorf("got %q", got)
	}
}

func TestCSVNormalisationAndLines(t *testing.T) {
	data := "\n" + // line 1 blank: header is line 2
		"　姓名* ,身份证号（必填）,*手机号,备注(必填)\n" +
		"张　三,５００２３７１９９００１０１００１ｘ,１３８ ００１３ ８０００,\u00a0ＡＢＣ\u00a0\n" + // line 3
		"\n" + // 4
		",,,\n" + // 5: delimiters only
		"   ,\u3000, ,\n" + // 6: white space only
		"王五,\"多行\n备注\",,\n" + // 7-8: quoted line break
		"赵六,x\n" + // 9
		"\r\n" + // 10
		"钱七,,,,,\n" // 11: trailing empties trimmed
	h, rows := mustReadAll(t, []byte(data), "n.csv")
	if want := []string{"姓名", "身份证号", "手机号", "备注"}; !reflect.DeepEqual(h, want) {
		t.Errorf("header %q, want %q", h, want)
	}
	checkRows(t, rows, []Row{
		{Line: 3, Cells: []string{"张 三", "50023719900101001x", "138 0013 8000", "ABC"}},
		{Line: 7, Cells: []string{"王五", "多行 备注"}},
		{Line: 9, Cells: []string{"赵六", "x"}},
		{Line: 11, Cells: []string{"钱七"}},
	})
}

func TestCSVSepDirective(t *testing.T) {
	h, rows := mustReadAll(t, []byte("sep=;\r\na;b,c\r\n1;2,3\r\n"), "s.csv")
	if !reflect.DeepEqual(h, []string{"a", "b,c"}) {
		t.Errorf("header %q", h)
	}
	checkRows(t, rows, []Row{{Line: 3, Cells: []string{"1", "2,3"}}})
}

func TestCSVLazyQuotesAndRagged(t *testing.T) {
	h, rows := mustReadAll(t, []byte("a,b\n1,2 \"inch\",3\n\"x\"\"y\",\"z\n"), "q.csv")
	if len(h) != 2 {
		t.Errorf("header %q", h)
	}
	if len(rows) != 2 || rows[0].Get(1) != `2 "inch"` || rows[0].Get(2) != "3" || rows[1].Get(0) != `x"y` {
		t.Errorf("rows %+v", rows)
	}
}

func TestDetectDelimiter(t *testing.T) {
	tests := []struct {
		in   string
		want rune
	}{
		{"a,b,c\n", ','},
		{"a\tb\tc\n", '\t'},
		{"a;b;c\n", ';'},
		{"\"a,b\";c\n", ';'},
		{"\n\n,,\nname\tid\n", '\t'},
		{"single\n", ','},
		{"", ','},
		{"a\tb,c\td\n", '\t'},
	}
	for _, tt := range tests {
		if got, _ := detectDelimiter([]byte(tt.in)); got != tt.want {
			t.Errorf("detectDelimiter(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	tests := []struct {
		name, data, sub string
	}{
		{"empty.csv", "", "没有任何数据"},
		{"blank.csv", "\n \n,,\n\u3000\n", "没有任何数据"},
		{"old.xls", "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\x00\x00", ".xls"},
		{"export.xls", "\xEF\xBB\xBF  <html><table><tr><td>1</td></tr></table></html>", "HTML"},
		{"broken.xlsx", "PK\x03\x04garbage", "无法解析"},
	}
	for _, tt := range tests {
		_, _, err := ReadAll(strings.NewReader(tt.data), tt.name)
		if err == nil || !strings.Contains(err.Error(), tt.sub) || !strings.Contains(err.Error(), tt.name) {
			t.Errorf("%s: err = %v, want containing %q and the file name", tt.name, err, tt.sub)
		}
	}
	_, _, err := ReadAll(strings.NewReader(""), "e.csv")
	if !errors.Is(err, ErrEmpty) {
		t.Errorf("empty file: %v is not ErrEmpty", err)
	}
}

func TestReaderStreaming(t *testing.T) {
	r, err := Open(strings.NewReader(sampleCSV), "")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if !reflect.DeepEqual(r.Header(), sampleHeader) {
		t.Errorf("header %q", r.Header())
	}
	var got []Row
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, row)
	}
	checkRows(t, got, sampleRows)
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("Next after EOF: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Error(err)
	}
	if err := r.Close(); err != nil {
		t.Error("second Close:", err)
	}
}

func TestIsMostlyUTF8(t *testing.T) {
	cut := []byte("ab中")
	cut = cut[:len(cut)-1] // rune cut by the window end
	tests := []struct {
		in    []byte
		atEOF bool
		want  bool
	}{
		{[]byte("中文"), true, true},
		{cut, false, true},
		{cut, true, false},
		{[]byte("\xd6\xd0\xce\xc4"), true, false}, // "中文" in GBK
		{append(bytes.Repeat([]byte("中文"), 10), 0xff), true, true},
	}
	for _, tt := range tests {
		if got := isMostlyUTF8(tt.in, tt.atEOF); got != tt.want {
			t.Errorf("isMostlyUTF8(%q, %v) = %v", tt.in, tt.atEOF, got)
		}
	}
}

func FuzzReadCSV(f *testing.F) {
	f.Add([]byte(sampleCSV))
	f.Add([]byte("\xEF\xBB\xBFa,b\n\n1,2\n"))
	f.Add([]byte("a\tb\n\"x\ny\"\t2\n\n\n3\t4"))
	f.Add([]byte("sep=;\na;b\n1;2\n"))
	f.Add([]byte("\xd0\xd5\xc3\xfb,\xc9\xed\xb7\xdd\r\n\xd5\xc5,1\r\n"))
	f.Add([]byte("\xFF\xFEa\x00,\x00b\x00\n\x001\x00,\x002\x00"))
	f.Add([]byte("\"unterminated\n,\"\n\"\"\"\n"))
	f.Add([]byte(""))
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Open(bytes.NewReader(data), "fuzz.csv")
		if err != nil {
			return
		}
		defer r.Close()
		prev := 0
		for i := 0; ; i++ {
			row, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return
			}
			if row.Line <= prev {
				t.Fatalf("row %d: line %d not after %d", i, row.Line, prev)
			}
			if len(row.Cells) == 0 || row.Cells[len(row.Cells)-1] == "" {
				t.Fatalf("row %d: empty or untrimmed cells %q", i, row.Cells)
			}
			prev = row.Line
		}
	})
}

func BenchmarkReadCSV100k(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString("序号,姓名,身份证号,手机号,地址\n")
	const n = 100000
	for i := 0; i < n; i++ {
		fmt.Fprintf(&buf, "%d,张%d,1101051949123%05d,138%08d,福建省福州市鼓楼区五一路%d号\n", i, i, i, i, i)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r, err := Open(bytes.NewReader(data), "bench.csv")
		if err != nil {
			b.Fatal(err)
		}
		rows := 0
		for {
			_, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			rows++
		}
		r.Close()
		if rows != n {
			b.Fatalf("read %d rows, want %d", rows, n)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
