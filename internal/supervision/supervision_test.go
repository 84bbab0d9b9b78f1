package supervision_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/dbtest"
	"nongfu/internal/platform/web"
	"nongfu/internal/reform"
	"nongfu/internal/supervision"
	"nongfu/internal/testenv"
)

// fakePlan answers KPIs with settable actual values.
type fakePlan struct {
	mu     sync.Mutex
	actual map[string]float64
}

func (f *fakePlan) set(k string, v float64) { f.mu.Lock(); f.actual[k] = v; f.mu.Unlock() }

func (f *fakePlan) KPIs(ctx context.Context, p *auth.Principal, region string) (reform.Board, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b := reform.Board{Region: region}
	for k, v := range f.actual {
		b.Items = append(b.Items, reform.KPI{Key: k, Name: k, Unit: "个", Actual: v, Source: reform.SourceComputed, Targets: map[string]float64{"2027": 100}})
	}
	return b, nil
}

type fakeUsers struct{ users []auth.User }

func (f fakeUsers) ListUsers(ctx context.Context) ([]auth.User, error) { return f.users, nil }

type env struct {
	*testenv.Env
	s     *supervision.Service
	plan  *fakePlan
	clock time.Time
	dept  *auth.Principal // 县农业农村委
	shang *auth.Principal // 县商务委
	tf    *auth.Principal
	fin   *auth.Principal // 县财政局
}

func day(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, web.Shanghai)
	if err != nil {
		t, err = time.ParseInLocation("2006-01-02", s, web.Shanghai)
	}
	if err != nil {
		panic(err)
	}
	return t
}

func newEnv(t *testing.T, d *db.DB) *env {
	e := &env{Env: testenv.New(t, d, supervision.Migrations), plan: &fakePlan{actual: map[string]float64{}}}
	e.dept = &auth.Principal{UserID: 11, Username: "nyw", Role: auth.Department, Scopes: []string{testenv.County}}
	e.shang = &auth.Principal{UserID: 12, Username: "swj", Role: auth.Department, Scopes: []string{testenv.County}}
	e.fin = &auth.Principal{UserID: 13, Username: "czj", Role: auth.Department, Scopes: []string{testenv.County}}
	e.tf = &auth.Principal{UserID: 14, Username: "zb", Role: auth.Taskforce, Scopes: []string{testenv.County}}
	users := fakeUsers{users: []auth.User{{ID: 11, Username: "nyw", Role: auth.Department}, {ID: 12, Username: "swj", Role: auth.Department},
		{ID: 13, Username: "czj", Role: auth.Department}, {ID: 14, Username: "zb", Role: auth.Taskforce}}}
	e.s = supervision.NewService(d, e.Regions, e.Reg, users, e.plan)
	e.clock = day("2024-08-01")
	e.s.SetClock(func() time.Time { return e.clock })
	ctx := context.Background()
	if err := e.s.Init(ctx); err != nil {
		t.Fatal(err)
	}
	for _, l := range []struct {
		unit string
		id   int64
	}{{"县农业农村委", 11}, {"县商务委", 12}, {"县财政局", 13}} {
		if err := d.InTx(ctx, func(tx *db.Tx) error { return e.s.LinkUserTx(ctx, tx, l.unit, l.id) }); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

func (e *env) task(t *testing.T, no int) supervision.Task {
	t.Helper()
	ts, err := e.s.Tasks(context.Background(), e.tf, supervision.TaskFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range ts {
		if x.No == no {
			return x
		}
	}
	t.Fatalf("task %d not found", no)
	return supervision.Task{}
}

// TestStructureTranscribed: the embedded plan has the 18 work items, the 6 rows of 附件1 (4 categories) and the 34
// tasks, with units as the seed writes them.
func TestStructureTranscribed(t *testing.T) {
	st, err := supervision.LoadStructure()
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Items) != 18 || len(st.Majors) != 6 || len(st.Tasks) != 34 {
		t.Fatalf("items %d majors %d tasks %d", len(st.Items), len(st.Majors), len(st.Tasks))
	}
	cats := map[string]bool{}
	for _, m := range st.Majors {
		cats[m.Category] = true
	}
	if len(cats) != 4 {
		t.Fatalf("附件1 categories: %v", cats)
	}
	for i, x := range st.Tasks {
		if x.No != i+1 || len(x.Lead) == 0 {
			t.Fatalf("task %d: no %d lead %v", i+1, x.No, x.Lead)
		}
	}
	// spot checks against the seed text
	check := func(no int, lead, coop, kpi string) {
		x := st.Tasks[no-1]
		if strings.Join(x.Lead, "、") != lead || strings.Join(x.Coop, "、") != coop || x.KPI != kpi {
			t.Errorf("task %d: lead %v coop %v kpi %q", no, x.Lead, x.Coop, x.KPI)
		}
	}
	check(1, "县供销合作社", "县委组织部、县民政局、县农业农村委", "federations")
	check(8, "县农业农村委", "县供销合作社", "service_scale_mu_times")
	check(12, "县供销合作社", "县商务委、县交通运输委、县农业农村委", "stations")
	check(21, "县政府办公室", "农商行巫山支行、县供销合作社、巫山金融监管支局", "credit_leveraged_yuan")
	check(34, "县供销合作社", "县委组织部、县委编办", "")
	if st.Items[12].Title != "开展农村信用评价" || strings.Join(st.Items[12].Lead, "、") != "县政府办公室、巫山金融监管支局" {
		t.Errorf("item ⑬: %+v", st.Items[12])
	}
}

// TestInitAndUnitsIdempotent: the structure loads once; units become organisations in the register, reusing an
// existing subject of the same name and kind, and a second sync links nothing new.
func TestInitAndUnitsIdempotent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		if err := e.s.Init(ctx); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := d.QueryRowContext(ctx, `SELECT COUNT(*) FROM sup_tasks`).Scan(&n); err != nil || n != 34 {
			t.Fatalf("tasks after second init: %d %v", n, err)
		}
		kind, name, town := "other", "巫山县财政局", e.Towns[0].Code
		pre, err := e.Reg.Create(ctx, e.Admin, registryInput(kind, name, town))
		if err != nil {
			t.Fatal(err)
		}
		linked, err := e.s.SyncUnits(ctx, e.tf)
		if err != nil || linked != 20 {
			t.Fatalf("sync: %d %v", linked, err)
		}
		units, _ := e.s.Units(ctx, e.tf)
		for _, u := range units {
			if u.Name == "县财政局" && u.SubjectID != pre.ID {
				t.Fatalf("县财政局 not reused: %d vs %d", u.SubjectID, pre.ID)
			}
			if u.SubjectID == 0 {
				t.Fatalf("%s not linked", u.Name)
			}
		}
		again, err := e.s.SyncUnits(ctx, e.tf)
		if err != nil || again != 0 {
			t.Fatalf("second sync: %d %v", again, err)
		}
		if _, err := e.s.SyncUnits(ctx, e.dept); apperr.CodeOf(err) != apperr.Forbidden {
			t.Fatalf("department syncs: %v", err)
		}
	})
}

