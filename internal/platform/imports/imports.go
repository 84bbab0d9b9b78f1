// Package imports loads spreadsheets that staff keep (.xlsx, .csv in UTF-8 or GB18030) into any room: a room
// describes its columns and how one row is written; this package reads the file, matches the header, commits the
// valid rows in batches, and reports every invalid row with its line, column and a Chinese message — as a list
// and as an error workbook to fix and upload again. Rows are upserts, so a second import of the same file
// creates nothing new.
package imports

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"runtime"
	"sort"
	"strings"
	"sync"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/tabular"
)

// Column is one column of an import sheet.
type Column struct {
	Key      string   // field key used by the room (and accepted as a header)
	Header   string   // Chinese header in templates and exports
	Required bool     // must be present in the header
	Note     string   // help shown as a header comment in the template
	Aliases  []string // other accepted headers
	Example  string   // example value for the template
}

// Importer is what a room provides for one kind of sheet.
type Importer interface {
	Name() string  // "subjects"
	Title() string // "主体名录"
	Columns() []Column
	// ImportRow validates and writes one row in tx; created reports a new record (false: an existing one was
	// matched and updated). A validation error must be returned before anything is written.
	ImportRow(ctx context.Context, tx *db.Tx, p *auth.Principal, row map[string]string) (created bool, err error)
}

// Preparer is an importer that splits a row's work: Prepare needs no database and may run on several goroutines
// at once; Write stores the prepared row in the transaction. Run overlaps preparing the next batch with writing
// this one, so imports use every core while SQLite's single writer works.
type Preparer interface {
	Importer
	Prepare(ctx context.Context, p *auth.Principal, row map[string]string) any
	Write(ctx context.Context, tx *db.Tx, p *auth.Principal, prepared any) (created bool, err error)
}

// BatchWriter is a Preparer that stores a whole batch at once (bulk look-ups, multi-row inserts). It returns one
// result per row; an error return means the transaction may be unusable, and Run redoes the batch row by row.
type BatchWriter interface {
	Preparer
	WriteBatch(ctx context.Context, tx *db.Tx, p *auth.Principal, prepared []any) ([]RowResult, error)
}

// RowResult is what became of one row of a batch.
type RowResult struct {
	Created bool
	Err     error
}

// RowError is one problem in one row.
type RowError struct {
	Line    int    `json:"line"`
	Column  string `json:"column"`
	Message string `json:"message"`
}

// Result summarises an import.
type Result struct {
	Imported int        `json:"imported"`
	Updated  int        `json:"updated"`
	Rejected int        `json:"rejected"`
	Errors   []RowError `json:"errors"`
	header   []string
	bad      []badRow
}

type badRow struct {
	line  int
	cells []string
	msg   string
}

// Summary is the one-line result printed by the CLI and shown in the UI.
func (r Result) Summary() string {
	return fmt.Sprintf("imported %d, updated %d, rejected %d", r.Imported, r.Updated, r.Rejected)
}

// SummaryZH is the Chinese summary.
func (r Result) SummaryZH() string {
	return fmt.Sprintf("新增 %d 条，更新 %d 条，有误 %d 条", r.Imported, r.Updated, r.Rejected)
}

// BatchSize is the number of rows per transaction.
const BatchSize = 2000

// Run imports a file. progress may be nil. A fatal error (unreadable file, missing required columns) returns err;
// bad rows do not.
func Run(ctx context.Context, d *db.DB, imp Importer, p *auth.Principal, r io.Reader, filename string, progress func(done, total int)) (Result, error) {
	header, rows, err := tabular.ReadAll(r, filename)
	if err != nil {
		return Result{}, apperr.New(apperr.Invalid, "无法读取文件："+err.Error())
	}
	cols := imp.Columns()
	idx, err := matchHeader(header, cols)
	if err != nil {
		return Result{}, err
	}
	res := Result{header: header}
	headerOf := map[string]string{}
	for _, c := range cols {
		headerOf[c.Key] = c.Header
	}
	toMap := func(cells []string) map[string]string {
		m := make(map[string]string, len(idx))
		for key, i := range idx {
			if i < len(cells) {
				m[key] = cells[i]
			}
		}
		return m
	}
	fail := func(row tabular.Row, err error) {
		res.Rejected++
		fields := apperr.FieldsOf(err)
		var msgs []string
		if len(fields) == 0 {
			res.Errors = append(res.Errors, RowError{Line: row.Line, Message: apperr.MessageOf(err)})
			msgs = append(msgs, apperr.MessageOf(err))
		} else {
			keys := make([]string, 0, len(fields))
			for k := range fields {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				col := headerOf[k]
				if col == "" {
					col = k
				}
				res.Errors = append(res.Errors, RowError{Line: row.Line, Column: col, Message: fields[k]})
				msgs = append(msgs, col+"："+fields[k])
			}
		}
		res.bad = append(res.bad, badRow{line: row.Line, cells: row.Cells, msg: strings.Join(msgs, "；")})
	}
	total := len(rows)
	// write is how one row is stored: through the prepared value when the importer splits its work
	write := func(tx *db.Tx, i int, row tabular.Row, prepared []any) (bool, error) {
		if pr, ok := imp.(Preparer); ok && prepared != nil {
			return pr.Write(ctx, tx, p, prepared[i])
		}
		return imp.ImportRow(ctx, tx, p, toMap(row.Cells))
	}
	batches := prepareAhead(ctx, imp, p, rows, toMap)
	for start := 0; start < total; start += BatchSize {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		batch := rows[start:min(start+BatchSize, total)]
		prepared := <-batches
		var created, updated int
		var rowErrs []func()
		err := d.InTx(ctx, func(tx *db.Tx) error {
			created, updated, rowErrs = 0, 0, nil
			if bw, ok := imp.(BatchWriter); ok && prepared != nil {
				results, err := bw.WriteBatch(ctx, tx, p, prepared)
				if err != nil {
					return err
				}
				for i, r := range results {
					switch {
					case r.Err != nil && apperr.CodeOf(r.Err) == apperr.Internal:
						return r.Err
					case r.Err != nil:
						row, err := batch[i], r.Err
						rowErrs = append(rowErrs, func() { fail(row, err) })
					case r.Created:
						created++
					default:
						updated++
					}
				}
				return nil
			}
			for i, row := range batch {
				c, err := write(tx, i, row, prepared)
				if err != nil {
					if code := apperr.CodeOf(err); code == apperr.Internal {
						return err // the transaction may be unusable (PostgreSQL aborts it): redo row by row
					}
					row, err := row, err
					rowErrs = append(rowErrs, func() { fail(row, err) })
					continue
				}
				if c {
					created++
				} else {
					updated++
				}
			}
			return nil
		})
		if err != nil {
			// one row broke the batch: commit the others one by one so that every good row still lands
			for i, row := range batch {
				var c bool
				err := d.InTx(ctx, func(tx *db.Tx) error {
					var err error
					c, err = write(tx, i, row, prepared)
					return err
				})
				switch {
				case err != nil:
					fail(row, err)
				case c:
					res.Imported++
				default:
					res.Updated++
				}
			}
		} else {
			res.Imported += created
			res.Updated += updated
			for _, f := range rowErrs {
				f()
			}
		}
		if progress != nil {
			progress(min(start+BatchSize, total), total)
		}
	}
	return res, nil
}

