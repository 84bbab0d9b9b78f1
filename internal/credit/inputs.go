package credit

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"

	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/registry"
)

// The inputs of a rating are collected set-based for a region (a village for one subject, a whole county for a
// batch): one query per source table over the region's code range, grouped by subject in Go. One code path rates
// one subject and 200,000, so a batch rating and a single rating of the same subject agree.

// InputCatalog names the inputs the room computes, with their source (the model's indicator keys refer to these,
// to ext.* 外评 items, and to the keys of other rooms' facts).
var InputCatalog = []struct{ Key, Name, Source string }{
	{"scale_mu", "经营面积（亩）", "主体名录"},
	{"scale_head", "养殖规模（头/只）", "主体名录"},
	{"household_members", "家庭成员数（人）", "主体名录"},
	{"new_type", "新型农业经营主体（1 是 0 否）", "主体名录"},
	{"max_overdue_days", "历史最长逾期（天）", "本平台贷款记录"},
	{"overdue_days", "当前逾期天数", "本平台贷款记录"},
	{"arrears_yuan", "当前欠款（元）", "本平台贷款记录"},
	{"settled_loans", "已结清贷款（笔）", "本平台贷款记录"},
	{"balance_yuan", "贷款余额（元）", "本平台贷款记录"},
	{"records_bad", "失信、判决、欠缴记录（条）", "外部门记录"},
	{"records_honour", "荣誉记录（条）", "外部门记录"},
	{"assets_yuan", "登记资产估值（元）", "资产登记"},
	{"peer_score", "会员互评得分（0–100，剔除异常后）", "会员互评"},
}

func catalogEntry(key string) (name, source string) {
	for _, c := range InputCatalog {
		if c.Key == key {
			return c.Name, c.Source
		}
	}
	return key, ""
}

// loanState is what the loans of a subject say, as of today.
type loanState struct {
	maxDays, days         int
	arrears, balance, npl int64
	settled, active       int
	borrower, cleanBorrow bool
}

// collected is everything the collector found for a region.
type collected struct {
	loans    map[int64]*loanState
	bad      map[int64]int
	honour   map[int64]int
	assets   map[int64]int64
	peer     map[int64]float64
	external map[int64]map[string]float64
}

func rangeCond(col, prefix string) (string, []any) {
	// a region code is 12 digits padded with zeros; what it covers is its significant prefix
	lo, hi := db.PrefixRange(auth.RegionPrefix(prefix))
	return col + " >= ? AND " + col + " < ?", []any{lo, hi}
}

