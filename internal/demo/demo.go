// Package demo fills an empty database with a synthetic but plausible county: households (农户) with members and
// plots in every village of 巫山县, the county's cooperatives, family farms, companies, village collectives,
// supply and service co-ops, banks, a guarantor, an insurer and associations, and one login per role. All people
// and companies are made up; the same seed gives the same data. Everything goes through the registry's use cases
// (validation, encryption of personal data, audit trail), as an import would.
package demo

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/region"
	"nongfu/internal/registry"
)

// DemoPassword is the password of every demo account.
const DemoPassword = "nongfu-demo"

// Options tune the size of the demo.
type Options struct {
	Households int // per county; default 2000 (a small, fast county); 200000 is a full county
	// Counties is the number of other counties of 重庆市 to load besides 巫山县 (0: 巫山县 only; at most
	// region.MaxSyntheticCounties, 37, which with 巫山县 is about a province). Their townships and villages are
	// synthetic (region.Service.AddSyntheticCounties); each gets Households households and a smaller set of
	// organisations than 巫山县 (cooperatives, family farms, a 供销社 per township, village collectives).
	Counties int
	Seed     int64                 // default 1; the same seed gives the same data
	Progress func(done, total int) // optional; called after each batch with households done so far (all counties)
}

// Result tells what was loaded. Subjects, Households, Members and Plots are totals over every county; County,
// Townships, Orgs and HouseholdsByTownship are about 巫山县 only (the demo county other rooms seed from).
type Result struct {
	Subjects, Households, Members, Plots, Users int
	County                                      string             // county code, 500237000000
	Townships                                   []string           // township codes in code order
	Orgs                                        map[string][]int64 // organisation ids by kind code
	HouseholdsByTownship                        map[string][]int64 // household ids by township code
	Counties                                    []string           // every county loaded, 巫山县 first, then Options.Counties others
	ByCounty                                    map[string]Counts  // figures by county code
}

// Counts are the figures of one county.
type Counts struct {
	Subjects, Households, Members, Plots int
}

// Account is a demo login: user name = role key, password DemoPassword.
type Account struct {
	Username string
	Role     auth.Role
	Label    string // display name
	Scope    string // what the account sees, for people
}

// The demo township of the township operator and the member, and the fixed subjects the accounts belong to.
const (
	demoTownship = "骡坪镇"
	memberName   = "巫山县骡坪镇脆李种植专业合作社"
	providerName = "巫山县骡坪镇丰收农机专业合作社"
	bankName     = "重庆农村商业银行巫山支行"
	seatTownship = "高唐街道" // county seat: banks, guarantor, insurer, associations
)

// Accounts lists the demo accounts in role order.
func Accounts() []Account {
	return []Account{
		{string(auth.CountyAdmin), auth.CountyAdmin, "县农合联秘书处", "巫山县（全县）"},
		{string(auth.TownshipOperator), auth.TownshipOperator, demoTownship + "农合联", demoTownship},
		{string(auth.Provider), auth.Provider, providerName, "本主体（服务主体）"},
		{string(auth.Member), auth.Member, memberName, "本主体（会员）"},
		{string(auth.Bank), auth.Bank, bankName, "本行及授权查询的主体"},
		{string(auth.Department), auth.Department, "县农业农村委员会", "巫山县（全县，只读）"},
		{string(auth.Taskforce), auth.Taskforce, "县农合联改革工作专班", "巫山县（全县）"},
		{string(auth.Sysadmin), auth.Sysadmin, "系统管理员", "系统设置"},
		{string(auth.Viewer), auth.Viewer, "县政府办公室（只读）", "巫山县（全县，只读）"},
	}
}

// batchSize is the number of households per transaction.
const batchSize = 1000

// village is a village with its township and share of households.
type village struct {
	*region.Region
	town       *region.Region
	weight     float64
	households int
}

