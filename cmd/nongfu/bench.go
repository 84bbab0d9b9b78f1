package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"time"

	"nongfu/internal/app"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/imports"
	"nongfu/internal/registry"
	"nongfu/internal/tabular"
	"nongfu/internal/validate"
)

// cmdBench measures import throughput against a raw batched insert on the same engine, and register list and
// search latency on a large database. Figures are printed; compare ratios within one run.
func cmdBench(ctx context.Context, env Env, args []string) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	rows := fs.Int("rows", 100000, "导入基准的行数")
	searchRows := fs.Int("search-rows", 1000000, "检索基准的主体数（0 跳过）")
	queries := fs.Int("queries", 200, "每类查询的次数")
	dsn := fs.String("db", "", "基准数据库：留空用临时 SQLite；或 postgres://…（会写入数据，请用空库）")
	searchDB := fs.String("search-db", "", "检索基准的 SQLite 文件：已有足够主体则直接复用（省去建库时间），否则在此建库")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "nongfu-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	open := func(name string) (*app.App, error) {
		d := *dsn
		if d == "" {
			d = "sqlite:" + filepath.Join(dir, name+".db")
		}
		return app.Open(ctx, app.Config{DSN: d, KeyFile: filepath.Join(dir, "bench.key"), Demo: true, Log: newLogger(bytes.NewBuffer(nil))})
	}
	a, err := open("import")
	if err != nil {
		return err
	}
	villages := a.Regions.Villages()
	gen := newSubjectGen(a, 42)
	header := registry.ExportHeader()
	data := make([][]string, *rows)
	for i := range data {
		data[i] = gen.row(header)
	}
	var csvBuf bytes.Buffer
	if err := tabular.WriteCSV(&csvBuf, header, data, true); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "engine: %s, rows: %d, CSV %.1f MB\n", a.DB.Engine(), *rows, float64(csvBuf.Len())/1e6)

	// raw batched insert of the same rows into the same engine: the same columns and indexes, but no parsing,
	// validation, duplicate checks, encryption, hashing, search terms or audit
	start := time.Now()
	if err := rawInsert(ctx, a.DB, data, header); err != nil {
		return err
	}
	raw := time.Since(start)
	rawRate := float64(*rows) / raw.Seconds()
	fmt.Fprintf(env.Stdout, "raw batched insert:  %8.0f rows/s  (%.2f s)\n", rawRate, raw.Seconds())
	if _, err := a.DB.ExecContext(ctx, `DELETE FROM subjects`); err != nil {
		return err
	}

	start = time.Now()
	res, err := imports.Run(ctx, a.DB, registry.SubjectImporter{S: a.Registry}, cliPrincipal(a), bytes.NewReader(csvBuf.Bytes()), "bench.csv", nil)
	if err != nil {
		return err
	}
	imp := time.Since(start)
	impRate := float64(*rows) / imp.Seconds()
	fmt.Fprintf(env.Stdout, "import (CSV, validated, encrypted, indexed): %8.0f rows/s  (%.2f s; %s)\n", impRate, imp.Seconds(), res.Summary())
	if res.Rejected > 0 {
		return fmt.Errorf("bench import rejected %d rows: %+v", res.Rejected, res.Errors[:min(3, len(res.Errors))])
	}
	fmt.Fprintf(env.Stdout, "import / raw ratio: %.2f  (goal ≥ 0.33)\n", impRate/rawRate)
	a.Close()

	if *searchRows <= 0 {
		return nil
	}
	var b *app.App
	if *searchDB != "" {
		b, err = app.Open(ctx, app.Config{DSN: "sqlite:" + *searchDB, Demo: true, Log: newLogger(bytes.NewBuffer(nil))})
	} else {
		b, err = open("search")
	}
	if err != nil {
		return err
	}
	defer b.Close()
	have, err := b.SubjectCount(ctx)
	if err != nil {
		return err
	}
	if have < *searchRows {
		start = time.Now()
		if err := fillForSearch(ctx, b, gen, *searchRows-have); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "search database: %d subjects built in %.1f s\n", *searchRows-have, time.Since(start).Seconds())
	}
	sample, err := sampleSubjects(ctx, b, 200)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "search database: %d subjects\n", max(have, *searchRows))
	county := &auth.Principal{UserID: 1, Role: auth.CountyAdmin, Scopes: []string{"500237000000"}}
	town := &auth.Principal{UserID: 2, Role: auth.TownshipOperator, Scopes: []string{villages[len(villages)/2].Code[:9] + "000"}}
	r := rand.New(rand.NewPCG(7, 7))
	cases := []struct {
		name string
		p    *auth.Principal
		f    func() registry.Filter
	}{
		{"list county page 1", county, func() registry.Filter { return registry.Filter{} }},
		{"list county page 50", county, func() registry.Filter { return registry.Filter{Page: 50} }},
		{"list township", town, func() registry.Filter { return registry.Filter{} }},
		{"filter kind+industry", county, func() registry.Filter { return registry.Filter{Kind: "household", Industry: "脆李"} }},
		{"search ID number", county, func() registry.Filter { return registry.Filter{Q: sample[r.IntN(len(sample))].id} }},
		{"search mobile", county, func() registry.Filter { return registry.Filter{Q: sample[r.IntN(len(sample))].phone} }},
		{"search ID tail", county, func() registry.Filter { return registry.Filter{Q: sample[r.IntN(len(sample))].id[14:]} }},
		{"search name 1 char", county, func() registry.Filter {
			return registry.Filter{Q: string([]rune(sample[r.IntN(len(sample))].name)[:1])}
		}},
		{"search full name", county, func() registry.Filter { return registry.Filter{Q: sample[r.IntN(len(sample))].name} }},
		{"search name 2 chars", county, func() registry.Filter {
			return registry.Filter{Q: string([]rune(sample[r.IntN(len(sample))].name)[1:3])}
		}},
	}
	fmt.Fprintf(env.Stdout, "%-24s %10s %10s %10s\n", "query", "p50 ms", "p99 ms", "max ms")
	for _, c := range cases {
		var ds []time.Duration
		for i := 0; i < *queries; i++ {
			f := c.f()
			t := time.Now()
			if _, _, err := b.Registry.List(ctx, c.p, f); err != nil {
				return fmt.Errorf("%s: %w", c.name, err)
			}
			ds = append(ds, time.Since(t))
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
		fmt.Fprintf(env.Stdout, "%-24s %10.2f %10.2f %10.2f\n", c.name, ms(ds[len(ds)/2]), ms(ds[len(ds)*99/100]), ms(ds[len(ds)-1]))
	}
	return nil
}

