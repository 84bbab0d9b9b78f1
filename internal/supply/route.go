package supply

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/jobs"
	"nongfu/internal/region"
	"nongfu/internal/solve/vrp"
)

// Delivery routing (客货邮融合). A shipment is a load for one day from a depot node: a delivery to a node (goods
// from the ledger, a pooled allocation, or a parcel) or a pickup at a node for the return trip (produce, parcels
// bound for the county). A route plan takes the day's planned shipments of a depot, aggregates them per stop,
// and solves a vehicle routing problem with internal/solve/vrp: weight capacity (g) and optional volume (ml),
// simultaneous pickups, optional time windows (minutes after midnight; vehicles leave at 08:00 and are back by
// 18:00 when windows are used), distances from the imported matrix (supply_distances, metres) where both nodes
// have an entry, otherwise the great-circle distance × the road factor; travel at 30 km/h and 10 minutes per stop.
// Recording a stop done delivers its shipments: goods move by a two-sided ledger transfer.

const (
	speedMPerMin = 500.0 // 30 km/h on mountain roads
	serviceMin   = 10.0
	dayStartMin  = 8 * 60
	dayEndMin    = 18 * 60
)

// Shipment is one load on a delivery day.
type Shipment struct {
	ID          int64  `json:"id"`
	Kind        string `json:"kind" doc:"delivery（送货）或 pickup（回程揽收）"`
	FromNodeID  int64  `json:"from_node_id"`
	ToNodeID    int64  `json:"to_node_id"`
	ToName      string `json:"to_name"`
	ShipOn      string `json:"ship_on"`
	GoodsID     int64  `json:"goods_id"`
	Qty         int64  `json:"qty"`
	WeightG     int64  `json:"weight_g"`
	VolumeML    int64  `json:"volume_ml"`
	ReadyMin    int    `json:"ready_min"`
	DueMin      int    `json:"due_min"`
	PoolID      int64  `json:"pool_id"`
	PlanID      int64  `json:"plan_id"`
	Status      string `json:"status" doc:"planned, routed, delivered, failed"`
	Description string `json:"description"`
}

// ShipmentInput adds a shipment by hand (a parcel, a pickup of produce, or goods from the depot's stock).
type ShipmentInput struct {
	Kind        string  `json:"kind" doc:"delivery 或 pickup"`
	FromNodeID  int64   `json:"from_node_id" doc:"出车的节点（配送中心）"`
	ToNodeID    int64   `json:"to_node_id" doc:"送达或揽收的节点"`
	ShipOn      string  `json:"ship_on"`
	GoodsID     int64   `json:"goods_id" doc:"库存商品（可空：包裹、农产品等不入库的货物）"`
	Qty         int64   `json:"qty"`
	WeightKg    float64 `json:"weight_kg" doc:"重量（千克）；库存商品可由单位重量推算"`
	VolumeL     float64 `json:"volume_l"`
	Ready       string  `json:"ready" doc:"最早到达 HH:MM（可空）"`
	Due         string  `json:"due" doc:"最晚到达 HH:MM（可空）"`
	Description string  `json:"description"`
}

// PlanInput asks for a day's routes from a depot.
type PlanInput struct {
	NodeID      int64    `json:"node_id"`
	Date        string   `json:"date"`
	Vehicles    int      `json:"vehicles"`
	CapacityKg  int64    `json:"capacity_kg"`
	VolumeL     int64    `json:"volume_l" doc:"车厢容积（升），0 表示不限"`
	RoadFactor  float64  `json:"road_factor" doc:"道路系数：直线距离 × 系数（默认 1.4）"`
	UseMatrix   bool     `json:"use_matrix" doc:"优先使用导入的道路距离表"`
	TimeWindows bool     `json:"time_windows"`
	Drivers     []string `json:"drivers"`
	Seconds     int      `json:"seconds" doc:"求解时间（秒，1–30，默认 3）"`
}

// Plan is a day's route plan.
type Plan struct {
	ID          int64    `json:"id"`
	NodeID      int64    `json:"node_id"`
	NodeName    string   `json:"node_name"`
	PlanOn      string   `json:"plan_on"`
	Vehicles    int      `json:"vehicles"`
	CapacityKg  int64    `json:"capacity_kg"`
	VolumeL     int64    `json:"volume_l"`
	RoadFactor  float64  `json:"road_factor"`
	UseMatrix   bool     `json:"use_matrix"`
	TimeWindows bool     `json:"time_windows"`
	Drivers     []string `json:"drivers"`
	Status      string   `json:"status" doc:"solving, ready, failed"`
	Message     string   `json:"message"`
	DistanceM   int64    `json:"distance_m"`
	JobID       int64    `json:"job_id"`
	Routes      []*Route `json:"routes,omitempty"`
	CountyCode  string   `json:"-"`
}

