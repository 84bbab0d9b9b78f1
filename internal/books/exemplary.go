package books

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/web"
	"nongfu/internal/region"
	"nongfu/internal/registry"
)

// 示范社 (exemplary cooperatives): the county evaluates cooperatives against an indicator system kept as data
// (exemplary/indicators.tsv: governance, membership, scale, finance, distribution, brand; thresholds per level and
// scores), with the supporting figures pulled from the platform where it has them — the subject register (years,
// households led, scale) and this room's books (member register, share capital, electronic books, separate
// 会计/出纳, the last distribution's return ratio) — and the rest declared in the application. Evaluators score,
// a county admin decides (approval refused while a threshold fails), and approved 示范社 are monitored every year:
// pass, warn or revoke. The live count (approved, not revoked) feeds the plan's KPI coop.demo_coops (target 100).

// Exemplary levels.
const (
	LevelCounty   = "county"
	LevelCity     = "city"
	LevelNational = "national"
)

// LevelLabel is the Chinese label of a level.
func LevelLabel(l string) string {
	switch l {
	case LevelCounty:
		return "县级"
	case LevelCity:
		return "市级"
	case LevelNational:
		return "国家级"
	}
	return l
}

// Application statuses.
const (
	ExApplied  = "applied"
	ExScored   = "scored"
	ExApproved = "approved"
	ExRejected = "rejected"
	ExRevoked  = "revoked"
)

// ExStatusLabel is the Chinese label of an application status.
func ExStatusLabel(s string) string {
	return map[string]string{ExApplied: "待评审", ExScored: "已评分", ExApproved: "已认定", ExRejected: "未通过", ExRevoked: "已撤销"}[s]
}

// ExIndicator is one indicator of the evaluation system.
type ExIndicator struct {
	Key       string              `json:"key"`
	Group     string              `json:"group"`
	Name      string              `json:"name"`
	Unit      string              `json:"unit"`
	Threshold map[string]*float64 `json:"threshold" doc:"各级准入门槛（county/city/national），null 为不设门槛"`
	Max       int                 `json:"max" doc:"评分满分"`
	Source    string              `json:"source" doc:"registry 主体名录 / books 账簿 / manual 申报"`
	Note      string              `json:"note"`
}

// ThresholdFor is the threshold of a level, or nil.
func (i ExIndicator) ThresholdFor(level string) *float64 { return i.Threshold[level] }

// ExIndicators is the evaluation system in file order.
var ExIndicators = mustIndicators()

func mustIndicators() []ExIndicator {
	f, err := exemplaryFS.Open("exemplary/indicators.tsv")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	var out []ExIndicator
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		c := strings.Split(line, "\t")
		if len(c) < 10 {
			panic("exemplary indicators: short line " + line)
		}
		x := ExIndicator{Key: c[0], Group: c[1], Name: c[2], Unit: c[3], Threshold: map[string]*float64{}, Source: c[8], Note: c[9]}
		for i, lv := range []string{LevelCounty, LevelCity, LevelNational} {
			if v, err := strconv.ParseFloat(c[4+i], 64); err == nil {
				x.Threshold[lv] = &v
			}
		}
		x.Max, _ = strconv.Atoi(c[7])
		out = append(out, x)
	}
	return out
}

// Figure is one supporting figure of an application.
type Figure struct {
	Value  float64 `json:"value"`
	Known  bool    `json:"known" doc:"false：平台和申报材料都没有该数据"`
	Source string  `json:"source" doc:"数据来源（中文）"`
}

// Exemplary is an application (and, once approved, a 示范社).
type Exemplary struct {
	ID          int64             `json:"id"`
	SubjectID   int64             `json:"subject_id"`
	Name        string            `json:"name"`
	RegionCode  string            `json:"region_code"`
	Year        int               `json:"year" doc:"申报年度"`
	Level       string            `json:"level" doc:"county 县级 / city 市级 / national 国家级"`
	LevelLabel  string            `json:"level_label"`
	Status      string            `json:"status" doc:"applied 待评审 / scored 已评分 / approved 已认定 / rejected 未通过 / revoked 已撤销"`
	StatusLabel string            `json:"status_label"`
	Figures     map[string]Figure `json:"figures"`
	Scores      map[string]int    `json:"scores"`
	Score       int               `json:"score" doc:"评分合计（满分 100）"`
	Failing     []string          `json:"failing" doc:"未达到准入门槛的指标"`
	AwardedOn   string            `json:"awarded_on,omitempty"`
	DecidedBy   string            `json:"decided_by,omitempty"`
	Note        string            `json:"note"`
	Monitoring  []Monitoring      `json:"monitoring"`
	CreatedBy   string            `json:"created_by"`
	CreatedAt   time.Time         `json:"created_at"`
}