// plan is the county laid out for generation.
type plan struct {
	county    *region.Region
	townships []*region.Region
	villages  map[string][]*village // by township code, in code order
	all       []*village
	hhTown    map[string]int // households per township
	demoTown  *region.Region
	seatTown  *region.Region
}

// Load fills an empty database (after migrations, regions.Load and registry Init). It refuses when subjects or
// demo accounts already exist. Households are written in transactions of batchSize; a failure leaves the batches
// before it in place.
func Load(ctx context.Context, d *db.DB, regions *region.Service, reg *registry.Service, users *auth.Service, opt Options) (Result, error) {
	if opt.Households <= 0 {
		opt.Households = 2000
	}
	if opt.Seed == 0 {
		opt.Seed = 1
	}
	var n int
	if err := d.QueryRowContext(ctx, `SELECT COUNT(*) FROM subjects`).Scan(&n); err != nil {
		return Result{}, fmt.Errorf("demo: count subjects: %w", err)
	}
	if n > 0 {
		return Result{}, apperr.Errorf(apperr.Conflict, "数据库中已有 %d 个主体，演示数据只能载入空数据库", n)
	}
	for _, a := range Accounts() {
		if _, err := users.UserByUsername(ctx, a.Username); err == nil {
			return Result{}, apperr.Errorf(apperr.Conflict, "用户 %s 已存在，演示数据只能载入空数据库", a.Username)
		}
	}
	p, err := layout(regions)
	if err != nil {
		return Result{}, err
	}
	var extra []*plan
	if opt.Counties > 0 {
		cs, err := regions.AddSyntheticCounties(ctx, opt.Counties)
		if err != nil {
			return Result{}, fmt.Errorf("demo: %w", err)
		}
		for _, c := range cs {
			if c.Code == p.county.Code {
				continue
			}
			q, err := layoutCounty(regions, c)
			if err != nil {
				return Result{}, err
			}
			extra = append(extra, q)
		}
	}
	g := newGen(opt.Seed)
	p.allocate(g, opt.Households)

	res := Result{County: p.county.Code, Orgs: map[string][]int64{}, HouseholdsByTownship: map[string][]int64{},
		ByCounty: map[string]Counts{}}
	for _, t := range p.townships {
		res.Townships = append(res.Townships, t.Code)
	}
	l := &loader{d: d, reg: reg, res: &res, total: opt.Households * (1 + len(extra)), progress: opt.Progress}
	if l.progress != nil {
		l.progress(0, l.total)
	}

	// 巫山县: organisations, then households
	orgs := p.orgs(g, opt.Households, true)
	keyed := map[string]int64{}
	if err := l.orgs(ctx, p, orgs, func(o org, x *registry.Subject) {
		res.Orgs[x.Kind] = append(res.Orgs[x.Kind], x.ID)
		if o.key != "" {
			keyed[o.key] = x.ID
		}
	}); err != nil {
		return res, err
	}
	if err := l.households(ctx, p, g, func(h household) {
		res.HouseholdsByTownship[h.town] = append(res.HouseholdsByTownship[h.town], h.id)
	}); err != nil {
		return res, err
	}

	// the other counties, each from its own random stream
	for _, q := range extra {
		cg := g.forCounty(opt.Seed, q.county)
		q.allocate(cg, opt.Households)
		if err := l.orgs(ctx, q, q.orgs(cg, opt.Households, false), nil); err != nil {
			return res, err
		}
		if err := l.households(ctx, q, cg, nil); err != nil {
			return res, err
		}
	}

	// accounts
	countyScope := []string{p.county.Code}
	for _, a := range Accounts() {
		nu := auth.NewUser{Username: a.Username, DisplayName: a.Label, Role: a.Role, Scopes: countyScope, Password: DemoPassword, Demo: true}
		switch a.Role {
		case auth.TownshipOperator:
			nu.Scopes = []string{p.demoTown.Code}
		case auth.Member:
			nu.SubjectID = keyed["member"]
			nu.Scopes = []string{keyedRegion(orgs, "member")}
		case auth.Provider:
			nu.SubjectID = keyed["provider"]
			nu.Scopes = []string{region.Township(keyedRegion(orgs, "provider"))}
		case auth.Bank:
			nu.SubjectID = keyed["bank"]
		}
		if _, err := users.CreateUser(ctx, nil, nu); err != nil {
			return res, fmt.Errorf("demo: create user %s: %w", a.Username, err)
		}
		res.Users++
	}
	return res, nil
}