// Route is one vehicle's run.
type Route struct {
	No        int     `json:"no"`
	Driver    string  `json:"driver"`
	DistanceM int64   `json:"distance_m"`
	DeliverG  int64   `json:"deliver_g"`
	PickupG   int64   `json:"pickup_g"`
	Stops     []*Stop `json:"stops"`
}

// Stop is one visit of a route.
type Stop struct {
	Seq       int      `json:"seq"`
	NodeID    int64    `json:"node_id"`
	NodeName  string   `json:"node_name"`
	Region    string   `json:"region_name"`
	Lng       float64  `json:"lng"`
	Lat       float64  `json:"lat"`
	ArriveMin int      `json:"arrive_min"`
	Arrive    string   `json:"arrive" doc:"预计到达 HH:MM"`
	DeliverG  int64    `json:"deliver_g"`
	PickupG   int64    `json:"pickup_g"`
	LegM      int64    `json:"leg_m"`
	Status    string   `json:"status" doc:"pending, done, failed"`
	Note      string   `json:"note"`
	Items     []string `json:"items"`
}

// StopInput records what happened at a stop.
type StopInput struct {
	Status string `json:"status" doc:"done（已送达/已揽收）或 failed（未送达，货物退回待排）"`
	Note   string `json:"note"`
}

func hhmm(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

func parseHHMM(s string) (int, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, true
	}
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, false
	}
	return t.Hour()*60 + t.Minute(), true
}

// Haversine is the great-circle distance in metres.
func Haversine(lng1, lat1, lng2, lat2 float64) float64 {
	const r = 6371000.0
	rad := math.Pi / 180
	dLat, dLng := (lat2-lat1)*rad, (lng2-lng1)*rad
	a := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLng/2)*math.Sin(dLng/2)
	return 2 * r * math.Asin(math.Min(1, math.Sqrt(a)))
}

// CreateShipment adds a delivery or pickup for a day (staff who may write both nodes).
func (s *Service) CreateShipment(ctx context.Context, p *auth.Principal, in ShipmentInput) (*Shipment, error) {
	fe := map[string]string{}
	if in.Kind != "delivery" && in.Kind != "pickup" {
		fe["kind"] = "类型只能是 送货 或 回程揽收"
	}
	if in.ShipOn == "" {
		in.ShipOn = s.today()
	}
	if !validDate(in.ShipOn) {
		fe["ship_on"] = "日期格式为 YYYY-MM-DD"
	}
	from, err := s.loadNode(ctx, s.db, in.FromNodeID)
	if err != nil || canWrite(p, from) != nil {
		fe["from_node_id"] = "出车节点不存在或不在您的管辖范围内"
	}
	to, err := s.loadNode(ctx, s.db, in.ToNodeID)
	if err != nil || canRead(p, to) == false {
		fe["to_node_id"] = "目的节点不存在或不在您的管辖范围内"
	} else if to.ID == in.FromNodeID {
		fe["to_node_id"] = "目的节点不能是出车节点"
	}
	ready, ok1 := parseHHMM(in.Ready)
	due, ok2 := parseHHMM(in.Due)
	if !ok1 || !ok2 || (due > 0 && due < ready) {
		fe["due"] = "时间窗格式为 HH:MM，且最晚不早于最早"
	}
	var g *Goods
	if in.GoodsID != 0 {
		if g, err = s.loadGoods(ctx, s.db, in.GoodsID); err != nil {
			fe["goods_id"] = "商品不存在"
		} else if in.Qty <= 0 {
			fe["qty"] = "数量须大于 0"
		}
	}
	weight := int64(math.Round(in.WeightKg * 1000))
	if weight == 0 && g != nil {
		u := pow10(g.Decimals)
		weight = (in.Qty*g.UnitWeightG + u/2) / u
	}
	if weight <= 0 || in.WeightKg < 0 || in.VolumeL < 0 {
		fe["weight_kg"] = "请填写重量（千克，大于 0）"
	}
	in.Description = strings.TrimSpace(in.Description)
	if utf8.RuneCountInString(in.Description) > 100 {
		fe["description"] = "说明不超过 100 字"
	}
	if len(fe) > 0 {
		return nil, apperr.FieldErrors(fe)
	}
	if in.Description == "" {
		if g != nil {
			in.Description = goodsText(g) + " " + qtyText(in.Qty, g)
		} else if in.Kind == "pickup" {
			in.Description = "回程揽收"
		} else {
			in.Description = "包裹"
		}
	}
	id := int64(0)
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		id = tx.NextID()
		if _, err := tx.ExecContext(ctx, `INSERT INTO supply_shipments (id, county_code, kind, from_node_id, to_node_id, ship_on, goods_id, qty, weight_g, volume_ml,
			ready_min, due_min, status, description, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'planned', ?, ?)`,
			id, region.County(from.RegionCode), in.Kind, from.ID, to.ID, in.ShipOn, in.GoodsID, in.Qty, weight, int64(math.Round(in.VolumeL*1000)),
			ready, due, in.Description, s.now().UTC()); err != nil {
			return fmt.Errorf("insert shipment: %w", err)
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "create", Entity: "supply_shipment", EntityID: id,
			Summary: fmt.Sprintf("配送单：%s → %s %s", from.Name, to.Name, in.Description), After: in})
	})
	if err != nil {
		return nil, err
	}
	list, err := s.shipments(ctx, s.db, "sh.id = ?", id)
	if err != nil || len(list) == 0 {
		return nil, err
	}
	return list[0], nil
}