// TestStatusTimeline: the status rule on a constructed timeline with an injected clock, for a task bound to a
// KPI (第3项 示范社 100) and an unbound one (第4项).
func TestStatusTimeline(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		expect := func(no int, code, reason string) {
			t.Helper()
			x := e.task(t, no)
			if x.Status.Code != code || (reason != "" && !strings.Contains(x.Status.Reason, reason)) {
				t.Fatalf("%s task %d: got %s (%s), want %s (%s); progress %.1f expected %.1f", e.clock.Format("2006-01-02"), no, x.Status.Code, x.Status.Reason, code, reason, x.Status.Progress, x.Status.Expected)
			}
		}
		file := func(no, pct int, done bool) {
			t.Helper()
			x := e.task(t, no)
			if _, err := e.s.FileReport(ctx, e.dept, x.ID, supervision.ReportInput{Narrative: "本月按计划推进，完成了阶段性工作。", ProgressPct: pct, Done: done}); err != nil {
				t.Fatal(err)
			}
		}
		e.clock = day("2024-07-20")
		expect(4, supervision.StatusNotStarted, "未到起算日期")
		e.clock = day("2024-08-10")
		expect(4, supervision.StatusNotStarted, "第一个报告期")
		e.clock = day("2024-10-05")
		expect(4, supervision.StatusLagging, "低于直线进度")
		file(4, 30, false)
		expect(4, supervision.StatusOngoing, "")
		e.clock = day("2024-11-25") // last report in the previous month: still fine
		expect(4, supervision.StatusOngoing, "")
		e.clock = day("2024-12-01") // nothing in November or December
		expect(4, supervision.StatusLagging, "没有进展报告")
		file(4, 30, false)
		expect(4, supervision.StatusOngoing, "")
		e.clock = day("2025-09-01") // 30% is now behind the straight line (about 42%)
		expect(4, supervision.StatusLagging, "低于直线进度")
		file(4, 100, true)
		expect(4, supervision.StatusDone, "报告已完成")

		// bound to demo_coops, target 100, straight line 2024-08-01 → 2027-12-31
		e.clock = day("2025-06-01") // expected ≈ 24.4 %
		file(3, 0, false)
		e.plan.set("demo_coops", 20)
		expect(3, supervision.StatusLagging, "指标完成率低于直线进度")
		e.plan.set("demo_coops", 30)
		expect(3, supervision.StatusOngoing, "")
		x := e.task(t, 3)
		if x.Status.Basis != "kpi" || x.Status.Progress != 30 {
			t.Fatalf("KPI basis: %+v", x.Status)
		}
		e.clock = day("2028-01-01 08:00")
		file(3, 90, false)
		expect(3, supervision.StatusLagging, "已过目标日期")
		e.plan.set("demo_coops", 100)
		expect(3, supervision.StatusDone, "达到目标值")

		// supervision.tasks_lagging: now, and as observed at a past period end
		lagging := supervision.Sources(func() *supervision.Service { return e.s })[2]
		ts, _ := e.s.Tasks(ctx, e.tf, supervision.TaskFilter{Status: supervision.StatusLagging})
		now, err := lagging.Value(ctx, indicatorQuery("500237", time.Time{}, time.Time{}))
		if err != nil || int(now) != len(ts) || len(ts) < 30 {
			t.Fatalf("lagging now: %v (%d tasks) %v", now, len(ts), err)
		}
		if v, _ := lagging.Value(ctx, indicatorQuery("500237100", time.Time{}, time.Time{})); v != 0 {
			t.Fatalf("lagging for a township: %v", v)
		}
		// before 2024-10-05 everything was observed 未开始; on 2024-10-05 all 34 lagging, then task 4 ongoing
		past, err := lagging.Value(ctx, indicatorQuery("500237", time.Time{}, day("2024-10-05")))
		if err != nil || past != 0 {
			t.Fatalf("lagging before 2024-10-05: %v %v", past, err)
		}
		if past, _ = lagging.Value(ctx, indicatorQuery("500237", time.Time{}, day("2024-11-01"))); past != 33 {
			t.Fatalf("lagging at 2024-11-01: %v", past)
		}
	})
}

