package indicator

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/web"
)

// Reported values (填报值). For what no room measures, a responsible unit (责任单位, the department role or a
// township operator) reports a figure for a region as of a date, with an evidence file; the task force (工作专班)
// or a county admin approves or rejects it — never the person who filed it. Approved reports are a source
// (ReportedSourceKey, filter indicator=KEY) and the value of any indicator whose own source is not registered.

// Report statuses.
const (
	ReportPending  = "pending"
	ReportApproved = "approved"
	ReportRejected = "rejected"
)

// ReportedSourceKey is the source of approved reported values; its filter names the indicator.
const ReportedSourceKey = "reported.values"

// MaxEvidence is the largest evidence file accepted.
const MaxEvidence = 5 << 20

// Report is one reported value.
type Report struct {
	ID              int64      `json:"id"`
	IndicatorKey    string     `json:"indicator_key"`
	IndicatorName   string     `json:"indicator_name"`
	RegionCode      string     `json:"region_code" doc:"12位区划代码"`
	AsOf            string     `json:"as_of" doc:"数据截至日期 YYYY-MM-DD"`
	Value           float64    `json:"value"`
	UnitName        string     `json:"unit_name" doc:"填报单位（责任单位）"`
	Note            string     `json:"note"`
	EvidenceName    string     `json:"evidence_name"`
	EvidenceSize    int        `json:"evidence_size"`
	Status          string     `json:"status" doc:"pending 待审核 / approved 已通过 / rejected 已退回"`
	StatusLabel     string     `json:"status_label"`
	SubmittedByName string     `json:"submitted_by_name"`
	SubmittedAt     time.Time  `json:"submitted_at"`
	ReviewedByName  string     `json:"reviewed_by_name"`
	ReviewedAt      *time.Time `json:"reviewed_at"`
	ReviewNote      string     `json:"review_note"`
	submittedBy     int64
}

// ReportInput files a report; Evidence is the file's content (JSON: base64).
type ReportInput struct {
	IndicatorKey string `json:"indicator_key"`
	RegionCode   string `json:"region_code"`
	AsOf         string `json:"as_of" doc:"YYYY-MM-DD"`
	Value        string `json:"value" doc:"数值（元、个、人、亩次或 %）"`
	UnitName     string `json:"unit_name" doc:"填报单位"`
	Note         string `json:"note"`
	EvidenceName string `json:"evidence_name" doc:"佐证材料文件名"`
	Evidence     []byte `json:"evidence" doc:"佐证材料内容（base64），不超过 5 MB"`
}

// ReportReview approves or rejects a report.
type ReportReview struct {
	Approve bool   `json:"approve"`
	Note    string `json:"note" doc:"审核意见；退回时必填"`
}

// StatusLabel is the Chinese label of a report status.
func StatusLabel(s string) string {
	switch s {
	case ReportPending:
		return "待审核"
	case ReportApproved:
		return "已通过"
	case ReportRejected:
		return "已退回"
	}
	return s
}

// CanReport: responsible units (departments), township operators, the task force and county admins file reports.
func CanReport(p *auth.Principal) error {
	if !p.Is(auth.Department, auth.TownshipOperator, auth.Taskforce, auth.CountyAdmin) {
		return apperr.New(apperr.Forbidden, "您的角色不能填报指标数据")
	}
	return nil
}

func inScope(p *auth.Principal, code string) bool { return len(p.Scopes) == 0 || p.InRegion(code) }

