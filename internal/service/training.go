package service

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/web"
	"nongfu/internal/region"
)

// 高素质农民培育: a session of a course (trainer, place, dates) enrols registered people (a subject and the person's
// name — the household head by default); attendance earns a certificate. A person is counted once however many
// sessions they attend (person_key = subject id + name), in the year of their first attended session's end.

// TrainedTarget is the plan's target of trained farmers by 2027.
const TrainedTarget = 5000

// Session is one training session.
type Session struct {
	ID         int64       `json:"id"`
	RegionCode string      `json:"region_code"`
	RegionName string      `json:"region_name"`
	Course     string      `json:"course"`
	Topic      string      `json:"topic"`
	Trainer    string      `json:"trainer"`
	Place      string      `json:"place"`
	DateFrom   string      `json:"date_from"`
	DateTo     string      `json:"date_to"`
	Hours      int         `json:"hours"`
	Enrolled   int         `json:"enrolled"`
	Attended   int         `json:"attended"`
	Enrolments []Enrolment `json:"enrolments,omitempty"`
}

// SessionInput creates a session.
type SessionInput struct {
	RegionCode string `json:"region_code" doc:"举办乡镇（或区县）代码"`
	Course     string `json:"course"`
	Topic      string `json:"topic"`
	Trainer    string `json:"trainer"`
	Place      string `json:"place"`
	DateFrom   string `json:"date_from"`
	DateTo     string `json:"date_to"`
	Hours      int    `json:"hours"`
}

// Enrolment is one person on a session.
type Enrolment struct {
	ID            int64  `json:"id"`
	SubjectID     int64  `json:"subject_id"`
	Name          string `json:"name"`
	RegionCode    string `json:"region_code"`
	Attended      bool   `json:"attended"`
	CertificateNo string `json:"certificate_no"`
}

var errNoSession = apperr.New(apperr.NotFound, "培训班不存在或不在您的管辖范围内")

