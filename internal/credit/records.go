package credit

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/imports"
	"nongfu/internal/region"
)

// Records of the credit file that the platform does not produce itself: assets (contracted land, machines,
// livestock, houses — entered or imported) and records from other departments (public-credit penalties, court
// judgements, arrears, honours), each with its source and date.

// RecordCategories maps a category code to its Chinese label and its group (asset, bad, honour).
var RecordCategories = []struct{ Code, Label, Group string }{
	{"land", "承包地", "asset"},
	{"machine", "农机具", "asset"},
	{"livestock", "活体禽畜", "asset"},
	{"house", "房屋圈舍大棚", "asset"},
	{"penalty", "行政处罚/失信记录", "bad"},
	{"judgement", "法院判决/被执行", "bad"},
	{"arrears", "欠缴（水电费、社保等）", "bad"},
	{"honour", "荣誉（优秀党员、五好家庭等）", "honour"},
}

func categoryGroup(code string) string {
	for _, c := range RecordCategories {
		if c.Code == code {
			return c.Group
		}
	}
	return ""
}

// CategoryLabel is the Chinese label of a category.
func CategoryLabel(code string) string {
	for _, c := range RecordCategories {
		if c.Code == code {
			return c.Label
		}
	}
	return code
}

// categoryOf accepts a code or a label (imports use Chinese).
func categoryOf(s string) (string, bool) {
	s = strings.TrimSpace(s)
	for _, c := range RecordCategories {
		if s == c.Code || s == c.Label || strings.HasPrefix(c.Label, s) {
			return c.Code, true
		}
	}
	return "", false
}

// Record is an asset or an external record.
type Record struct {
	ID            int64     `json:"id"`
	SubjectID     int64     `json:"subject_id"`
	Category      string    `json:"category" doc:"land 承包地, machine 农机具, livestock 活体禽畜, house 房屋圈舍大棚, penalty 行政处罚, judgement 法院判决, arrears 欠缴, honour 荣誉"`
	CategoryLabel string    `json:"category_label"`
	Title         string    `json:"title" doc:"内容，如 拖拉机 1 台、县级五好家庭"`
	AmountFen     int64     `json:"amount_fen" doc:"金额（分）：资产估值、罚款或欠缴金额"`
	Quantity      float64   `json:"quantity" doc:"数量，如 亩数、头数"`
	Unit          string    `json:"unit"`
	Source        string    `json:"source" doc:"来源部门，如 县法院、县信用办、村委会"`
	Date          string    `json:"date" doc:"记录日期 YYYY-MM-DD"`
	Note          string    `json:"note"`
	CreatedByName string    `json:"created_by_name"`
	CreatedAt     time.Time `json:"created_at"`
}

// RecordInput files a record.
type RecordInput struct {
	SubjectID int64   `json:"subject_id"`
	Category  string  `json:"category"`
	Title     string  `json:"title"`
	AmountFen int64   `json:"amount_fen"`
	Quantity  float64 `json:"quantity"`
	Unit      string  `json:"unit"`
	Source    string  `json:"source"`
	Date      string  `json:"date"`
	Note      string  `json:"note"`
}

func (s *Service) validateRecord(in *RecordInput) map[string]string {
	f := map[string]string{}
	cat, ok := categoryOf(in.Category)
	if !ok {
		f["category"] = "类别应为 承包地、农机具、活体禽畜、房屋圈舍大棚、行政处罚、法院判决、欠缴 或 荣誉"
	}
	in.Category = cat
	in.Title, in.Source, in.Unit, in.Note = strings.TrimSpace(in.Title), strings.TrimSpace(in.Source), strings.TrimSpace(in.Unit), strings.TrimSpace(in.Note)
	if in.Title == "" {
		f["title"] = "内容不能为空"
	}
	if in.Source == "" {
		f["source"] = "来源不能为空（如 县法院、县信用办、村委会、本人申报）"
	}
	d, err := ParseDate(strings.TrimSpace(in.Date))
	switch {
	case err != nil:
		f["date"] = "日期格式应为 YYYY-MM-DD"
	case d.After(s.today()):
		f["date"] = "日期不能晚于今天"
	}
	if in.AmountFen < 0 {
		f["amount_fen"] = "金额不能为负"
	}
	if in.Quantity < 0 || math.IsNaN(in.Quantity) {
		f["quantity"] = "数量不能为负"
	}
	return f
}

// AddRecord files a record for a subject (staff in scope; the subject itself may declare assets, not records of
// other departments).
func (s *Service) AddRecord(ctx context.Context, p *auth.Principal, in RecordInput) (*Record, error) {
	var out *Record
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		out, err = s.AddRecordTx(ctx, tx, p, in)
		return err
	})
	return out, err
}