// loader writes generated subjects through the registry and keeps the figures.
type loader struct {
	d           *db.DB
	reg         *registry.Service
	res         *Result
	done, total int
	progress    func(done, total int)
}

// count adds figures to the totals and to county c's.
func (l *loader) count(c string, subjects, households, members, plots int) {
	if _, ok := l.res.ByCounty[c]; !ok {
		l.res.Counties = append(l.res.Counties, c)
	}
	bc := l.res.ByCounty[c]
	bc.Subjects += subjects
	bc.Households += households
	bc.Members += members
	bc.Plots += plots
	l.res.ByCounty[c] = bc
	l.res.Subjects += subjects
	l.res.Households += households
	l.res.Members += members
	l.res.Plots += plots
}

// orgs writes a county's organisations in one transaction; each is passed to created (if not nil).
func (l *loader) orgs(ctx context.Context, p *plan, orgs []org, created func(org, *registry.Subject)) error {
	return l.d.InTx(ctx, func(tx *db.Tx) error {
		for _, o := range orgs {
			x, err := l.reg.CreateTx(ctx, tx, nil, o.in)
			if err != nil {
				return fmt.Errorf("demo: create %s: %w", *o.in.Name, err)
			}
			if created != nil {
				created(o, x)
			}
		}
		l.count(p.county.Code, len(orgs), 0, 0, 0)
		return nil
	})
}

