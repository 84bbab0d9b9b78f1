package service

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"nongfu/internal/platform/web"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/region"
)

// DueAt is the deadline of a request filed at filed with a limit of hours working hours. Working time is counted in
// Asia/Shanghai: every Monday–Friday counts its full 24 hours, Saturdays and Sundays count nothing (public holidays
// and 调休 are not modelled). So the default 120 hours (5 working days) ends at the same weekday and time one week
// later; a request filed on a weekend starts counting at Monday 00:00 and is due at the next Saturday 00:00.
func DueAt(filed time.Time, hours int) time.Time {
	left := time.Duration(hours) * time.Hour
	t := filed.In(web.Shanghai)
	for {
		y, m, d := t.Date()
		next := time.Date(y, m, d+1, 0, 0, 0, 0, web.Shanghai)
		if wd := t.Weekday(); wd != time.Saturday && wd != time.Sunday {
			if avail := next.Sub(t); left <= avail {
				return t.Add(left).UTC()
			} else {
				left -= avail
			}
		}
		t = next
	}
}

var actionLabels = map[string]string{"file": "提交", "accept": "受理", "handle": "办理", "finish": "办结", "return": "退回"}

// transitions: action → (allowed from, to).
var transitions = map[string]struct {
	from []string
	to   string
}{
	"accept": {[]string{ReqFiled}, ReqAccepted},
	"handle": {[]string{ReqAccepted}, ReqHandled},
	"finish": {[]string{ReqHandled}, ReqFinished},
	"return": {[]string{ReqFiled, ReqAccepted, ReqHandled}, ReqReturned},
}

const requestCols = `q.id, q.center_id, q.center_region, q.subject_id, q.type, q.title, q.detail, q.proxy, q.status, q.filed_at, q.due_at, q.closed_at, q.return_reason`

func (s *Service) scanRequest(sc interface{ Scan(...any) error }) (*Request, error) {
	r := &Request{}
	var closed sql.NullTime
	if err := sc.Scan(&r.ID, &r.CenterID, &r.centerReg, &r.SubjectID, &r.Type, &r.Title, &r.Detail, &r.Proxy, &r.Status, &r.FiledAt, &r.DueAt, &closed,
		&r.ReturnReason); err != nil {
		return nil, err
	}
	r.FiledAt, r.DueAt = r.FiledAt.UTC(), r.DueAt.UTC()
	r.TypeLabel, r.StatusLabel = ItemName(r.Type), RequestStatusLabel(r.Status)
	now := s.now()
	switch {
	case r.Open():
		r.Overdue = now.After(r.DueAt)
	case r.Status == ReqFinished && closed.Valid:
		r.Overdue = closed.Time.After(r.DueAt)
	}
	return r, nil
}