// Monitoring is one year's monitoring result.
type Monitoring struct {
	Year        int    `json:"year"`
	Result      string `json:"result" doc:"pass 合格 / warn 预警 / revoke 撤销"`
	ResultLabel string `json:"result_label"`
	Note        string `json:"note"`
	By          string `json:"by"`
}

// MonitorLabel is the Chinese label of a monitoring result.
func MonitorLabel(r string) string {
	return map[string]string{"pass": "合格", "warn": "预警", "revoke": "撤销"}[r]
}

// ExemplaryInput files an application.
type ExemplaryInput struct {
	SubjectID int64              `json:"subject_id"`
	Year      int                `json:"year"`
	Level     string             `json:"level"`
	Declared  map[string]float64 `json:"declared" doc:"申报材料中的数据（source 为 manual 的指标），如 {\"general_meetings\":2,\"brand\":1}"`
	Note      string             `json:"note"`
}

// canManageEx: county admins and township operators in scope run evaluations.
func canManageEx(p *auth.Principal, regionCode string) error {
	if !isStaff(p) {
		return apperr.New(apperr.Forbidden, "只有县级管理员和乡镇操作员可以办理示范社评定")
	}
	if !p.InRegion(regionCode) {
		return apperr.New(apperr.Forbidden, "该合作社不在您的管辖范围内")
	}
	return nil
}

func canReadEx(p *auth.Principal, x *Exemplary) bool {
	if p.Is(auth.Member) {
		return p.SubjectID == x.SubjectID
	}
	return isReader(p) && p.InRegion(x.RegionCode)
}