// collect reads the loans, records, assets, peer reviews and 外评 of every subject in region prefix.
func (s *Service) collect(ctx context.Context, q db.Querier, prefix, period string) (*collected, error) {
	c := &collected{loans: map[int64]*loanState{}, bad: map[int64]int{}, honour: map[int64]int{}, assets: map[int64]int64{},
		peer: map[int64]float64{}, external: map[int64]map[string]float64{}}
	cond, args := rangeCond("l.region_code", prefix)
	rows, err := q.QueryContext(ctx, `SELECT l.id, l.subject_id, l.status, i.no, i.due_on, i.principal, i.interest, i.paid_principal, i.paid_interest, i.paid_on
		FROM loans l JOIN loan_installments i ON i.loan_id = l.id
		WHERE `+cond+` AND l.status IN ('disbursed', 'settled', 'written_off') ORDER BY l.id, i.no`, args...)
	if err != nil {
		return nil, fmt.Errorf("collect loans: %w", err)
	}
	type loanRows struct {
		subject int64
		status  string
		inst    []Installment
	}
	var order []int64
	byLoan := map[int64]*loanRows{}
	for rows.Next() {
		var id, sub int64
		var st string
		var i Installment
		if err := rows.Scan(&id, &sub, &st, &i.No, &i.DueOn, &i.Principal, &i.Interest, &i.PaidPrincipal, &i.PaidInterest, &i.PaidOn); err != nil {
			rows.Close()
			return nil, err
		}
		lr := byLoan[id]
		if lr == nil {
			lr = &loanRows{subject: sub, status: st}
			byLoan[id] = lr
			order = append(order, id)
		}
		lr.inst = append(lr.inst, i)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	today := s.today()
	for _, id := range order {
		lr := byLoan[id]
		ls := c.loans[lr.subject]
		if ls == nil {
			ls = &loanState{}
			c.loans[lr.subject] = ls
		}
		o := OverdueAsOf(lr.inst, today)
		ls.maxDays = max(ls.maxDays, o.MaxDays)
		switch lr.status {
		case LoanSettled:
			ls.settled++
		case LoanWrittenOff:
			ls.maxDays = max(ls.maxDays, 91) // a written-off loan counts as worse than 90 days
		case LoanDisbursed:
			ls.active++
			ls.borrower = true
			ls.days = max(ls.days, o.Days)
			ls.arrears += o.ArrearsPrincipal + o.ArrearsInterest
			ls.balance += o.OutstandingBalance
			if o.Days > 90 {
				ls.npl += o.OutstandingBalance
			}
		}
	}
	for _, ls := range c.loans {
		ls.cleanBorrow = ls.borrower && ls.arrears == 0
	}
	cond, args = rangeCond("region_code", prefix)
	rows, err = q.QueryContext(ctx, `SELECT subject_id, category, COUNT(*), COALESCE(SUM(amount_fen), 0) FROM credit_records WHERE `+cond+` GROUP BY subject_id, category`, args...)
	if err != nil {
		return nil, fmt.Errorf("collect records: %w", err)
	}
	for rows.Next() {
		var sub, amount int64
		var cat string
		var n int
		if err := rows.Scan(&sub, &cat, &n, &amount); err != nil {
			rows.Close()
			return nil, err
		}
		switch categoryGroup(cat) {
		case "bad":
			c.bad[sub] += n
		case "honour":
			c.honour[sub] += n
		case "asset":
			c.assets[sub] += amount
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	cond, args = rangeCond("region_code", prefix)
	rows, err = q.QueryContext(ctx, `SELECT subject_id, item_key, points FROM external_scores WHERE `+cond+` AND period = ?`, append(args, period)...)
	if err != nil {
		return nil, fmt.Errorf("collect external scores: %w", err)
	}
	for rows.Next() {
		var sub int64
		var key string
		var pts float64
		if err := rows.Scan(&sub, &key, &pts); err != nil {
			rows.Close()
			return nil, err
		}
		if c.external[sub] == nil {
			c.external[sub] = map[string]float64{}
		}
		c.external[sub][key] = pts
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	peer, err := s.peerScores(ctx, q, prefix, period)
	if err != nil {
		return nil, err
	}
	for sub, r := range peer {
		if r.Count > 0 {
			c.peer[sub] = r.Score
		}
	}
	return c, nil
}

// inputs builds one subject's inputs from the register entry and what collect found.
func (c *collected) inputs(sub *registry.Subject, asOf string) Inputs {
	in := Inputs{}
	set := func(key string, v float64, asOfKey string) {
		name, src := catalogEntry(key)
		in.Set(key, name, v, src, asOfKey)
	}
	reg := asOf
	if !sub.UpdatedAt.IsZero() {
		reg = FormatDate(sub.UpdatedAt)
	}
	set("scale_mu", sub.ScaleMu, reg)
	set("scale_head", float64(sub.ScaleHead), reg)
	if sub.Kind == "household" && sub.MemberCount > 0 {
		set("household_members", float64(sub.MemberCount), reg)
	}
	set("new_type", map[bool]float64{true: 1, false: 0}[sub.NewType], reg)
	ls := c.loans[sub.ID]
	if ls == nil {
		ls = &loanState{}
	}
	set("max_overdue_days", float64(ls.maxDays), asOf)
	set("overdue_days", float64(ls.days), asOf)
	set("arrears_yuan", float64(ls.arrears)/100, asOf)
	set("settled_loans", float64(ls.settled), asOf)
	set("balance_yuan", float64(ls.balance)/100, asOf)
	set("records_bad", float64(c.bad[sub.ID]), asOf)
	set("records_honour", float64(c.honour[sub.ID]), asOf)
	set("assets_yuan", float64(c.assets[sub.ID])/100, asOf)
	if v, ok := c.peer[sub.ID]; ok {
		set("peer_score", v, asOf)
	}
	keys := make([]string, 0, len(c.external[sub.ID]))
	for k := range c.external[sub.ID] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		in.Set(k, "外评："+strings.TrimPrefix(k, "ext."), c.external[sub.ID][k], "村评议小组", asOf)
	}
	return in
}

// UsesRoomFacts reports whether the model scores an input from another room (a fact key such as
// service.orders_done); the credit room's own inputs have no dot, 外评 items start with "ext.".
func (d *ModelDef) UsesRoomFacts() bool {
	foreign := func(k string) bool { return strings.Contains(k, ".") && !strings.HasPrefix(k, "ext.") }
	for _, x := range d.Indicators {
		if foreign(x.Key) {
			return true
		}
	}
	for _, x := range d.Adjustments {
		if foreign(x.Key) {
			return true
		}
	}
	return false
}

// addFacts adds other rooms' facts (their Number) as inputs.
func (s *Service) addFacts(ctx context.Context, subjectID int64, in Inputs) ([]Fact, error) {
	var all []Fact
	for _, src := range s.Facts {
		fs, err := src.SubjectFacts(ctx, subjectID)
		if err != nil {
			return nil, fmt.Errorf("facts of %d: %w", subjectID, err)
		}
		for _, f := range fs {
			if math.IsNaN(f.Number) || math.IsInf(f.Number, 0) {
				continue
			}
			in.Set(f.Key, f.Name, f.Number, f.Source, FormatDate(f.AsOf))
		}
		all = append(all, fs...)
	}
	return all, nil
}

// compactInputs is the stored form of inputs: key → number (null when missing).
func compactInputs(in Inputs) map[string]*float64 {
	out := make(map[string]*float64, len(in))
	for k, v := range in {
		out[k] = v.Number
	}
	return out
}
