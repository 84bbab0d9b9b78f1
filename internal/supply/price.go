package supply

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/region"
)

// Price monitoring (价格监测). Monitored items (with a reference price and an alert threshold in percent) are
// priced at monitoring points (a market, an outlet) by staff or by the operator of the point's outlet. Every
// report is checked on arrival and the alerts it raises are stored:
//   - reference: the price is above the item's reference price;
//   - wow (week-on-week): the price differs from the same point's average over the previous week (the 7 days
//     ending 7 days before) by more than the item's threshold.

// PriceItemInput defines a monitored item.
type PriceItemInput struct {
	Name         string `json:"name"`
	Unit         string `json:"unit" doc:"如 元/千克"`
	Category     string `json:"category"`
	ReferenceFen int64  `json:"reference_fen" doc:"参考价（分），0 表示不设"`
	AlertPct     int    `json:"alert_pct" doc:"周环比预警阈值（%），默认 10"`
}

// PriceItem is a monitored item.
type PriceItem struct {
	ID           int64  `json:"id"`
	Name         string `json:"name"`
	Unit         string `json:"unit"`
	Category     string `json:"category"`
	ReferenceFen int64  `json:"reference_fen"`
	AlertPct     int    `json:"alert_pct"`
}

// PricePointInput defines a monitoring point.
type PricePointInput struct {
	Name       string `json:"name"`
	RegionCode string `json:"region_code"`
	NodeID     int64  `json:"node_id" doc:"对应的流通网点（可空；网点运营者可报价）"`
}

// PricePoint is a monitoring point.
type PricePoint struct {
	ID         int64  `json:"id"`
	Name       string `json:"name"`
	RegionCode string `json:"region_code"`
	RegionName string `json:"region_name"`
	NodeID     int64  `json:"node_id"`
	operatorID int64
}

// PriceReportInput is one observed price.
type PriceReportInput struct {
	ItemID   int64  `json:"item_id"`
	PointID  int64  `json:"point_id"`
	Date     string `json:"date"`
	PriceFen int64  `json:"price_fen"`
}

// PriceReport is a stored price with its alerts.
type PriceReport struct {
	ID         int64    `json:"id"`
	ItemID     int64    `json:"item_id"`
	ItemName   string   `json:"item_name"`
	Unit       string   `json:"unit"`
	PointID    int64    `json:"point_id"`
	PointName  string   `json:"point_name"`
	RegionCode string   `json:"region_code"`
	RegionName string   `json:"region_name"`
	Date       string   `json:"date"`
	PriceFen   int64    `json:"price_fen"`
	Reporter   string   `json:"reporter"`
	Alerts     []string `json:"alerts"`
}

// PriceAlert is an alert raised by a report.
type PriceAlert struct {
	ID         int64  `json:"id"`
	ReportID   int64  `json:"report_id"`
	ItemID     int64  `json:"item_id"`
	ItemName   string `json:"item_name"`
	PointName  string `json:"point_name"`
	RegionName string `json:"region_name"`
	Kind       string `json:"kind" doc:"reference（超参考价）或 wow（周环比超阈值）"`
	Date       string `json:"date"`
	Detail     string `json:"detail"`
}

// SeriesPoint is the average price of an item in a region in one week.
type SeriesPoint struct {
	Week     string `json:"week" doc:"周一日期"`
	PriceFen int64  `json:"price_fen"`
	Reports  int    `json:"reports"`
}

// Series is an item's weekly average price in one township.
type Series struct {
	RegionCode string        `json:"region_code"`
	RegionName string        `json:"region_name"`
	Points     []SeriesPoint `json:"points"`
}

func canManagePrices(p *auth.Principal) error {
	if !p.Is(auth.CountyAdmin) {
		return apperr.New(apperr.Forbidden, "只有县级管理员可以维护监测品种和监测点")
	}
	return nil
}

func canReadPrices(p *auth.Principal) bool { return p.Is(readerRoles...) }