// Figures computes the platform's supporting figures of a cooperative for an evaluation in level, now.
func (s *Service) exFigures(ctx context.Context, q db.Querier, sub *registry.Subject, declared map[string]float64) (map[string]Figure, error) {
	out := map[string]Figure{}
	now := s.now().In(web.Shanghai)
	est := sub.EstablishedOn
	if est == "" {
		est = sub.RegisteredOn
	}
	if t, err := time.Parse("2006-01-02", est); err == nil {
		years := now.Year() - t.Year()
		if now.YearDay() < t.YearDay() {
			years--
		}
		out["years"] = Figure{Value: float64(years), Known: true, Source: "主体名录（成立日期 " + est + "）"}
	}
	// the register's figure when it has one; a zero there means "not filled in", and the declared figure stands in
	for _, r := range []struct {
		key string
		v   float64
	}{{"households_led", float64(sub.HouseholdsLed)}, {"scale_mu", sub.ScaleMu}} {
		if d, ok := declared[r.key]; ok && r.v == 0 {
			out[r.key] = Figure{Value: d, Known: true, Source: "申报材料（主体名录未填）"}
		} else {
			out[r.key] = Figure{Value: r.v, Known: true, Source: "主体名录"}
		}
	}
	var bookID int64
	err := q.QueryRowContext(ctx, `SELECT id FROM books WHERE subject_id = ?`, sub.ID).Scan(&bookID)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	if bookID == 0 {
		out["books_electronic"] = Figure{Value: 0, Known: true, Source: "未纳入统一财务代账"}
	} else {
		const src = "统一财务代账账簿"
		var members, withEntries int
		if err := q.QueryRowContext(ctx, `SELECT COUNT(DISTINCT m.id), COUNT(DISTINCT e.member_id) FROM books_members m LEFT JOIN books_member_entries e ON e.member_id = m.id
			WHERE m.book_id = ? AND m.status = 'active'`, bookID).Scan(&members, &withEntries); err != nil {
			return nil, fmt.Errorf("member count: %w", err)
		}
		out["members"] = Figure{Value: float64(members), Known: true, Source: "代账成员名册"}
		out["member_accounts"] = Figure{Value: b2f(members > 0 && withEntries >= members), Known: true, Source: src}
		var capital int64
		if err := q.QueryRowContext(ctx, `SELECT COALESCE(SUM(e.amount), 0) FROM books_member_entries e WHERE e.book_id = ? AND e.kind = 'capital' AND `+countsSQL, bookID).Scan(&capital); err != nil {
			return nil, err
		}
		out["share_capital"] = Figure{Value: float64(capital) / 1e6, Known: true, Source: "股金登记（已记账）"}
		since := now.AddDate(-1, 0, 0).Format("2006-01")
		var posted, same int
		if err := q.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN maker_id = reviewer_id THEN 1 ELSE 0 END), 0) FROM books_vouchers
			WHERE book_id = ? AND status = 'posted' AND period >= ?`, bookID, since).Scan(&posted, &same); err != nil {
			return nil, err
		}
		out["books_electronic"] = Figure{Value: b2f(posted > 0), Known: true, Source: fmt.Sprintf("%s（近12个月已记账凭证 %d 张）", src, posted)}
		out["separate_duties"] = Figure{Value: b2f(posted > 0 && same == 0), Known: posted > 0, Source: src}
		var dist, vol int64
		err := q.QueryRowContext(ctx, `SELECT distributable, by_volume FROM books_distributions WHERE book_id = ? ORDER BY year DESC LIMIT 1`, bookID).Scan(&dist, &vol)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		if dist > 0 {
			out["return_pct"] = Figure{Value: math.Floor(float64(vol)*10000/float64(dist)) / 100, Known: true, Source: "最近一次盈余分配"}
		}
	}
	for _, ind := range ExIndicators {
		if ind.Source != "manual" {
			continue
		}
		if v, ok := declared[ind.Key]; ok {
			out[ind.Key] = Figure{Value: v, Known: true, Source: "申报材料"}
		}
	}
	return out, nil
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// failing lists the indicators whose threshold for level is not met.
func failing(level string, figs map[string]Figure) []string {
	var out []string
	for _, ind := range ExIndicators {
		t := ind.ThresholdFor(level)
		if t == nil {
			continue
		}
		f, ok := figs[ind.Key]
		if !ok || !f.Known || f.Value < *t {
			out = append(out, ind.Name)
		}
	}
	return out
}

// ApplyExemplary files an application with the figures pulled from the platform and the declared ones.
func (s *Service) ApplyExemplary(ctx context.Context, p *auth.Principal, in ExemplaryInput) (*Exemplary, error) {
	fields := map[string]string{}
	subs, err := s.subjects.Lookup(ctx, []int64{in.SubjectID})
	if err != nil {
		return nil, err
	}
	sub, ok := subs[in.SubjectID]
	if !ok || sub.Kind != "cooperative" {
		return nil, apperr.FieldErrors(map[string]string{"subject_id": "请选择一家农民专业合作社"})
	}
	if err := canManageEx(p, sub.RegionCode); err != nil {
		return nil, err
	}
	if LevelLabel(in.Level) == in.Level {
		fields["level"] = "请选择申报级别：县级、市级或国家级"
	}
	if in.Year == 0 {
		in.Year = s.now().In(web.Shanghai).Year()
	}
	if in.Year < 2000 || in.Year > 2200 {
		fields["year"] = "申报年度不正确"
	}
	for k, v := range in.Declared {
		if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
			fields["declared."+k] = "申报数据不能为负数"
		}
	}
	if utf8.RuneCountInString(in.Note) > 500 {
		fields["note"] = "备注不能超过 500 字"
	}
	if len(fields) > 0 {
		return nil, apperr.FieldErrors(fields)
	}
	var id int64
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		figs, err := s.exFigures(ctx, tx, sub, in.Declared)
		if err != nil {
			return err
		}
		id, err = s.insertExemplaryTx(ctx, tx, p.Actor(), displayName(p), sub, in.Year, in.Level, figs, strings.TrimSpace(in.Note), time.Time{})
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.GetExemplary(ctx, p, id)
}

func (s *Service) insertExemplaryTx(ctx context.Context, tx *db.Tx, actor audit.Actor, by string, sub *registry.Subject, year int, level string, figs map[string]Figure, note string, at time.Time) (int64, error) {
	raw, _ := json.Marshal(figs)
	if at.IsZero() {
		at = s.now().UTC().Truncate(time.Microsecond)
	}
	id := tx.NextID()
	_, err := tx.ExecContext(ctx, `INSERT INTO coop_exemplary (id, county_code, subject_id, name, region_code, year, level, status, figures, note, created_by_name, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, region.County(sub.RegionCode), sub.ID, sub.Name, sub.RegionCode, year, level, ExApplied, string(raw), note, by, at, at)
	if db.IsUniqueViolation(err) {
		return 0, apperr.Errorf(apperr.Conflict, "%s 已申报 %d 年度%s示范社", sub.Name, year, LevelLabel(level))
	}
	if err != nil {
		return 0, fmt.Errorf("insert exemplary: %w", err)
	}
	return id, audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "create", Entity: "exemplary", EntityID: id,
		Summary: fmt.Sprintf("示范社申报：%s %d 年度%s", sub.Name, year, LevelLabel(level)), After: figs})
}

