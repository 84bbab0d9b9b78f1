package supervision

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"path"
	"strings"
	"time"
	"unicode/utf8"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/web"
)

// MaxFileBytes is the largest attachment accepted.
const MaxFileBytes = 5 << 20

// Report kinds.
const (
	KindReport       = "report"
	KindContribution = "contribution"
)

// KindLabel is the Chinese label of a report kind.
func KindLabel(k string) string {
	if k == KindContribution {
		return "配合情况"
	}
	return "进展报告"
}

// KindLabel of the report.
func (r Report) KindLabel() string { return KindLabel(r.Kind) }

var allowedTypes = map[string]bool{"image/jpeg": true, "image/png": true, "application/pdf": true,
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document": true,
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":       true,
	"application/msword": true, "application/vnd.ms-excel": true, "application/zip": true}

// checkFile validates an attachment and decodes base64 input; field names the form field for messages.
func checkFile(f *FileInput, field string) string {
	if f.data == nil && f.DataBase64 != "" {
		b, err := base64.StdEncoding.DecodeString(f.DataBase64)
		if err != nil {
			return "附件内容不是有效的 base64"
		}
		f.data = b
	}
	f.Name = strings.TrimSpace(path.Base(strings.ReplaceAll(f.Name, "\\", "/")))
	switch {
	case len(f.data) == 0:
		return "附件为空"
	case len(f.data) > MaxFileBytes:
		return "附件不能超过 5 MB"
	case f.Name == "" || f.Name == "." || utf8.RuneCountInString(f.Name) > 100:
		return "附件文件名为空或过长"
	}
	ct := http.DetectContentType(f.data)
	if i := strings.Index(ct, ";"); i > 0 {
		ct = ct[:i]
	}
	if ct == "application/zip" || ct == "application/octet-stream" { // Office files sniff as zip or binary
		if strings.TrimSpace(f.ContentType) != "" && allowedTypes[f.ContentType] {
			ct = f.ContentType
		}
	}
	if !allowedTypes[ct] {
		return "附件只接受 JPEG、PNG、PDF 或 Word/Excel 文档"
	}
	f.ContentType = ct
	return ""
}