func (s *Service) shipments(ctx context.Context, q db.Querier, where string, args ...any) ([]*Shipment, error) {
	rows, err := q.QueryContext(ctx, `SELECT sh.id, sh.kind, sh.from_node_id, sh.to_node_id, n.name, sh.ship_on, sh.goods_id, sh.qty, sh.weight_g, sh.volume_ml,
		sh.ready_min, sh.due_min, sh.pool_id, sh.plan_id, sh.status, sh.description FROM supply_shipments sh JOIN supply_nodes n ON n.id = sh.to_node_id
		WHERE `+where+` ORDER BY n.region_code, sh.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("shipments: %w", err)
	}
	defer rows.Close()
	var out []*Shipment
	for rows.Next() {
		x := &Shipment{}
		if err := rows.Scan(&x.ID, &x.Kind, &x.FromNodeID, &x.ToNodeID, &x.ToName, &x.ShipOn, &x.GoodsID, &x.Qty, &x.WeightG, &x.VolumeML,
			&x.ReadyMin, &x.DueMin, &x.PoolID, &x.PlanID, &x.Status, &x.Description); err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// Shipments lists a depot's shipments of a day (readers of the depot).
func (s *Service) Shipments(ctx context.Context, p *auth.Principal, nodeID int64, date string) ([]*Shipment, error) {
	n, err := s.loadNode(ctx, s.db, nodeID)
	if err != nil {
		return nil, err
	}
	if !canRead(p, n) {
		return nil, errNoNode
	}
	return s.shipments(ctx, s.db, "sh.from_node_id = ? AND sh.ship_on = ?", nodeID, date)
}

// deliverTx completes one shipment: goods deliveries move hub → node (pickups of goods node → hub) in the ledger.
func (s *Service) deliverTx(ctx context.Context, tx *db.Tx, actor audit.Actor, sh *Shipment, date string) error {
	res, err := tx.ExecContext(ctx, `UPDATE supply_shipments SET status = 'delivered', done_at = ? WHERE id = ? AND status IN ('planned', 'routed')`,
		s.now().UTC(), sh.ID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return apperr.New(apperr.Conflict, "该配送单已处理")
	}
	if sh.GoodsID == 0 || sh.Qty == 0 {
		label := map[string]string{"pickup": "回程揽收完成", "delivery": "配送送达"}[sh.Kind]
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "update", Entity: "supply_shipment", EntityID: sh.ID,
			Summary: fmt.Sprintf("%s：%s %s", label, sh.ToName, sh.Description)})
	}
	from, err := s.loadNode(ctx, tx, sh.FromNodeID)
	if err != nil {
		return err
	}
	to, err := s.loadNode(ctx, tx, sh.ToNodeID)
	if err != nil {
		return err
	}
	if sh.Kind == "pickup" {
		from, to = to, from
	}
	g, err := s.loadGoods(ctx, tx, sh.GoodsID)
	if err != nil {
		return err
	}
	ref := fmt.Sprintf("PS-%d", sh.ID)
	_, err = s.writeLegs(ctx, tx, actor, []leg{{node: from, goods: g, kind: MoveTransferOut, qty: -sh.Qty, other: to.ID},
		{node: to, goods: g, kind: MoveTransferIn, qty: sh.Qty, other: from.ID}}, date, ref, sh.Description,
		fmt.Sprintf("配送送达：%s → %s %s %s", from.Name, to.Name, goodsText(g), qtyText(sh.Qty, g)), time.Time{})
	return err
}

// DeliverShipment records a single shipment as delivered (without a route plan).
func (s *Service) DeliverShipment(ctx context.Context, p *auth.Principal, id int64) error {
	list, err := s.shipments(ctx, s.db, "sh.id = ?", id)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		return apperr.New(apperr.NotFound, "配送单不存在")
	}
	sh := list[0]
	from, err := s.loadNode(ctx, s.db, sh.FromNodeID)
	if err != nil {
		return err
	}
	if err := canWrite(p, from); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error { return s.deliverTx(ctx, tx, p.Actor(), sh, s.today()) })
}

// SetJobs lets the app hand over its job runner after construction (it is built after the rooms).
func (s *Service) SetJobs(f func() *jobs.Service) { s.jobs = f }

// PlanRoutes takes the depot's planned shipments of the day into a new plan and solves it — in the background
// when a job runner is wired (the page polls the plan), else at once.
func (s *Service) PlanRoutes(ctx context.Context, p *auth.Principal, in PlanInput) (*Plan, error) {
	fe := map[string]string{}
	n, err := s.loadNode(ctx, s.db, in.NodeID)
	if err != nil {
		return nil, err
	}
	if err := canWrite(p, n); err != nil {
		return nil, err
	}
	if in.Date == "" {
		in.Date = s.today()
	}
	if !validDate(in.Date) {
		fe["date"] = "日期格式为 YYYY-MM-DD"
	}
	if in.Vehicles < 1 || in.Vehicles > 50 {
		fe["vehicles"] = "车辆数为 1–50"
	}
	if in.CapacityKg < 1 || in.CapacityKg > 50000 {
		fe["capacity_kg"] = "载重为 1–50000 千克"
	}
	if in.VolumeL < 0 {
		fe["volume_l"] = "容积不能为负"
	}
	if in.RoadFactor == 0 {
		in.RoadFactor = 1.4
	}
	if in.RoadFactor < 1 || in.RoadFactor > 3 {
		fe["road_factor"] = "道路系数为 1–3"
	}
	if in.Seconds == 0 {
		in.Seconds = 3
	}
	if in.Seconds < 1 || in.Seconds > 30 {
		fe["seconds"] = "求解时间为 1–30 秒"
	}
	var drivers []string
	for _, d := range in.Drivers {
		if d = strings.TrimSpace(d); d != "" {
			drivers = append(drivers, d)
		}
	}
	if len(fe) > 0 {
		return nil, apperr.FieldErrors(fe)
	}
	var planID int64
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		planID = tx.NextID()
		res, err := tx.ExecContext(ctx, `UPDATE supply_shipments SET plan_id = ?, status = 'routed' WHERE from_node_id = ? AND ship_on = ? AND status = 'planned'`,
			planID, n.ID, in.Date)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return apperr.FieldErrors(map[string]string{"date": "该日没有待排线的配送单"})
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO supply_route_plans (id, county_code, node_id, plan_on, vehicles, capacity_kg, volume_l, road_factor, use_matrix,
			time_windows, drivers, status, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'solving', ?, ?)`,
			planID, region.County(n.RegionCode), n.ID, in.Date, in.Vehicles, in.CapacityKg, in.VolumeL, in.RoadFactor, b2i(in.UseMatrix), b2i(in.TimeWindows),
			strings.Join(drivers, ","), p.Actor().Name, s.now().UTC()); err != nil {
			return fmt.Errorf("insert plan: %w", err)
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "create", Entity: "supply_route_plan", EntityID: planID,
			Summary: fmt.Sprintf("配送排线：%s %s，%d 辆车", n.Name, in.Date, in.Vehicles), After: in})
	})
	if err != nil {
		return nil, err
	}
	limit := time.Duration(in.Seconds) * time.Second
	if s.jobs != nil && s.jobs() != nil {
		jobID, err := s.jobs().Start(p, "supply_routes", fmt.Sprintf("配送排线 %s %s", n.Name, in.Date), func(ctx context.Context, progress func(done, total int)) (string, map[string][]byte, error) {
			return s.solvePlan(ctx, planID, limit, progress)
		})
		if err != nil {
			return nil, err
		}
		if _, err := s.db.ExecContext(ctx, `UPDATE supply_route_plans SET job_id = ? WHERE id = ?`, jobID, planID); err != nil {
			return nil, err
		}
	} else if _, _, err := s.solvePlan(ctx, planID, limit, func(int, int) {}); err != nil {
		return nil, err
	}
	return s.GetPlan(ctx, p, planID)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