// CreatePriceItem adds a monitored item.
func (s *Service) CreatePriceItem(ctx context.Context, p *auth.Principal, in PriceItemInput) (*PriceItem, error) {
	if err := canManagePrices(p); err != nil {
		return nil, err
	}
	fe := map[string]string{}
	in.Name, in.Unit, in.Category = strings.TrimSpace(in.Name), strings.TrimSpace(in.Unit), strings.TrimSpace(in.Category)
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 30 {
		fe["name"] = "请填写品种名称（不超过 30 字）"
	}
	if in.Unit == "" || utf8.RuneCountInString(in.Unit) > 10 {
		fe["unit"] = "请填写计价单位（如 元/千克）"
	}
	if in.ReferenceFen < 0 {
		fe["reference_fen"] = "参考价不能为负"
	}
	if in.AlertPct == 0 {
		in.AlertPct = 10
	}
	if in.AlertPct < 1 || in.AlertPct > 100 {
		fe["alert_pct"] = "预警阈值为 1–100%"
	}
	if len(fe) > 0 {
		return nil, apperr.FieldErrors(fe)
	}
	var id int64
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		id = tx.NextID()
		_, err := tx.ExecContext(ctx, `INSERT INTO supply_price_items (id, county_code, name, unit, category, reference_fen, alert_pct) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			id, principalCounty(p), in.Name, in.Unit, in.Category, in.ReferenceFen, in.AlertPct)
		if db.IsUniqueViolation(err) {
			return apperr.FieldErrors(map[string]string{"name": "已有同名监测品种"})
		}
		if err != nil {
			return fmt.Errorf("insert price item: %w", err)
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "create", Entity: "supply_price_item", EntityID: id, Summary: "新增价格监测品种：" + in.Name, After: in})
	})
	if err != nil {
		return nil, err
	}
	return &PriceItem{ID: id, Name: in.Name, Unit: in.Unit, Category: in.Category, ReferenceFen: in.ReferenceFen, AlertPct: in.AlertPct}, nil
}

// PriceItems lists the monitored items of p's county.
func (s *Service) PriceItems(ctx context.Context, p *auth.Principal) ([]*PriceItem, error) {
	if !canReadPrices(p) {
		return nil, apperr.New(apperr.Forbidden, "您的角色不能查看价格监测")
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, unit, category, reference_fen, alert_pct FROM supply_price_items ORDER BY category, name`)
	if err != nil {
		return nil, fmt.Errorf("price items: %w", err)
	}
	defer rows.Close()
	var out []*PriceItem
	for rows.Next() {
		x := &PriceItem{}
		if err := rows.Scan(&x.ID, &x.Name, &x.Unit, &x.Category, &x.ReferenceFen, &x.AlertPct); err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// CreatePricePoint adds a monitoring point.
func (s *Service) CreatePricePoint(ctx context.Context, p *auth.Principal, in PricePointInput) (*PricePoint, error) {
	if err := canManagePrices(p); err != nil {
		return nil, err
	}
	fe := map[string]string{}
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 40 {
		fe["name"] = "请填写监测点名称（不超过 40 字）"
	}
	if _, ok := s.regions.Get(in.RegionCode); !ok || !p.InRegion(in.RegionCode) {
		fe["region_code"] = "区划不存在或不在您的管辖范围内"
	}
	if in.NodeID != 0 {
		if n, err := s.loadNode(ctx, s.db, in.NodeID); err != nil || !canRead(p, n) {
			fe["node_id"] = "网点不存在"
		}
	}
	if len(fe) > 0 {
		return nil, apperr.FieldErrors(fe)
	}
	var id int64
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		id = tx.NextID()
		_, err := tx.ExecContext(ctx, `INSERT INTO supply_price_points (id, county_code, name, region_code, node_id) VALUES (?, ?, ?, ?, ?)`,
			id, region.County(in.RegionCode), in.Name, in.RegionCode, in.NodeID)
		if db.IsUniqueViolation(err) {
			return apperr.FieldErrors(map[string]string{"name": "已有同名监测点"})
		}
		if err != nil {
			return fmt.Errorf("insert price point: %w", err)
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "create", Entity: "supply_price_point", EntityID: id, Summary: "新增价格监测点：" + in.Name, After: in})
	})
	if err != nil {
		return nil, err
	}
	return &PricePoint{ID: id, Name: in.Name, RegionCode: in.RegionCode, RegionName: s.regions.Name(in.RegionCode), NodeID: in.NodeID}, nil
}

