package app

import (
	"context"
	"sort"
	"strings"
	"time"

	"nongfu/internal/credit"
	"nongfu/internal/demo"
	"nongfu/internal/federation"
	"nongfu/internal/indicator"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/imports"
	"nongfu/internal/platform/jobs"
)

// Wiring of the credit room: constructor with its adapters onto other rooms, indicator sources, importers and demo
// data.

func (a *App) newCredit(ctx context.Context) error {
	a.Credit = credit.NewService(a.DB, a.Regions, a.Registry)
	a.Credit.Memberships = membershipSource{fed: a.Federation, regions: a.countyCodes}
	// the job runner is made after the rooms; the batch asks for it when it starts
	a.Credit.Jobs = func() *jobs.Service { return a.Jobs }
	// Facts (service, supply, market rooms) and Partners (会员互评) and Contracts (质押) are wired by the lead when
	// those rooms are merged: a.Credit.Facts = append(a.Credit.Facts, a.Services, a.Supply, a.Market) through small
	// adapters converting their Fact type to credit.Fact.
	return nil
}

func (a *App) creditSources() []indicator.Source {
	return []indicator.Source{loanSource{a: a},
		creditFigure{a: a, key: "credit.balance_yuan", name: "贷款余额（元，信用模块）", val: func(f credit.Figure) float64 { return float64(f.BalanceFen) / 100 }},
		creditFigure{a: a, key: "credit.overdue_ratio_pct", name: "逾期贷款余额占比（%）", val: credit.Figure.OverdueRatioPct},
		creditFigure{a: a, key: "credit.rated_subjects", name: "已评级主体数", val: func(f credit.Figure) float64 { return float64(f.RatedSubjects) }},
		creditFigure{a: a, key: "credit.credit_households", name: "信用户数", val: func(f credit.Figure) float64 { return float64(f.CreditHouseholds) }},
		creditFigure{a: a, key: "credit.credit_villages", name: "信用村数", val: func(f credit.Figure) float64 { return float64(f.CreditVillages) }},
		ratedMembers{a: a},
	}
}

func (a *App) creditImporters() []imports.Importer {
	return []imports.Importer{credit.RecordImporter{S: a.Credit}}
}

func (a *App) seedCredit(ctx context.Context, tx *db.Tx, res demo.Result) error {
	var subjects []int64
	for _, ids := range res.HouseholdsByTownship {
		subjects = append(subjects, ids...)
	}
	for _, kind := range []string{"cooperative", "family_farm", "enterprise"} {
		subjects = append(subjects, res.Orgs[kind]...)
	}
	sort.Slice(subjects, func(i, j int) bool { return subjects[i] < subjects[j] })
	if err := a.Credit.SeedDemo(ctx, tx, res.Orgs["bank"], subjects, time.Now().UTC()); err != nil {
		return err
	}
	if err := a.Credit.SeedFinanceDemo(ctx, tx, res.Orgs["guarantor"], res.Orgs["insurer"], subjects); err != nil {
		return err
	}
	// a completed 整村授信 batch for the demo township (the township operator's and the member's)
	town := ""
	for _, t := range a.Regions.Children(res.County) {
		if t.Name == "骡坪镇" {
			town = t.Code
		}
	}
	if town == "" && len(res.Townships) > 0 {
		town = res.Townships[0]
	}
	if town == "" {
		return nil
	}
	return a.Credit.SeedRatingDemo(ctx, tx, town, subjects)
}

// creditFigure is one of the credit room's figures, answered for many region prefixes at once; the period's end
// is the as-of date (balances, ratings, 信用户 and 信用村 are stocks).
type creditFigure struct {
	a         *App
	key, name string
	val       func(credit.Figure) float64
}

func (s creditFigure) Key() string  { return s.key }
func (s creditFigure) Name() string { return s.name }

func (s creditFigure) Value(ctx context.Context, q indicator.Query) (float64, error) {
	v, err := s.Values(ctx, q, []string{q.RegionPrefix})
	if err != nil {
		return 0, err
	}
	return v[0], nil
}

func (s creditFigure) Values(ctx context.Context, q indicator.Query, prefixes []string) ([]float64, error) {
	asOf := q.To
	if !asOf.IsZero() {
		asOf = asOf.Add(-time.Nanosecond) // To is exclusive: the last day of the period
	}
	figs, err := s.a.Credit.Figures(ctx, prefixes, asOf)
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(prefixes))
	for i, f := range figs {
		out[i] = s.val(f)
	}
	return out, nil
}

