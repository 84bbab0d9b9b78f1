package supervision

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/web"
)

// Demo story: every unit reports monthly over the last six months ahead of the straight line; task 4 (统一财务代账,
// 县农业农村委) stopped reporting four months ago and is lagging, with an overdue notice (escalated to the county
// leader) and an open one; task 34 was reported done this week; task 10 (县商务委) answered a notice. Funds: the four
// subsidy lines of 三、(二) with budgets, allocations linked to tasks and disbursements with vouchers.
const (
	demoLaggingTask = 4
	demoDoneTask    = 34
	demoDoneTask2   = 15
)

// SeedDemo adds the room's demo data inside the demo transaction.
func (s *Service) SeedDemo(ctx context.Context, tx *db.Tx) error {
	tasks, err := s.loadTasks(ctx, tx, 0)
	if err != nil {
		return err
	}
	now := s.now()
	byNo := map[int]Task{}
	for _, t := range tasks {
		byNo[t.No] = t
	}
	report := func(t Task, unit UnitRef, kind string, at time.Time, pct int, done bool, text string, figs []Figure) error {
		figJSON, _ := json.Marshal(orEmptyFigures(figs))
		id := tx.NextID()
		if _, err := tx.ExecContext(ctx, `INSERT INTO sup_reports (id, task_id, unit_id, kind, period, narrative, progress_pct, figures, done, user_id, user_name, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)`, id, t.ID, unit.ID, kind, at.In(web.Shanghai).Format("2006-01"), text, pct, string(figJSON), done, "演示数据", at.UTC()); err != nil {
			return fmt.Errorf("demo report: %w", err)
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: audit.System, Action: "create", Entity: "supervision_report", EntityID: id,
			Summary: fmt.Sprintf("演示数据：%s 报送重点任务第%d项%s", unit.Name, t.No, KindLabel(kind))})
	}
	for _, t := range tasks {
		if len(t.Lead) == 0 {
			continue
		}
		start, _ := parseDay(t.StartOn)
		due, _ := parseDay(t.DueOn)
		due = due.AddDate(0, 0, 1)
		for m := 5; m >= 0; m-- {
			at := monthStart(now).AddDate(0, -m, 9+t.No%15).Add(time.Duration(9+t.No%8) * time.Hour)
			if at.After(now) {
				at = now.Add(-time.Duration(t.No) * time.Hour)
			}
			if t.No == demoLaggingTask && m < 4 {
				continue // stopped reporting four months ago
			}
			expected := float64(at.Sub(start)) / float64(due.Sub(start)) * 100
			pct := min(99, int(expected)+6+t.No%9)
			if t.No == demoLaggingTask {
				pct = int(expected) - 12
			}
			done := false
			if (t.No == demoDoneTask || t.No == demoDoneTask2) && m == 0 {
				pct, done = 100, true
			}
			text := fmt.Sprintf("%s：本月围绕“%s”推进落实，召开专题会议%d次，督促乡镇对接%d家主体，下月继续推进。", t.Lead[0].Name, t.Matter, 1+t.No%3, 3+(t.No*7+m)%11)
			if done {
				text = fmt.Sprintf("%s：%s 已全部完成，相关制度和台账已归档。", t.Lead[0].Name, t.Matter)
			}
			figs := []Figure{{Name: "本月召开推进会", Value: float64(1 + t.No%3), Unit: "次"}}
			if err := report(t, t.Lead[0], KindReport, at, pct, done, text, figs); err != nil {
				return err
			}
			if len(t.Coop) > 0 && m%2 == 0 {
				c := t.Coop[m%len(t.Coop)]
				if err := report(t, c, KindContribution, at.Add(26*time.Hour), 0, false,
					fmt.Sprintf("%s配合%s推进“%s”，提供政策和数据支持，派员参加推进会。", c.Name, t.Lead[0].Name, t.Matter), nil); err != nil {
					return err
				}
			}
		}
	}
	// observed status history of the two tasks whose status rests on reports alone
	logStatus := func(no int, status, reason string, at time.Time) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO sup_status_log (id, task_id, status, reason, observed_at) VALUES (?, ?, ?, ?, ?)`, tx.NextID(), byNo[no].ID, status, reason, at.UTC())
		return err
	}
	week := WeekStart(now)
	for _, x := range []struct {
		no             int
		status, reason string
		at             time.Time
	}{
		{demoLaggingTask, StatusOngoing, "按进度推进", now.AddDate(0, -5, 0)},
		{demoLaggingTask, StatusLagging, "上月和本月都没有进展报告", week.Add(9 * time.Hour)},
		{demoDoneTask, StatusOngoing, "按进度推进", now.AddDate(0, -5, 0)},
		{demoDoneTask, StatusDone, "责任单位报告已完成", now.Add(-time.Duration(demoDoneTask) * time.Hour)},
	} {
		if x.at.After(now) {
			x.at = now
		}
		if err := logStatus(x.no, x.status, x.reason, x.at); err != nil {
			return fmt.Errorf("demo status log: %w", err)
		}
	}
	// notices: overdue (escalated to the county leader), open, and answered
	lag := byNo[demoLaggingTask]
	notice := func(t Task, unit UnitRef, n int, issued time.Time, deadline time.Time, body, answer string, answeredAt time.Time) error {
		no := fmt.Sprintf("督办〔%d〕%d号", issued.In(web.Shanghai).Year(), n)
		id := tx.NextID()
		var ans any
		if answer != "" {
			ans = answeredAt.UTC()
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO sup_notices (id, no, task_id, unit_id, body, deadline, issued_by, issued_by_name, issued_at, answer, answered_by_name, answered_at)
			VALUES (?, ?, ?, ?, ?, ?, 0, 'taskforce', ?, ?, ?, ?)`, id, no, t.ID, unit.ID, body, deadline.In(web.Shanghai).Format("2006-01-02"), issued.UTC(), answer,
			map[bool]string{true: "department", false: ""}[answer != ""], ans); err != nil {
			return fmt.Errorf("demo notice: %w", err)
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: audit.System, Action: "create", Entity: "supervision_notice", EntityID: id, Summary: "演示数据：" + no})
	}
	n := 1
	if t := byNo[10]; len(t.Lead) > 0 {
		if err := notice(t, t.Lead[0], n, now.AddDate(0, 0, -30), now.AddDate(0, 0, -20), "县域商业建设行动进度偏慢，请说明三级物流节点建设安排。",
			"已制定三级物流节点建设计划，乡镇节点完成选址12个，月底前全部开工。", now.AddDate(0, 0, -22)); err != nil {
			return err
		}
		n++
	}
	if err := notice(lag, lag.Lead[0], n, now.AddDate(0, 0, -24), now.AddDate(0, 0, -12),
		"统一财务代账服务已连续多月未报送进展，请于期限内报送推进情况和下一步措施。", "", time.Time{}); err != nil {
		return err
	}
	n++
	if err := notice(lag, lag.Lead[0], n, now.AddDate(0, 0, -2), now.AddDate(0, 0, 5),
		"请说明农民合作社、村集体经济组织统一财务代账覆盖情况，并补报近四个月进展。", "", time.Time{}); err != nil {
		return err
	}
	return s.seedFunds(ctx, tx, byNo, now)
}

