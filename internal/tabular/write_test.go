package tabular

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
)

func TestXLSXRoundTrip(t *testing.T) {
	sheet := Sheet{
		Name:     "农户名单",
		Header:   []string{"姓名", "身份证号", "手机号", "统一社会信用代码", "备注"},
		Required: []bool{true, true, false, false, false},
		Notes:    []string{"", "18位居民身份证号，末位X请大写", "", "合作社填写", ""},
		Rows: [][]string{
			{"张三", "110101199003077774", "13800138000", "91350100M000100Y43", "全部数字的身份证号"},
			{"李四", "11010519491231002X", "008613912345678", "", "0012"},
			{"", "", "", "", ""}, // blank row: skipped on read, line numbers keep counting
			{"王　五", "５００２３７１９９００１０１００１Ｘ", "", "", " 前后空格 "},
			{"赵六", "1.5", "=1+1", "", "多行\n备注"},
		},
	}
	var buf bytes.Buffer
	if err := WriteXLSX(&buf, sheet, Sheet{Header: []string{"说明"}, Rows: [][]string{{"第二个工作表"}}}); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("PK\x03\x04")) {
		t.Fatal("not a zip file")
	}

	// Read back via Open; the extension must not matter.
	h, rows := mustReadAll(t, buf.Bytes(), "upload.csv")
	if want := []string{"姓名", "身份证号", "手机号", "统一社会信用代码", "备注"}; !reflect.DeepEqual(h, want) {
		t.Errorf("header %q, want %q", h, want)
	}
	checkRows(t, rows, []Row{
		{Line: 2, Cells: []string{"张三", "110101199003077774", "13800138000", "91350100M000100Y43", "全部数字的身份证号"}},
		{Line: 3, Cells: []string{"李四", "11010519491231002X", "008613912345678", "", "0012"}},
		{Line: 5, Cells: []string{"王 五", "50023719900101001X", "", "", "前后空格"}},
		{Line: 6, Cells: []string{"赵六", "1.5", "=1+1", "", "多行 备注"}},
	})

	// Inspect the workbook itself.
	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); !reflect.DeepEqual(got, []string{"农户名单", "Sheet2"}) {
		t.Errorf("sheets %q", got)
	}
	const s = "农户名单"
	if v, _ := f.GetCellValue(s, "A1"); v != "姓名*" {
		t.Errorf("A1 = %q, want required marker", v)
	}
	if v, _ := f.GetCellValue(s, "C1"); v != "手机号" {
		t.Errorf("C1 = %q", v)
	}
	typ, _ := f.GetCellType(s, "B2")
	if typ != excelize.CellTypeSharedString && typ != excelize.CellTypeInlineString {
		t.Errorf("B2 cell type %v, want string", typ)
	}
	for _, cell := range []string{"B2", "B10", "E3"} {
		id, err := f.GetCellStyle(s, cell)
		if err != nil {
			t.Fatal(err)
		}
		st, err := f.GetStyle(id)
		if err != nil || st.NumFmt != 49 {
			t.Errorf("%s number format %v (%v), want 49 (@)", cell, st.NumFmt, err)
		}
	}
	id, _ := f.GetCellStyle(s, "A1")
	if st, _ := f.GetStyle(id); st.Font == nil || !st.Font.Bold || len(st.Fill.Color) == 0 || !strings.EqualFold(strings.TrimPrefix(st.Font.Color, "#"), strings.TrimPrefix(requiredColor, "#")) {
		t.Errorf("A1 style %+v", st)
	}
	id, _ = f.GetCellStyle(s, "C1")
	if st, _ := f.GetStyle(id); st.Font == nil || !st.Font.Bold || st.Font.Color != "" {
		t.Errorf("C1 style %+v", st)
	}
	panes, err := f.GetPanes(s)
	if err != nil || !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("panes %+v, %v", panes, err)
	}
	comments, err := f.GetComments(s)
	if err != nil || len(comments) != 2 {
		t.Fatalf("comments %+v, %v", comments, err)
	}
	for _, c := range comments {
		if c.Cell == "B1" && !strings.Contains(c.Text+runsText(c.Paragraph), "18位") {
			t.Errorf("B1 comment %+v", c)
		}
	}
	wA, _ := f.GetColWidth(s, "A")
	wD, _ := f.GetColWidth(s, "D")
	if wA < minAutoWidth || wD <= wA {
		t.Errorf("column widths A=%v D=%v", wA, wD)
	}
}

