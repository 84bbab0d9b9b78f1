// Package tabular reads and writes the spreadsheets that county staff work
// with: .xlsx workbooks and .csv files in whatever encoding and delimiter
// office software produced. Reading is streaming, so large files are not held
// in memory as parsed rows; every cell is normalised with validate.Normalize
// (trimmed, full-width ASCII converted to half-width, white space collapsed).
package tabular

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"nongfu/internal/validate"
)

// Row is one non-empty data row.
type Row struct {
	// Line is the 1-based line (CSV) or row (xlsx) number in the source file
	// as the user sees it in Excel or a text editor; the header is usually
	// line 1. For a CSV record spanning several lines (a quoted cell with
	// line breaks) it is the line where the record starts.
	Line int
	// Cells are the normalised cell values. Trailing empty cells are
	// removed, so len(Cells) may be smaller (or larger) than the header.
	Cells []string
}

// Get returns cell i, or "" if the row has fewer cells.
func (r Row) Get(i int) string {
	if i >= 0 && i < len(r.Cells) {
		return r.Cells[i]
	}
	return ""
}

// ErrEmpty is returned (wrapped) by Open and ReadAll when the file contains no
// non-empty row and therefore no header.
var ErrEmpty = errors.New("文件中没有任何数据（找不到表头行）")

// source yields raw rows; line is the 1-based line number of the row.
type source interface {
	next() (line int, cells []string, err error)
	close() error
}

// Reader reads the rows of a spreadsheet one at a time. The first non-empty
// row is the header; Next returns the following non-empty rows.
type Reader struct {
	src    source
	header []string
	closed bool
}

// Open detects the format of r and returns a Reader positioned after the
// header row. Content starting with the ZIP signature "PK\x03\x04" is read as
// .xlsx (first worksheet), regardless of filename; anything else is read as
// CSV (UTF-8 with or without BOM, UTF-16 with BOM, or GB18030; delimiter
// comma, tab or semicolon, detected from the header line). filename is used
// only in error messages. Legacy .xls, encrypted workbooks and HTML files
// saved as ".xls" are rejected with an explanatory error. The caller must
// Close the Reader.
func Open(r io.Reader, filename string) (*Reader, error) {
	br := bufio.NewReaderSize(r, sniffSize)
	magic, err := br.Peek(8)
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("读取文件%s失败：%w", quoteName(filename), err)
	}
	var src source
	switch {
	case bytes.HasPrefix(magic, []byte("PK\x03\x04")):
		src, err = openXLSX(br)
	case bytes.HasPrefix(magic, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}):
		err = errors.New("这是旧版 Excel 97-2003（.xls）或加密的 Excel 文件，暂不支持，请在 Excel 中取消密码并“另存为”.xlsx 或 .csv 后再导入")
	default:
		if looksLikeHTML(br) {
			err = errors.New("这是网页（HTML）格式的文件（常见于系统导出的“.xls”），请用 Excel 打开后“另存为”.xlsx 再导入")
		} else {
			src, err = openCSV(br)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("读取文件%s失败：%w", quoteName(filename), err)
	}
	rd := &Reader{src: src}
	for {
		_, cells, err := src.next()
		if err == io.EOF {
			src.close()
			return nil, fmt.Errorf("读取文件%s失败：%w", quoteName(filename), ErrEmpty)
		}
		if err != nil {
			src.close()
			return nil, fmt.Errorf("读取文件%s失败：%w", quoteName(filename), err)
		}
		if cells == nil {
			continue
		}
		rd.header = make([]string, len(cells))
		for i, c := range cells {
			rd.header[i] = cleanHeader(c)
		}
		return rd, nil
	}
}

func quoteName(filename string) string {
	if filename == "" {
		return ""
	}
	return "“" + filename + "”"
}

// Header returns the normalised header cells: trimmed, full-width characters
// converted, and the required-column markers used by templates ("*" at either
// end, "(必填)" / "（必填）" at the end) removed. Trailing empty header cells
// are dropped. The returned slice must not be modified.
func (r *Reader) Header() []string { return r.header }

// Next returns the next non-empty row, or io.EOF after the last one. Errors
// other than io.EOF mention the line number in Chinese.
func (r *Reader) Next() (Row, error) {
	if r.closed {
		return Row{}, io.EOF
	}
	for {
		line, cells, err := r.src.next()
		if err != nil {
			return Row{}, err
		}
		if cells != nil {
			return Row{Line: line, Cells: cells}, nil
		}
	}
}

// Close releases the resources (including temporary files excelize may
// create for very large worksheets). It is safe to call more than once.
func (r *Reader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	return r.src.close()
}

// ReadAll reads a whole file: the normalised header and all non-empty rows.
func ReadAll(r io.Reader, filename string) (header []string, rows []Row, err error) {
	rd, err := Open(r, filename)
	if err != nil {
		return nil, nil, err
	}
	defer rd.Close()
	for {
		row, err := rd.Next()
		if err == io.EOF {
			return rd.Header(), rows, nil
		}
		if err != nil {
			return rd.Header(), rows, err
		}
		rows = append(rows, row)
	}
}

// normalizeCells normalises cells in place and drops trailing empty cells.
// It returns nil if every cell is empty.
func normalizeCells(cells []string) []string {
	last := -1
	for i, c := range cells {
		c = validate.Normalize(c)
		cells[i] = c
		if c != "" {
			last = i
		}
	}
	if last < 0 {
		return nil
	}
	return cells[:last+1]
}