// households generates and writes the households of a county, batch by batch: generate, then write. Each written
// household is passed to written (if not nil).
func (l *loader) households(ctx context.Context, p *plan, g *gen, written func(household)) error {
	var batch []household
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		err := l.d.InTx(ctx, func(tx *db.Tx) error {
			for i := range batch {
				h := &batch[i]
				x, err := l.reg.CreateTx(ctx, tx, nil, h.in)
				if err != nil {
					return fmt.Errorf("demo: create household %s: %w", *h.in.Name, err)
				}
				h.id = x.ID
				for _, m := range h.members {
					if _, err := l.reg.AddMemberTx(ctx, tx, nil, x.ID, m); err != nil {
						return fmt.Errorf("demo: member %s of %s: %w", m.Name, x.Name, err)
					}
				}
				for _, pl := range h.plots {
					pl.SubjectID = x.ID
					if _, _, err := l.reg.SavePlotTx(ctx, tx, nil, pl); err != nil {
						return fmt.Errorf("demo: plot %s of %s: %w", pl.Name, x.Name, err)
					}
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		var members, plots int
		for _, h := range batch {
			if written != nil {
				written(h)
			}
			members += len(h.members)
			plots += len(h.plots)
		}
		l.count(p.county.Code, len(batch), len(batch), members, plots)
		l.done += len(batch)
		batch = batch[:0]
		if l.progress != nil {
			l.progress(l.done, l.total)
		}
		return nil
	}
	for _, v := range p.all {
		for range v.households {
			batch = append(batch, p.household(g, v))
			if len(batch) == batchSize {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	return flush()
}

func keyedRegion(orgs []org, key string) string {
	for _, o := range orgs {
		if o.key == key {
			return *o.in.RegionCode
		}
	}
	return ""
}

// wushanCode is the demo county.
const wushanCode = "500237000000"

// layout finds the demo county (巫山县, else the first county), its townships and villages.
func layout(regions *region.Service) (*plan, error) {
	counties := regions.Counties()
	if len(counties) == 0 {
		return nil, errors.New("demo: no county in the region tree (call regions.Load first)")
	}
	county := counties[0]
	for _, c := range counties {
		if c.Code == wushanCode {
			county = c
		}
	}
	return layoutCounty(regions, county)
}

// layoutCounty finds a county's townships and villages.
func layoutCounty(regions *region.Service, county *region.Region) (*plan, error) {
	p := &plan{county: county, villages: map[string][]*village{}, hhTown: map[string]int{}}
	for _, t := range regions.Children(p.county.Code) {
		if t.Level != region.LevelTownship {
			continue
		}
		var vs []*village
		for _, v := range regions.Children(t.Code) {
			if v.Level == region.LevelVillage {
				vs = append(vs, &village{Region: v, town: t})
			}
		}
		if len(vs) == 0 {
			continue
		}
		p.townships = append(p.townships, t)
		p.villages[t.Code] = vs
		p.all = append(p.all, vs...)
		if t.Name == demoTownship {
			p.demoTown = t
		}
		if t.Name == seatTownship {
			p.seatTown = t
		}
	}
	if len(p.townships) == 0 {
		return nil, fmt.Errorf("demo: county %s has no townships with villages", p.county.Name)
	}
	if p.demoTown == nil { // another region file: take the township with most villages
		for _, t := range p.townships {
			if p.demoTown == nil || len(p.villages[t.Code]) > len(p.villages[p.demoTown.Code]) {
				p.demoTown = t
			}
		}
	}
	if p.seatTown == nil {
		p.seatTown = p.townships[0]
	}
	return p, nil
}

func isCommunity(v *region.Region) bool { return strings.HasSuffix(v.Name, "社区") }

// allocate spreads n households over the villages: rural villages get most, 社区 fewer. Townships get their
// share first (at least one household each when n allows), then their villages, both by the largest-remainder
// method so that small demos stay spread out.
func (p *plan) allocate(g *gen, n int) {
	tw := make([]float64, len(p.townships))
	for i, t := range p.townships {
		for _, v := range p.villages[t.Code] {
			v.weight = 0.6 + g.r.Float64()*0.8
			if isCommunity(v.Region) {
				v.weight *= 0.25
			}
			tw[i] += v.weight
		}
	}
	perTown := apportion(n, tw)
	if n >= len(perTown) {
		for i := range perTown {
			if perTown[i] == 0 {
				perTown[slices.Index(perTown, slices.Max(perTown))]--
				perTown[i]++
			}
		}
	}
	for i, t := range p.townships {
		vs := p.villages[t.Code]
		w := make([]float64, len(vs))
		for j, v := range vs {
			w[j] = v.weight
		}
		for j, k := range apportion(perTown[i], w) {
			vs[j].households = k
		}
		p.hhTown[t.Code] = perTown[i]
	}
}

// apportion divides n in proportion to weights by the largest-remainder method.
func apportion(n int, weights []float64) []int {
	var total float64
	for _, w := range weights {
		total += w
	}
	out := make([]int, len(weights))
	if total <= 0 || len(weights) == 0 {
		return out
	}
	frac := make([]float64, len(weights))
	left := n
	for i, w := range weights {
		exact := float64(n) * w / total
		out[i] = int(math.Floor(exact))
		frac[i] = exact - float64(out[i])
		left -= out[i]
	}
	order := make([]int, len(weights))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case frac[a] > frac[b]:
			return -1
		case frac[a] < frac[b]:
			return 1
		}
		return 0
	})
	for i := 0; left > 0; i, left = (i+1)%len(order), left-1 {
		out[order[i]]++
	}
	return out
}

// ruralVillages are a township's villages that are not 社区 (all of them if it has none).
func (p *plan) ruralVillages(t *region.Region) []*village {
	var out []*village
	for _, v := range p.villages[t.Code] {
		if !isCommunity(v.Region) {
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		return p.villages[t.Code]
	}
	return out
}

func ptr[T any](v T) *T { return &v }

func itoa(i int) string { return strconv.Itoa(i) }
