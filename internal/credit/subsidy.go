package credit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/web"
	"nongfu/internal/tabular"
)

// 贴息 (interest subsidy) for new agricultural business entities (新型农业经营主体): a rule per county and year gives
// the share of the interest actually paid that the finance bureau refunds, capped per subject and year. The base is
// what the subject paid as interest (current and overdue interest, not principal) on the platform's loans within
// the calendar year, from the repayment records.

// SubsidyRule is a year's rule.
type SubsidyRule struct {
	CountyCode    string    `json:"county_code"`
	Year          int       `json:"year"`
	SharePct      int       `json:"share_pct" doc:"贴息比例（实付利息的 %）"`
	CapFen        int64     `json:"cap_fen" doc:"每个主体每年上限（分）"`
	Note          string    `json:"note"`
	CreatedByName string    `json:"created_by_name"`
	CreatedAt     time.Time `json:"created_at"`
}

// SubsidyRow is one subject's 贴息 for a year.
type SubsidyRow struct {
	SubjectID   int64  `json:"subject_id"`
	SubjectName string `json:"subject_name"`
	KindLabel   string `json:"kind_label"`
	RegionName  string `json:"region_name"`
	Loans       int    `json:"loans"`
	InterestFen int64  `json:"interest_fen" doc:"年内实付利息（分）"`
	SubsidyFen  int64  `json:"subsidy_fen" doc:"贴息（分）"`
	Capped      bool   `json:"capped" doc:"是否按上限封顶"`
}

// SubsidyOf is the subsidy of interest paid under a rule: share% of it, rounded half-up to the 分, at most the cap.
func SubsidyOf(interestFen int64, r SubsidyRule) (int64, bool) {
	v := divRound(interestFen*int64(r.SharePct), 100)
	if r.CapFen > 0 && v > r.CapFen {
		return r.CapFen, true
	}
	return v, false
}

// SetSubsidyRule sets (or replaces) a county's rule for a year.
func (s *Service) SetSubsidyRule(ctx context.Context, p *auth.Principal, in SubsidyRule) (*SubsidyRule, error) {
	if !p.Is(auth.CountyAdmin) {
		return nil, apperr.New(apperr.Forbidden, "只有县级管理员可以设定贴息规则")
	}
	county, err := countyOf(p, in.CountyCode)
	if err != nil {
		return nil, err
	}
	f := map[string]string{}
	if in.Year < 2000 || in.Year > 2100 {
		f["year"] = "年度应为 2000–2100"
	}
	if in.SharePct <= 0 || in.SharePct > 100 {
		f["share_pct"] = "贴息比例应在 1–100% 之间"
	}
	if in.CapFen < 0 {
		f["cap_fen"] = "上限不能为负（0 表示不封顶）"
	}
	if len(f) > 0 {
		return nil, apperr.FieldErrors(f)
	}
	in.CountyCode, in.Note, in.CreatedByName, in.CreatedAt = county, strings.TrimSpace(in.Note), p.Username, s.now().UTC()
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM subsidy_rules WHERE county_code = ? AND year = ?`, county, in.Year); err != nil {
			return err
		}
		id := tx.NextID()
		if _, err := tx.ExecContext(ctx, `INSERT INTO subsidy_rules (id, county_code, year, share_pct, cap_fen, note, created_by_name, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			id, county, in.Year, in.SharePct, in.CapFen, in.Note, in.CreatedByName, in.CreatedAt); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "update", Entity: "subsidy_rule", EntityID: id,
			Summary: fmt.Sprintf("设定 %d 年贴息规则：实付利息的 %d%%，每户上限 %s", in.Year, in.SharePct, fenText(in.CapFen)), After: in})
	})
	if err != nil {
		return nil, err
	}
	return &in, nil
}

