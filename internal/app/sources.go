package app

import (
	"context"
	"strings"
	"time"

	"nongfu/internal/credit"
	"nongfu/internal/federation"
	"nongfu/internal/indicator"
	"nongfu/internal/platform/auth"
	"nongfu/internal/registry"
	"nongfu/internal/service"
)

// planSources are the indicator engine's data sources over the rooms' Go APIs (never their tables). Each reads
// with a platform principal — a county admin of the counties under the asked region — because the caller's own
// permission has already been checked by the plan room.
func (a *App) planSources() []indicator.Source {
	return []indicator.Source{
		fedSource{a: a},
		memberSource{a: a},
		subjectSource{a: a},
		loanSource{a: a},
		nodeSource{a: a, key: "supply.outlets", kind: "outlet", name: "流通网点（双向流通模块）"},
		nodeSource{a: a, key: "supply.stations", kind: "station", name: "一站式站点（双向流通模块）"},
		indicator.Func{K: "service.centers", N: "为农服务中心（社会化服务模块，运营中的县级和乡镇中心）", F: func(ctx context.Context, q indicator.Query) (float64, error) {
			county, err := a.Services.CountCenters(ctx, service.LevelCounty, q.RegionPrefix)
			if err != nil {
				return 0, err
			}
			town, err := a.Services.CountCenters(ctx, service.LevelTownship, q.RegionPrefix)
			return float64(county + town), err
		}},
		indicator.Func{K: "service.signed_subjects", N: "签约服务主体（社会化服务模块，合同在有效期内的主体）", F: func(ctx context.Context, q indicator.Query) (float64, error) {
			n, err := a.Services.SignedSubjects(ctx, q.RegionPrefix, time.Now())
			return float64(n), err
		}},
	}
}

// nodeSource counts active supply nodes of one kind under the region prefix (current state; periods ignored).
type nodeSource struct {
	a         *App
	key, kind string
	name      string
}

func (n nodeSource) Key() string  { return n.key }
func (n nodeSource) Name() string { return n.name }
func (n nodeSource) Value(ctx context.Context, q indicator.Query) (float64, error) {
	c, err := n.a.Supply.CountNodes(ctx, n.kind, q.RegionPrefix)
	return float64(c), err
}

// platformReader is a county admin of every county under prefix ("" = all counties).
func (a *App) platformReader(name, prefix string) *auth.Principal {
	p := &auth.Principal{Username: name, Role: auth.CountyAdmin}
	for _, c := range a.Regions.Counties() {
		if strings.HasPrefix(c.Code, prefix) || (len(prefix) > 6 && strings.HasPrefix(prefix, c.Code[:6])) {
			p.Scopes = append(p.Scopes, c.Code)
		}
	}
	return p
}

// pad12 makes a 12-digit code from a prefix.
func pad12(prefix string) string {
	if len(prefix) >= 12 {
		return prefix[:12]
	}
	return prefix + strings.Repeat("0", 12-len(prefix))
}

// fedSource counts active federations whose region code starts with the prefix; filter level = county, township
// or industry. A 片区 federation counts under its first township (its region code).
type fedSource struct{ a *App }

func (fedSource) Key() string  { return "federation.federations" }
func (fedSource) Name() string { return "农合联名录（农合联模块）" }

func (s fedSource) Value(ctx context.Context, q indicator.Query) (float64, error) {
	v, err := s.Values(ctx, q, []string{q.RegionPrefix})
	if err != nil {
		return 0, err
	}
	return v[0], nil
}

func (s fedSource) Values(ctx context.Context, q indicator.Query, prefixes []string) ([]float64, error) {
	p := s.a.platformReader("plan-indicators", commonPrefix(prefixes))
	feds, _, err := s.a.Federation.ListFederations(ctx, p, federation.FedFilter{Level: q.Filter["level"], Status: federation.FedActive, PerPage: 100000})
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(prefixes))
	for _, f := range feds {
		if !inPeriod(f.EstablishedOn, q) {
			continue
		}
		for i, pre := range prefixes {
			if strings.HasPrefix(f.RegionCode, pre) {
				out[i]++
			}
		}
	}
	return out, nil
}

// memberSource counts distinct subjects with an approved federation membership (会员单位), by the township the
// membership was filed in.
type memberSource struct{ a *App }

func (memberSource) Key() string { return "federation.members" }
func (memberSource) Name() string {
	return "农合联会员（已入会的不同主体，农合联模块）"
}

func (s memberSource) Value(ctx context.Context, q indicator.Query) (float64, error) {
	pre := q.RegionPrefix
	p := s.a.platformReader("plan-indicators", pre)
	if len(p.Scopes) == 0 {
		return 0, nil
	}
	if len(pre) <= 6 {
		// whole counties: the room's own distinct count
		o, err := s.a.Federation.Overview(ctx, p)
		if err != nil {
			return 0, err
		}
		return float64(o.Subjects), nil
	}
	// a township or village: the approved memberships filed in that township, distinct subjects
	town := pad12(pre[:min(9, len(pre))])
	seen := map[int64]bool{}
	for page := 1; ; page++ {
		items, total, err := s.a.Federation.ListMemberships(ctx, p, federation.MembershipFilter{Status: federation.StatusApproved, Township: town, Page: page, PerPage: 1000})
		if err != nil {
			return 0, err
		}
		for _, m := range items {
			if strings.HasPrefix(m.RegionCode, pre) || strings.HasPrefix(m.TownshipCode, pre) {
				seen[m.SubjectID] = true
			}
		}
		if page*1000 >= total || len(items) == 0 {
			break
		}
	}
	return float64(len(seen)), nil
}

// subjectSource counts active subjects of the register under the region; filter kind (registry kind code, e.g.
// service_coop) and industry.
type subjectSource struct{ a *App }

func (subjectSource) Key() string  { return "registry.subjects" }
func (subjectSource) Name() string { return "主体名录（一数一源，主体登记模块）" }

func (s subjectSource) Value(ctx context.Context, q indicator.Query) (float64, error) {
	p := s.a.platformReader("plan-indicators", q.RegionPrefix)
	if len(p.Scopes) == 0 {
		return 0, nil
	}
	f := registry.Filter{Kind: q.Filter["kind"], Industry: q.Filter["industry"], PerPage: 1}
	if q.RegionPrefix != "" {
		f.RegionCode = pad12(q.RegionPrefix)
	}
	_, total, err := s.a.Registry.List(ctx, p, f)
	return float64(total), err
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

// inPeriod reports whether a YYYY-MM-DD date lies in the query's period (open ends; empty dates count).
func inPeriod(date string, q indicator.Query) bool {
	if date == "" || (q.From.IsZero() && q.To.IsZero()) {
		return true
	}
	d := date[:min(10, len(date))]
	if !q.From.IsZero() && d < q.From.In(q.From.Location()).Format("2006-01-02") {
		return false
	}
	if !q.To.IsZero() && d >= q.To.In(q.To.Location()).Format("2006-01-02") {
		return false
	}
	return true
}

// commonPrefix is the longest prefix every prefix shares (so one list answers them all).
func commonPrefix(ps []string) string {
	if len(ps) == 0 {
		return ""
	}
	c := ps[0]
	for _, p := range ps[1:] {
		for !strings.HasPrefix(p, c) {
			c = c[:len(c)-1]
		}
	}
	return c
}