// SubmitReport files a reported value with its evidence; it waits for the task force's approval.
func (s *Service) SubmitReport(ctx context.Context, p *auth.Principal, in ReportInput) (Report, error) {
	if err := CanReport(p); err != nil {
		return Report{}, err
	}
	f := map[string]string{}
	x, err := s.GetIndicator(ctx, strings.TrimSpace(in.IndicatorKey))
	if err != nil {
		f["indicator_key"] = "指标不存在"
	}
	in.RegionCode = strings.TrimSpace(in.RegionCode)
	if len(in.RegionCode) != 12 || strings.Trim(in.RegionCode, "0123456789") != "" {
		f["region_code"] = "请填写12位区划代码"
	} else if !inScope(p, in.RegionCode) {
		return Report{}, apperr.New(apperr.Forbidden, "该区划不在您的管辖范围内")
	}
	asOf, derr := time.ParseInLocation("2006-01-02", strings.TrimSpace(in.AsOf), web.Shanghai)
	if derr != nil {
		f["as_of"] = "截至日期格式应为 2024-06-30"
	} else if asOf.After(s.now().In(web.Shanghai)) {
		f["as_of"] = "截至日期不能晚于今天"
	}
	v, verr := parseNumber(in.Value)
	if verr != nil {
		f["value"] = "请填写数值"
	} else if v < 0 {
		f["value"] = "数值不能为负"
	}
	in.UnitName = strings.TrimSpace(in.UnitName)
	if in.UnitName == "" {
		f["unit_name"] = "请填写填报单位"
	}
	if len(in.Evidence) == 0 || strings.TrimSpace(in.EvidenceName) == "" {
		f["evidence"] = "请上传佐证材料（文件、照片或扫描件）"
	} else if len(in.Evidence) > MaxEvidence {
		f["evidence"] = "佐证材料不能超过 5 MB"
	}
	if len(f) > 0 {
		return Report{}, apperr.FieldErrors(f)
	}
	r := Report{ID: s.db.IDs.Next(), IndicatorKey: x.Key, IndicatorName: x.Name, RegionCode: in.RegionCode, AsOf: asOf.Format("2006-01-02"),
		Value: v, UnitName: in.UnitName, Note: strings.TrimSpace(in.Note), EvidenceName: strings.TrimSpace(in.EvidenceName),
		EvidenceSize: len(in.Evidence), Status: ReportPending, StatusLabel: StatusLabel(ReportPending), SubmittedByName: p.Username,
		SubmittedAt: s.now().UTC().Truncate(time.Microsecond), submittedBy: p.UserID}
	err = s.db.InTx(ctx, func(tx *db.Tx) error { return s.insertReport(ctx, tx, p.Actor(), r, in.Evidence) })
	return r, err
}

func (s *Service) insertReport(ctx context.Context, tx *db.Tx, actor audit.Actor, r Report, evidence []byte) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO indicator_reports (id, indicator_key, region_code, as_of, value, unit_name, note, evidence_name, evidence_type,
		evidence_size, evidence, status, submitted_by, submitted_by_name, submitted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.IndicatorKey, r.RegionCode, r.AsOf, r.Value, r.UnitName, r.Note, r.EvidenceName, http.DetectContentType(evidence),
		len(evidence), evidence, r.Status, actor.ID, actor.Name, r.SubmittedAt); err != nil {
		return fmt.Errorf("insert report: %w", err)
	}
	return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "create", Entity: "indicator_report", EntityID: r.ID,
		Summary: fmt.Sprintf("填报指标 %s：%s 截至 %s 为 %g（%s）", r.IndicatorName, r.RegionCode, r.AsOf, r.Value, r.UnitName), After: r})
}