type stopAgg struct {
	node               *Node
	deliver, pick, vol int64
	ready, due         int
}

// solvePlan builds the routing problem of a plan, solves it and writes the stops (a failed plan gives its
// shipments back to planned).
func (s *Service) solvePlan(ctx context.Context, planID int64, limit time.Duration, progress func(done, total int)) (string, map[string][]byte, error) {
	// read and solve outside any transaction (a long solve must not hold SQLite's writer), write the stops in one
	summary, err := s.solvePlanWith(ctx, s.db, func(f func(tx *db.Tx) error) error { return s.db.InTx(ctx, f) }, planID,
		vrp.Options{TimeLimit: limit, Seed: uint64(planID)}, progress)
	if apperr.CodeOf(err) == apperr.Invalid {
		msg := apperr.MessageOf(err)
		_, _ = s.db.ExecContext(ctx, `UPDATE supply_route_plans SET status = 'failed', message = ? WHERE id = ?`, msg, planID)
		_, _ = s.db.ExecContext(ctx, `UPDATE supply_shipments SET plan_id = 0, status = 'planned' WHERE plan_id = ? AND status = 'routed'`, planID)
	}
	return summary, nil, err
}

// solvePlanWith reads a plan's shipments through q, solves, and writes the stops through inTx. The demo seeder
// passes its transaction for both (and an iteration limit, for a deterministic plan).
func (s *Service) solvePlanWith(ctx context.Context, q db.Querier, inTx func(func(tx *db.Tx) error) error, planID int64, opt vrp.Options,
	progress func(done, total int)) (string, error) {
	pl, err := s.loadPlan(ctx, q, planID)
	if err != nil {
		return "", err
	}
	fail := func(msg string) (string, error) { return "", apperr.New(apperr.Invalid, msg) }
	depot, err := s.loadNode(ctx, q, pl.NodeID)
	if err != nil {
		return "", err
	}
	ships, err := s.shipments(ctx, q, "sh.plan_id = ?", planID)
	if err != nil {
		return "", err
	}
	byNode := map[int64]*stopAgg{}
	var order []*stopAgg
	for _, sh := range ships {
		a := byNode[sh.ToNodeID]
		if a == nil {
			nd, err := s.loadNode(ctx, q, sh.ToNodeID)
			if err != nil {
				return "", err
			}
			a = &stopAgg{node: nd}
			byNode[sh.ToNodeID] = a
			order = append(order, a)
		}
		if sh.Kind == "pickup" {
			a.pick += sh.WeightG
		} else {
			a.deliver += sh.WeightG
			a.vol += sh.VolumeML
		}
		if sh.ReadyMin > a.ready {
			a.ready = sh.ReadyMin
		}
		if sh.DueMin > 0 && (a.due == 0 || sh.DueMin < a.due) {
			a.due = sh.DueMin
		}
	}
	capG := pl.CapacityKg * 1000
	for _, a := range order {
		if a.deliver > capG || a.pick > capG {
			return fail(fmt.Sprintf("%s 的货物 %s 千克超过单车载重 %d 千克，请拆分或换大车", a.node.Name, FormatQty(max(a.deliver, a.pick), 3), pl.CapacityKg))
		}
	}
	prob := vrp.Problem{Name: fmt.Sprintf("plan-%d", planID), Capacity: capG, VolumeCapacity: pl.VolumeL * 1000, Vehicles: pl.Vehicles}
	prob.Nodes = append(prob.Nodes, vrp.Node{ID: 0, X: depot.Lng, Y: depot.Lat})
	if pl.TimeWindows {
		prob.Nodes[0].Ready, prob.Nodes[0].Due = dayStartMin, dayEndMin
	}
	for i, a := range order {
		nd := vrp.Node{ID: i + 1, X: a.node.Lng, Y: a.node.Lat, Demand: a.deliver, Pickup: a.pick, Volume: a.vol, Service: serviceMin}
		if pl.TimeWindows {
			nd.Ready, nd.Due = float64(a.ready), float64(a.due)
		}
		prob.Nodes = append(prob.Nodes, nd)
	}
	all := append([]*Node{depot}, nodesOf(order)...)
	dist, err := s.distanceMatrix(ctx, q, all, pl.RoadFactor, pl.UseMatrix)
	if err != nil {
		return "", err
	}
	prob.Dist = dist
	prob.Time = make([][]float64, len(dist))
	for i := range dist {
		prob.Time[i] = make([]float64, len(dist))
		for j := range dist {
			prob.Time[i][j] = dist[i][j] / speedMPerMin
		}
	}
	// the solver has no progress callback: report elapsed time against the limit
	done := make(chan struct{})
	if opt.TimeLimit > 0 {
		go func() {
			t := time.NewTicker(200 * time.Millisecond)
			defer t.Stop()
			start := time.Now()
			for {
				select {
				case <-done:
					return
				case <-t.C:
					progress(int(time.Since(start)/time.Millisecond), int(opt.TimeLimit/time.Millisecond))
				}
			}
		}()
	}
	sol, err := vrp.Solve(ctx, prob, opt)
	close(done)
	if err != nil {
		return fail("排线问题无效：" + err.Error())
	}
	if !sol.Feasible {
		return fail(fmt.Sprintf("%d 辆车在现有载重、容积和时间窗下装不下 %d 个站点的货物，请增加车辆或放宽时间窗", pl.Vehicles, len(order)))
	}
	total := int64(0)
	msg := ""
	err = inTx(func(tx *db.Tx) error {
		for ri, r := range sol.Routes {
			driver := fmt.Sprintf("车辆 %d", ri+1)
			if ri < len(pl.Drivers) {
				driver = pl.Drivers[ri]
			}
			t := float64(dayStartMin)
			prev := 0
			for si, c := range r {
				a := order[c-1]
				t = math.Max(t+prob.Time[prev][c], prob.Nodes[c].Ready)
				leg := int64(math.Round(dist[prev][c]))
				total += leg
				if _, err := tx.ExecContext(ctx, `INSERT INTO supply_route_stops (plan_id, route_no, seq, node_id, driver, arrive_min, deliver_g, pickup_g, leg_m, status)
					VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending')`, planID, ri+1, si+1, a.node.ID, driver, int(math.Round(t)), a.deliver, a.pick, leg); err != nil {
					return fmt.Errorf("insert stop: %w", err)
				}
				t += serviceMin
				prev = c
			}
			total += int64(math.Round(dist[prev][0]))
		}
		msg = fmt.Sprintf("%d 条线路，%d 个站点，总里程 %s 千米", len(sol.Routes), len(order), FormatQty(total/100, 1))
		res, err := tx.ExecContext(ctx, `UPDATE supply_route_plans SET status = 'ready', distance_m = ?, message = ? WHERE id = ? AND status = 'solving'`, total, msg, planID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.New(apperr.Conflict, "排线方案已不在求解中")
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return "已排出" + msg, nil
}

func nodesOf(list []*stopAgg) []*Node {
	out := make([]*Node, len(list))
	for i, a := range list {
		out[i] = a.node
	}
	return out
}

// distanceMatrix is the road distance in metres between nodes: the imported matrix where it has the pair (when
// asked), else great-circle × factor.
func (s *Service) distanceMatrix(ctx context.Context, q db.Querier, nodes []*Node, factor float64, useMatrix bool) ([][]float64, error) {
	n := len(nodes)
	known := map[[2]int64]float64{}
	if useMatrix {
		ids := make([]any, n)
		for i, x := range nodes {
			ids[i] = x.ID
		}
		ph := strings.TrimSuffix(strings.Repeat("?,", n), ",")
		rows, err := q.QueryContext(ctx, `SELECT from_node_id, to_node_id, meters FROM supply_distances WHERE from_node_id IN (`+ph+`) AND to_node_id IN (`+ph+`)`,
			append(ids, ids...)...)
		if err != nil {
			return nil, fmt.Errorf("distances: %w", err)
		}
		for rows.Next() {
			var a, b, m int64
			if err := rows.Scan(&a, &b, &m); err != nil {
				rows.Close()
				return nil, err
			}
			known[[2]int64{a, b}] = float64(m)
		}
		rows.Close()
	}
	d := make([][]float64, n)
	for i := range d {
		d[i] = make([]float64, n)
		for j := range d[i] {
			if i == j {
				continue
			}
			if m, ok := known[[2]int64{nodes[i].ID, nodes[j].ID}]; ok {
				d[i][j] = m
			} else if m, ok := known[[2]int64{nodes[j].ID, nodes[i].ID}]; ok {
				d[i][j] = m
			} else {
				d[i][j] = math.Round(Haversine(nodes[i].Lng, nodes[i].Lat, nodes[j].Lng, nodes[j].Lat) * factor)
			}
		}
	}
	return d, nil
}

func (s *Service) loadPlan(ctx context.Context, q db.Querier, id int64) (*Plan, error) {
	pl := &Plan{}
	var drivers string
	var um, tw int
	err := q.QueryRowContext(ctx, `SELECT p.id, p.county_code, p.node_id, n.name, p.plan_on, p.vehicles, p.capacity_kg, p.volume_l, p.road_factor, p.use_matrix,
		p.time_windows, p.drivers, p.status, p.message, p.distance_m, p.job_id FROM supply_route_plans p JOIN supply_nodes n ON n.id = p.node_id WHERE p.id = ?`, id).
		Scan(&pl.ID, &pl.CountyCode, &pl.NodeID, &pl.NodeName, &pl.PlanOn, &pl.Vehicles, &pl.CapacityKg, &pl.VolumeL, &pl.RoadFactor, &um, &tw, &drivers,
			&pl.Status, &pl.Message, &pl.DistanceM, &pl.JobID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.New(apperr.NotFound, "排线方案不存在")
	}
	if err != nil {
		return nil, fmt.Errorf("get plan: %w", err)
	}
	pl.UseMatrix, pl.TimeWindows = um == 1, tw == 1
	pl.Drivers = []string{}
	if drivers != "" {
		pl.Drivers = strings.Split(drivers, ",")
	}
	return pl, nil
}

// GetPlan returns a plan with its routes and stops (readers of the depot).
func (s *Service) GetPlan(ctx context.Context, p *auth.Principal, id int64) (*Plan, error) {
	pl, err := s.loadPlan(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	depot, err := s.loadNode(ctx, s.db, pl.NodeID)
	if err != nil {
		return nil, err
	}
	if !canRead(p, depot) {
		return nil, apperr.New(apperr.NotFound, "排线方案不存在")
	}
	rows, err := s.db.QueryContext(ctx, `SELECT st.route_no, st.seq, st.node_id, n.name, n.region_code, n.lng, n.lat, st.driver, st.arrive_min, st.deliver_g,
		st.pickup_g, st.leg_m, st.status, st.note FROM supply_route_stops st JOIN supply_nodes n ON n.id = st.node_id WHERE st.plan_id = ? ORDER BY st.route_no, st.seq`, id)
	if err != nil {
		return nil, fmt.Errorf("plan stops: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		st := &Stop{}
		var no int
		var driver, code string
		if err := rows.Scan(&no, &st.Seq, &st.NodeID, &st.NodeName, &code, &st.Lng, &st.Lat, &driver, &st.ArriveMin, &st.DeliverG, &st.PickupG, &st.LegM,
			&st.Status, &st.Note); err != nil {
			return nil, err
		}
		st.Region = s.regions.Name(code)
		st.Arrive = hhmm(st.ArriveMin)
		if len(pl.Routes) < no {
			pl.Routes = append(pl.Routes, &Route{No: no, Driver: driver})
		}
		r := pl.Routes[no-1]
		r.Stops = append(r.Stops, st)
		r.DistanceM += st.LegM
		r.DeliverG += st.DeliverG
		r.PickupG += st.PickupG
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	ships, err := s.shipments(ctx, s.db, "sh.plan_id = ?", id)
	if err != nil {
		return nil, err
	}
	for _, r := range pl.Routes {
		for _, st := range r.Stops {
			for _, sh := range ships {
				if sh.ToNodeID == st.NodeID {
					label := "送："
					if sh.Kind == "pickup" {
						label = "收："
					}
					st.Items = append(st.Items, label+sh.Description)
				}
			}
		}
		// the leg home
		if n := len(r.Stops); n > 0 {
			last := r.Stops[n-1]
			r.DistanceM += int64(math.Round(Haversine(last.Lng, last.Lat, depot.Lng, depot.Lat) * pl.RoadFactor))
		}
	}
	return pl, nil
}

// ListPlans lists a depot's plans, newest first.
func (s *Service) ListPlans(ctx context.Context, p *auth.Principal, nodeID int64) ([]*Plan, error) {
	n, err := s.loadNode(ctx, s.db, nodeID)
	if err != nil {
		return nil, err
	}
	if !canRead(p, n) {
		return nil, errNoNode
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM supply_route_plans WHERE node_id = ? ORDER BY plan_on DESC, id DESC LIMIT 50`, nodeID)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	var out []*Plan
	for _, id := range ids {
		pl, err := s.loadPlan(ctx, s.db, id)
		if err != nil {
			return nil, err
		}
		out = append(out, pl)
	}
	return out, nil
}

// RecordStop records a stop as done (its shipments delivered or collected, goods moved in the ledger) or failed
// (its shipments go back to planned for another day's plan).
func (s *Service) RecordStop(ctx context.Context, p *auth.Principal, planID int64, routeNo, seq int, in StopInput) (*Plan, error) {
	pl, err := s.GetPlan(ctx, p, planID)
	if err != nil {
		return nil, err
	}
	depot, err := s.loadNode(ctx, s.db, pl.NodeID)
	if err != nil {
		return nil, err
	}
	if err := canWrite(p, depot); err != nil {
		return nil, err
	}
	if in.Status != "done" && in.Status != "failed" {
		return nil, apperr.FieldErrors(map[string]string{"status": "请选择 已送达 或 未送达"})
	}
	if utf8.RuneCountInString(in.Note) > 200 {
		return nil, apperr.FieldErrors(map[string]string{"note": "备注不超过 200 字"})
	}
	var stop *Stop
	if routeNo >= 1 && routeNo <= len(pl.Routes) {
		for _, st := range pl.Routes[routeNo-1].Stops {
			if st.Seq == seq {
				stop = st
			}
		}
	}
	if stop == nil {
		return nil, apperr.New(apperr.NotFound, "站点不存在")
	}
	if stop.Status != "pending" {
		return nil, apperr.New(apperr.Conflict, "该站点已登记")
	}
	ships, err := s.shipments(ctx, s.db, "sh.plan_id = ? AND sh.to_node_id = ? AND sh.status = 'routed'", planID, stop.NodeID)
	if err != nil {
		return nil, err
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE supply_route_stops SET status = ?, note = ?, done_at = ? WHERE plan_id = ? AND route_no = ? AND seq = ? AND status = 'pending'`,
			in.Status, strings.TrimSpace(in.Note), s.now().UTC(), planID, routeNo, seq)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.New(apperr.Conflict, "该站点已登记")
		}
		for _, sh := range ships {
			if in.Status == "done" {
				if err := s.deliverTx(ctx, tx, p.Actor(), sh, s.today()); err != nil {
					return err
				}
			} else if _, err := tx.ExecContext(ctx, `UPDATE supply_shipments SET status = 'planned', plan_id = 0 WHERE id = ?`, sh.ID); err != nil {
				return err
			}
		}
		label := map[string]string{"done": "已送达", "failed": "未送达"}[in.Status]
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "update", Entity: "supply_route_stop", EntityID: planID,
			Summary: fmt.Sprintf("配送签到：第 %d 车第 %d 站 %s %s", routeNo, seq, stop.NodeName, label), After: in})
	})
	if err != nil {
		return nil, err
	}
	return s.GetPlan(ctx, p, planID)
}

// WeightKgText is the weight in 千克 for display.
func (x *Shipment) WeightKgText() string { return FormatQty(x.WeightG, 3) }

// Window is the time window for display.
func (x *Shipment) Window() string {
	if x.ReadyMin == 0 && x.DueMin == 0 {
		return "—"
	}
	due := ""
	if x.DueMin > 0 {
		due = hhmm(x.DueMin)
	}
	return hhmm(x.ReadyMin) + "–" + due
}

// DeliverKg is the weight delivered at the stop in 千克.
func (st *Stop) DeliverKg() string { return FormatQty(st.DeliverG, 3) }

// PickupKg is the weight collected at the stop in 千克.
func (st *Stop) PickupKg() string { return FormatQty(st.PickupG, 3) }
