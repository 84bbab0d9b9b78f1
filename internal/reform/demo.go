package reform

import (
	"context"
	"fmt"
	"math"
	"time"

	"nongfu/internal/indicator"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/web"
)

// SeedDemo adds the room's demo data for the county: bases of the 产业数字化地图 (three 智慧农业 bases built, one
// building, a 数字种业 and a 数字畜牧 base), approved reported values for KPIs whose room is not on this build (so
// the 驾驶舱 shows "reported" numbers with evidence), and 2027 township targets of the service scale split evenly.
func (s *Service) SeedDemo(ctx context.Context, tx *db.Tx, county string, townships []string, now time.Time) error {
	if len(townships) < 6 {
		return nil
	}
	if len(county) == 6 {
		county += "000000"
	}
	year := now.In(web.Shanghai).Year()
	bases := []Base{
		{Name: "曲尺乡脆李智慧果园示范基地", Type: "smart_agri", Level: "municipal", Status: "operating", Industry: "脆李", Operator: "巫山县脆李产业农合联", AreaMu: 860, EstablishedOn: fmt.Sprintf("%d-04-18", year-1)},
		{Name: "柑橘水肥一体化智慧农业示范基地", Type: "smart_agri", Level: "county", Status: "operating", Industry: "柑橘", Operator: "县农业技术推广中心", AreaMu: 420, EstablishedOn: fmt.Sprintf("%d-09-06", year-1)},
		{Name: "中药材数字种植示范基地", Type: "smart_agri", Level: "county", Status: "operating", Industry: "中药材", Operator: "县供销合作社", AreaMu: 300, EstablishedOn: fmt.Sprintf("%d-03-20", year)},
		{Name: "烤烟智慧育苗工场", Type: "smart_agri", Level: "county", Status: "building", Industry: "烤烟", Operator: "县烟草分公司", AreaMu: 60},
		{Name: "马铃薯数字种业繁育基地", Type: "seed", Level: "municipal", Status: "operating", Industry: "粮油", Operator: "县种子站", AreaMu: 500, EstablishedOn: fmt.Sprintf("%d-05-10", year-1)},
		{Name: "生猪数字化养殖示范场", Type: "livestock", Level: "county", Status: "operating", Industry: "畜禽", Operator: "县畜牧兽医中心", AreaMu: 40, EstablishedOn: fmt.Sprintf("%d-11-01", year-1)},
	}
	for i := range bases {
		b := &bases[i]
		b.RegionCode = townships[(i*5+1)%len(townships)]
		if kids := s.regions.Children(b.RegionCode); len(kids) > 0 {
			b.RegionCode = kids[i%len(kids)].Code
		}
		if reg, ok := s.regions.Get(b.RegionCode); ok {
			b.Lng, b.Lat = reg.Lng+0.004*float64(i%3-1), reg.Lat+0.003*float64(i%2)
		}
		if err := s.CreateBaseTx(ctx, tx, audit.System, b); err != nil {
			return err
		}
	}
	// reported values: as of the end of last month, with an evidence note
	lastMonth := time.Date(now.In(web.Shanghai).Year(), now.In(web.Shanghai).Month(), 1, 0, 0, 0, 0, web.Shanghai).AddDate(0, 0, -1).Format("2006-01-02")
	earlier := time.Date(now.In(web.Shanghai).Year(), now.In(web.Shanghai).Month(), 1, 0, 0, 0, 0, web.Shanghai).AddDate(0, -4, -1).Format("2006-01-02")
	evidence := []byte("演示佐证材料：责任单位盖章的统计报表扫描件（演示数据）。\n")
	report := func(key, region, asOf string, v float64, unit string) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM indicators WHERE key = ?`, key).Scan(&n); err != nil || n == 0 {
			return err
		}
		return s.Indicators.SeedReportTx(ctx, tx, indicator.Report{IndicatorKey: key, RegionCode: region, AsOf: asOf, Value: v, UnitName: unit,
			Note: "演示数据"}, "统计报表-"+key+".txt", evidence)
	}
	for _, r := range []struct {
		key   string
		asOf  string
		value float64
		unit  string
	}{
		{"trained_farmers", earlier, 1430, "县农业农村委"},
		{"trained_farmers", lastMonth, 1862, "县农业农村委"},
		{"demo_coops", lastMonth, 46, "县农业农村委"},
		{"interest_subsidy_yuan", lastMonth, 100000, "县财政局"},
		{"willing_households_in_coops_pct", lastMonth, 63.5, "县农业农村委"},
		{"willing_subjects_in_federations_pct", lastMonth, 71.2, "县供销合作社"},
	} {
		if err := report(r.key, county, r.asOf, r.value, r.unit); err != nil {
			return fmt.Errorf("demo report %s: %w", r.key, err)
		}
	}
	// the service scale reported by township (the county's value is their sum until the service room measures it)
	for i, t := range townships {
		v := float64(4000 + (i*3797)%9000)
		if err := report("service_scale_mu_times", t, lastMonth, v, "乡镇为农服务中心"); err != nil {
			return fmt.Errorf("demo report: %w", err)
		}
	}
	// township targets: the county's 2027 service scale split evenly, rounded up to 100 亩次
	share := math.Ceil(520000/float64(len(townships))/100) * 100
	for _, t := range townships {
		if err := s.Indicators.SetTargetTx(ctx, tx, audit.System, indicator.Target{IndicatorKey: "service_scale_mu_times", RegionCode: t, Year: 2027, Value: share, Note: "按乡镇平均分解（演示）"}); err != nil {
			return err
		}
	}
	return nil
}