// TestComputeStatusEdges: the pure rule at its boundaries.
func TestComputeStatusEdges(t *testing.T) {
	start, due := day("2025-01-01"), day("2025-12-31")
	mid := day("2025-07-02 12:00") // half of 365 days
	cases := []struct {
		name string
		in   supervision.StatusInput
		want string
	}{
		{"exactly on the line", supervision.StatusInput{Now: mid, Start: start, Due: due, KPIKnown: true, Actual: 50, Target: 100, LastReport: mid}, supervision.StatusOngoing},
		{"just under the line", supervision.StatusInput{Now: mid, Start: start, Due: due, KPIKnown: true, Actual: 49.9, Target: 100, LastReport: mid}, supervision.StatusLagging},
		{"due day still counts", supervision.StatusInput{Now: day("2025-12-31 23:00"), Start: start, Due: due, ReportedPct: 99.99, LastReport: day("2025-12-30")}, supervision.StatusOngoing},
		{"day after due", supervision.StatusInput{Now: day("2026-01-01 00:01"), Start: start, Due: due, ReportedPct: 99.9, LastReport: day("2025-12-30")}, supervision.StatusLagging},
		{"unknown KPI falls back to self", supervision.StatusInput{Now: mid, Start: start, Due: due, Target: 100, ReportedPct: 60, LastReport: mid}, supervision.StatusOngoing},
		{"KPI over target done", supervision.StatusInput{Now: day("2024-12-01"), Start: start, Due: due, KPIKnown: true, Actual: 120, Target: 100}, supervision.StatusDone},
	}
	for _, c := range cases {
		if got := supervision.ComputeStatus(c.in); got.Code != c.want {
			t.Errorf("%s: got %s (%s), want %s", c.name, got.Code, got.Reason, c.want)
		}
	}
}