// ListRequests returns the requests p may read (readers: by the carrier's region; members: their own), newest first.
// Overdue selects open requests past their due time.
func (s *Service) ListRequests(ctx context.Context, p *auth.Principal, f RequestFilter) ([]*Request, int, error) {
	if !canSee(p) {
		return nil, 0, nil
	}
	where, args := scopeSQL(p, "q.center_region", "q.subject_id")
	if f.Status != "" {
		if f.Status == "open" {
			where += " AND q.status IN ('filed', 'accepted', 'handled')"
		} else {
			where += " AND q.status = ?"
			args = append(args, f.Status)
		}
	}
	if f.CenterID != 0 {
		where += " AND q.center_id = ?"
		args = append(args, f.CenterID)
	}
	if f.Overdue {
		where += " AND q.status IN ('filed', 'accepted', 'handled') AND q.due_at < ?"
		args = append(args, s.nowUTC())
	}
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM service_requests q WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count requests: %w", err)
	}
	if f.PerPage <= 0 {
		f.PerPage = 50
	}
	if f.Page < 1 {
		f.Page = 1
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+requestCols+` FROM service_requests q WHERE `+where+` ORDER BY q.filed_at DESC, q.id DESC LIMIT ? OFFSET ?`,
		append(args, f.PerPage, (f.Page-1)*f.PerPage)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list requests: %w", err)
	}
	defer rows.Close()
	var out []*Request
	for rows.Next() {
		r, err := s.scanRequest(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	rows.Close()
	return out, total, s.names(ctx, nil, out)
}

func (s *Service) loadRequest(ctx context.Context, q db.Querier, id int64) (*Request, error) {
	r, err := s.scanRequest(q.QueryRowContext(ctx, `SELECT `+requestCols+` FROM service_requests q WHERE q.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoRequest
	}
	if err != nil {
		return nil, fmt.Errorf("get request %d: %w", id, err)
	}
	return r, nil
}

func canReadRequest(p *auth.Principal, r *Request) bool {
	if p == nil {
		return false
	}
	if p.Is(auth.Member) {
		return p.SubjectID != 0 && p.SubjectID == r.SubjectID
	}
	return isReader(p) && p.InRegion(r.centerReg)
}

// GetRequest returns a request with its steps.
func (s *Service) GetRequest(ctx context.Context, p *auth.Principal, id int64) (*Request, error) {
	r, err := s.loadRequest(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	if !canReadRequest(p, r) {
		return nil, errNoRequest
	}
	rows, err := s.db.QueryContext(ctx, `SELECT action, at, by_id, by_name, note FROM service_request_steps WHERE request_id = ? ORDER BY seq`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var st Step
		if err := rows.Scan(&st.Action, &st.At, &st.ByID, &st.ByName, &st.Note); err != nil {
			return nil, err
		}
		st.At, st.Label = st.At.UTC(), actionLabels[st.Action]
		r.Steps = append(r.Steps, st)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	return r, s.names(ctx, nil, []*Request{r})
}

// FileRequest files a request to a carrier: a member for its own subject, or staff on a subject's behalf (代办).
func (s *Service) FileRequest(ctx context.Context, p *auth.Principal, in RequestInput) (*Request, error) {
	proxy := false
	switch {
	case p != nil && p.Is(auth.Member):
		if p.SubjectID == 0 {
			return nil, apperr.New(apperr.Forbidden, "您的账号没有关联主体，请联系乡镇工作人员代办")
		}
		if in.SubjectID != 0 && in.SubjectID != p.SubjectID {
			return nil, apperr.New(apperr.Forbidden, "只能为本人（本组织）提交申请")
		}
		in.SubjectID = p.SubjectID
	case isStaff(p):
		proxy = true
	default:
		return nil, errReadOnly
	}
	fields := map[string]string{}
	c, err := s.loadCenter(ctx, s.db, in.CenterID)
	if err != nil {
		fields["center_id"] = "请选择服务载体"
	} else if proxy {
		if err := canHandle(p, c.RegionCode); err != nil {
			return nil, err
		}
	}
	subs, err := s.subjects.Lookup(ctx, []int64{in.SubjectID})
	if err != nil {
		return nil, err
	}
	sub, ok := subs[in.SubjectID]
	if !ok {
		fields["subject_id"] = "请选择申请主体"
	} else if c != nil && p.Is(auth.Member) && region.County(sub.RegionCode) != region.County(c.RegionCode) {
		fields["center_id"] = "只能向本县的服务载体提交申请"
	}
	var it Item
	if c != nil {
		if it, err = s.Item(ctx, region.County(c.RegionCode), strings.TrimSpace(in.Type)); err != nil || it.Group != GroupCenter {
			fields["type"] = "请选择申请类型（政务代办、商务代理、档案管理、财务代账等）"
		} else if len(c.Services) > 0 && !slices.Contains(c.Services, it.Code) {
			fields["type"] = c.Name + " 不提供" + it.Name
		}
	}
	in.Title, in.Detail = strings.TrimSpace(in.Title), strings.TrimSpace(in.Detail)
	if in.Title == "" || utf8.RuneCountInString(in.Title) > 100 {
		fields["title"] = "请填写事项（不超过 100 字）"
	}
	if utf8.RuneCountInString(in.Detail) > 2000 {
		fields["detail"] = "说明不能超过 2000 字"
	}
	if len(fields) > 0 {
		return nil, apperr.FieldErrors(fields)
	}
	if c.Status != OpenOperating {
		return nil, apperr.Errorf(apperr.Conflict, "%s 尚未运营或已停业，不能受理申请", c.Name)
	}
	now := s.nowUTC()
	var id int64
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		var e error
		id, e = s.insertRequest(ctx, tx, p.Actor(), p.UserID, displayName(p), c, sub.ID, it, in.Title, in.Detail, proxy, now)
		return e
	})
	if err != nil {
		return nil, err
	}
	return s.GetRequest(ctx, p, id)
}

func (s *Service) insertRequest(ctx context.Context, tx *db.Tx, actor audit.Actor, userID int64, userName string, c *Center, subjectID int64, it Item,
	title, detail string, proxy bool, now time.Time) (int64, error) {
	id := tx.NextID()
	due := DueAt(now, it.DueHours)
	if _, err := tx.ExecContext(ctx, `INSERT INTO service_requests (id, county_code, center_id, center_region, subject_id, type, title, detail, proxy, status,
		filed_at, due_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, region.County(c.RegionCode), c.ID, c.RegionCode, subjectID, it.Code, title, detail,
		proxy, ReqFiled, now, due); err != nil {
		return 0, fmt.Errorf("insert request: %w", err)
	}
	note := ""
	if proxy {
		note = "工作人员代办"
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO service_request_steps (request_id, seq, action, at, by_id, by_name, note) VALUES (?, 1, 'file', ?, ?, ?, ?)`,
		id, now, userID, userName, note); err != nil {
		return 0, fmt.Errorf("insert step: %w", err)
	}
	return id, audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "create", Entity: "service_request", EntityID: id,
		Summary: fmt.Sprintf("%s向%s提交%s：%s", map[bool]string{true: "代办", false: ""}[proxy], c.Name, it.Name, title),
		After:   map[string]any{"center_id": c.ID, "subject_id": subjectID, "type": it.Code, "proxy": proxy, "due_at": due}})
}

// Act moves a request one step: accept, handle, finish, or return (with a reason). A step that does not follow from
// the current status is a conflict.
func (s *Service) Act(ctx context.Context, p *auth.Principal, id int64, action, reason string) (*Request, error) {
	tr, ok := transitions[action]
	if !ok {
		return nil, apperr.New(apperr.NotFound, "未知的操作")
	}
	r, err := s.loadRequest(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	if !canReadRequest(p, r) {
		return nil, errNoRequest
	}
	if err := canHandle(p, r.centerReg); err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	if action == "return" && (reason == "" || utf8.RuneCountInString(reason) > 500) {
		return nil, apperr.FieldErrors(map[string]string{"reason": "请填写退回原因（不超过 500 字）"})
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		return s.actTx(ctx, tx, p.Actor(), p.UserID, displayName(p), r, action, tr.from, tr.to, reason, s.nowUTC())
	})
	if err != nil {
		return nil, err
	}
	return s.GetRequest(ctx, p, id)
}

func (s *Service) actTx(ctx context.Context, tx *db.Tx, actor audit.Actor, userID int64, userName string, r *Request, action string, from []string, to,
	reason string, now time.Time) error {
	ph, args := db.InList(from)
	set := "status = ?"
	vals := []any{to}
	if to == ReqFinished || to == ReqReturned {
		set += ", closed_at = ?"
		vals = append(vals, now)
	}
	if to == ReqReturned {
		set += ", return_reason = ?"
		vals = append(vals, reason)
	}
	res, err := tx.ExecContext(ctx, `UPDATE service_requests SET `+set+` WHERE id = ? AND status IN (`+ph+`)`, append(append(vals, r.ID), args...)...)
	if err != nil {
		return fmt.Errorf("update request: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		var cur string
		_ = tx.QueryRowContext(ctx, `SELECT status FROM service_requests WHERE id = ?`, r.ID).Scan(&cur)
		return apperr.Errorf(apperr.Conflict, "该申请%s，不能%s", RequestStatusLabel(cur), actionLabels[action])
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO service_request_steps (request_id, seq, action, at, by_id, by_name, note)
		VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM service_request_steps WHERE request_id = ?), ?, ?, ?, ?, ?)`,
		r.ID, r.ID, action, now, userID, userName, reason); err != nil {
		return fmt.Errorf("insert step: %w", err)
	}
	return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: action, Entity: "service_request", EntityID: r.ID,
		Summary: actionLabels[action] + "服务申请：" + r.Title, Before: map[string]any{"status": r.Status}, After: map[string]any{"status": to, "reason": reason}})
}