func runsText(rs []excelize.RichTextRun) string {
	var b strings.Builder
	for _, r := range rs {
		b.WriteString(r.Text)
	}
	return b.String()
}

func TestWriteXLSXErrors(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteXLSX(&buf); err == nil {
		t.Error("no sheets accepted")
	}
	if err := WriteXLSX(&buf, Sheet{Name: "a"}, Sheet{Name: "A"}); err == nil || !strings.Contains(err.Error(), "重复") {
		t.Errorf("duplicate names: %v", err)
	}
	if err := WriteXLSX(&buf, Sheet{Name: "a/b"}); err == nil || !strings.Contains(err.Error(), "无效") {
		t.Errorf("invalid name: %v", err)
	}
	if err := WriteXLSX(&buf, Sheet{Name: strings.Repeat("长", 32)}); err == nil {
		t.Error("long name accepted")
	}
}

func TestWriteXLSXWidths(t *testing.T) {
	var buf bytes.Buffer
	err := WriteXLSX(&buf, Sheet{Name: "w", Header: []string{"a", "b"}, Widths: []float64{30}, Rows: [][]string{{"x", strings.Repeat("很长的内容", 40)}}})
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if w, _ := f.GetColWidth("w", "A"); w != 30 {
		t.Errorf("A width %v, want 30", w)
	}
	if w, _ := f.GetColWidth("w", "B"); w != maxAutoWidth {
		t.Errorf("B width %v, want capped %v", w, maxAutoWidth)
	}
}

