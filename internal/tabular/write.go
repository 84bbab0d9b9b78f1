package tabular

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
	"golang.org/x/text/width"
)

// Sheet describes one worksheet to write.
type Sheet struct {
	// Name is the worksheet name (at most 31 characters, none of : \ / ? * [ ]).
	// Empty means "Sheet1", "Sheet2", ... by position.
	Name string
	// Header is written as row 1: bold, light fill, frozen.
	Header []string
	// Rows are written as text cells from row 2 on (row 1 if there is no
	// header).
	Rows [][]string
	// Notes are optional per-column help texts, shown as comments on the
	// header cells (empty string: no comment).
	Notes []string
	// Required marks required columns: their header gets a trailing "*"
	// (unless it already has one) and a dark red font.
	Required []bool
	// Widths are optional column widths in Excel units (roughly the number
	// of half-width characters). A missing or non-positive entry means the
	// width is computed from the content, counting Chinese characters as
	// two.
	Widths []float64
}

const (
	headerFill    = "#DDEBF7"
	requiredColor = "#C00000"
	textNumFmt    = 49 // built-in number format "@" (text)
	minAutoWidth  = 8
	maxAutoWidth  = 60
	widthSample   = 1000 // rows examined for automatic widths
	noteAuthor    = "填写说明"
)

// styles holds the style IDs shared by the writers.
type styles struct {
	text, header, required int
}

func newStyles(f *excelize.File) (styles, error) {
	var st styles
	var err error
	if st.text, err = f.NewStyle(&excelize.Style{NumFmt: textNumFmt}); err != nil {
		return st, err
	}
	border := []excelize.Border{
		{Type: "left", Color: "#B4C6E7", Style: 1},
		{Type: "right", Color: "#B4C6E7", Style: 1},
		{Type: "top", Color: "#B4C6E7", Style: 1},
		{Type: "bottom", Color: "#B4C6E7", Style: 1},
	}
	header := excelize.Style{
		NumFmt:    textNumFmt,
		Font:      &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{headerFill}},
		Border:    border,
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true},
	}
	if st.header, err = f.NewStyle(&header); err != nil {
		return st, err
	}
	header.Font = &excelize.Font{Bold: true, Color: requiredColor}
	if st.required, err = f.NewStyle(&header); err != nil {
		return st, err
	}
	return st, nil
}

// headerText returns the header for column i with the required marker.
func (s *Sheet) headerText(i int) string {
	h := s.Header[i]
	if i < len(s.Required) && s.Required[i] && !strings.HasSuffix(h, "*") {
		h += "*"
	}
	return h
}

func (s *Sheet) isRequired(i int) bool { return i < len(s.Required) && s.Required[i] }

// numCols is the number of columns used by the header or any row.
func (s *Sheet) numCols() int {
	n := len(s.Header)
	for _, r := range s.Rows {
		n = max(n, len(r))
	}
	return n
}

// colWidths computes the width of each of n columns, examining at most
// sampleRows rows.
func (s *Sheet) colWidths(n, sampleRows int) []float64 {
	ws := make([]float64, n)
	for i := range ws {
		if i < len(s.Widths) && s.Widths[i] > 0 {
			ws[i] = min(s.Widths[i], excelize.MaxColumnWidth)
			continue
		}
		w := 0.0
		if i < len(s.Header) {
			w = textWidth(s.headerText(i))
		}
		for j, r := range s.Rows {
			if j >= sampleRows {
				break
			}
			if i < len(r) {
				w = max(w, textWidth(r[i]))
			}
		}
		ws[i] = min(max(math.Ceil(w*1.1)+2, minAutoWidth), maxAutoWidth)
	}
	return ws
}

// textWidth is the display width of the longest line of s, counting East
// Asian wide and full-width characters as 2.
func textWidth(s string) float64 {
	best, cur := 0, 0
	for _, r := range s {
		if r == '\n' {
			best, cur = max(best, cur), 0
			continue
		}
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			cur += 2
		default:
			cur++
		}
	}
	return float64(max(best, cur))
}

// sheetNames fills in default names and rejects duplicates.
func sheetNames(sheets []Sheet) ([]string, error) {
	names := make([]string, len(sheets))
	seen := map[string]bool{}
	for i, s := range sheets {
		name := s.Name
		if name == "" {
			name = fmt.Sprintf("Sheet%d", i+1)
		}
		key := strings.ToLower(name)
		if seen[key] {
			return nil, fmt.Errorf("工作表名称“%s”重复", name)
		}
		seen[key] = true
		names[i] = name
	}
	return names, nil
}

// addNotes adds the non-empty Notes as comments on the header cells.
func addNotes(f *excelize.File, name string, s *Sheet) error {
	for i, note := range s.Notes {
		if strings.TrimSpace(note) == "" || i >= len(s.Header) {
			continue
		}
		cell, err := excelize.CoordinatesToCellName(i+1, 1)
		if err != nil {
			return err
		}
		lines := int(math.Ceil(textWidth(note)/30)) + strings.Count(note, "\n") + 1
		if err := f.AddComment(name, excelize.Comment{
			Cell:   cell,
			Author: noteAuthor,
			Text:   note,
			Width:  240,
			Height: uint(min(20*lines+10, 400)),
		}); err != nil {
			return fmt.Errorf("添加第%d列说明失败：%w", i+1, err)
		}
	}
	return nil
}