// PricePoints lists the points p may report at (staff: in scope; outlet operators: their nodes' points).
func (s *Service) PricePoints(ctx context.Context, p *auth.Principal) ([]*PricePoint, error) {
	if !canReadPrices(p) {
		return nil, apperr.New(apperr.Forbidden, "您的角色不能查看价格监测")
	}
	rows, err := s.db.QueryContext(ctx, `SELECT pp.id, pp.name, pp.region_code, pp.node_id, COALESCE(n.operator_id, 0) FROM supply_price_points pp
		LEFT JOIN supply_nodes n ON n.id = pp.node_id ORDER BY pp.region_code, pp.name`)
	if err != nil {
		return nil, fmt.Errorf("price points: %w", err)
	}
	defer rows.Close()
	var out []*PricePoint
	for rows.Next() {
		x := &PricePoint{}
		if err := rows.Scan(&x.ID, &x.Name, &x.RegionCode, &x.NodeID, &x.operatorID); err != nil {
			return nil, err
		}
		x.RegionName = s.regions.Name(x.RegionCode)
		if canReportAt(p, x) || (p.Is(scopeRoles...) && inCounty(p, region.County(x.RegionCode))) {
			out = append(out, x)
		}
	}
	return out, rows.Err()
}

func canReportAt(p *auth.Principal, x *PricePoint) bool {
	switch {
	case isStaff(p):
		return p.InRegion(x.RegionCode)
	case p.Is(selfRoles...):
		return p.SubjectID != 0 && x.operatorID == p.SubjectID
	}
	return false
}

// ReportPrice stores a price (one per item × point × day: a second report the same day replaces the first) and
// the alerts it raises.
func (s *Service) ReportPrice(ctx context.Context, p *auth.Principal, in PriceReportInput) (*PriceReport, error) {
	fe := map[string]string{}
	var item PriceItem
	if err := s.db.QueryRowContext(ctx, `SELECT id, name, unit, reference_fen, alert_pct FROM supply_price_items WHERE id = ?`, in.ItemID).
		Scan(&item.ID, &item.Name, &item.Unit, &item.ReferenceFen, &item.AlertPct); err != nil {
		fe["item_id"] = "请选择监测品种"
	}
	var pt PricePoint
	if err := s.db.QueryRowContext(ctx, `SELECT pp.id, pp.name, pp.region_code, pp.node_id, COALESCE(n.operator_id, 0) FROM supply_price_points pp
		LEFT JOIN supply_nodes n ON n.id = pp.node_id WHERE pp.id = ?`, in.PointID).Scan(&pt.ID, &pt.Name, &pt.RegionCode, &pt.NodeID, &pt.operatorID); err != nil {
		fe["point_id"] = "请选择监测点"
	} else if !canReportAt(p, &pt) {
		return nil, apperr.New(apperr.Forbidden, "您不能在该监测点报价")
	}
	if in.Date == "" {
		in.Date = s.today()
	}
	if !validDate(in.Date) || in.Date > s.today() {
		fe["date"] = "日期格式为 YYYY-MM-DD，且不能晚于今天"
	}
	if in.PriceFen <= 0 || in.PriceFen > 100_000_00 {
		fe["price_fen"] = "价格须大于 0 且不超过 10 万元"
	}
	if len(fe) > 0 {
		return nil, apperr.FieldErrors(fe)
	}
	var id int64
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var e error
		id, e = s.reportPriceTx(ctx, tx, p.Actor(), &item, &pt, in)
		return e
	})
	if err != nil {
		return nil, err
	}
	list, err := s.priceReports(ctx, "r.id = ?", id)
	if err != nil || len(list) == 0 {
		return nil, err
	}
	return list[0], nil
}