func (s *Service) saveFiles(ctx context.Context, tx *db.Tx, p *auth.Principal, ownerKind string, ownerID int64, files []FileInput) ([]File, error) {
	var out []File
	for _, f := range files {
		sum := sha256.Sum256(f.data)
		id := tx.NextID()
		if _, err := tx.ExecContext(ctx, `INSERT INTO sup_files (id, owner_kind, owner_id, name, content_type, size, sha256, data, user_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, ownerKind, ownerID, f.Name, f.ContentType, len(f.data), hex.EncodeToString(sum[:]), f.data, p.UserID, s.now().UTC()); err != nil {
			return nil, fmt.Errorf("save file: %w", err)
		}
		out = append(out, File{ID: id, Name: f.Name, ContentType: f.ContentType, Size: int64(len(f.data)), SHA256: hex.EncodeToString(sum[:]), URL: fileURL(id)})
	}
	return out, nil
}

func fileURL(id int64) string { return fmt.Sprintf("/api/v1/supervision/files/%d", id) }

func (s *Service) filesOf(ctx context.Context, ownerKind string, ids []int64) (map[int64][]File, error) {
	out := map[int64][]File{}
	if len(ids) == 0 {
		return out, nil
	}
	in, args := db.InList(ids)
	rows, err := s.db.QueryContext(ctx, `SELECT id, owner_id, name, content_type, size, sha256 FROM sup_files WHERE owner_kind = ? AND owner_id IN (`+in+`) ORDER BY id`,
		append([]any{ownerKind}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("files: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var f File
		var owner int64
		if err := rows.Scan(&f.ID, &owner, &f.Name, &f.ContentType, &f.Size, &f.SHA256); err != nil {
			return nil, err
		}
		f.URL = fileURL(f.ID)
		out[owner] = append(out[owner], f)
	}
	return out, rows.Err()
}

// FileData returns an attachment p may read: a report's when p may see its task, a disbursement's when p reads
// the funds.
func (s *Service) FileData(ctx context.Context, p *auth.Principal, id int64) (File, []byte, error) {
	if err := canRead(p); err != nil {
		return File{}, nil, err
	}
	var f File
	var kind string
	var owner int64
	var data []byte
	err := s.db.QueryRowContext(ctx, `SELECT id, owner_kind, owner_id, name, content_type, size, sha256, data FROM sup_files WHERE id = ?`, id).
		Scan(&f.ID, &kind, &owner, &f.Name, &f.ContentType, &f.Size, &f.SHA256, &data)
	if err != nil {
		return File{}, nil, apperr.New(apperr.NotFound, "附件不存在")
	}
	if kind == "report" {
		var taskID int64
		if err := s.db.QueryRowContext(ctx, `SELECT task_id FROM sup_reports WHERE id = ?`, owner).Scan(&taskID); err != nil {
			return File{}, nil, apperr.New(apperr.NotFound, "附件不存在")
		}
		d, err := s.GetTask(ctx, p, taskID)
		if err != nil || !d.CanSee {
			return File{}, nil, apperr.New(apperr.NotFound, "附件不存在或您无权查看")
		}
	}
	return f, data, nil
}

// reports reads reports with a WHERE over r (sup_reports) and their files.
func (s *Service) reports(ctx context.Context, where string, args ...any) ([]Report, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT r.id, r.task_id, t.no, r.unit_id, u.name, r.kind, r.period, r.narrative, r.progress_pct, r.figures, r.done, r.user_name, r.created_at
		FROM sup_reports r JOIN sup_tasks t ON t.id = r.task_id JOIN sup_units u ON u.id = r.unit_id `+where+` ORDER BY r.created_at DESC, r.id DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("reports: %w", err)
	}
	var out []Report
	var ids []int64
	for rows.Next() {
		var r Report
		var figs string
		if err := rows.Scan(&r.ID, &r.TaskID, &r.TaskNo, &r.UnitID, &r.UnitName, &r.Kind, &r.Period, &r.Narrative, &r.ProgressPct, &figs, &r.Done, &r.UserName, &r.CreatedAt); err != nil {
			rows.Close()
			return nil, err
		}
		_ = json.Unmarshal([]byte(figs), &r.Figures)
		out = append(out, r)
		ids = append(ids, r.ID)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	files, err := s.filesOf(ctx, "report", ids)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Files = files[out[i].ID]
	}
	return out, nil
}

// FileReport files a progress report (the responsible unit) or a contribution (a cooperating unit) on a task,
// with its attachments, in one transaction with its audit record; a status change it causes is logged too.
func (s *Service) FileReport(ctx context.Context, p *auth.Principal, taskID int64, in ReportInput) (Report, error) {
	if err := canRead(p); err != nil {
		return Report{}, err
	}
	if in.Kind == "" {
		in.Kind = KindReport
	}
	var out Report
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		ts, err := s.loadTasks(ctx, tx, taskID)
		if err != nil {
			return err
		}
		if len(ts) == 0 {
			return apperr.New(apperr.NotFound, "任务不存在")
		}
		t := ts[0]
		mine, err := s.myUnits(ctx, tx, p)
		if err != nil {
			return err
		}
		role := "lead"
		if in.Kind == KindContribution {
			role = "coop"
		} else if in.Kind != KindReport {
			return apperr.FieldErrors(map[string]string{"kind": "报告类型应为 report（进展报告）或 contribution（配合情况）"})
		}
		var candidates []UnitRef
		list := t.Lead
		if role == "coop" {
			list = t.Coop
		}
		for _, u := range list {
			if mine[u.ID] {
				candidates = append(candidates, u)
			}
		}
		if len(candidates) == 0 {
			if role == "lead" {
				return apperr.New(apperr.Forbidden, "只有本任务责任单位的账号可以填报进展报告")
			}
			return apperr.New(apperr.Forbidden, "只有本任务配合单位的账号可以填报配合情况")
		}
		unit := candidates[0]
		if in.UnitID != 0 {
			unit = UnitRef{}
			for _, c := range candidates {
				if c.ID == in.UnitID {
					unit = c
				}
			}
			if unit.ID == 0 {
				return apperr.FieldErrors(map[string]string{"unit_id": "您不能以该单位身份填报"})
			}
		} else if len(candidates) > 1 {
			return apperr.FieldErrors(map[string]string{"unit_id": "您绑定了多个单位，请选择以哪个单位身份填报"})
		}
		fields := map[string]string{}
		now := s.now()
		if strings.TrimSpace(in.Period) == "" {
			in.Period = now.In(web.Shanghai).Format("2006-01")
		}
		if pt, err := time.ParseInLocation("2006-01", in.Period, web.Shanghai); err != nil {
			fields["period"] = "报告期格式应为 YYYY-MM"
		} else if pt.After(now) {
			fields["period"] = "报告期不能晚于本月"
		}
		in.Narrative = strings.TrimSpace(in.Narrative)
		switch n := utf8.RuneCountInString(in.Narrative); {
		case n < 10:
			fields["narrative"] = "请填写进展情况（至少10个字）"
		case n > 5000:
			fields["narrative"] = "进展情况不能超过5000字"
		}
		if in.ProgressPct < 0 || in.ProgressPct > 100 {
			fields["progress_pct"] = "完成进度应在 0 到 100 之间"
		}
		if in.Done && role == "lead" {
			in.ProgressPct = 100
		}
		if in.Done && role == "coop" {
			fields["done"] = "配合单位不能宣布任务完成"
		}
		if len(in.Figures) > 20 {
			fields["figures"] = "数据项不能超过20个"
		}
		for i := range in.Figures {
			in.Figures[i].Name = strings.TrimSpace(in.Figures[i].Name)
			in.Figures[i].Unit = strings.TrimSpace(in.Figures[i].Unit)
			if in.Figures[i].Name == "" {
				fields["figures"] = "数据项须填写名称"
			}
		}
		if len(in.Files) > 10 {
			fields["files"] = "附件不能超过10个"
		}
		for i := range in.Files {
			if msg := checkFile(&in.Files[i], "files"); msg != "" {
				fields["files"] = in.Files[i].Name + "：" + msg
			}
		}
		if err := apperr.FieldErrors(fields); err != nil {
			return err
		}
		figs, _ := json.Marshal(orEmptyFigures(in.Figures))
		out = Report{ID: tx.NextID(), TaskID: t.ID, TaskNo: t.No, UnitID: unit.ID, UnitName: unit.Name, Kind: in.Kind, Period: in.Period,
			Narrative: in.Narrative, ProgressPct: in.ProgressPct, Figures: orEmptyFigures(in.Figures), Done: in.Done, UserName: p.Username,
			CreatedAt: now.UTC().Truncate(time.Microsecond)}
		if _, err := tx.ExecContext(ctx, `INSERT INTO sup_reports (id, task_id, unit_id, kind, period, narrative, progress_pct, figures, done, user_id, user_name, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, out.ID, out.TaskID, out.UnitID, out.Kind, out.Period, out.Narrative, out.ProgressPct, string(figs), out.Done,
			p.UserID, out.UserName, out.CreatedAt); err != nil {
			return fmt.Errorf("insert report: %w", err)
		}
		if out.Files, err = s.saveFiles(ctx, tx, p, "report", out.ID, in.Files); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "create", Entity: "supervision_report", EntityID: out.ID,
			Summary: fmt.Sprintf("%s 报送重点任务第%d项%s（%s，进度%d%%，附件%d个）", unit.Name, t.No, KindLabel(out.Kind), out.Period, out.ProgressPct, len(out.Files)),
			After:   map[string]any{"task": t.No, "unit": unit.Name, "kind": out.Kind, "period": out.Period, "progress_pct": out.ProgressPct, "done": out.Done, "figures": out.Figures, "files": len(out.Files)}})
	})
	if err != nil {
		return Report{}, err
	}
	// the status this report causes is observed at once, so the weekly summary dates the change to the filing
	if ts, err := s.loadTasks(ctx, s.db, taskID); err == nil {
		_ = s.observe(ctx, ts)
	}
	return out, nil
}

