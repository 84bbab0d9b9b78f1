package demo

import (
	"context"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/dbtest"
	"nongfu/internal/platform/pii"
	"nongfu/internal/region"
	"nongfu/internal/registry"
	"nongfu/internal/testenv"
	"nongfu/internal/validate"
)

type env struct {
	d       *db.DB
	regions *region.Service
	reg     *registry.Service
	users   *auth.Service
}

func setup(t testing.TB, key []byte) env {
	t.Helper()
	d := dbtest.SQLite(t)
	e := testenv.NewKey(t, d, key)
	return env{d, e.Regions, e.Reg, auth.NewService(d)}
}

func (e env) load(t testing.TB, opt Options) Result {
	t.Helper()
	res, err := Load(context.Background(), e.d, e.regions, e.reg, e.users, opt)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return res
}

// fingerprint is what must not change between loads with the same seed: names, credit codes and ID-number hashes
// of subjects and members, and plot names and areas.
func fingerprint(t *testing.T, d *db.DB) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	for _, q := range []string{
		`SELECT kind || '|' || name || '|' || COALESCE(credit_code, '') || '|' || COALESCE(id_hash, '') || '|' || phone_hash || '|' || region_code || '|' || industries || '|' || scale_mu FROM subjects`,
		`SELECT name || '|' || relation || '|' || COALESCE(id_hash, '') || '|' || birth_date FROM household_members`,
		`SELECT s.name || '|' || p.name || '|' || p.crop || '|' || p.area || '|' || p.polygon_area FROM plots p JOIN subjects s ON s.id = p.subject_id`,
	} {
		rows, err := d.QueryContext(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out = append(out, s)
		}
		rows.Close()
	}
	slices.Sort(out)
	return out
}