// CreateSession opens a training session (staff in scope).
func (s *Service) CreateSession(ctx context.Context, p *auth.Principal, in SessionInput) (*Session, error) {
	if !isStaff(p) {
		return nil, apperr.New(apperr.Forbidden, "只有县级管理员和乡镇操作员可以组织培训")
	}
	fields := map[string]string{}
	for _, f := range []*string{&in.Course, &in.Topic, &in.Trainer, &in.Place} {
		*f = strings.TrimSpace(*f)
	}
	if in.Course == "" || utf8.RuneCountInString(in.Course) > 60 {
		fields["course"] = "请填写课程名称（不超过 60 字）"
	}
	if in.Trainer == "" {
		fields["trainer"] = "请填写授课老师"
	}
	if in.Place == "" {
		fields["place"] = "请填写培训地点"
	}
	r, ok := s.regions.Get(in.RegionCode)
	if !ok || (r.Level != "township" && r.Level != "county") {
		fields["region_code"] = "请选择举办的乡镇或区县"
	}
	f, e1 := time.Parse(time.DateOnly, in.DateFrom)
	t, e2 := time.Parse(time.DateOnly, in.DateTo)
	if e1 != nil || e2 != nil || t.Before(f) || t.Sub(f) > 90*24*time.Hour {
		fields["date_from"] = "培训日期应为 YYYY-MM-DD，结束不早于开始，且不超过 90 天"
	}
	if in.Hours < 0 || in.Hours > 1000 {
		fields["hours"] = "学时应在 0–1000 之间"
	}
	if len(fields) > 0 {
		return nil, apperr.FieldErrors(fields)
	}
	if !p.InRegion(in.RegionCode) {
		return nil, apperr.New(apperr.Forbidden, "该地区不在您的管辖范围内")
	}
	var id int64
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		id = tx.NextID()
		if _, err := tx.ExecContext(ctx, `INSERT INTO training_sessions (id, county_code, region_code, course, topic, trainer, place, date_from, date_to, hours, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, region.County(in.RegionCode), in.RegionCode, in.Course, in.Topic, in.Trainer, in.Place, in.DateFrom, in.DateTo,
			in.Hours, s.nowUTC()); err != nil {
			return fmt.Errorf("insert session: %w", err)
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "create", Entity: "training_session", EntityID: id,
			Summary: "开设培训班：" + in.Course + "（" + in.DateFrom + "）", After: map[string]any{"region_code": in.RegionCode, "trainer": in.Trainer, "place": in.Place}})
	})
	if err != nil {
		return nil, err
	}
	return s.GetSession(ctx, p, id)
}

const sessionCols = `t.id, t.region_code, t.course, t.topic, t.trainer, t.place, t.date_from, t.date_to, t.hours,
	(SELECT COUNT(*) FROM training_enrolments e WHERE e.session_id = t.id), (SELECT COUNT(*) FROM training_enrolments e WHERE e.session_id = t.id AND e.attended = ?)`

func (s *Service) scanSession(sc interface{ Scan(...any) error }) (*Session, error) {
	x := &Session{}
	if err := sc.Scan(&x.ID, &x.RegionCode, &x.Course, &x.Topic, &x.Trainer, &x.Place, &x.DateFrom, &x.DateTo, &x.Hours, &x.Enrolled, &x.Attended); err != nil {
		return nil, err
	}
	x.RegionName = s.regions.Name(x.RegionCode)
	return x, nil
}

// ListSessions lists sessions in p's scope (members: their county), newest first.
func (s *Service) ListSessions(ctx context.Context, p *auth.Principal, page, perPage int) ([]*Session, int, error) {
	where, args := scopeSQL(p, "t.region_code", "")
	if p != nil && p.Is(auth.Member) {
		county, err := s.countyOf(ctx, p)
		if err != nil {
			return nil, 0, err
		}
		where, args = "t.county_code = ?", []any{county}
	}
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM training_sessions t WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	page, perPage = max(page, 1), max(perPage, 1)
	rows, err := s.db.QueryContext(ctx, `SELECT `+sessionCols+` FROM training_sessions t WHERE `+where+` ORDER BY t.date_from DESC, t.id DESC LIMIT ? OFFSET ?`,
		append(append([]any{true}, args...), perPage, (page-1)*perPage)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list sessions: %w", err)
	}
	defer rows.Close()
	var out []*Session
	for rows.Next() {
		x, err := s.scanSession(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, x)
	}
	return out, total, rows.Err()
}

// GetSession returns a session with its enrolments.
func (s *Service) GetSession(ctx context.Context, p *auth.Principal, id int64) (*Session, error) {
	x, err := s.scanSession(s.db.QueryRowContext(ctx, `SELECT `+sessionCols+` FROM training_sessions t WHERE t.id = ?`, true, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoSession
	}
	if err != nil {
		return nil, err
	}
	if !isReader(p) || !p.InRegion(x.RegionCode) {
		return nil, errNoSession
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, subject_id, name, region_code, attended, certificate_no FROM training_enrolments WHERE session_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var e Enrolment
		if err := rows.Scan(&e.ID, &e.SubjectID, &e.Name, &e.RegionCode, &e.Attended, &e.CertificateNo); err != nil {
			return nil, err
		}
		x.Enrolments = append(x.Enrolments, e)
	}
	return x, rows.Err()
}

// Enrol adds registered people (subjects, with an optional person name; default the subject's name) to a session.
func (s *Service) Enrol(ctx context.Context, p *auth.Principal, sessionID int64, subjectIDs []int64, name string) (*Session, error) {
	x, err := s.GetSession(ctx, p, sessionID)
	if err != nil {
		return nil, err
	}
	if !isStaff(p) {
		return nil, errReadOnly
	}
	subs, err := s.subjects.Lookup(ctx, subjectIDs)
	if err != nil {
		return nil, err
	}
	if len(subjectIDs) == 0 {
		return nil, apperr.FieldErrors(map[string]string{"subject_id": "请选择学员"})
	}
	name = strings.TrimSpace(name)
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		for _, sid := range subjectIDs {
			sub, ok := subs[sid]
			if !ok || region.County(sub.RegionCode) != region.County(x.RegionCode) {
				return apperr.FieldErrors(map[string]string{"subject_id": fmt.Sprintf("主体 %d 不在本县主体名录中", sid)})
			}
			n := name
			if n == "" || len(subjectIDs) > 1 {
				n = sub.Name
			}
			key := fmt.Sprintf("%d:%s", sid, n)
			var dup int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM training_enrolments WHERE session_id = ? AND person_key = ?`, sessionID, key).Scan(&dup); err != nil {
				return err
			}
			if dup > 0 {
				continue
			}
			id := tx.NextID()
			if _, err := tx.ExecContext(ctx, `INSERT INTO training_enrolments (id, session_id, subject_id, person_key, name, region_code, attended, date_to, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, sessionID, sid, key, n, sub.RegionCode, false, x.DateTo, s.nowUTC()); err != nil {
				return fmt.Errorf("insert enrolment: %w", err)
			}
			if err := audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "create", Entity: "training_enrolment", EntityID: id,
				Summary: x.Course + " 报名：" + n, After: map[string]any{"session_id": sessionID, "subject_id": sid}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.GetSession(ctx, p, sessionID)
}

// Attend records attendance (and issues the certificate number) or withdraws it.
func (s *Service) Attend(ctx context.Context, p *auth.Principal, sessionID, enrolmentID int64, attended bool) (*Session, error) {
	x, err := s.GetSession(ctx, p, sessionID)
	if err != nil {
		return nil, err
	}
	if !isStaff(p) {
		return nil, errReadOnly
	}
	i := slices.IndexFunc(x.Enrolments, func(e Enrolment) bool { return e.ID == enrolmentID })
	if i < 0 {
		return nil, apperr.New(apperr.NotFound, "报名记录不存在")
	}
	cert := ""
	if attended {
		cert = fmt.Sprintf("GSZNM-%s-%06d", x.DateTo[:4], enrolmentID%1000000)
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE training_enrolments SET attended = ?, certificate_no = ? WHERE id = ?`, attended, cert, enrolmentID); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "update", Entity: "training_enrolment", EntityID: enrolmentID,
			Summary: fmt.Sprintf("%s 考勤：%s %v", x.Course, x.Enrolments[i].Name, attended), After: map[string]any{"attended": attended, "certificate_no": cert}})
	})
	if err != nil {
		return nil, err
	}
	return s.GetSession(ctx, p, sessionID)
}

