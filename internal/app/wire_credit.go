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
)

// Wiring of the credit room: constructor with its adapters onto other rooms, indicator sources, importers and demo
// data.

func (a *App) newCredit(ctx context.Context) error {
	a.Credit = credit.NewService(a.DB, a.Regions, a.Registry)
	a.Credit.Memberships = membershipSource{fed: a.Federation, regions: a.countyCodes}
	return nil
}

func (a *App) creditSources() []indicator.Source { return []indicator.Source{loanSource{a: a}} }

func (a *App) creditImporters() []imports.Importer { return nil }

func (a *App) seedCredit(ctx context.Context, tx *db.Tx, res demo.Result) error {
	var subjects []int64
	for _, ids := range res.HouseholdsByTownship {
		subjects = append(subjects, ids...)
	}
	for _, kind := range []string{"cooperative", "family_farm", "enterprise"} {
		subjects = append(subjects, res.Orgs[kind]...)
	}
	sort.Slice(subjects, func(i, j int) bool { return subjects[i] < subjects[j] })
	return a.Credit.SeedDemo(ctx, tx, res.Orgs["bank"], subjects, time.Now().UTC())
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