func TestXLSXStream(t *testing.T) {
	var buf bytes.Buffer
	xs, err := NewXLSXStream(&buf, Sheet{
		Name:     "导出",
		Header:   []string{"序号", "身份证号", "姓名"},
		Required: []bool{false, true},
		Notes:    []string{"", "身份证号说明"},
		Rows:     [][]string{{"0", "11010519491231002X", "首行"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	const n = 3000
	for i := 1; i <= n; i++ {
		id := fmt.Sprintf("1101011990030%05d", i)
		if err := xs.Write([]string{fmt.Sprint(i), id, "", "额外列"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := xs.Close(); err != nil {
		t.Fatal(err)
	}
	if err := xs.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := xs.Write([]string{"x"}); err == nil {
		t.Error("Write after Close accepted")
	}

	h, rows := mustReadAll(t, buf.Bytes(), "export.xlsx")
	if !reflect.DeepEqual(h, []string{"序号", "身份证号", "姓名"}) {
		t.Errorf("header %q", h)
	}
	if len(rows) != n+1 {
		t.Fatalf("%d rows, want %d", len(rows), n+1)
	}
	checkRows(t, rows[:1], []Row{{Line: 2, Cells: []string{"0", "11010519491231002X", "首行"}}})
	last := rows[n]
	if want := (Row{Line: n + 2, Cells: []string{fmt.Sprint(n), fmt.Sprintf("1101011990030%05d", n), "", "额外列"}}); !reflect.DeepEqual(last, want) {
		t.Errorf("last row %+v, want %+v", last, want)
	}

	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if v, _ := f.GetCellValue("导出", "B1"); v != "身份证号*" {
		t.Errorf("B1 = %q", v)
	}
	comments, err := f.GetComments("导出")
	if err != nil || len(comments) != 1 || comments[0].Cell != "B1" {
		t.Errorf("comments %+v, %v", comments, err)
	}
	if p, _ := f.GetPanes("导出"); !p.Freeze || p.YSplit != 1 {
		t.Errorf("panes %+v", p)
	}
	for _, cell := range []string{"B2", "D100"} {
		id, _ := f.GetCellStyle("导出", cell)
		if st, _ := f.GetStyle(id); st == nil || st.NumFmt != 49 {
			t.Errorf("%s not text formatted", cell)
		}
	}
}

func TestWriteCSV(t *testing.T) {
	header := []string{"姓名", "备注"}
	rows := [][]string{{"张三", "含,逗号"}, {"李四", "含\"引号\"\n换行"}, {"王五", ""}}
	for _, bom := range []bool{true, false} {
		var buf bytes.Buffer
		if err := WriteCSV(&buf, header, rows, bom); err != nil {
			t.Fatal(err)
		}
		if got := bytes.HasPrefix(buf.Bytes(), []byte("\xEF\xBB\xBF")); got != bom {
			t.Errorf("bom=%v: BOM present %v", bom, got)
		}
		if !bytes.Contains(buf.Bytes(), []byte("\r\n")) {
			t.Error("expected CRLF line endings")
		}
		h, got := mustReadAll(t, buf.Bytes(), "out.csv")
		if !reflect.DeepEqual(h, header) {
			t.Errorf("header %q", h)
		}
		checkRows(t, got, []Row{
			{Line: 2, Cells: []string{"张三", "含,逗号"}},
			{Line: 3, Cells: []string{"李四", "含\"引号\" 换行"}},
			{Line: 5, Cells: []string{"王五"}},
		})
	}
}

func TestWriteCSVGB18030(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteCSVGB18030(&buf, []string{"姓名", "地址"}, [][]string{{"张三", "福建省福州市"}, {"𠀀", "😀"}}); err != nil {
		t.Fatal(err)
	}
	want, _ := simplifiedchinese.GB18030.NewEncoder().String("姓名,地址\r\n张三,福建省福州市\r\n𠀀,😀\r\n")
	if buf.String() != want {
		t.Errorf("bytes %q, want %q", buf.Bytes(), want)
	}
	_, rows := mustReadAll(t, buf.Bytes(), "gb.csv")
	checkRows(t, rows, []Row{{Line: 2, Cells: []string{"张三", "福建省福州市"}}, {Line: 3, Cells: []string{"𠀀", "😀"}}})
}

func TestTextWidth(t *testing.T) {
	tests := []struct {
		in   string
		want float64
	}{
		{"", 0}, {"abc", 3}, {"姓名", 4}, {"ＡＢ", 4}, {"a中", 3}, {"很长\nab", 4},
	}
	for _, tt := range tests {
		if got := textWidth(tt.in); got != tt.want {
			t.Errorf("textWidth(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// Workbooks made by Excel itself contain typed cells; dates must come back
// unambiguous and numbers without exponent notation.
func TestXLSXReadTypedCells(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetRow("Sheet1", "A1", &[]string{"出生日期", "时间", "手机号", "面积", "自定义日期"}); err != nil {
		t.Fatal(err)
	}
	d := time.Date(2024, 1, 2, 13, 4, 5, 0, time.UTC)
	set := func(cell string, v any, style *excelize.Style) {
		t.Helper()
		if err := f.SetCellValue("Sheet1", cell, v); err != nil {
			t.Fatal(err)
		}
		id, err := f.NewStyle(style)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.SetCellStyle("Sheet1", cell, cell, id); err != nil {
			t.Fatal(err)
		}
	}
	cn := `yyyy"年"m"月"d"日"`
	set("A2", d, &excelize.Style{NumFmt: 14})
	set("B2", d, &excelize.Style{NumFmt: 22})
	set("C2", 13800138000, &excelize.Style{})
	set("D2", 0.1+0.2, &excelize.Style{})
	set("E2", d, &excelize.Style{CustomNumFmt: &cn})
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	_, rows := mustReadAll(t, buf.Bytes(), "typed.xlsx")
	checkRows(t, rows, []Row{{Line: 2, Cells: []string{"2024-01-02", "2024-01-02 13:04", "13800138000", "0.3", "2024年1月2日"}}})
}

func TestWriteXLSXNoHeader(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteXLSX(&buf, Sheet{Rows: [][]string{{"a", "b"}, {"1", "2"}}}); err != nil {
		t.Fatal(err)
	}
	h, rows := mustReadAll(t, buf.Bytes(), "n.xlsx")
	if !reflect.DeepEqual(h, []string{"a", "b"}) {
		t.Errorf("header %q", h)
	}
	checkRows(t, rows, []Row{{Line: 2, Cells: []string{"1", "2"}}})
}