var freezeHeader = excelize.Panes{
	Freeze:      true,
	YSplit:      1,
	TopLeftCell: "A2",
	ActivePane:  "bottomLeft",
	Selection:   []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}},
}

// createSheets makes sure the workbook has the named sheets in order.
func createSheets(f *excelize.File, names []string) error {
	for i, name := range names {
		var err error
		if i == 0 {
			err = f.SetSheetName(f.GetSheetName(0), name)
		} else {
			_, err = f.NewSheet(name)
		}
		if err != nil {
			return fmt.Errorf("工作表名称“%s”无效（最多31个字符，不能包含 : \\ / ? * [ ]）：%w", name, err)
		}
	}
	f.SetActiveSheet(0)
	return nil
}

// WriteXLSX writes the sheets as one .xlsx workbook to w. Every cell is
// written as a string and every used column gets the text number format
// "@", so ID numbers, credit codes and phone numbers keep all their digits
// and leading zeros. The header row is bold with a light fill and frozen;
// required headers get a trailing "*" in dark red; Notes become header
// comments. For very large exports use NewXLSXStream.
func WriteXLSX(w io.Writer, sheets ...Sheet) error {
	if len(sheets) == 0 {
		return errors.New("没有要写入的工作表")
	}
	names, err := sheetNames(sheets)
	if err != nil {
		return err
	}
	f := excelize.NewFile()
	defer f.Close()
	if err := createSheets(f, names); err != nil {
		return err
	}
	st, err := newStyles(f)
	if err != nil {
		return fmt.Errorf("生成 Excel 样式失败：%w", err)
	}
	for i := range sheets {
		if err := writeSheet(f, names[i], &sheets[i], st); err != nil {
			return fmt.Errorf("写入工作表“%s”失败：%w", names[i], err)
		}
	}
	if err := f.Write(w); err != nil {
		return fmt.Errorf("写出 Excel 文件失败：%w", err)
	}
	return nil
}