const exCols = `id, subject_id, name, region_code, year, level, status, figures, score, awarded_on, decided_by_name, note, created_by_name, created_at`

func scanExemplary(sc interface{ Scan(...any) error }) (*Exemplary, error) {
	x := &Exemplary{}
	var figs string
	if err := sc.Scan(&x.ID, &x.SubjectID, &x.Name, &x.RegionCode, &x.Year, &x.Level, &x.Status, &figs, &x.Score, &x.AwardedOn, &x.DecidedBy, &x.Note, &x.CreatedBy, &x.CreatedAt); err != nil {
		return nil, err
	}
	x.Figures = map[string]Figure{}
	if err := json.Unmarshal([]byte(figs), &x.Figures); err != nil {
		return nil, fmt.Errorf("exemplary %d figures: %w", x.ID, err)
	}
	x.LevelLabel, x.StatusLabel = LevelLabel(x.Level), ExStatusLabel(x.Status)
	x.Failing = failing(x.Level, x.Figures)
	x.CreatedAt = x.CreatedAt.UTC()
	return x, nil
}

// GetExemplary returns an application with its scores and monitoring.
func (s *Service) GetExemplary(ctx context.Context, p *auth.Principal, id int64) (*Exemplary, error) {
	x, err := scanExemplary(s.db.QueryRowContext(ctx, `SELECT `+exCols+` FROM coop_exemplary WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.New(apperr.NotFound, "示范社申报不存在")
	}
	if err != nil {
		return nil, err
	}
	if !canReadEx(p, x) {
		return nil, apperr.New(apperr.NotFound, "示范社申报不存在")
	}
	x.Scores = map[string]int{}
	rows, err := s.db.QueryContext(ctx, `SELECT indicator, score FROM coop_exemplary_scores WHERE app_id = ?`, id)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var k string
		var v int
		if err := rows.Scan(&k, &v); err != nil {
			rows.Close()
			return nil, err
		}
		x.Scores[k] = v
	}
	rows.Close()
	rows, err = s.db.QueryContext(ctx, `SELECT year, result, note, by_name FROM coop_exemplary_monitoring WHERE app_id = ? ORDER BY year DESC`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	x.Monitoring = []Monitoring{}
	for rows.Next() {
		var m Monitoring
		if err := rows.Scan(&m.Year, &m.Result, &m.Note, &m.By); err != nil {
			return nil, err
		}
		m.ResultLabel = MonitorLabel(m.Result)
		x.Monitoring = append(x.Monitoring, m)
	}
	return x, rows.Err()
}

// ExFilter selects applications.
type ExFilter struct {
	Level, Status string
	Year          int
}

// ListExemplary lists applications p may read, newest first.
func (s *Service) ListExemplary(ctx context.Context, p *auth.Principal, f ExFilter) ([]*Exemplary, error) {
	where, args := scopeSQL(p)
	where = strings.ReplaceAll(where, "b.", "x.")
	if f.Level != "" {
		where += " AND x.level = ?"
		args = append(args, f.Level)
	}
	if f.Status != "" {
		where += " AND x.status = ?"
		args = append(args, f.Status)
	}
	if f.Year != 0 {
		where += " AND x.year = ?"
		args = append(args, f.Year)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+exCols+` FROM coop_exemplary x WHERE `+where+` ORDER BY x.year DESC, x.name, x.id LIMIT 2000`, args...)
	if err != nil {
		return nil, fmt.Errorf("list exemplary: %w", err)
	}
	defer rows.Close()
	var out []*Exemplary
	for rows.Next() {
		x, err := scanExemplary(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// ScoreInput is an evaluator's scores.
type ScoreInput struct {
	Scores map[string]int `json:"scores" doc:"指标 key → 分数（0 到该指标满分）"`
}

// ScoreExemplary records an evaluator's scores (every indicator, within its maximum).
func (s *Service) ScoreExemplary(ctx context.Context, p *auth.Principal, id int64, in ScoreInput) (*Exemplary, error) {
	x, err := s.GetExemplary(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if err := canManageEx(p, x.RegionCode); err != nil {
		return nil, err
	}
	if x.Status != ExApplied && x.Status != ExScored {
		return nil, apperr.Errorf(apperr.Conflict, "申报%s，不能再评分", x.StatusLabel)
	}
	fields := map[string]string{}
	total := 0
	for _, ind := range ExIndicators {
		v, ok := in.Scores[ind.Key]
		switch {
		case !ok:
			fields["scores."+ind.Key] = "请为“" + ind.Name + "”评分"
		case v < 0 || v > ind.Max:
			fields["scores."+ind.Key] = fmt.Sprintf("“%s”的分数应在 0 到 %d 之间", ind.Name, ind.Max)
		}
		total += v
	}
	if len(fields) > 0 {
		return nil, apperr.FieldErrors(fields)
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.now().UTC().Truncate(time.Microsecond)
		if _, err := tx.ExecContext(ctx, `DELETE FROM coop_exemplary_scores WHERE app_id = ?`, id); err != nil {
			return err
		}
		for _, ind := range ExIndicators {
			if _, err := tx.ExecContext(ctx, `INSERT INTO coop_exemplary_scores (app_id, indicator, score, evaluator_name, scored_at) VALUES (?, ?, ?, ?, ?)`,
				id, ind.Key, in.Scores[ind.Key], displayName(p), now); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE coop_exemplary SET status = ?, score = ?, updated_at = ? WHERE id = ?`, ExScored, total, now, id); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "score", Entity: "exemplary", EntityID: id,
			Summary: fmt.Sprintf("示范社评分：%s %d 分", x.Name, total), Before: x.Scores, After: in.Scores})
	})
	if err != nil {
		return nil, err
	}
	return s.GetExemplary(ctx, p, id)
}