// SubsidyRuleOf returns a county's rule for a year (nil when none).
func (s *Service) SubsidyRuleOf(ctx context.Context, county string, year int) (*SubsidyRule, error) {
	var r SubsidyRule
	err := s.db.QueryRowContext(ctx, `SELECT county_code, year, share_pct, cap_fen, note, created_by_name, created_at FROM subsidy_rules WHERE county_code = ? AND year = ?`, county, year).
		Scan(&r.CountyCode, &r.Year, &r.SharePct, &r.CapFen, &r.Note, &r.CreatedByName, &r.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return &r, err
}

func canSeeSubsidies(p *auth.Principal) bool {
	return isStaff(p) || p.Is(auth.Department, auth.Taskforce, auth.Viewer)
}

// Subsidies computes the year's 贴息 list of p's county: every new business entity that paid interest in the year.
func (s *Service) Subsidies(ctx context.Context, p *auth.Principal, countyCode string, year int) (*SubsidyRule, []SubsidyRow, error) {
	if !canSeeSubsidies(p) {
		return nil, nil, apperr.New(apperr.Forbidden, "您无权查看贴息清单")
	}
	county, err := countyOf(p, countyCode)
	if err != nil {
		return nil, nil, err
	}
	rule, err := s.SubsidyRuleOf(ctx, county, year)
	if err != nil {
		return nil, nil, err
	}
	if rule == nil {
		return nil, []SubsidyRow{}, nil
	}
	w, args := regionSQL(p, "l.region_code")
	cond, cargs := rangeCond("l.region_code", county)
	from, to := fmt.Sprintf("%04d-01-01", year), fmt.Sprintf("%04d-01-01", year+1)
	rows, err := s.db.QueryContext(ctx, `SELECT l.subject_id, COUNT(DISTINCT l.id), SUM(m.to_interest + m.to_overdue_interest)
		FROM loan_moves m JOIN loans l ON l.id = m.loan_id
		WHERE m.kind = 'repay' AND m.on_date >= ? AND m.on_date < ? AND `+cond+` AND `+w+` GROUP BY l.subject_id`,
		append(append([]any{from, to}, cargs...), args...)...)
	if err != nil {
		return nil, nil, fmt.Errorf("subsidies: %w", err)
	}
	type paid struct {
		loans    int
		interest int64
	}
	by := map[int64]paid{}
	var ids []int64
	for rows.Next() {
		var id, interest int64
		var n int
		if err := rows.Scan(&id, &n, &interest); err != nil {
			rows.Close()
			return nil, nil, err
		}
		by[id] = paid{n, interest}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	subs, err := s.subjects.Lookup(ctx, ids)
	if err != nil {
		return nil, nil, err
	}
	out := []SubsidyRow{}
	for _, id := range ids {
		x := subs[id]
		if x == nil || !x.NewType || by[id].interest <= 0 {
			continue
		}
		v, capped := SubsidyOf(by[id].interest, *rule)
		out = append(out, SubsidyRow{SubjectID: id, SubjectName: x.Name, KindLabel: x.KindLabel, RegionName: x.RegionName, Loans: by[id].loans,
			InterestFen: by[id].interest, SubsidyFen: v, Capped: capped})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].RegionName != out[j].RegionName {
			return out[i].RegionName < out[j].RegionName
		}
		return out[i].SubjectID < out[j].SubjectID
	})
	return rule, out, nil
}

// exportSubsidies writes the year's list as .xlsx for the finance bureau.
func (s *Service) exportSubsidies(w http.ResponseWriter, r *http.Request) error {
	year, _ := strconv.Atoi(r.URL.Query().Get("year"))
	if year == 0 {
		year = s.today().Year()
	}
	rule, rows, err := s.Subsidies(r.Context(), web.Principal(r), r.URL.Query().Get("county_code"), year)
	if err != nil {
		return err
	}
	if rule == nil {
		return apperr.New(apperr.NotFound, fmt.Sprintf("%d 年尚未设定贴息规则", year))
	}
	sh := tabular.Sheet{Name: fmt.Sprintf("%d年贴息清单", year), Header: []string{"主体编号", "主体名称", "主体类型", "所在地", "贷款笔数", "实付利息(元)", "贴息金额(元)", "是否封顶"}}
	var ti, ts int64
	for _, x := range rows {
		sh.Rows = append(sh.Rows, []string{strconv.FormatInt(x.SubjectID, 10), x.SubjectName, x.KindLabel, x.RegionName, strconv.Itoa(x.Loans), yuanText(x.InterestFen), yuanText(x.SubsidyFen),
			map[bool]string{true: "是", false: "否"}[x.Capped]})
		ti += x.InterestFen
		ts += x.SubsidyFen
	}
	sh.Rows = append(sh.Rows, []string{"合计", fmt.Sprintf("%d 个主体", len(rows)), "", "", "", yuanText(ti), yuanText(ts), ""})
	note := tabular.Sheet{Name: "贴息规则", Header: []string{"年度", "贴息比例(%)", "每户上限(元)", "说明", "设定人"}, Rows: [][]string{{strconv.Itoa(rule.Year), strconv.Itoa(rule.SharePct),
		yuanText(rule.CapFen), rule.Note, rule.CreatedByName}}}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="subsidy.xlsx"; filename*=UTF-8''%s`, url.PathEscape(fmt.Sprintf("%d年新型经营主体贷款贴息清单.xlsx", year))))
	return tabular.WriteXLSX(w, sh, note)
}