// TrainedFarmers counts distinct people who attended a session ending before `to` (zero = ever), per region prefix
// (by the person's subject region).
func (s *Service) TrainedFarmers(ctx context.Context, prefixes []string, to time.Time) ([]float64, error) {
	q := `SELECT region_code, COUNT(DISTINCT person_key) FROM training_enrolments WHERE attended = ?`
	args := []any{true}
	if !to.IsZero() {
		q += " AND date_to < ?"
		args = append(args, to.In(web.Shanghai).Format(time.DateOnly))
	}
	// a person belongs to one subject (one region): grouping by region then summing per prefix counts each once
	return s.countByPrefix(ctx, q+" GROUP BY region_code", args, prefixes)
}

// TrainedRow is the distinct trained count of one township: new per year and cumulative.
type TrainedRow struct {
	Township   string      `json:"township"`
	Name       string      `json:"name"`
	ByYear     map[int]int `json:"by_year" doc:"当年首次结业的人数"`
	Cumulative int         `json:"cumulative"`
}

// TrainedByYear tabulates distinct trained people by township and year of first completion, in p's scope.
func (s *Service) TrainedByYear(ctx context.Context, p *auth.Principal) ([]TrainedRow, []int, error) {
	where, args := scopeSQL(p, "region_code", "")
	rows, err := s.db.QueryContext(ctx, `SELECT region_code, person_key, MIN(date_to) FROM training_enrolments WHERE attended = ? AND `+where+` GROUP BY region_code, person_key`,
		append([]any{true}, args...)...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	by := map[string]*TrainedRow{}
	var years []int
	for rows.Next() {
		var code, key, first string
		if err := rows.Scan(&code, &key, &first); err != nil {
			return nil, nil, err
		}
		t := region.Township(code)
		r := by[t]
		if r == nil {
			r = &TrainedRow{Township: t, Name: s.regions.Name(t), ByYear: map[int]int{}}
			by[t] = r
		}
		var y int
		fmt.Sscanf(first[:4], "%d", &y)
		r.ByYear[y]++
		r.Cumulative++
		if !slices.Contains(years, y) {
			years = append(years, y)
		}
	}
	slices.Sort(years)
	out := make([]TrainedRow, 0, len(by))
	for _, r := range by {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b TrainedRow) int { return strings.Compare(a.Township, b.Township) })
	return out, years, rows.Err()
}