// MinScore is the pass mark of the evaluation.
const MinScore = 75

// DecideExemplary approves or rejects a scored application (county admins). Approval needs every threshold of
// the level met and a score of at least MinScore.
func (s *Service) DecideExemplary(ctx context.Context, p *auth.Principal, id int64, approve bool, note string) (*Exemplary, error) {
	x, err := s.GetExemplary(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if err := canManageEx(p, x.RegionCode); err != nil {
		return nil, err
	}
	if !p.Is(auth.CountyAdmin) {
		return nil, apperr.New(apperr.Forbidden, "示范社认定须由县级管理员办理")
	}
	if x.Status != ExScored {
		return nil, apperr.Errorf(apperr.Conflict, "申报%s，须先评分再认定", x.StatusLabel)
	}
	if approve && len(x.Failing) > 0 {
		return nil, apperr.Errorf(apperr.Invalid, "未达到%s示范社准入条件：%s", x.LevelLabel, strings.Join(x.Failing, "、"))
	}
	if approve && x.Score < MinScore {
		return nil, apperr.Errorf(apperr.Invalid, "评分 %d 分，低于认定分数线 %d 分", x.Score, MinScore)
	}
	st := ExRejected
	if approve {
		st = ExApproved
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.now().UTC().Truncate(time.Microsecond)
		day := s.now().In(web.Shanghai).Format("2006-01-02")
		if _, err := tx.ExecContext(ctx, `UPDATE coop_exemplary SET status = ?, awarded_on = ?, decided_by_name = ?, note = ?, updated_at = ? WHERE id = ? AND status = ?`,
			st, map[bool]string{true: day}[approve], displayName(p), strings.TrimSpace(note), now, id, ExScored); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "decide", Entity: "exemplary", EntityID: id,
			Summary: fmt.Sprintf("示范社认定：%s %s%s", x.Name, x.LevelLabel, ExStatusLabel(st)), Before: map[string]any{"status": x.Status}, After: map[string]any{"status": st, "note": note}})
	})
	if err != nil {
		return nil, err
	}
	return s.GetExemplary(ctx, p, id)
}

// MonitorInput records a year's monitoring.
type MonitorInput struct {
	Year   int    `json:"year"`
	Result string `json:"result" doc:"pass 合格 / warn 预警 / revoke 撤销"`
	Note   string `json:"note"`
}