// cleanHeader removes the required-column markers from a normalised header.
func cleanHeader(h string) string {
	for {
		prev := h
		h = strings.TrimSuffix(h, "*")
		h = strings.TrimPrefix(h, "*")
		h = strings.TrimSuffix(h, "(必填)")
		h = strings.TrimSpace(h)
		if h == prev {
			return h
		}
	}
}

// looksLikeHTML reports whether the content is an HTML page (some systems
// export HTML tables with an .xls extension).
func looksLikeHTML(br *bufio.Reader) bool {
	b, _ := br.Peek(512)
	b = bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF"))
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) == 0 || b[0] != '<' {
		return false
	}
	l := bytes.ToLower(b)
	for _, p := range []string{"<!doctype html", "<html", "<table", "<?xml", "<meta", "<head"} {
		if bytes.HasPrefix(l, []byte(p)) {
			return true
		}
	}
	return false
}

// ---- xlsx ----

type xlsxSource struct {
	f    *excelize.File
	rows *excelize.Rows
	line int
}

func openXLSX(r io.Reader) (source, error) {
	f, err := excelize.OpenReader(r, excelize.Options{
		// Render Excel's locale-dependent built-in date formats (e.g. 14,
		// "short date") unambiguously instead of the US "mm-dd-yy".
		CultureInfo:      excelize.CultureNameZhCN,
		ShortDatePattern: "yyyy-mm-dd",
		LongTimePattern:  "hh:mm:ss",
	})
	if err != nil {
		return nil, fmt.Errorf("无法解析 Excel 文件（文件可能已损坏）：%w", err)
	}
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		f.Close()
		return nil, errors.New("Excel 文件中没有工作表")
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("无法读取工作表“%s”：%w", sheets[0], err)
	}
	return &xlsxSource{f: f, rows: rows}, nil
}

func (s *xlsxSource) next() (int, []string, error) {
	if !s.rows.Next() {
		if err := s.rows.Error(); err != nil {
			return 0, nil, fmt.Errorf("读取 Excel 第%d行之后出错：%w", s.line, err)
		}
		return 0, nil, io.EOF
	}
	s.line++
	cells, err := s.rows.Columns()
	if err != nil {
		return s.line, nil, fmt.Errorf("读取 Excel 第%d行出错：%w", s.line, err)
	}
	return s.line, normalizeCells(cells), nil
}

func (s *xlsxSource) close() error {
	err := s.rows.Close()
	if err2 := s.f.Close(); err == nil {
		err = err2
	}
	return err
}

// ---- csv ----

type csvSource struct {
	cr         *csv.Reader
	lineOffset int // lines consumed before the csv.Reader started
}

func openCSV(br *bufio.Reader) (source, error) {
	dec := newDecoder(br)
	db := bufio.NewReaderSize(dec, sniffSize)
	sample, err := db.Peek(sniffSize)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, err
	}
	comma, skip := detectDelimiter(sample)
	offset := 0
	if skip > 0 { // Excel's "sep=;" directive line
		if _, err := db.Discard(skip); err != nil {
			return nil, err
		}
		offset = 1
	}
	cr := csv.NewReader(db)
	cr.Comma = comma
	cr.LazyQuotes = true
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	return &csvSource{cr: cr, lineOffset: offset}, nil
}

func (s *csvSource) next() (int, []string, error) {
	rec, err := s.cr.Read()
	if err == io.EOF {
		return 0, nil, io.EOF
	}
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return pe.StartLine + s.lineOffset, nil, fmt.Errorf("第%d行：CSV 格式错误：%v", pe.StartLine+s.lineOffset, pe.Err)
		}
		return 0, nil, fmt.Errorf("读取 CSV 文件出错：%w", err)
	}
	line, _ := s.cr.FieldPos(0)
	cells := normalizeCells(append([]string(nil), rec...))
	return line + s.lineOffset, cells, nil
}

func (s *csvSource) close() error { return nil }

// detectDelimiter chooses among comma, tab and semicolon by counting them
// (outside double quotes) on the first non-blank line of sample. If the first
// line is Excel's "sep=X" directive, X is used and skip is the number of
// bytes of that line (to be discarded).
func detectDelimiter(sample []byte) (comma rune, skip int) {
	first := sample
	if i := bytes.IndexByte(sample, '\n'); i >= 0 {
		first = sample[:i+1]
	}
	if d := bytes.TrimRight(first, "\r\n"); len(d) == 5 && bytes.EqualFold(d[:4], []byte("sep=")) {
		switch d[4] {
		case ',', '\t', ';', '|':
			return rune(d[4]), len(first)
		}
	}
	for len(sample) > 0 {
		line := sample
		if i := bytes.IndexByte(sample, '\n'); i >= 0 {
			line, sample = sample[:i], sample[i+1:]
		} else {
			sample = nil
		}
		counts := map[byte]int{}
		inQuote, content := false, false
		for _, c := range line {
			switch {
			case c == '"':
				inQuote = !inQuote
				content = true
			case inQuote:
			case c == ',' || c == '\t' || c == ';':
				counts[c]++
			case c != ' ' && c != '\r':
				content = true
			}
		}
		if !content {
			continue // blank line, or delimiters only
		}
		best, n := byte(','), counts[',']
		for _, c := range []byte{'\t', ';'} {
			if counts[c] > n {
				best, n = c, counts[c]
			}
		}
		return rune(best), 0
	}
	return ',', 0
}