func TestLoad(t *testing.T) {
	ctx := context.Background()
	key := pii.NewKey()
	a, b := setup(t, key), setup(t, key)
	var progress []int
	start := time.Now()
	res := a.load(t, Options{Households: 300, Seed: 7, Progress: func(done, total int) { progress = append(progress, done) }})
	t.Logf("300 households: %d subjects, %d members, %d plots in %v", res.Subjects, res.Members, res.Plots, time.Since(start))
	b.load(t, Options{Households: 300, Seed: 7})

	// deterministic
	fa, fb := fingerprint(t, a.d), fingerprint(t, b.d)
	if !slices.Equal(fa, fb) {
		for i := range min(len(fa), len(fb)) {
			if fa[i] != fb[i] {
				t.Fatalf("same seed, different data (%d vs %d rows): first difference\n%s\n%s", len(fa), len(fb), fa[i], fb[i])
			}
		}
		t.Fatalf("same seed, different data: %d vs %d rows", len(fa), len(fb))
	}
	if len(progress) == 0 || progress[len(progress)-1] != 300 {
		t.Errorf("progress calls %v", progress)
	}

	// counts
	if res.Households != 300 || len(slices.Concat(mapValues(res.HouseholdsByTownship)...)) != 300 {
		t.Errorf("households %d", res.Households)
	}
	if res.Members < 300 || res.Members > 4*300 {
		t.Errorf("members %d", res.Members)
	}
	if res.Plots < 300 || res.Plots > 3*300 {
		t.Errorf("plots %d", res.Plots)
	}
	if res.Users != len(auth.Roles) {
		t.Errorf("users %d", res.Users)
	}
	if res.County != "500237000000" || len(res.Townships) != 26 {
		t.Errorf("county %s, %d townships", res.County, len(res.Townships))
	}
	minKinds := map[string]int{"cooperative": 26 * 3, "family_farm": 26 * 3, "enterprise": 3, "village_collective": 100, "supply_coop": 26,
		"service_coop": 3, "bank": 2, "guarantor": 1, "insurer": 1, "association": 1}
	for k, n := range minKinds {
		if len(res.Orgs[k]) < n {
			t.Errorf("%d %s, want at least %d", len(res.Orgs[k]), k, n)
		}
	}
	var subjects, members, plots, polygons int
	must(t, a.d.QueryRowContext(ctx, `SELECT COUNT(*) FROM subjects`).Scan(&subjects))
	must(t, a.d.QueryRowContext(ctx, `SELECT COUNT(*) FROM household_members`).Scan(&members))
	must(t, a.d.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(NULLIF(polygon, '')) FROM plots`).Scan(&plots, &polygons))
	if subjects != res.Subjects || members != res.Members || plots != res.Plots {
		t.Errorf("database has %d subjects, %d members, %d plots; result says %+v", subjects, members, plots, res)
	}
	if polygons == 0 {
		t.Error("no plot has a polygon")
	}
	var badArea int
	must(t, a.d.QueryRowContext(ctx, `SELECT COUNT(*) FROM plots WHERE polygon <> '' AND ABS(polygon_area - area) > area * 0.05 + 2`).Scan(&badArea))
	if badArea > 0 {
		t.Errorf("%d polygons whose area is far from the plot's", badArea)
	}

	// every township has households and organisations
	for _, tc := range res.Townships {
		if len(res.HouseholdsByTownship[tc]) == 0 {
			t.Errorf("township %s has no households", tc)
		}
		var n int
		must(t, a.d.QueryRowContext(ctx, `SELECT COUNT(*) FROM subjects WHERE region_code LIKE ? AND kind <> 'household'`, tc[:9]+"%").Scan(&n))
		if n == 0 {
			t.Errorf("township %s has no organisations", tc)
		}
	}

	// the data is what the registry shows: valid codes, decryptable ID numbers
	admin := &auth.Principal{Role: auth.CountyAdmin, Scopes: []string{res.County}}
	list, total, err := a.reg.List(ctx, admin, registry.Filter{PerPage: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if total != subjects {
		t.Errorf("list total %d", total)
	}
	for _, x := range list {
		if x.CreditCode != "" {
			if _, err := validate.CreditCode(x.CreditCode); err != nil {
				t.Errorf("%s: credit code %s: %v", x.Name, x.CreditCode, err)
			}
			want := map[string]string{"cooperative": "93500237", "enterprise": "91500237", "village_collective": "N2500237"}[x.Kind]
			if want != "" && !strings.HasPrefix(x.CreditCode, want) {
				t.Errorf("%s %s: credit code %s", x.Kind, x.Name, x.CreditCode)
			}
		}
		if x.Kind == "household" {
			id, phone, err := a.reg.Reveal(ctx, admin, x.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(id, "500237") || len(phone) != 11 {
				t.Errorf("%s: id %s phone %s", x.Name, id, phone)
			}
			if x.ScaleMu < 0.2 || x.ScaleMu > 16 {
				t.Errorf("%s: scale %v", x.Name, x.ScaleMu)
			}
			break
		}
	}

	// every role logs in; member, provider and bank belong to subjects
	for _, acc := range Accounts() {
		_, p, err := a.users.Login(ctx, acc.Username, DemoPassword, "test", auth.KindAPILogin)
		if err != nil {
			t.Fatalf("login %s: %v", acc.Username, err)
		}
		if p.Role != acc.Role || len(p.Scopes) != 1 {
			t.Errorf("%s: role %s scopes %v", acc.Username, p.Role, p.Scopes)
		}
		switch acc.Role {
		case auth.Member, auth.Provider, auth.Bank:
			x, err := a.reg.Get(ctx, p, p.SubjectID)
			if err != nil {
				t.Fatalf("%s: own subject %d: %v", acc.Username, p.SubjectID, err)
			}
			if x.Name != acc.Label {
				t.Errorf("%s: subject %s, account label %s", acc.Username, x.Name, acc.Label)
			}
			if acc.Role == auth.Member && (x.Kind != "cooperative" || x.RegionCode != p.Scopes[0] || region.Township(x.RegionCode) != regionOf(t, a, "township_operator")) {
				t.Errorf("member subject %s in %s, scopes %v", x.Kind, x.RegionCode, p.Scopes)
			}
			if acc.Role == auth.Bank && x.Kind != "bank" {
				t.Errorf("bank subject kind %s", x.Kind)
			}
		case auth.TownshipOperator:
			if a.regions.ShortName(p.Scopes[0]) != "骡坪镇" {
				t.Errorf("township operator scope %v", p.Scopes)
			}
		default:
			if p.Scopes[0] != "500237000000" {
				t.Errorf("%s: scopes %v", acc.Username, p.Scopes)
			}
		}
	}

	// twice is refused, and nothing is added
	if _, err := Load(ctx, a.d, a.regions, a.reg, a.users, Options{Households: 10}); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("second load into the same database: %v", err)
	}
	var after int
	must(t, a.d.QueryRowContext(ctx, `SELECT COUNT(*) FROM subjects`).Scan(&after))
	if after != subjects {
		t.Errorf("refused load changed subjects: %d → %d", subjects, after)
	}
}

func TestRefusesExistingAccounts(t *testing.T) {
	ctx := context.Background()
	e := setup(t, pii.NewKey())
	if _, err := e.users.CreateUser(ctx, nil, auth.NewUser{Username: "viewer", Role: auth.Viewer, Password: DemoPassword, Demo: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(ctx, e.d, e.regions, e.reg, e.users, Options{Households: 10}); !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("load with an existing demo user name: %v", err)
	}
	var n int
	must(t, e.d.QueryRowContext(ctx, `SELECT COUNT(*) FROM subjects`).Scan(&n))
	if n != 0 {
		t.Errorf("refused load wrote %d subjects", n)
	}
}

func TestSeedsDiffer(t *testing.T) {
	key := pii.NewKey()
	a, b := setup(t, key), setup(t, key)
	a.load(t, Options{Households: 50, Seed: 1})
	b.load(t, Options{Households: 50, Seed: 2})
	if slices.Equal(fingerprint(t, a.d), fingerprint(t, b.d)) {
		t.Error("different seeds gave the same data")
	}
}

// TestLoadRate measures load rates; set NONGFU_DEMO_BENCH to a list of sizes, e.g. "2000,20000".
func TestLoadRate(t *testing.T) {
	sizes := os.Getenv("NONGFU_DEMO_BENCH")
	if sizes == "" {
		t.Skip("set NONGFU_DEMO_BENCH=2000,20000 to measure load rates")
	}
	for _, s := range strings.Split(sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			t.Fatal(err)
		}
		e := setup(t, pii.NewKey())
		start := time.Now()
		last := start
		res := e.load(t, Options{Households: n, Progress: func(done, total int) {
			if time.Since(last) > 10*time.Second {
				t.Logf("  %d/%d after %v", done, total, time.Since(start).Round(time.Second))
				last = time.Now()
			}
		}})
		el := time.Since(start)
		rows := res.Subjects + res.Members + res.Plots
		t.Logf("%d households: %d subjects, %d members, %d plots, %d users in %v: %.0f rows/s, %.0f households/s",
			n, res.Subjects, res.Members, res.Plots, res.Users, el.Round(time.Millisecond), float64(rows)/el.Seconds(), float64(res.Households)/el.Seconds())
	}
}

func regionOf(t *testing.T, e env, username string) string {
	u, err := e.users.UserByUsername(context.Background(), username)
	if err != nil || len(u.Scopes) == 0 {
		t.Fatalf("user %s: %v", username, err)
	}
	return u.Scopes[0]
}

func mapValues(m map[string][]int64) [][]int64 {
	var out [][]int64
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestLoadCounties(t *testing.T) {
	ctx := context.Background()
	key := pii.NewKey()
	a, b := setup(t, key), setup(t, key)
	start := time.Now()
	var last int
	res := a.load(t, Options{Households: 50, Counties: 2, Seed: 3, Progress: func(done, total int) { last = done }})
	t.Logf("3 counties × 50 households: %d subjects in %v", res.Subjects, time.Since(start))
	b.load(t, Options{Households: 50, Counties: 2, Seed: 3})
	if !slices.Equal(fingerprint(t, a.d), fingerprint(t, b.d)) {
		t.Error("same seed and counties, different data")
	}

	if len(res.Counties) != 3 || res.Counties[0] != "500237000000" || res.County != "500237000000" {
		t.Fatalf("counties %v, county %s", res.Counties, res.County)
	}
	if res.Households != 150 || last != 150 {
		t.Errorf("households %d, last progress %d", res.Households, last)
	}
	// 巫山县-only fields stay 巫山县's
	if len(res.Townships) != 26 || len(slices.Concat(mapValues(res.HouseholdsByTownship)...)) != 50 {
		t.Errorf("巫山县: %d townships, households by township %d", len(res.Townships), len(slices.Concat(mapValues(res.HouseholdsByTownship)...)))
	}
	for _, tc := range res.Townships {
		if !strings.HasPrefix(tc, "500237") {
			t.Errorf("township %s in Result.Townships", tc)
		}
	}
	var sum Counts
	for _, c := range res.Counties {
		bc := res.ByCounty[c]
		if bc.Households != 50 || bc.Subjects <= 50 || bc.Members < 50 || bc.Plots < 50 {
			t.Errorf("county %s: %+v", c, bc)
		}
		sum.Subjects += bc.Subjects
		sum.Members += bc.Members
		sum.Plots += bc.Plots
	}
	if sum.Subjects != res.Subjects || sum.Members != res.Members || sum.Plots != res.Plots {
		t.Errorf("by county %+v, totals %+v", sum, res)
	}
	var subjects int
	must(t, a.d.QueryRowContext(ctx, `SELECT COUNT(*) FROM subjects`).Scan(&subjects))
	if subjects != res.Subjects {
		t.Errorf("database has %d subjects, result %d", subjects, res.Subjects)
	}

	// every county has households and organisations whose codes carry the county's code
	admin := &auth.Principal{Role: auth.CountyAdmin, Scopes: res.Counties}
	for _, c := range res.Counties {
		cc := c[:6]
		list, total, err := a.reg.List(ctx, admin, registry.Filter{RegionCode: c, PerPage: 1000, Status: "all"})
		if err != nil {
			t.Fatal(err)
		}
		if total != res.ByCounty[c].Subjects {
			t.Errorf("county %s: list total %d, result %d", c, total, res.ByCounty[c].Subjects)
		}
		kinds := map[string]int{}
		revealed := 0
		for _, x := range list {
			kinds[x.Kind]++
			if !strings.HasPrefix(x.RegionCode, cc) {
				t.Errorf("%s listed under %s has region %s", x.Name, c, x.RegionCode)
			}
			if x.CreditCode != "" {
				if _, err := validate.CreditCode(x.CreditCode); err != nil || x.CreditCode[2:8] != cc {
					t.Errorf("%s %s: credit code %s (%v)", x.Kind, x.Name, x.CreditCode, err)
				}
			}
			if x.Kind == "household" && revealed < 5 {
				revealed++
				id, _, err := a.reg.Reveal(ctx, admin, x.ID)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := validate.IDNumber(id); err != nil || id[:6] != cc {
					t.Errorf("%s in %s: ID number %s (%v)", x.Name, c, id, err)
				}
			}
		}
		for _, k := range []string{"household", "cooperative", "family_farm", "village_collective", "supply_coop"} {
			if kinds[k] == 0 {
				t.Errorf("county %s has no %s", c, k)
			}
		}
		if c != res.County && (kinds["bank"] > 0 || kinds["enterprise"] > 0) {
			t.Errorf("county %s has banks or companies: %v", c, kinds)
		}
	}

	// every member has an ID number
	var badMembers int
	must(t, a.d.QueryRowContext(ctx, `SELECT COUNT(*) FROM household_members m JOIN subjects s ON s.id = m.subject_id WHERE m.id_hash IS NULL`).Scan(&badMembers))
	if badMembers > 0 {
		t.Errorf("%d members without ID number", badMembers)
	}

	// the demo accounts are 巫山县's; the township operator still sees only its township
	_, op, err := a.users.Login(ctx, "township_operator", DemoPassword, "test", auth.KindAPILogin)
	if err != nil {
		t.Fatal(err)
	}
	if len(op.Scopes) != 1 || !strings.HasPrefix(op.Scopes[0], "500237") {
		t.Fatalf("township operator scopes %v", op.Scopes)
	}
	list, total, err := a.reg.List(ctx, op, registry.Filter{PerPage: 1000, Status: "all"})
	if err != nil {
		t.Fatal(err)
	}
	var inTown int
	must(t, a.d.QueryRowContext(ctx, `SELECT COUNT(*) FROM subjects WHERE region_code >= ? AND region_code < ?`,
		op.Scopes[0][:9], op.Scopes[0][:8]+string(op.Scopes[0][8]+1)).Scan(&inTown))
	if total != inTown || len(list) != inTown || inTown == 0 {
		t.Errorf("township operator sees %d (list %d), township has %d", total, len(list), inTown)
	}
	for _, x := range list {
		if region.Township(x.RegionCode) != op.Scopes[0] {
			t.Errorf("township operator sees %s in %s", x.Name, x.RegionCode)
		}
	}
	for _, acc := range []string{"county_admin", "viewer"} {
		_, p, err := a.users.Login(ctx, acc, DemoPassword, "test", auth.KindAPILogin)
		if err != nil {
			t.Fatal(err)
		}
		if _, total, err := a.reg.List(ctx, p, registry.Filter{PerPage: 1, Status: "all"}); err != nil || total != res.ByCounty[res.County].Subjects {
			t.Errorf("%s sees %d subjects, 巫山县 has %d (%v)", acc, total, res.ByCounty[res.County].Subjects, err)
		}
	}
}