// SuggestMonitoring proposes a result from today's figures: pass when every threshold holds, warn otherwise, and
// revoke after a warning the year before.
func (s *Service) SuggestMonitoring(ctx context.Context, p *auth.Principal, id int64) (string, []string, error) {
	x, err := s.GetExemplary(ctx, p, id)
	if err != nil {
		return "", nil, err
	}
	subs, err := s.subjects.Lookup(ctx, []int64{x.SubjectID})
	if err != nil {
		return "", nil, err
	}
	sub, ok := subs[x.SubjectID]
	if !ok {
		return "revoke", []string{"主体已不在名录中"}, nil
	}
	declared := map[string]float64{}
	for k, f := range x.Figures {
		if strings.HasPrefix(f.Source, "申报材料") {
			declared[k] = f.Value
		}
	}
	figs, err := s.exFigures(ctx, s.db, sub, declared)
	if err != nil {
		return "", nil, err
	}
	fail := failing(x.Level, figs)
	if sub.Status != registry.StatusActive {
		return "revoke", append(fail, "主体已注销"), nil
	}
	if len(fail) == 0 {
		return "pass", nil, nil
	}
	if len(x.Monitoring) > 0 && x.Monitoring[0].Result == "warn" {
		return "revoke", fail, nil
	}
	return "warn", fail, nil
}

// MonitorExemplary records a year's monitoring of an approved 示范社; revoke ends the title.
func (s *Service) MonitorExemplary(ctx context.Context, p *auth.Principal, id int64, in MonitorInput) (*Exemplary, error) {
	x, err := s.GetExemplary(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if err := canManageEx(p, x.RegionCode); err != nil {
		return nil, err
	}
	if x.Status != ExApproved {
		return nil, apperr.Errorf(apperr.Conflict, "只有已认定的示范社需要监测（当前%s）", x.StatusLabel)
	}
	if MonitorLabel(in.Result) == "" {
		return nil, apperr.FieldErrors(map[string]string{"result": "请选择监测结果：合格、预警或撤销"})
	}
	if in.Year < x.Year || in.Year > s.now().In(web.Shanghai).Year() {
		return nil, apperr.FieldErrors(map[string]string{"year": "监测年度应在认定年度和今年之间"})
	}
	if in.Result == "revoke" && strings.TrimSpace(in.Note) == "" {
		return nil, apperr.FieldErrors(map[string]string{"note": "撤销示范社须写明原因"})
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		return s.monitorTx(ctx, tx, p.Actor(), displayName(p), x, in, time.Time{})
	})
	if err != nil {
		return nil, err
	}
	return s.GetExemplary(ctx, p, id)
}

func (s *Service) monitorTx(ctx context.Context, tx *db.Tx, actor audit.Actor, by string, x *Exemplary, in MonitorInput, at time.Time) error {
	if at.IsZero() {
		at = s.now().UTC().Truncate(time.Microsecond)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO coop_exemplary_monitoring (app_id, year, result, note, by_name, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		x.ID, in.Year, in.Result, strings.TrimSpace(in.Note), by, at)
	if db.IsUniqueViolation(err) {
		return apperr.Errorf(apperr.Conflict, "%d 年度已有监测结果", in.Year)
	}
	if err != nil {
		return fmt.Errorf("insert monitoring: %w", err)
	}
	if in.Result == "revoke" {
		if _, err := tx.ExecContext(ctx, `UPDATE coop_exemplary SET status = ?, updated_at = ? WHERE id = ?`, ExRevoked, at, x.ID); err != nil {
			return err
		}
	}
	return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "monitor", Entity: "exemplary", EntityID: x.ID,
		Summary: fmt.Sprintf("示范社监测：%s %d 年度%s", x.Name, in.Year, MonitorLabel(in.Result)), After: in})
}

// CountExemplary counts live 示范社 (approved, not revoked) whose region starts with each prefix, by level ("" =
// all levels), awarded on or before asOf (zero = now). It reads without a principal: it backs the plan's figures.
func (s *Service) CountExemplary(ctx context.Context, level string, asOf time.Time, prefixes []string) ([]float64, error) {
	q := `SELECT region_code FROM coop_exemplary WHERE status = 'approved'`
	var args []any
	if level != "" {
		q += ` AND level = ?`
		args = append(args, level)
	}
	if !asOf.IsZero() {
		q += ` AND awarded_on < ?`
		args = append(args, asOf.In(web.Shanghai).Format("2006-01-02"))
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("count exemplary: %w", err)
	}
	defer rows.Close()
	out := make([]float64, len(prefixes))
	for rows.Next() {
		var rc string
		if err := rows.Scan(&rc); err != nil {
			return nil, err
		}
		for i, pre := range prefixes {
			if strings.HasPrefix(rc, pre) {
				out[i]++
			}
		}
	}
	return out, rows.Err()
}