func orEmptyFigures(f []Figure) []Figure {
	if f == nil {
		return []Figure{}
	}
	return f
}

// ReportFilter selects reports.
type ReportFilter struct {
	TaskID  int64
	UnitID  int64
	Kind    string
	Period  string
	Page    int
	PerPage int
}

// Reports lists the reports p may read (a department: its units' tasks), newest first.
func (s *Service) Reports(ctx context.Context, p *auth.Principal, f ReportFilter) ([]Report, int, error) {
	if err := canRead(p); err != nil {
		return nil, 0, err
	}
	var conds []string
	var args []any
	if f.TaskID != 0 {
		conds, args = append(conds, "r.task_id = ?"), append(args, f.TaskID)
	}
	if f.UnitID != 0 {
		conds, args = append(conds, "r.unit_id = ?"), append(args, f.UnitID)
	}
	if f.Kind != "" {
		conds, args = append(conds, "r.kind = ?"), append(args, f.Kind)
	}
	if f.Period != "" {
		conds, args = append(conds, "r.period = ?"), append(args, f.Period)
	}
	if !seesAll(p) {
		mine, err := s.myUnits(ctx, s.db, p)
		if err != nil {
			return nil, 0, err
		}
		if len(mine) == 0 {
			return []Report{}, 0, nil
		}
		in, a := db.InList(sortedKeys(mine))
		conds = append(conds, "r.task_id IN (SELECT owner_id FROM sup_links WHERE owner_kind = 'task' AND unit_id IN ("+in+"))")
		args = append(args, a...)
	}
	where := ""
	if len(conds) > 0 {
		where = "WHERE " + strings.Join(conds, " AND ")
	}
	all, err := s.reports(ctx, where, args...)
	if err != nil {
		return nil, 0, err
	}
	if f.PerPage <= 0 {
		f.PerPage, f.Page = 50, 1
	}
	pg := web.PageReq{Page: max(f.Page, 1), PerPage: f.PerPage}
	from, to := pg.Bounds(len(all))
	return all[from:to], len(all), nil
}