// ratedMembers is the share (%) of approved federation members that have a credit rating by the period's end.
type ratedMembers struct{ a *App }

func (ratedMembers) Key() string  { return "credit.rated_members_pct" }
func (ratedMembers) Name() string { return "会员评级覆盖率（%）" }

func (s ratedMembers) Value(ctx context.Context, q indicator.Query) (float64, error) {
	v, err := s.Values(ctx, q, []string{q.RegionPrefix})
	if err != nil {
		return 0, err
	}
	return v[0], nil
}

func (s ratedMembers) Values(ctx context.Context, q indicator.Query, prefixes []string) ([]float64, error) {
	out := make([]float64, len(prefixes))
	p := s.a.platformReader("plan-indicators", commonPrefix(prefixes))
	if len(p.Scopes) == 0 {
		return out, nil
	}
	ms, _, err := s.a.Federation.ListMemberships(ctx, p, federation.MembershipFilter{Status: federation.StatusApproved, PerPage: 1 << 30})
	if err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(ms))
	for _, m := range ms {
		ids = append(ids, m.SubjectID)
	}
	to := q.To
	if to.IsZero() {
		to = time.Now().Add(time.Hour)
	}
	rated, err := s.a.Credit.RatedBefore(ctx, ids, to)
	if err != nil {
		return nil, err
	}
	all, yes := make([]int, len(prefixes)), make([]int, len(prefixes))
	seen := map[int64]bool{}
	for _, m := range ms {
		if seen[m.SubjectID] {
			continue // a subject in two federations counts once
		}
		seen[m.SubjectID] = true
		for i, pre := range prefixes {
			if strings.HasPrefix(m.RegionCode, pre) {
				all[i]++
				if rated[m.SubjectID] {
					yes[i]++
				}
			}
		}
	}
	for i := range out {
		if all[i] > 0 {
			out[i] = float64(yes[i]) * 100 / float64(all[i])
		}
	}
	return out, nil
}

// loanSource sums the amounts (元) of loans that were disbursed (还款中, 已结清, 已核销) — a revolving line counts its
// approved line — with the disbursement date in the period.
type loanSource struct{ a *App }

func (loanSource) Key() string  { return "credit.disbursed_yuan" }
func (loanSource) Name() string { return "平台内已放款贷款金额（信用模块）" }

func (s loanSource) Value(ctx context.Context, q indicator.Query) (float64, error) {
	v, err := s.Values(ctx, q, []string{q.RegionPrefix})
	if err != nil {
		return 0, err
	}
	return v[0], nil
}

func (s loanSource) Values(ctx context.Context, q indicator.Query, prefixes []string) ([]float64, error) {
	p := s.a.platformReader("plan-indicators", commonPrefix(prefixes))
	out := make([]float64, len(prefixes))
	if len(p.Scopes) == 0 {
		return out, nil
	}
	loans, _, err := s.a.Credit.ListLoans(ctx, p, credit.LoanFilter{PerPage: 1 << 30})
	if err != nil {
		return nil, err
	}
	fen := make([]int64, len(prefixes))
	for _, l := range loans {
		if l.DisbursedOn == "" || !inPeriod(l.DisbursedOn, q) {
			continue
		}
		switch l.Status {
		case credit.LoanDisbursed, credit.LoanSettled, credit.LoanWrittenOff:
		default:
			continue
		}
		for i, pre := range prefixes {
			if strings.HasPrefix(l.RegionCode, pre) {
				fen[i] += l.Amount
			}
		}
	}
	for i, f := range fen {
		out[i] = float64(f) / 100
	}
	return out, nil
}

// membershipSource lets the credit file list a subject's federation memberships without the credit room knowing
// the federation room: rooms talk through Go APIs, wired here.
type membershipSource struct {
	fed     *federation.Service
	regions func() []string
}

func (m membershipSource) ApprovedMemberships(ctx context.Context, subjectID int64) ([]string, error) {
	// the credit room has already checked who may read this file; the platform reads on its behalf
	p := &auth.Principal{Username: "credit-file", Role: auth.CountyAdmin, Scopes: m.regions()}
	items, _, err := m.fed.ListMemberships(ctx, p, federation.MembershipFilter{SubjectID: subjectID, Status: federation.StatusApproved, PerPage: 50})
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(items))
	for _, x := range items {
		s := x.FederationName
		if x.MemberNo != "" {
			s += "（会员编号 " + x.MemberNo + "）"
		}
		out = append(out, s)
	}
	return out, nil
}