// TestNoticeEscalation: a notice is level 1 until its deadline day ends, level 2 once overdue, level 3 (county
// leader) beyond seven days overdue; answering freezes the level; computed on read with an injected clock.
func TestNoticeEscalation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		e.clock = day("2025-03-03 09:00")
		t4, t10 := e.task(t, 4), e.task(t, 10)
		n1, err := e.s.IssueNotice(ctx, e.tf, supervision.NoticeInput{TaskID: t4.ID, Body: "请报送统一财务代账推进情况。", Deadline: "2025-03-10"})
		if err != nil {
			t.Fatal(err)
		}
		n2, err := e.s.IssueNotice(ctx, e.tf, supervision.NoticeInput{TaskID: t10.ID, Body: "请说明县域商业建设进度。", Deadline: "2025-03-10"})
		if err != nil {
			t.Fatal(err)
		}
		if n1.No != "督办〔2025〕1号" || n2.No != "督办〔2025〕2号" || n2.UnitName != "县商务委" {
			t.Fatalf("numbers/units: %s %s %s", n1.No, n2.No, n2.UnitName)
		}
		at := func(clock string, id int64, p *auth.Principal, state string, level int) {
			t.Helper()
			e.clock = day(clock)
			n, _, err := e.s.GetNotice(ctx, p, id)
			if err != nil {
				t.Fatal(err)
			}
			if n.State != state || n.Level != level {
				t.Fatalf("%s: %s level %d, want %s level %d", clock, n.State, n.Level, state, level)
			}
		}
		at("2025-03-10 23:59", n1.ID, e.tf, supervision.NoticeOpen, 1)
		at("2025-03-11 00:01", n1.ID, e.tf, supervision.NoticeOverdue, 2)
		at("2025-03-18 00:00", n1.ID, e.tf, supervision.NoticeOverdue, 2)
		at("2025-03-18 00:01", n1.ID, e.tf, supervision.NoticeOverdue, 3)
		// n2 answered late on 03-12: answered_late, level 2, and stays so
		e.clock = day("2025-03-12 10:00")
		if _, err := e.s.AnswerNotice(ctx, e.dept, n2.ID, supervision.AnswerInput{Answer: "已制定推进计划，本月底前完成。"}); apperr.CodeOf(err) != apperr.NotFound {
			t.Fatalf("another unit answers: %v", err)
		}
		if _, err := e.s.AnswerNotice(ctx, e.shang, n2.ID, supervision.AnswerInput{Answer: "已制定推进计划，本月底前完成。"}); err != nil {
			t.Fatal(err)
		}
		at("2025-04-30", n2.ID, e.tf, supervision.NoticeAnsweredLate, 2)
		// the notified unit sees it; another department does not
		if _, _, err := e.s.GetNotice(ctx, e.dept, n2.ID); apperr.CodeOf(err) != apperr.NotFound {
			t.Fatalf("department reads another unit's notice: %v", err)
		}
		open, err := e.s.Notices(ctx, e.tf, supervision.NoticeFilter{State: supervision.NoticeOverdue})
		if err != nil || len(open) != 1 || open[0].ID != n1.ID || open[0].Level != 3 {
			t.Fatalf("overdue list: %+v %v", open, err)
		}
	})
}