// SeedReportTx adds an approved report (demo data) inside tx.
func (s *Service) SeedReportTx(ctx context.Context, tx *db.Tx, r Report, evidenceName string, evidence []byte) error {
	r.ID = s.db.IDs.Next()
	r.Status = ReportApproved
	r.EvidenceName = evidenceName
	r.SubmittedAt = s.now().UTC().Truncate(time.Microsecond)
	if err := s.insertReport(ctx, tx, audit.System, r, evidence); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE indicator_reports SET reviewed_by_name = '系统', reviewed_at = ?, review_note = '演示数据' WHERE id = ?`, r.SubmittedAt, r.ID)
	return err
}

// ReviewReport approves or rejects a pending report (task force or county admin, not the one who filed it).
func (s *Service) ReviewReport(ctx context.Context, p *auth.Principal, id int64, rv ReportReview) (Report, error) {
	if !p.Is(auth.Taskforce, auth.CountyAdmin) {
		return Report{}, apperr.New(apperr.Forbidden, "只有工作专班和县级管理员可以审核填报数据")
	}
	var out Report
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		r, err := s.getReport(ctx, tx, id)
		if err != nil {
			return err
		}
		if !inScope(p, r.RegionCode) {
			return apperr.New(apperr.Forbidden, "该区划不在您的管辖范围内")
		}
		if r.Status != ReportPending {
			return apperr.New(apperr.Conflict, "该填报已审核（"+r.StatusLabel+"）")
		}
		if r.submittedBy == p.UserID && p.UserID != 0 {
			return apperr.New(apperr.Forbidden, "不能审核自己填报的数据")
		}
		note := strings.TrimSpace(rv.Note)
		if !rv.Approve && note == "" {
			return apperr.FieldErrors(map[string]string{"note": "退回时请填写审核意见"})
		}
		before := r
		r.Status = ReportRejected
		if rv.Approve {
			r.Status = ReportApproved
		}
		now := s.now().UTC().Truncate(time.Microsecond)
		r.StatusLabel, r.ReviewedByName, r.ReviewedAt, r.ReviewNote = StatusLabel(r.Status), p.Username, &now, note
		if _, err := tx.ExecContext(ctx, `UPDATE indicator_reports SET status = ?, reviewed_by = ?, reviewed_by_name = ?, reviewed_at = ?, review_note = ? WHERE id = ? AND status = ?`,
			r.Status, p.UserID, p.Username, now, note, id, ReportPending); err != nil {
			return fmt.Errorf("review report: %w", err)
		}
		out = r
		verb := "退回"
		if rv.Approve {
			verb = "通过"
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "update", Entity: "indicator_report", EntityID: id,
			Summary: verb + "填报：" + r.IndicatorName + " " + r.RegionCode + " 截至 " + r.AsOf, Before: before, After: r})
	})
	return out, err
}

const reportCols = `r.id, r.indicator_key, COALESCE(i.name, ''), r.region_code, r.as_of, r.value, r.unit_name, r.note, r.evidence_name, r.evidence_size,
	r.status, r.submitted_by, r.submitted_by_name, r.submitted_at, r.reviewed_by_name, r.reviewed_at, r.review_note`

func scanReport(sc interface{ Scan(...any) error }) (Report, error) {
	var r Report
	var reviewed sql.NullTime
	err := sc.Scan(&r.ID, &r.IndicatorKey, &r.IndicatorName, &r.RegionCode, &r.AsOf, &r.Value, &r.UnitName, &r.Note, &r.EvidenceName, &r.EvidenceSize,
		&r.Status, &r.submittedBy, &r.SubmittedByName, &r.SubmittedAt, &r.ReviewedByName, &reviewed, &r.ReviewNote)
	if reviewed.Valid {
		t := reviewed.Time
		r.ReviewedAt = &t
	}
	r.StatusLabel = StatusLabel(r.Status)
	return r, err
}

func (s *Service) getReport(ctx context.Context, q db.Querier, id int64) (Report, error) {
	r, err := scanReport(q.QueryRowContext(ctx, `SELECT `+reportCols+` FROM indicator_reports r LEFT JOIN indicators i ON i.key = r.indicator_key WHERE r.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, apperr.New(apperr.NotFound, "填报记录不存在")
	}
	if err != nil {
		return r, fmt.Errorf("get report: %w", err)
	}
	return r, nil
}

// GetReport returns one report the caller may read.
func (s *Service) GetReport(ctx context.Context, p *auth.Principal, id int64) (Report, error) {
	if err := CanRead(p); err != nil {
		return Report{}, err
	}
	r, err := s.getReport(ctx, s.db, id)
	if err != nil {
		return r, err
	}
	if !inScope(p, r.RegionCode) {
		return Report{}, apperr.New(apperr.NotFound, "填报记录不存在")
	}
	return r, nil
}

// Evidence returns a report's evidence file.
func (s *Service) Evidence(ctx context.Context, p *auth.Principal, id int64) (name, contentType string, data []byte, err error) {
	if _, err = s.GetReport(ctx, p, id); err != nil {
		return
	}
	err = s.db.QueryRowContext(ctx, `SELECT evidence_name, evidence_type, evidence FROM indicator_reports WHERE id = ?`, id).Scan(&name, &contentType, &data)
	return
}

// ReportFilter selects reports.
type ReportFilter struct {
	Indicator string
	Status    string
	Page      int
	PerPage   int
}