// AddRecordTx is AddRecord inside a transaction (imports).
func (s *Service) AddRecordTx(ctx context.Context, tx *db.Tx, p *auth.Principal, in RecordInput) (*Record, error) {
	sub, err := s.subject(ctx, in.SubjectID)
	if err != nil {
		return nil, err
	}
	if err := canActFor(p, sub.ID, sub.RegionCode); err != nil {
		return nil, err
	}
	if f := s.validateRecord(&in); len(f) > 0 {
		return nil, apperr.FieldErrors(f)
	}
	if isSelf(p) && categoryGroup(in.Category) != "asset" {
		return nil, apperr.FieldErrors(map[string]string{"category": "本人只能申报资产；外部门记录由工作人员录入或导入"})
	}
	id := tx.NextID()
	now := s.now().UTC()
	if _, err := tx.ExecContext(ctx, `INSERT INTO credit_records (id, county_code, region_code, subject_id, category, title, amount_fen, quantity, unit, source, record_date, note, created_by_name, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, region.County(sub.RegionCode)+"000000", sub.RegionCode, sub.ID, in.Category, in.Title, in.AmountFen, in.Quantity, in.Unit,
		in.Source, in.Date, in.Note, p.Username, now); err != nil {
		return nil, fmt.Errorf("add record: %w", err)
	}
	if err := audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "create", Entity: "credit_record", EntityID: id,
		Summary: fmt.Sprintf("为 %s 登记%s：%s（来源 %s）", sub.Name, CategoryLabel(in.Category), in.Title, in.Source), After: in}); err != nil {
		return nil, err
	}
	return &Record{ID: id, SubjectID: sub.ID, Category: in.Category, CategoryLabel: CategoryLabel(in.Category), Title: in.Title, AmountFen: in.AmountFen,
		Quantity: in.Quantity, Unit: in.Unit, Source: in.Source, Date: in.Date, Note: in.Note, CreatedByName: p.Username, CreatedAt: now}, nil
}

// records lists a subject's records (callers have checked access).
func (s *Service) records(ctx context.Context, subjectID int64) ([]Record, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, subject_id, category, title, amount_fen, quantity, unit, source, record_date, note, created_by_name, created_at
		FROM credit_records WHERE subject_id = ? ORDER BY record_date DESC, id DESC LIMIT 500`, subjectID)
	if err != nil {
		return nil, fmt.Errorf("records: %w", err)
	}
	defer rows.Close()
	out := []Record{}
	for rows.Next() {
		var r Record
		if err := rows.Scan(&r.ID, &r.SubjectID, &r.Category, &r.Title, &r.AmountFen, &r.Quantity, &r.Unit, &r.Source, &r.Date, &r.Note, &r.CreatedByName, &r.CreatedAt); err != nil {
			return nil, err
		}
		r.CategoryLabel, r.CreatedAt = CategoryLabel(r.Category), r.CreatedAt.UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}

// Records lists a subject's records for p (same access as the credit file; a bank needs a live consent).
func (s *Service) Records(ctx context.Context, p *auth.Principal, subjectID int64) ([]Record, error) {
	sub, err := s.subject(ctx, subjectID)
	if err != nil {
		if isBank(p) {
			return nil, errBankNoLive
		}
		return nil, err
	}
	if _, err := s.fileAccess(ctx, p, sub); err != nil {
		return nil, err
	}
	return s.records(ctx, subjectID)
}

// RecordImporter imports assets and other departments' records from a sheet (.xlsx/.csv). A row that matches an
// existing record (same subject, category, content, source and date) is left as it is, so importing the same file
// twice adds nothing.
type RecordImporter struct{ S *Service }

// Name is the importer's key.
func (RecordImporter) Name() string { return "credit_records" }

// Title is its Chinese title.
func (RecordImporter) Title() string { return "信用档案：资产与外部门记录" }

// Columns are the sheet's columns.
func (RecordImporter) Columns() []imports.Column {
	return []imports.Column{
		{Key: "subject", Header: "主体", Required: true, Note: "主体编号、身份证号或统一社会信用代码", Aliases: []string{"主体编号", "身份证号", "统一社会信用代码"}, Example: "500237199001011234"},
		{Key: "category", Header: "类别", Required: true, Note: "承包地、农机具、活体禽畜、房屋圈舍大棚、行政处罚、法院判决、欠缴、荣誉", Example: "荣誉"},
		{Key: "title", Header: "内容", Required: true, Example: "县级五好家庭"},
		{Key: "amount", Header: "金额(元)", Note: "资产估值、罚款或欠缴金额", Example: "0"},
		{Key: "quantity", Header: "数量", Example: "1"},
		{Key: "unit", Header: "单位", Example: "户"},
		{Key: "source", Header: "来源", Required: true, Note: "来源部门，如 县法院、县信用办、县妇联", Example: "县妇联"},
		{Key: "date", Header: "日期", Required: true, Note: "YYYY-MM-DD", Example: "2025-03-08"},
		{Key: "note", Header: "备注"},
	}
}

// ImportRow validates and writes one row.
func (im RecordImporter) ImportRow(ctx context.Context, tx *db.Tx, p *auth.Principal, row map[string]string) (bool, error) {
	id, err := im.S.subjects.FindByKey(ctx, tx, strings.TrimSpace(row["subject"]))
	if err != nil || id == 0 {
		return false, apperr.FieldErrors(map[string]string{"subject": "找不到该主体（请填主体编号、身份证号或统一社会信用代码）"})
	}
	in := RecordInput{SubjectID: id, Category: row["category"], Title: row["title"], Unit: row["unit"], Source: row["source"], Date: strings.TrimSpace(row["date"]), Note: row["note"]}
	if v := strings.TrimSpace(row["amount"]); v != "" {
		fen, ok := parseYuan(v)
		if !ok {
			return false, apperr.FieldErrors(map[string]string{"amount": "金额应为数字（元，最多两位小数）"})
		}
		in.AmountFen = fen
	}
	if v := strings.TrimSpace(row["quantity"]); v != "" {
		q, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return false, apperr.FieldErrors(map[string]string{"quantity": "数量应为数字"})
		}
		in.Quantity = q
	}
	if f := im.S.validateRecord(&in); len(f) > 0 {
		return false, apperr.FieldErrors(f)
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM credit_records WHERE subject_id = ? AND category = ? AND title = ? AND source = ? AND record_date = ?`,
		id, in.Category, in.Title, in.Source, in.Date).Scan(&n); err != nil {
		return false, err
	}
	if n > 0 {
		return false, nil
	}
	if _, err := im.S.AddRecordTx(ctx, tx, p, in); err != nil {
		return false, err
	}
	return true, nil
}