func writeSheet(f *excelize.File, name string, s *Sheet, st styles) error {
	if len(s.Rows)+1 > excelize.TotalRows {
		return fmt.Errorf("数据共%d行，超过 Excel 单个工作表的上限 %d 行", len(s.Rows), excelize.TotalRows-1)
	}
	n := s.numCols()
	if n > excelize.MaxColumns {
		return fmt.Errorf("数据共%d列，超过 Excel 的上限 %d 列", n, excelize.MaxColumns)
	}
	if n > 0 {
		last, _ := excelize.ColumnNumberToName(n)
		if err := f.SetColStyle(name, "A:"+last, st.text); err != nil {
			return err
		}
		for i, w := range s.colWidths(n, widthSample) {
			col, _ := excelize.ColumnNumberToName(i + 1)
			if err := f.SetColWidth(name, col, col, w); err != nil {
				return err
			}
		}
	}
	for i := range s.Header {
		cell, _ := excelize.CoordinatesToCellName(i+1, 1)
		if err := f.SetCellStr(name, cell, s.headerText(i)); err != nil {
			return err
		}
		style := st.header
		if s.isRequired(i) {
			style = st.required
		}
		if err := f.SetCellStyle(name, cell, cell, style); err != nil {
			return err
		}
	}
	if len(s.Header) > 0 {
		if err := f.SetPanes(name, &freezeHeader); err != nil {
			return err
		}
		if err := addNotes(f, name, s); err != nil {
			return err
		}
	}
	first := 1 // first data row
	if len(s.Header) > 0 {
		first = 2
	}
	for r, row := range s.Rows {
		for c, v := range row {
			if v == "" {
				continue
			}
			cell, _ := excelize.CoordinatesToCellName(c+1, first+r)
			if err := f.SetCellStr(name, cell, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// XLSXStream writes one large worksheet row by row with constant memory
// (excelize's StreamWriter spills to a temporary file). Create it with
// NewXLSXStream, call Write for each data row and always call Close, which
// writes the workbook to the underlying writer.
type XLSXStream struct {
	w      io.Writer
	f      *excelize.File
	sw     *excelize.StreamWriter
	text   int
	row    int // last row written
	buf    []interface{}
	cells  []excelize.Cell
	closed bool
}

// NewXLSXStream starts a streaming workbook with a single worksheet laid out
// like WriteXLSX does (styled, frozen header, comments, text format). Column
// widths not given in sheet.Widths are computed from the header and
// sheet.Rows, which (if any) are written first.
func NewXLSXStream(w io.Writer, sheet Sheet) (*XLSXStream, error) {
	names, err := sheetNames([]Sheet{sheet})
	if err != nil {
		return nil, err
	}
	name := names[0]
	f := excelize.NewFile()
	x := &XLSXStream{w: w, f: f}
	if err := x.init(name, &sheet); err != nil {
		f.Close()
		return nil, fmt.Errorf("创建工作表“%s”失败：%w", name, err)
	}
	for _, r := range sheet.Rows {
		if err := x.Write(r); err != nil {
			f.Close()
			return nil, err
		}
	}
	return x, nil
}

func (x *XLSXStream) init(name string, s *Sheet) error {
	if err := createSheets(x.f, []string{name}); err != nil {
		return err
	}
	st, err := newStyles(x.f)
	if err != nil {
		return err
	}
	x.text = st.text
	// Comments must exist before the stream writer takes over the sheet.
	if err := addNotes(x.f, name, s); err != nil {
		return err
	}
	if x.sw, err = x.f.NewStreamWriter(name); err != nil {
		return err
	}
	n := s.numCols()
	if n > excelize.MaxColumns {
		return fmt.Errorf("数据共%d列，超过 Excel 的上限 %d 列", n, excelize.MaxColumns)
	}
	if n > 0 {
		if err := x.sw.SetColStyle(1, n, st.text); err != nil {
			return err
		}
		for i, w := range s.colWidths(n, widthSample) {
			if err := x.sw.SetColWidth(i+1, i+1, w); err != nil {
				return err
			}
		}
	}
	if len(s.Header) == 0 {
		return nil
	}
	if err := x.sw.SetPanes(&freezeHeader); err != nil {
		return err
	}
	hdr := make([]interface{}, len(s.Header))
	for i := range s.Header {
		style := st.header
		if s.isRequired(i) {
			style = st.required
		}
		hdr[i] = excelize.Cell{StyleID: style, Value: s.headerText(i)}
	}
	x.row = 1
	return x.sw.SetRow("A1", hdr)
}

// Write appends one data row. All values are written as text.
func (x *XLSXStream) Write(cells []string) error {
	if x.closed {
		return errors.New("Excel 导出已关闭，不能继续写入")
	}
	if x.row >= excelize.TotalRows {
		return fmt.Errorf("超过 Excel 单个工作表的上限 %d 行", excelize.TotalRows)
	}
	if len(cells) > excelize.MaxColumns {
		return fmt.Errorf("第%d行共%d列，超过 Excel 的上限 %d 列", x.row+1, len(cells), excelize.MaxColumns)
	}
	x.row++
	x.buf = x.buf[:0]
	x.cells = x.cells[:0]
	for _, v := range cells {
		x.cells = append(x.cells, excelize.Cell{StyleID: x.text, Value: v})
	}
	for i, v := range cells {
		if v == "" {
			x.buf = append(x.buf, nil)
		} else {
			x.buf = append(x.buf, &x.cells[i])
		}
	}
	cell, _ := excelize.CoordinatesToCellName(1, x.row)
	if err := x.sw.SetRow(cell, x.buf); err != nil {
		return fmt.Errorf("写入 Excel 第%d行失败：%w", x.row, err)
	}
	return nil
}

// Close finishes the worksheet, writes the workbook to the underlying writer
// and removes temporary files. Calling it again returns nil.
func (x *XLSXStream) Close() error {
	if x.closed {
		return nil
	}
	x.closed = true
	defer x.f.Close()
	if err := x.sw.Flush(); err != nil {
		return fmt.Errorf("写出 Excel 文件失败：%w", err)
	}
	if err := x.f.Write(x.w); err != nil {
		return fmt.Errorf("写出 Excel 文件失败：%w", err)
	}
	return nil
}

// WriteCSV writes header (if non-nil) and rows as UTF-8 CSV with CRLF line
// endings. With bom, a UTF-8 byte order mark is written first so that Excel
// on Windows detects the encoding. Note that Excel shows long digit strings
// from CSV in scientific notation; prefer WriteXLSX for ID numbers.
func WriteCSV(w io.Writer, header []string, rows [][]string, bom bool) error {
	bw := bufio.NewWriter(w)
	if bom {
		bw.WriteString("\xEF\xBB\xBF")
	}
	if err := writeCSV(bw, header, rows); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("写出 CSV 文件失败：%w", err)
	}
	return nil
}

// WriteCSVGB18030 writes header (if non-nil) and rows as GB18030-encoded CSV
// with CRLF line endings, for old software that expects the Chinese Windows
// code page. Invalid UTF-8 in the input is written as U+FFFD.
func WriteCSVGB18030(w io.Writer, header []string, rows [][]string) error {
	tw := transform.NewWriter(w, encoding.ReplaceUnsupported(simplifiedchinese.GB18030.NewEncoder()))
	bw := bufio.NewWriter(tw)
	if err := writeCSV(bw, header, rows); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("写出 CSV 文件失败：%w", err)
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("写出 CSV 文件失败：%w", err)
	}
	return nil
}

func writeCSV(w io.Writer, header []string, rows [][]string) error {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if header != nil {
		if err := cw.Write(header); err != nil {
			return fmt.Errorf("写出 CSV 文件失败：%w", err)
		}
	}
	for _, r := range rows {
		if err := cw.Write(r); err != nil {
			return fmt.Errorf("写出 CSV 文件失败：%w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("写出 CSV 文件失败：%w", err)
	}
	return nil
}