// ListReports lists reports in the caller's scope, newest first.
func (s *Service) ListReports(ctx context.Context, p *auth.Principal, f ReportFilter) ([]Report, int, error) {
	if err := CanRead(p); err != nil {
		return nil, 0, err
	}
	where := []string{"1 = 1"}
	var args []any
	if f.Indicator != "" {
		where = append(where, "r.indicator_key = ?")
		args = append(args, f.Indicator)
	}
	if f.Status != "" {
		where = append(where, "r.status = ?")
		args = append(args, f.Status)
	}
	if len(p.Scopes) > 0 {
		var or []string
		for _, pre := range p.ScopePrefixes() {
			lo, hi := db.PrefixRange(pre)
			or = append(or, "(r.region_code >= ? AND r.region_code < ?)")
			args = append(args, lo, hi)
		}
		where = append(where, "("+strings.Join(or, " OR ")+")")
	}
	w := strings.Join(where, " AND ")
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM indicator_reports r WHERE `+w, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count reports: %w", err)
	}
	if f.PerPage <= 0 || f.PerPage > 500 {
		f.PerPage = 50
	}
	if f.Page <= 0 {
		f.Page = 1
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+reportCols+` FROM indicator_reports r LEFT JOIN indicators i ON i.key = r.indicator_key WHERE `+w+
		` ORDER BY r.submitted_at DESC, r.id DESC LIMIT ? OFFSET ?`, append(args, f.PerPage, (f.Page-1)*f.PerPage)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list reports: %w", err)
	}
	defer rows.Close()
	var out []Report
	for rows.Next() {
		r, err := scanReport(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, r)
	}
	return out, total, rows.Err()
}

// reportedPoint is the latest approved value of one region.
type reportedPoint struct {
	region string
	value  float64
	asOf   string
}

// ReportedValues computes an indicator's reported value for each region prefix as of the end of period p (the
// latest approved report before p.To for each reporting region). Under a prefix, a report filed for a region
// covers its descendants: a region's value is its own latest report if it has one, otherwise the sum of the
// highest-level reports below it. The second result is the latest as-of date used per prefix ("" = none).
func (s *Service) ReportedValues(ctx context.Context, key string, prefixes []string, p Period) ([]float64, []string, error) {
	q := `SELECT region_code, as_of, value FROM indicator_reports WHERE indicator_key = ? AND status = ?`
	args := []any{key, ReportApproved}
	if !p.To.IsZero() {
		q += ` AND as_of < ?`
		args = append(args, p.To.In(web.Shanghai).Format("2006-01-02"))
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY region_code, as_of, submitted_at`, args...)
	if err != nil {
		return nil, nil, fmt.Errorf("reported values: %w", err)
	}
	defer rows.Close()
	latest := map[string]reportedPoint{}
	for rows.Next() {
		var pt reportedPoint
		if err := rows.Scan(&pt.region, &pt.asOf, &pt.value); err != nil {
			return nil, nil, err
		}
		latest[pt.region] = pt // ordered by as_of: the last one wins
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	pts := make([]reportedPoint, 0, len(latest))
	for _, pt := range latest {
		pts = append(pts, pt)
	}
	// highest level first, so a covering report is kept before the reports below it
	sort.Slice(pts, func(i, j int) bool {
		a, b := Prefix(pts[i].region), Prefix(pts[j].region)
		if len(a) != len(b) {
			return len(a) < len(b)
		}
		return a < b
	})
	vals := make([]float64, len(prefixes))
	asOf := make([]string, len(prefixes))
	for i, pre := range prefixes {
		var kept []string
		for _, pt := range pts {
			// a report for an ancestor of the asked region does not tell the region's own value
			if !strings.HasPrefix(pt.region, pre) {
				continue
			}
			rp := Prefix(pt.region)
			covered := false
			for _, k := range kept {
				if strings.HasPrefix(pt.region, k) {
					covered = true
					break
				}
			}
			if covered {
				continue
			}
			kept = append(kept, rp)
			vals[i] += pt.value
			if pt.asOf > asOf[i] {
				asOf[i] = pt.asOf
			}
		}
	}
	return vals, asOf, nil
}

// reportedSource is approved reported values as a source: filter indicator = the indicator's key.
type reportedSource struct{ s *Service }

func (reportedSource) Key() string  { return ReportedSourceKey }
func (reportedSource) Name() string { return "责任单位填报值（经工作专班审核）" }

func (r reportedSource) Value(ctx context.Context, q Query) (float64, error) {
	v, err := r.Values(ctx, q, []string{q.RegionPrefix})
	if err != nil {
		return 0, err
	}
	return v[0], nil
}

func (r reportedSource) Values(ctx context.Context, q Query, prefixes []string) ([]float64, error) {
	key := q.Filter["indicator"]
	if key == "" {
		return nil, apperr.FieldErrors(map[string]string{"filter": "填报值数据源须指定 indicator（指标标识）"})
	}
	v, _, err := r.s.ReportedValues(ctx, key, prefixes, Period{From: q.From, To: q.To})
	return v, err
}

// Depends: approved reports and indicator edits move reported values.
func (reportedSource) Depends() []string { return []string{"indicator_report", "indicator"} }