func (s *Service) seedFunds(ctx context.Context, tx *db.Tx, byNo map[int]Task, now time.Time) error {
	units, err := s.scanUnits(ctx, tx, "")
	if err != nil {
		return err
	}
	unit := map[string]int64{}
	for _, u := range units {
		unit[u.Name] = u.ID
	}
	year := now.In(web.Shanghai).Year()
	type alloc struct {
		unit, project string
		task          int
		amount        int64 // 元
		paid          []int64
	}
	type budget struct {
		year    int
		purpose string
		amount  int64 // 元
		allocs  []alloc
	}
	funds := []struct {
		in      FundInput
		budgets []budget
	}{
		{FundInput{Code: "ZX-SWYT", Name: "“三位一体”改革专项资金", Category: "trinity", Note: "县财政局会同县供销合作社管好用好（三、(二)）"}, []budget{
			{year - 1, "县为农服务中心提升改造", 3000000, []alloc{{"县供销合作社", "县为农服务中心提升改造工程", 2, 2600000, []int64{1200000, 1000000}}}},
			{year, "农合联运行及数字化平台", 2000000, []alloc{{"县供销合作社", "“经济·村村旺农服通”平台推广", 24, 600000, []int64{600000}},
				{"县供销合作社", "乡镇农合联组建运行补助", 1, 800000, []int64{300000}}}},
		}},
		{FundInput{Code: "TX-DK", Name: "新型农业经营主体贷款贴息", Category: "interest", Note: "县农业农村委落实贷款贴息政策"}, []budget{
			{year, "新型农业经营主体贷款贴息", 500000, []alloc{{"县农业农村委", "2026年上半年贷款贴息", 27, 240000, []int64{240000}}}},
			{year, "农资化肥淡储旺供贴息", 100000, []alloc{{"县供销合作社", "化肥淡季储备贴息", 17, 100000, []int64{62000}}}},
		}},
		{FundInput{Code: "BZ-ZXFWS", Name: "乡镇为农服务中心和农村综合服务社建设补助", Category: "carrier"}, []budget{
			{year, "乡镇为农服务中心建设", 1500000, []alloc{{"县农业农村委", "骡坪镇、大昌镇为农服务中心建设", 30, 900000, []int64{450000}}}},
		}},
		{FundInput{Code: "BZ-NJGZ", Name: "为农服务中心农机购置补助", Category: "machinery"}, []budget{
			{year, "为农服务中心农机购置", 800000, []alloc{{"县供销合作社", "植保无人机及烘干设备购置", 9, 500000, []int64{500000}}}},
		}},
	}
	voucher := 1
	pdf := []byte("%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
	for _, f := range funds {
		f.in.UnitID = unit["县财政局"]
		fid, err := s.CreateFundTx(ctx, tx, nil, f.in)
		if err != nil {
			return fmt.Errorf("demo fund %s: %w", f.in.Name, err)
		}
		for _, b := range f.budgets {
			bb, err := s.AddBudgetTx(ctx, tx, nil, fid, BudgetInput{Year: b.year, Purpose: b.purpose, AmountFen: b.amount * 100})
			if err != nil {
				return fmt.Errorf("demo budget: %w", err)
			}
			for i, a := range b.allocs {
				on := time.Date(b.year, time.Month(3+i), 10, 0, 0, 0, 0, web.Shanghai)
				if on.After(now) {
					on = now.AddDate(0, -1, 0)
				}
				al, err := s.AllocateTx(ctx, tx, nil, bb.ID, AllocationInput{UnitID: unit[a.unit], TaskID: byNo[a.task].ID, Project: a.project, AmountFen: a.amount * 100,
					AllocatedOn: on.Format("2006-01-02")})
				if err != nil {
					return fmt.Errorf("demo allocation: %w", err)
				}
				for j, p := range a.paid {
					paid := on.AddDate(0, 1+j*2, 0)
					if paid.After(now) {
						paid = now.AddDate(0, 0, -j-1)
					}
					in := DisbursementInput{VoucherNo: fmt.Sprintf("巫财拨〔%d〕%03d号", paid.Year(), voucher), AmountFen: p * 100, PaidOn: paid.Format("2006-01-02"),
						Payee: a.unit, Note: a.project}
					if j == 0 {
						in.Files = []FileInput{{Name: "拨款凭证.pdf", data: pdf}}
						if msg := checkFile(&in.Files[0], "files"); msg != "" {
							return fmt.Errorf("demo file: %s", msg)
						}
					}
					if _, err := s.DisburseTx(ctx, tx, nil, al.ID, in); err != nil {
						return fmt.Errorf("demo disbursement: %w", err)
					}
					voucher++
				}
			}
		}
	}
	return nil
}