type benchPerson struct{ id, phone, name string }

type subjectGen struct {
	r        *rand.Rand
	villages []*regionRef
	ids      map[string]bool
	phones   map[string]bool
}

type regionRef struct{ code, town, name string }

func newSubjectGen(a *app.App, seed uint64) *subjectGen {
	g := &subjectGen{r: rand.New(rand.NewPCG(seed, seed)), ids: map[string]bool{}, phones: map[string]bool{}}
	for _, v := range a.Regions.Villages() {
		g.villages = append(g.villages, &regionRef{code: v.Code, town: a.Regions.ShortName(v.Code[:9] + "000"), name: v.Name})
	}
	return g
}

var surnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高谭向冉邓彭田蒋袁曾熊")
var given = []rune("明德华兴国平安富贵春秋玉兰桂芳建军红梅志强永福光辉文武昌盛海燕丽芬成林家和顺清秀金银")

func (g *subjectGen) person() benchPerson {
	var p benchPerson
	for {
		base := fmt.Sprintf("500237%04d%02d%02d%03d", 1945+g.r.IntN(56), 1+g.r.IntN(12), 1+g.r.IntN(28), g.r.IntN(1000))
		c, _ := validate.IDNumberCheckChar(base)
		p.id = base + string(c)
		if !g.ids[p.id] {
			g.ids[p.id] = true
			break
		}
	}
	for {
		p.phone = fmt.Sprintf("1%d%09d", []int{3, 5, 8, 7}[g.r.IntN(4)], g.r.IntN(1000000000))
		if !g.phones[p.phone] {
			g.phones[p.phone] = true
			break
		}
	}
	n := 1 + g.r.IntN(2)
	name := []rune{surnames[g.r.IntN(len(surnames))]}
	for i := 0; i < n; i++ {
		name = append(name, given[g.r.IntN(len(given))])
	}
	p.name = string(name)
	return p
}