// prepareAhead prepares batches on background goroutines, one batch ahead of the writer, rows of a batch spread
// over the cores; it yields nil batches for importers without a Prepare step.
func prepareAhead(ctx context.Context, imp Importer, p *auth.Principal, rows []tabular.Row, toMap func([]string) map[string]string) <-chan []any {
	out := make(chan []any, 1)
	pr, ok := imp.(Preparer)
	go func() {
		defer close(out)
		for start := 0; start < len(rows); start += BatchSize {
			if !ok {
				out <- nil
				continue
			}
			batch := rows[start:min(start+BatchSize, len(rows))]
			prepared := make([]any, len(batch))
			workers := max(1, runtime.NumCPU())
			var wg sync.WaitGroup
			for w := 0; w < workers; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					for i := w; i < len(batch); i += workers {
						prepared[i] = pr.Prepare(ctx, p, toMap(batch[i].Cells))
					}
				}(w)
			}
			wg.Wait()
			select {
			case out <- prepared:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

func normHeader(h string) string {
	h = strings.TrimSpace(h)
	h = strings.TrimSuffix(h, "*")
	h = strings.NewReplacer("（", "(", "）", ")", " ", "").Replace(h)
	return strings.ToLower(h)
}

// matchHeader maps column keys to positions; unknown headers are ignored, missing required ones are fatal.
func matchHeader(header []string, cols []Column) (map[string]int, error) {
	pos := map[string]int{}
	for i, h := range header {
		if _, dup := pos[normHeader(h)]; !dup {
			pos[normHeader(h)] = i
		}
	}
	idx := map[string]int{}
	var missing []string
	for _, c := range cols {
		found := -1
		for _, name := range append([]string{c.Header, c.Key}, c.Aliases...) {
			if i, ok := pos[normHeader(name)]; ok {
				found = i
				break
			}
		}
		if found >= 0 {
			idx[c.Key] = found
		} else if c.Required {
			missing = append(missing, c.Header)
		}
	}
	if len(missing) > 0 {
		return nil, apperr.New(apperr.Invalid, "表头缺少必填列："+strings.Join(missing, "、")+"。请下载模板核对表头。")
	}
	if len(idx) == 0 {
		return nil, apperr.New(apperr.Invalid, "没有识别出任何列，请使用下载的模板")
	}
	return idx, nil
}

// ErrorWorkbook writes the rejected rows with their original cells and an "错误说明" column, to fix and re-upload.
func (r Result) ErrorWorkbook(w io.Writer) error {
	header := append(append([]string{}, r.header...), "错误说明", "原行号")
	rows := make([][]string, 0, len(r.bad))
	for _, b := range r.bad {
		cells := make([]string, len(r.header))
		copy(cells, b.cells)
		rows = append(rows, append(cells, b.msg, fmt.Sprint(b.line)))
	}
	return tabular.WriteXLSX(w, tabular.Sheet{Name: "有误的行", Header: header, Rows: rows})
}

// ErrorWorkbookBytes is ErrorWorkbook into memory (nil when nothing was rejected).
func (r Result) ErrorWorkbookBytes() ([]byte, error) {
	if r.Rejected == 0 {
		return nil, nil
	}
	var buf bytes.Buffer
	err := r.ErrorWorkbook(&buf)
	return buf.Bytes(), err
}

// Template writes an empty workbook with the importer's headers, help comments and one example row.
func Template(w io.Writer, imp Importer) error {
	var header, notes, example []string
	var req []bool
	for _, c := range imp.Columns() {
		header = append(header, c.Header)
		notes = append(notes, c.Note)
		req = append(req, c.Required)
		example = append(example, c.Example)
	}
	return tabular.WriteXLSX(w, tabular.Sheet{Name: imp.Title(), Header: header, Notes: notes, Required: req, Rows: [][]string{example}})
}

type contextT = context.Context