// TestDisburseNeverBeyondAllocation: concurrent disbursements on one allocation never exceed it (both engines),
// allocations never exceed the budget, and refusals carry Chinese messages.
func TestDisburseNeverBeyondAllocation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		e.clock = day("2026-05-01")
		f, err := e.s.CreateFund(ctx, e.tf, supervision.FundInput{Code: "ZX-1", Name: "“三位一体”改革专项资金", Category: "trinity"})
		if err != nil {
			t.Fatal(err)
		}
		if f.UnitName != "县财政局" {
			t.Fatalf("default managing unit: %s", f.UnitName)
		}
		b, err := e.s.AddBudget(ctx, e.fin, f.ID, supervision.BudgetInput{Year: 2026, Purpose: "为农服务中心建设", AmountFen: 1_000_000_00})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.AddBudget(ctx, e.shang, f.ID, supervision.BudgetInput{Year: 2026, Purpose: "其他", AmountFen: 100}); apperr.CodeOf(err) != apperr.Forbidden {
			t.Fatalf("another department adds a budget: %v", err)
		}
		units, _ := e.s.Units(ctx, e.tf)
		var gxs int64
		for _, u := range units {
			if u.Name == "县供销合作社" {
				gxs = u.ID
			}
		}
		a, err := e.s.Allocate(ctx, e.tf, b.ID, supervision.AllocationInput{UnitID: gxs, TaskID: e.task(t, 2).ID, Project: "县为农服务中心提升改造", AmountFen: 600_000_00})
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.s.Allocate(ctx, e.tf, b.ID, supervision.AllocationInput{UnitID: gxs, Project: "超额下达", AmountFen: 400_000_01})
		if apperr.CodeOf(err) != apperr.Invalid || !strings.Contains(apperr.FieldsOf(err)["amount_fen"], "超出预算") {
			t.Fatalf("allocation beyond budget: %v", err)
		}
		// 10 concurrent payments of 100,000 元 on a 600,000 元 allocation: exactly 6 pass
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make([]error, 10)
		for i := range errs {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				<-start
				_, errs[i] = e.s.Disburse(ctx, e.fin, a.ID, supervision.DisbursementInput{VoucherNo: fmt.Sprintf("巫财拨〔2026〕%03d号", i+1), AmountFen: 100_000_00, Payee: "县供销合作社"})
			}(i)
		}
		close(start)
		wg.Wait()
		ok, refused := 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case apperr.CodeOf(err) == apperr.Invalid && strings.Contains(apperr.MessageOf(err), "超出下达额度"):
				refused++
			default:
				t.Fatalf("unexpected error: %v", err)
			}
		}
		if ok != 6 || refused != 4 {
			t.Fatalf("ok %d refused %d", ok, refused)
		}
		got, err := e.s.GetFund(ctx, e.tf, f.ID)
		if err != nil {
			t.Fatal(err)
		}
		al := got.Budgets[0].Allocations[0]
		var sum int64
		for _, x := range al.Disbursements {
			sum += x.AmountFen
		}
		if al.DisbursedFen != 600_000_00 || sum != al.DisbursedFen || al.BalanceFen != 0 || got.DisbursedFen != 600_000_00 {
			t.Fatalf("allocation after race: %+v sum %d", al, sum)
		}
		// two concurrent payments that together exceed a fresh allocation: one passes
		a2, err := e.s.Allocate(ctx, e.tf, b.ID, supervision.AllocationInput{UnitID: gxs, Project: "农机购置", AmountFen: 100_00})
		if err != nil {
			t.Fatal(err)
		}
		var wg2 sync.WaitGroup
		res := make([]error, 2)
		start2 := make(chan struct{})
		for i := range res {
			wg2.Add(1)
			go func(i int) {
				defer wg2.Done()
				<-start2
				_, res[i] = e.s.Disburse(ctx, e.tf, a2.ID, supervision.DisbursementInput{VoucherNo: fmt.Sprintf("NJ-%d", i), AmountFen: 60_00, Payee: "县供销合作社"})
			}(i)
		}
		close(start2)
		wg2.Wait()
		if (res[0] == nil) == (res[1] == nil) {
			t.Fatalf("two payments of 60 on 100: %v / %v", res[0], res[1])
		}
		// duplicate voucher and bad input write nothing
		var before int
		_ = d.QueryRowContext(ctx, `SELECT COUNT(*) FROM sup_disbursements`).Scan(&before)
		used := ""
		for i, err := range errs {
			if err == nil {
				used = fmt.Sprintf("巫财拨〔2026〕%03d号", i+1)
			}
		}
		_, err = e.s.Disburse(ctx, e.tf, a2.ID, supervision.DisbursementInput{VoucherNo: used, AmountFen: 1, Payee: "x"})
		if apperr.CodeOf(err) != apperr.Conflict {
			t.Fatalf("duplicate voucher: %v", err)
		}
		_, err = e.s.Disburse(ctx, e.tf, a2.ID, supervision.DisbursementInput{AmountFen: -5, PaidOn: "2026-13-01"})
		fields := apperr.FieldsOf(err)
		if fields["voucher_no"] == "" || fields["amount_fen"] == "" || fields["paid_on"] == "" || fields["payee"] == "" {
			t.Fatalf("bad disbursement fields: %v", err)
		}
		var after int
		_ = d.QueryRowContext(ctx, `SELECT COUNT(*) FROM sup_disbursements`).Scan(&after)
		if after != before {
			t.Fatal("refused disbursements wrote rows")
		}
		if _, err := e.s.Disburse(ctx, e.shang, a2.ID, supervision.DisbursementInput{VoucherNo: "X-1", AmountFen: 1, Payee: "x"}); apperr.CodeOf(err) != apperr.Forbidden {
			t.Fatalf("another department disburses: %v", err)
		}
		// indicator sources: budget and disbursed in 元, by period
		srcs := supervision.Sources(func() *supervision.Service { return e.s })
		vals := map[string]float64{}
		for _, src := range srcs {
			v, err := src.Value(ctx, indicatorQuery("500237", day("2026-01-01"), day("2027-01-01")))
			if err != nil {
				t.Fatal(err)
			}
			vals[src.Key()] = v
		}
		if vals["supervision.funds_budget_yuan"] != 1_000_000 || vals["supervision.funds_disbursed_yuan"] != 600_060 {
			t.Fatalf("sources: %v", vals)
		}
		v, _ := srcs[0].Value(ctx, indicatorQuery("500237", day("2025-01-01"), day("2026-01-01")))
		if v != 0 {
			t.Fatalf("2025 budget: %v", v)
		}
		var audits int
		_ = d.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE entity = 'supervision_disbursement'`).Scan(&audits)
		if audits != 7 {
			t.Fatalf("disbursement audits: %d", audits)
		}
	})
}