func (s *Service) reportPriceTx(ctx context.Context, tx *db.Tx, actor audit.Actor, item *PriceItem, pt *PricePoint, in PriceReportInput) (int64, error) {
	var id int64
	if err := tx.QueryRowContext(ctx, `SELECT id FROM supply_price_reports WHERE item_id = ? AND point_id = ? AND reported_on = ?`, item.ID, pt.ID, in.Date).Scan(&id); err == nil {
		if _, err := tx.ExecContext(ctx, `DELETE FROM supply_price_alerts WHERE report_id = ?`, id); err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE supply_price_reports SET price_fen = ?, reporter = ? WHERE id = ?`, in.PriceFen, actor.Name, id); err != nil {
			return 0, err
		}
	} else {
		id = tx.NextID()
		if _, err := tx.ExecContext(ctx, `INSERT INTO supply_price_reports (id, item_id, point_id, region_code, reported_on, price_fen, reporter, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, id, item.ID, pt.ID, pt.RegionCode, in.Date, in.PriceFen, actor.Name, s.now().UTC()); err != nil {
			return 0, fmt.Errorf("insert price report: %w", err)
		}
	}
	d, _ := time.Parse("2006-01-02", in.Date)
	from, to := d.AddDate(0, 0, -13).Format("2006-01-02"), d.AddDate(0, 0, -7).Format("2006-01-02")
	var prevSum int64
	var prevN int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(price_fen), 0), COUNT(*) FROM supply_price_reports WHERE item_id = ? AND point_id = ? AND reported_on >= ? AND reported_on <= ?`,
		item.ID, pt.ID, from, to).Scan(&prevSum, &prevN); err != nil {
		return 0, err
	}
	type alert struct{ kind, detail string }
	var alerts []alert
	if item.ReferenceFen > 0 && in.PriceFen > item.ReferenceFen {
		alerts = append(alerts, alert{"reference", fmt.Sprintf("%s %s 元，高于参考价 %s 元", item.Name, yuan(in.PriceFen), yuan(item.ReferenceFen))})
	}
	if prevN > 0 {
		prev := (prevSum + int64(prevN)/2) / int64(prevN)
		diff := in.PriceFen - prev
		if diff*100 > int64(item.AlertPct)*prev || -diff*100 > int64(item.AlertPct)*prev {
			dir := "上涨"
			if diff < 0 {
				dir, diff = "下跌", -diff
			}
			alerts = append(alerts, alert{"wow", fmt.Sprintf("%s 周环比%s %.1f%%（上周均价 %s 元，本次 %s 元），超过 %d%% 阈值", item.Name, dir,
				float64(diff)*100/float64(prev), yuan(prev), yuan(in.PriceFen), item.AlertPct)})
		}
	}
	for _, a := range alerts {
		if _, err := tx.ExecContext(ctx, `INSERT INTO supply_price_alerts (id, report_id, item_id, region_code, kind, reported_on, detail) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			tx.NextID(), id, item.ID, pt.RegionCode, a.kind, in.Date, a.detail); err != nil {
			return 0, fmt.Errorf("insert price alert: %w", err)
		}
	}
	return id, audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "create", Entity: "supply_price_report", EntityID: id,
		Summary: fmt.Sprintf("价格报送：%s %s %s 元", pt.Name, item.Name, yuan(in.PriceFen)), After: in})
}