var benchIndustries = []string{"脆李", "柑橘", "中药材", "核桃", "烤烟", "粮油", "蔬菜", "畜禽"}

// row makes one household in export column order.
func (g *subjectGen) row(header []string) []string {
	p := g.person()
	v := g.villages[g.r.IntN(len(g.villages))]
	vals := map[string]string{"主体类型": "农户", "名称": p.name, "法定代表人/户主": p.name, "身份证号": p.id, "手机号": p.phone,
		"乡镇": v.town, "村社区": v.name, "主导产业": benchIndustries[g.r.IntN(len(benchIndustries))], "经营面积(亩)": fmt.Sprintf("%.1f", 1+g.r.Float64()*12)}
	out := make([]string, len(header))
	for i, h := range header {
		out[i] = vals[h]
	}
	return out
}

func rawInsert(ctx context.Context, d *db.DB, data [][]string, header []string) error {
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	for start := 0; start < len(data); start += imports.BatchSize {
		err := d.InTx(ctx, func(tx *db.Tx) error {
			st, err := tx.Prepare(ctx, `INSERT INTO subjects (id, county_code, kind, name, legal_rep, id_enc, id_hash, id_tail, phone_enc, phone_hash, region_code, industries, scale_mu, status, created_at, updated_at)
				VALUES (?, '500237', 'household', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?)`)
			if err != nil {
				return err
			}
			defer st.Close()
			now := time.Now().UTC()
			for _, row := range data[start:min(start+imports.BatchSize, len(data))] {
				id := row[col["身份证号"]]
				phone := row[col["手机号"]]
				if _, err := st.ExecContext(ctx, tx.NextID(), row[col["名称"]], row[col["法定代表人/户主"]], id, id, id[14:], phone, phone,
					"500237000000", row[col["主导产业"]], 100, now, now); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("raw insert: %w", err)
		}
	}
	return nil
}

// sampleSubjects reads n households spread over the register, with their ID numbers and phones in clear, to
// search for.
func sampleSubjects(ctx context.Context, a *app.App, n int) ([]benchPerson, error) {
	p := &auth.Principal{UserID: 1, Role: auth.CountyAdmin, Scopes: []string{"500237000000"}}
	var lo, hi int64
	if err := a.DB.QueryRowContext(ctx, `SELECT MIN(id), MAX(id) FROM subjects`).Scan(&lo, &hi); err != nil {
		return nil, err
	}
	r := rand.New(rand.NewPCG(3, 3))
	var out []benchPerson
	for tries := 0; tries < n*3 && len(out) < n; tries++ {
		var id int64
		var name string
		err := a.DB.QueryRowContext(ctx, `SELECT id, name FROM subjects WHERE id >= ? AND kind = 'household' ORDER BY id LIMIT 1`, lo+r.Int64N(hi-lo+1)).Scan(&id, &name)
		if err != nil {
			continue
		}
		idn, phone, err := a.Registry.Reveal(ctx, p, id)
		if err != nil {
			return nil, err
		}
		if phone != "" {
			out = append(out, benchPerson{id: idn, phone: phone, name: name})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no households to sample")
	}
	return out, nil
}

// fillForSearch builds a large register through the registry's own write path in big transactions.
func fillForSearch(ctx context.Context, a *app.App, g *subjectGen, n int) error {
	const batch = 5000
	for start := 0; start < n; start += batch {
		err := a.DB.InTx(ctx, func(tx *db.Tx) error {
			for i := start; i < min(start+batch, n); i++ {
				p := g.person()
				v := g.villages[g.r.IntN(len(g.villages))]
				ind := []string{benchIndustries[g.r.IntN(len(benchIndustries))]}
				kind, name, region := "household", p.name, v.code
				mu := 1 + g.r.Float64()*12
				in := registry.SubjectInput{Kind: &kind, Name: &name, IDNumber: &p.id, Phone: &p.phone, RegionCode: &region, Industries: &ind, ScaleMu: &mu}
				if _, err := a.Registry.CreateTx(ctx, tx, nil, in); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