func (s *Service) priceReports(ctx context.Context, where string, args ...any) ([]*PriceReport, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT r.id, r.item_id, i.name, i.unit, r.point_id, pp.name, r.region_code, r.reported_on, r.price_fen, r.reporter
		FROM supply_price_reports r JOIN supply_price_items i ON i.id = r.item_id JOIN supply_price_points pp ON pp.id = r.point_id
		WHERE `+where+` ORDER BY r.reported_on DESC, i.name, pp.name LIMIT 5000`, args...)
	if err != nil {
		return nil, fmt.Errorf("price reports: %w", err)
	}
	var out []*PriceReport
	byID := map[int64]*PriceReport{}
	for rows.Next() {
		x := &PriceReport{Alerts: []string{}}
		if err := rows.Scan(&x.ID, &x.ItemID, &x.ItemName, &x.Unit, &x.PointID, &x.PointName, &x.RegionCode, &x.Date, &x.PriceFen, &x.Reporter); err != nil {
			rows.Close()
			return nil, err
		}
		x.RegionName = s.regions.Name(x.RegionCode)
		out = append(out, x)
		byID[x.ID] = x
	}
	rows.Close()
	if len(out) == 0 {
		return out, rows.Err()
	}
	ids := make([]any, 0, len(out))
	for _, x := range out {
		ids = append(ids, x.ID)
	}
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(len(ids), start+500)]
		ar, err := s.db.QueryContext(ctx, `SELECT report_id, detail FROM supply_price_alerts WHERE report_id IN (`+strings.TrimSuffix(strings.Repeat("?,", len(chunk)), ",")+`)`, chunk...)
		if err != nil {
			return nil, err
		}
		for ar.Next() {
			var rid int64
			var d string
			if err := ar.Scan(&rid, &d); err != nil {
				ar.Close()
				return nil, err
			}
			byID[rid].Alerts = append(byID[rid].Alerts, d)
		}
		ar.Close()
	}
	return out, nil
}

// PriceFilter selects reports.
type PriceFilter struct {
	ItemID   int64
	Township string
	From, To string // inclusive dates
}

func (s *Service) priceWhere(p *auth.Principal, f PriceFilter) (string, []any) {
	where, args := "1 = 1", []any{}
	if p.Is(scopeRoles...) {
		var parts []string
		for _, pre := range p.ScopePrefixes() {
			c := region.County(pre + strings.Repeat("0", max(0, 12-len(pre))))
			lo, hi := db.PrefixRange(c)
			parts = append(parts, "(r.region_code >= ? AND r.region_code < ?)")
			args = append(args, lo, hi)
		}
		if len(parts) == 0 {
			return "1 = 0", nil
		}
		where = "(" + strings.Join(parts, " OR ") + ")"
	}
	if f.ItemID != 0 {
		where += " AND r.item_id = ?"
		args = append(args, f.ItemID)
	}
	if f.Township != "" {
		lo, hi := db.PrefixRange(auth.RegionPrefix(f.Township))
		where += " AND r.region_code >= ? AND r.region_code < ?"
		args = append(args, lo, hi)
	}
	if f.From != "" {
		where += " AND r.reported_on >= ?"
		args = append(args, f.From)
	}
	if f.To != "" {
		where += " AND r.reported_on <= ?"
		args = append(args, f.To)
	}
	return where, args
}

// PriceReports lists reports (the monitoring table), newest first. Prices are public market facts: every
// reader role of the county sees them.
func (s *Service) PriceReports(ctx context.Context, p *auth.Principal, f PriceFilter) ([]*PriceReport, error) {
	if !canReadPrices(p) {
		return nil, apperr.New(apperr.Forbidden, "您的角色不能查看价格监测")
	}
	where, args := s.priceWhere(p, f)
	return s.priceReports(ctx, where, args...)
}

// PriceSeries is an item's weekly average price per township over [from, to].
func (s *Service) PriceSeries(ctx context.Context, p *auth.Principal, f PriceFilter) ([]Series, error) {
	if f.ItemID == 0 {
		return nil, apperr.FieldErrors(map[string]string{"item_id": "请选择监测品种"})
	}
	list, err := s.PriceReports(ctx, p, f)
	if err != nil {
		return nil, err
	}
	type acc struct {
		sum int64
		n   int
	}
	by := map[string]map[string]*acc{}
	for _, r := range list {
		town := region.Township(r.RegionCode)
		d, _ := time.Parse("2006-01-02", r.Date)
		wd := (int(d.Weekday()) + 6) % 7
		week := d.AddDate(0, 0, -wd).Format("2006-01-02")
		if by[town] == nil {
			by[town] = map[string]*acc{}
		}
		a := by[town][week]
		if a == nil {
			a = &acc{}
			by[town][week] = a
		}
		a.sum += r.PriceFen
		a.n++
	}
	var out []Series
	for town, weeks := range by {
		sr := Series{RegionCode: town, RegionName: s.regions.ShortName(town)}
		for w, a := range weeks {
			sr.Points = append(sr.Points, SeriesPoint{Week: w, PriceFen: (a.sum + int64(a.n)/2) / int64(a.n), Reports: a.n})
		}
		sort.Slice(sr.Points, func(i, j int) bool { return sr.Points[i].Week < sr.Points[j].Week })
		out = append(out, sr)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].RegionCode < out[j].RegionCode })
	return out, nil
}

// PriceAlerts lists the alerts in [from, to] p may see, newest first.
func (s *Service) PriceAlerts(ctx context.Context, p *auth.Principal, f PriceFilter) ([]PriceAlert, error) {
	list, err := s.PriceReports(ctx, p, f)
	if err != nil {
		return nil, err
	}
	var out []PriceAlert
	for _, r := range list {
		for _, a := range r.Alerts {
			out = append(out, PriceAlert{ReportID: r.ID, ItemID: r.ItemID, ItemName: r.ItemName, PointName: r.PointName, RegionName: r.RegionName, Date: r.Date, Detail: a})
		}
	}
	return out, nil
}

// CountPriceAlerts counts alerts raised in [from, to) under regionPrefix, for supply.price_alerts. No access check.
func (s *Service) CountPriceAlerts(ctx context.Context, regionPrefix, from, to string) (int, error) {
	where, args := "1 = 1", []any{}
	if from != "" {
		where += " AND reported_on >= ?"
		args = append(args, from)
	}
	if to != "" {
		where += " AND reported_on < ?"
		args = append(args, to)
	}
	if pre := auth.RegionPrefix(regionPrefix); pre != "" {
		lo, hi := db.PrefixRange(pre)
		where += " AND region_code >= ? AND region_code < ?"
		args = append(args, lo, hi)
	}
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM supply_price_alerts WHERE `+where, args...).Scan(&n)
	return n, err
}
