package supply

import (
	"bytes"
	"fmt"
	"html"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/web"
	"nongfu/internal/tabular"
)

// The pages of 集采集配, delivery routing, reserves and price monitoring. Forms post to page routes; a refused
// form re-renders its page with 422, the Chinese message and the fields marked.

// formState carries a refused form back into its page.
type formState struct {
	Form   string
	Error  string
	Fields map[string]string
	Values url.Values
}

func (f formState) V(k string) string {
	if f.Values == nil {
		return ""
	}
	return f.Values.Get(k)
}

func (f formState) E(k string) string { return f.Fields[k] }

type renderFn func(w http.ResponseWriter, r *http.Request, status int, fs formState) error

// post runs a page form action: on a validation or state error the page is rendered again with the error.
func post(render renderFn, form string, fn func(w http.ResponseWriter, r *http.Request) error) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := r.ParseForm(); err != nil {
			return apperr.New(apperr.Invalid, "表单无法读取")
		}
		err := fn(w, r)
		if c := apperr.CodeOf(err); err != nil && (c == apperr.Invalid || c == apperr.Conflict) {
			fs := formState{Form: form, Error: apperr.MessageOf(err), Fields: apperr.FieldsOf(err), Values: r.PostForm}
			if fs.Fields == nil {
				fs.Fields = map[string]string{}
			}
			return render(w, r, http.StatusUnprocessableEntity, fs)
		}
		return err
	}
}

func formInt(r *http.Request, k string) int64 {
	v, _ := strconv.ParseInt(strings.TrimSpace(r.PostForm.Get(k)), 10, 64)
	return v
}

// parseYuan reads a money amount in 元 (up to 2 decimals) into 分.
func parseYuan(v string) (int64, bool) {
	q, err := ParseQty(v, 2)
	return q, err == nil
}

func (s *Service) flowPages(srv *web.Server) {
	staffRead := scopeRoles
	srv.AddMenu(web.MenuItem{Group: "双向流通", Label: "集采集配", Path: "/supply/pools", Order: 52, Roles: readerRoles},
		web.MenuItem{Group: "双向流通", Label: "配送排线", Path: "/supply/routes", Order: 53, Roles: staffRead},
		web.MenuItem{Group: "双向流通", Label: "储备与贴息", Path: "/supply/reserve", Order: 54, Roles: staffRead},
		web.MenuItem{Group: "双向流通", Label: "价格监测", Path: "/supply/prices", Order: 55, Roles: readerRoles})
	srv.Page("GET /supply/pools", func(w http.ResponseWriter, r *http.Request) error {
		return s.poolsPage(w, r, http.StatusOK, formState{})
	})
	srv.Page("POST /supply/pools", post(s.poolsPage, "create", s.poolCreatePost))
	srv.Page("GET /supply/pools/{id}", func(w http.ResponseWriter, r *http.Request) error {
		return s.poolPage(w, r, http.StatusOK, formState{})
	})
	srv.Page("POST /supply/pools/{id}/demand", post(s.poolPage, "demand", s.demandPost))
	srv.Page("POST /supply/pools/{id}/close", post(s.poolPage, "close", func(w http.ResponseWriter, r *http.Request) error {
		id, _ := web.PathID(r, "id")
		if _, err := s.ClosePool(r.Context(), web.Principal(r), id); err != nil {
			return err
		}
		web.Flash(w, "已截单，采购订单已生成")
		web.Redirect(w, r, fmt.Sprintf("/supply/pools/%d", id))
		return nil
	}))
	srv.Page("POST /supply/pools/{id}/receive", post(s.poolPage, "receive", func(w http.ResponseWriter, r *http.Request) error {
		id, _ := web.PathID(r, "id")
		in := ReceiveInput{Date: r.PostForm.Get("date")}
		for k, v := range r.PostForm {
			if item, ok := strings.CutPrefix(k, "qty_"); ok && strings.TrimSpace(v[0]) != "" {
				iid, _ := strconv.ParseInt(item, 10, 64)
				var dec int
				_ = s.db.QueryRowContext(r.Context(), `SELECT g.decimals FROM supply_pool_items i JOIN supply_goods g ON g.id = i.goods_id WHERE i.id = ?`, iid).Scan(&dec)
				q, err := ParseQty(v[0], dec)
				if err != nil {
					return apperr.FieldErrors(map[string]string{"qty": "到货数量：" + err.Error()})
				}
				in.Lines = append(in.Lines, ReceiveLine{ItemID: iid, Qty: q})
			}
		}
		if _, err := s.ReceiveOrder(r.Context(), web.Principal(r), formInt(r, "order_id"), in); err != nil {
			return err
		}
		web.Flash(w, "已到货入库")
		web.Redirect(w, r, fmt.Sprintf("/supply/pools/%d", id))
		return nil
	}))
	srv.Page("POST /supply/pools/{id}/allocate", post(s.poolPage, "allocate", func(w http.ResponseWriter, r *http.Request) error {
		id, _ := web.PathID(r, "id")
		if _, err := s.AllocatePool(r.Context(), web.Principal(r), id, r.PostForm.Get("ship_on")); err != nil {
			return err
		}
		web.Flash(w, "已按需求分配，配送单已生成，可到“配送排线”排线")
		web.Redirect(w, r, fmt.Sprintf("/supply/pools/%d", id))
		return nil
	}))
	srv.Page("POST /supply/pools/{id}/handover", post(s.poolPage, "handover", func(w http.ResponseWriter, r *http.Request) error {
		id, _ := web.PathID(r, "id")
		d, err := s.Handover(r.Context(), web.Principal(r), formInt(r, "demand_id"), HandoverInput{Signer: r.PostForm.Get("signer")})
		if err != nil {
			return err
		}
		web.Flash(w, fmt.Sprintf("已交付 %s，签收单 %s", d.SubjectName, d.ReceiptNo))
		web.Redirect(w, r, fmt.Sprintf("/supply/pools/%d#demands", id))
		return nil
	}))
	srv.Page("GET /supply/routes", func(w http.ResponseWriter, r *http.Request) error {
		return s.routesPage(w, r, http.StatusOK, formState{})
	})
	srv.Page("POST /supply/routes/plan", post(s.routesPage, "plan", s.planPost))
	srv.Page("POST /supply/routes/shipments", post(s.routesPage, "shipment", s.shipmentPost))
	srv.Page("GET /supply/plans/{id}", func(w http.ResponseWriter, r *http.Request) error {
		return s.planPage(w, r, http.StatusOK, formState{})
	})
	srv.Page("POST /supply/plans/{id}/stop", post(s.planPage, "stop", func(w http.ResponseWriter, r *http.Request) error {
		id, _ := web.PathID(r, "id")
		if _, err := s.RecordStop(r.Context(), web.Principal(r), id, int(formInt(r, "route")), int(formInt(r, "seq")),
			StopInput{Status: r.PostForm.Get("status"), Note: r.PostForm.Get("note")}); err != nil {
			return err
		}
		web.Flash(w, "已登记")
		web.Redirect(w, r, fmt.Sprintf("/supply/plans/%d#route-%s", id, r.PostForm.Get("route")))
		return nil
	}))
	srv.Page("GET /supply/plans/{id}/sheet", s.sheetPage)
	srv.Page("GET /supply/reserve", func(w http.ResponseWriter, r *http.Request) error {
		return s.reservePage(w, r, http.StatusOK, formState{})
	})
	srv.Page("POST /supply/reserve/plans", post(s.reservePage, "plan", s.reservePlanPost))
	srv.Page("POST /supply/reserve/contracts", post(s.reservePage, "contract", s.contractPost))
	srv.Page("POST /supply/reserve/budget", post(s.reservePage, "budget", func(w http.ResponseWriter, r *http.Request) error {
		fen, ok := parseYuan(r.PostForm.Get("budget_yuan"))
		if !ok {
			return apperr.FieldErrors(map[string]string{"budget_fen": "请填写预算金额（元）"})
		}
		if _, err := s.SetBudget(r.Context(), web.Principal(r), int(formInt(r, "year")), fen); err != nil {
			return err
		}
		web.Flash(w, "年度贴息预算已设定")
		web.Redirect(w, r, "/supply/reserve#budget")
		return nil
	}))
	srv.Page("POST /supply/reserve/contracts/{id}/pay", post(s.reservePage, "pay", func(w http.ResponseWriter, r *http.Request) error {
		id, _ := web.PathID(r, "id")
		if _, err := s.PaySubsidy(r.Context(), web.Principal(r), id, ""); err != nil {
			return err
		}
		web.Flash(w, "贴息已拨付")
		web.Redirect(w, r, "/supply/reserve#contracts")
		return nil
	}))
	srv.Page("GET /supply/prices", func(w http.ResponseWriter, r *http.Request) error {
		return s.pricesPage(w, r, http.StatusOK, formState{})
	})
	srv.Page("POST /supply/prices", post(s.pricesPage, "report", s.pricePost))
	srv.Page("GET /supply/prices/export.xlsx", s.priceExport)
}

// ---- 集采集配 ----

func (s *Service) poolsPage(w http.ResponseWriter, r *http.Request, status int, fs formState) error {
	p := web.Principal(r)
	if !p.Is(readerRoles...) {
		return apperr.New(apperr.Forbidden, "您的角色不能查看集采批次")
	}
	pools, err := s.ListPools(r.Context(), p, r.URL.Query().Get("status"))
	if err != nil {
		return err
	}
	data := map[string]any{"Pools": pools, "F": fs, "CanCreate": p.Is(auth.CountyAdmin), "Today": s.today()}
	if p.Is(auth.CountyAdmin) {
		nodes, _, err := s.ListNodes(r.Context(), p, NodeFilter{Status: NodeActive, PerPage: 500})
		if err != nil {
			return err
		}
		var hubs, pickups []option
		for _, n := range nodes {
			o := option{strconv.FormatInt(n.ID, 10), n.Name + "（" + n.RegionName + "）"}
			if NodeLevel(n.Kind) == "county" {
				hubs = append(hubs, o)
			}
			pickups = append(pickups, o)
		}
		goods, err := s.ListGoods(r.Context(), p, GoodsFilter{})
		if err != nil {
			return err
		}
		var gopts []option
		for _, g := range goods {
			gopts = append(gopts, option{strconv.FormatInt(g.ID, 10), g.CategoryLabel + " · " + goodsText(g) + "（" + g.Unit + "）"})
		}
		data["Hubs"], data["Pickups"], data["Goods"] = hubs, pickups, gopts
	}
	return web.Render(w, r, status, "supply/pools.html", data)
}

// parseTiers reads "20:150, 50:142" (quantity: 元 per unit) into tiers.
func parseTiers(v string, decimals int) ([]Tier, bool) {
	var out []Tier
	for _, part := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '，' || r == ';' || r == '；' || r == ' ' }) {
		a, b, ok := strings.Cut(strings.ReplaceAll(part, "：", ":"), ":")
		if !ok {
			return nil, false
		}
		q, err := ParseQty(a, decimals)
		f, ok2 := parseYuan(b)
		if err != nil || !ok2 {
			return nil, false
		}
		out = append(out, Tier{MinQty: q, PriceFen: f})
	}
	return out, true
}

func (s *Service) poolCreatePost(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	in := PoolInput{Name: f.Get("name"), HubNodeID: formInt(r, "hub_node_id"), OpensOn: f.Get("opens_on"), ClosesOn: f.Get("closes_on"), Note: f.Get("note")}
	for _, v := range f["node_ids"] {
		id, _ := strconv.ParseInt(v, 10, 64)
		in.NodeIDs = append(in.NodeIDs, id)
	}
	fe := map[string]string{}
	for i := range 3 {
		gid, _ := strconv.ParseInt(f.Get(fmt.Sprintf("goods_%d", i)), 10, 64)
		if gid == 0 {
			continue
		}
		g, err := s.loadGoods(r.Context(), s.db, gid)
		if err != nil {
			fe[fmt.Sprintf("items[%d].goods_id", i)] = "商品不存在"
			continue
		}
		it := PoolItemInput{GoodsID: gid, Supplier: f.Get(fmt.Sprintf("supplier_%d", i))}
		var ok bool
		if it.ListPriceFen, ok = parseYuan(f.Get(fmt.Sprintf("price_%d", i))); !ok {
			fe[fmt.Sprintf("items[%d].list_price_fen", i)] = "请填写零售价（元）"
		}
		if it.Tiers, ok = parseTiers(f.Get(fmt.Sprintf("tiers_%d", i)), g.Decimals); !ok {
			fe[fmt.Sprintf("items[%d].tiers", i)] = "阶梯价格式：起订量:单价（元），多档用逗号分隔，如 20:150,50:142"
		}
		in.Items = append(in.Items, it)
	}
	if len(fe) > 0 {
		return apperr.FieldErrors(fe)
	}
	x, err := s.CreatePool(r.Context(), web.Principal(r), in)
	if err != nil {
		return err
	}
	web.Flash(w, "集采批次已发起："+x.Name)
	web.Redirect(w, r, fmt.Sprintf("/supply/pools/%d", x.ID))
	return nil
}

func (s *Service) poolPage(w http.ResponseWriter, r *http.Request, status int, fs formState) error {
	p := web.Principal(r)
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	x, err := s.GetPool(r.Context(), p, id)
	if err != nil {
		return err
	}
	demands, err := s.Demands(r.Context(), p, id)
	if err != nil {
		return err
	}
	data := map[string]any{"P": x, "Demands": demands, "F": fs, "Today": s.today(), "IsAdmin": p.Is(auth.CountyAdmin),
		"IsStaff": isStaff(p), "IsMember": p.Is(selfRoles...) && p.SubjectID != 0,
		"CanDemand": x.Status == PoolOpen && s.today() >= x.OpensOn && s.today() <= x.ClosesOn && (isStaff(p) || (p.Is(selfRoles...) && p.SubjectID != 0))}
	if p.Is(scopeRoles...) {
		rec, err := s.Reconcile(r.Context(), p, id)
		if err != nil {
			return err
		}
		data["Recon"] = rec
	}
	return web.Render(w, r, status, "supply/pool.html", data)
}

func (s *Service) demandPost(w http.ResponseWriter, r *http.Request) error {
	id, _ := web.PathID(r, "id")
	f := r.PostForm
	in := DemandInput{ItemID: formInt(r, "item_id"), NodeID: formInt(r, "node_id"), SubjectID: formInt(r, "subject_id")}
	var dec int
	_ = s.db.QueryRowContext(r.Context(), `SELECT g.decimals FROM supply_pool_items i JOIN supply_goods g ON g.id = i.goods_id WHERE i.id = ?`, in.ItemID).Scan(&dec)
	q, err := ParseQty(f.Get("qty"), dec)
	if err != nil {
		return apperr.FieldErrors(map[string]string{"qty": err.Error()})
	}
	in.Qty = q
	d, err := s.PlaceDemand(r.Context(), web.Principal(r), id, in)
	if err != nil {
		return err
	}
	if d == nil {
		web.Flash(w, "需求已撤回")
	} else {
		web.Flash(w, fmt.Sprintf("需求已登记：%s %s %s %s", d.SubjectName, d.GoodsName, FormatQty(d.Qty, d.Decimals), d.Unit))
	}
	web.Redirect(w, r, fmt.Sprintf("/supply/pools/%d", id))
	return nil
}

// ---- routes ----

func (s *Service) depots(r *http.Request, p *auth.Principal) ([]*Node, error) {
	nodes, _, err := s.ListNodes(r.Context(), p, NodeFilter{Status: NodeActive, PerPage: 500})
	if err != nil {
		return nil, err
	}
	var out []*Node
	for _, n := range nodes {
		if NodeLevel(n.Kind) != "village" {
			out = append(out, n)
		}
	}
	return out, nil
}

func (s *Service) routesPage(w http.ResponseWriter, r *http.Request, status int, fs formState) error {
	p := web.Principal(r)
	if !p.Is(scopeRoles...) {
		return apperr.New(apperr.Forbidden, "您的角色不能查看配送排线")
	}
	depots, err := s.depots(r, p)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	nodeID, _ := strconv.ParseInt(q.Get("node"), 10, 64)
	if nodeID == 0 && fs.V("node_id") != "" {
		nodeID, _ = strconv.ParseInt(fs.V("node_id"), 10, 64)
	}
	date := q.Get("date")
	if date == "" {
		date = fs.V("date")
	}
	if !validDate(date) {
		date = s.today()
	}
	if nodeID == 0 && len(depots) > 0 {
		// the depot with the most shipments that day (else the first)
		nodeID = depots[0].ID
		best := 0
		for _, d := range depots {
			var n int
			if err := s.db.QueryRowContext(r.Context(), `SELECT COUNT(*) FROM supply_shipments WHERE from_node_id = ? AND ship_on = ?`, d.ID, date).Scan(&n); err != nil {
				return err
			}
			if n > best {
				nodeID, best = d.ID, n
			}
		}
	}
	data := map[string]any{"Depots": depots, "NodeID": nodeID, "Date": date, "F": fs}
	if nodeID != 0 {
		depot, err := s.GetNode(r.Context(), p, nodeID)
		if err != nil {
			return err
		}
		ships, err := s.Shipments(r.Context(), p, nodeID, date)
		if err != nil {
			return err
		}
		plans, err := s.ListPlans(r.Context(), p, nodeID)
		if err != nil {
			return err
		}
		var planned int
		var kg int64
		for _, sh := range ships {
			if sh.Status == "planned" {
				planned++
				kg += sh.WeightG
			}
		}
		data["Depot"], data["Ships"], data["Plans"], data["Planned"], data["PlannedKg"] = depot, ships, plans, planned, FormatQty(kg, 3)
		data["CanWrite"] = canWrite(p, depot) == nil
		targets, _, err := s.ListNodes(r.Context(), p, NodeFilter{Status: NodeActive, PerPage: 500})
		if err != nil {
			return err
		}
		var topts []option
		for _, t := range targets {
			if t.ID != nodeID {
				topts = append(topts, option{strconv.FormatInt(t.ID, 10), t.Name})
			}
		}
		data["Targets"] = topts
	}
	return web.Render(w, r, status, "supply/routes.html", data)
}

func (s *Service) planPost(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	in := PlanInput{NodeID: formInt(r, "node_id"), Date: f.Get("date"), Vehicles: int(formInt(r, "vehicles")), CapacityKg: formInt(r, "capacity_kg"),
		VolumeL: formInt(r, "volume_l"), UseMatrix: f.Get("use_matrix") == "1", TimeWindows: f.Get("time_windows") == "1", Seconds: int(formInt(r, "seconds")),
		Drivers: strings.FieldsFunc(f.Get("drivers"), func(r rune) bool { return r == ',' || r == '，' || r == '、' || r == ' ' })}
	if v := strings.TrimSpace(f.Get("road_factor")); v != "" {
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return apperr.FieldErrors(map[string]string{"road_factor": "道路系数须为数字"})
		}
		in.RoadFactor = x
	}
	pl, err := s.PlanRoutes(r.Context(), web.Principal(r), in)
	if err != nil {
		return err
	}
	web.Flash(w, "排线已提交，正在后台求解")
	web.Redirect(w, r, fmt.Sprintf("/supply/plans/%d", pl.ID))
	return nil
}

func (s *Service) shipmentPost(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	in := ShipmentInput{Kind: f.Get("kind"), FromNodeID: formInt(r, "node_id"), ToNodeID: formInt(r, "to_node_id"), ShipOn: f.Get("date"),
		Ready: f.Get("ready"), Due: f.Get("due"), Description: f.Get("description")}
	kg, err := strconv.ParseFloat(strings.TrimSpace(f.Get("weight_kg")), 64)
	if err != nil {
		return apperr.FieldErrors(map[string]string{"weight_kg": "请填写重量（千克）"})
	}
	in.WeightKg = kg
	if _, err := s.CreateShipment(r.Context(), web.Principal(r), in); err != nil {
		return err
	}
	web.Flash(w, "配送单已添加")
	web.Redirect(w, r, fmt.Sprintf("/supply/routes?node=%d&date=%s", in.FromNodeID, in.ShipOn))
	return nil
}

func (s *Service) planPage(w http.ResponseWriter, r *http.Request, status int, fs formState) error {
	p := web.Principal(r)
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	pl, err := s.GetPlan(r.Context(), p, id)
	if err != nil {
		return err
	}
	depot, err := s.loadNode(r.Context(), s.db, pl.NodeID)
	if err != nil {
		return err
	}
	data := map[string]any{"Plan": pl, "Map": routeMap(pl, depot), "F": fs, "CanWrite": canWrite(p, depot) == nil, "Colors": routeColors,
		"Km": FormatQty(pl.DistanceM/100, 1)}
	if pl.Status == "solving" && pl.JobID != 0 && s.jobs != nil && s.jobs() != nil {
		if j, err := s.jobs().Get(r.Context(), p, pl.JobID); err == nil {
			data["Percent"] = j.Percent()
		}
	}
	return web.Render(w, r, status, "supply/plan.html", data)
}

func (s *Service) sheetPage(w http.ResponseWriter, r *http.Request) error {
	p := web.Principal(r)
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	pl, err := s.GetPlan(r.Context(), p, id)
	if err != nil {
		return err
	}
	no, _ := strconv.Atoi(r.URL.Query().Get("route"))
	if no < 1 || no > len(pl.Routes) {
		return apperr.New(apperr.NotFound, "线路不存在")
	}
	rt := pl.Routes[no-1]
	return web.Render(w, r, http.StatusOK, "supply/sheet.html", map[string]any{"Plan": pl, "R": rt, "Km": FormatQty(rt.DistanceM/100, 1),
		"Kg": FormatQty(rt.DeliverG, 3), "PickKg": FormatQty(rt.PickupG, 3)})
}

var routeColors = []string{"#1b7f4b", "#1565c0", "#c62828", "#ef6c00", "#6a1b9a", "#00838f", "#5d4037", "#ad1457"}

// routeMap draws the routes from coordinates as an inline SVG (no tiles): depot square, numbered stops, one
// colour per vehicle.
func routeMap(pl *Plan, depot *Node) template.HTML {
	const W, H, pad = 640.0, 420.0, 28.0
	minX, maxX, minY, maxY := depot.Lng, depot.Lng, depot.Lat, depot.Lat
	for _, r := range pl.Routes {
		for _, st := range r.Stops {
			minX, maxX = math.Min(minX, st.Lng), math.Max(maxX, st.Lng)
			minY, maxY = math.Min(minY, st.Lat), math.Max(maxY, st.Lat)
		}
	}
	// keep the aspect: one degree of longitude is cos(lat) of a degree of latitude
	kx := math.Cos((minY + maxY) / 2 * math.Pi / 180)
	spanX, spanY := math.Max((maxX-minX)*kx, 1e-6), math.Max(maxY-minY, 1e-6)
	scale := math.Min((W-2*pad)/spanX, (H-2*pad)/spanY)
	px := func(lng, lat float64) (float64, float64) {
		return pad + (lng-minX)*kx*scale + ((W-2*pad)-spanX*scale)/2, H - pad - (lat-minY)*scale - ((H-2*pad)-spanY*scale)/2
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg class="route-map" viewBox="0 0 %.0f %.0f" role="img" aria-label="配送线路图" xmlns="http://www.w3.org/2000/svg" style="width:100%%;height:auto;background:#f7faf8;border:1px solid #dde5e0;border-radius:8px">`, W, H)
	dx, dy := px(depot.Lng, depot.Lat)
	for i, r := range pl.Routes {
		c := routeColors[i%len(routeColors)]
		pts := fmt.Sprintf("%.1f,%.1f", dx, dy)
		for _, st := range r.Stops {
			x, y := px(st.Lng, st.Lat)
			pts += fmt.Sprintf(" %.1f,%.1f", x, y)
		}
		pts += fmt.Sprintf(" %.1f,%.1f", dx, dy)
		fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2.5" stroke-linejoin="round" opacity="0.85"/>`, pts, c)
	}
	for i, r := range pl.Routes {
		c := routeColors[i%len(routeColors)]
		for _, st := range r.Stops {
			x, y := px(st.Lng, st.Lat)
			fill := "#fff"
			if st.Status == "done" {
				fill = c
			}
			fmt.Fprintf(&b, `<g><title>%s（第 %d 车第 %d 站，预计 %s）</title><circle cx="%.1f" cy="%.1f" r="9" fill="%s" stroke="%s" stroke-width="2"/>`+
				`<text x="%.1f" y="%.1f" font-size="10" text-anchor="middle" fill="%s">%d</text></g>`,
				html.EscapeString(st.NodeName), r.No, st.Seq, st.Arrive, x, y, fill, c, x, y+3.5, map[bool]string{true: "#fff", false: "#222"}[st.Status == "done"], st.Seq)
		}
	}
	fmt.Fprintf(&b, `<g><title>%s（出车点）</title><rect x="%.1f" y="%.1f" width="16" height="16" fill="#222"/></g>`, html.EscapeString(depot.Name), dx-8, dy-8)
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // #nosec: every text is escaped above
}

// ---- reserves ----

func (s *Service) reservePage(w http.ResponseWriter, r *http.Request, status int, fs formState) error {
	p := web.Principal(r)
	if !p.Is(scopeRoles...) {
		return apperr.New(apperr.Forbidden, "您的角色不能查看储备与贴息")
	}
	plans, err := s.ReservePlans(r.Context(), p, false)
	if err != nil {
		return err
	}
	contracts, err := s.ReserveContracts(r.Context(), p)
	if err != nil {
		return err
	}
	budgets, err := s.Budgets(r.Context(), p)
	if err != nil {
		return err
	}
	var alerts int
	today := s.today()
	for _, x := range plans {
		if x.Alert == "below_safety" && x.FromOn <= today && x.ToOn >= today {
			alerts++
		}
	}
	data := map[string]any{"Plans": plans, "Contracts": contracts, "Budgets": budgets, "Alerts": alerts, "F": fs, "IsAdmin": p.Is(auth.CountyAdmin),
		"Today": today, "Year": time.Now().In(web.Shanghai).Year()}
	if p.Is(auth.CountyAdmin) {
		nodes, _, err := s.ListNodes(r.Context(), p, NodeFilter{Status: NodeActive, PerPage: 500})
		if err != nil {
			return err
		}
		var nopts []option
		for _, n := range nodes {
			if NodeLevel(n.Kind) != "village" {
				nopts = append(nopts, option{strconv.FormatInt(n.ID, 10), n.Name})
			}
		}
		goods, err := s.ListGoods(r.Context(), p, GoodsFilter{})
		if err != nil {
			return err
		}
		var gopts []option
		for _, g := range goods {
			gopts = append(gopts, option{strconv.FormatInt(g.ID, 10), goodsText(g) + "（" + g.Unit + "）"})
		}
		data["Nodes"], data["Goods"] = nopts, gopts
	}
	return web.Render(w, r, status, "supply/reserve.html", data)
}

func (s *Service) reservePlanPost(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	in := ReservePlanInput{NodeID: formInt(r, "node_id"), GoodsID: formInt(r, "goods_id"), Season: f.Get("season"), FromOn: f.Get("from_on"), ToOn: f.Get("to_on")}
	g, err := s.loadGoods(r.Context(), s.db, in.GoodsID)
	if err != nil {
		return apperr.FieldErrors(map[string]string{"goods_id": "请选择商品"})
	}
	fe := map[string]string{}
	if in.PlanQty, err = ParseQty(f.Get("plan_qty"), g.Decimals); err != nil {
		fe["plan_qty"] = err.Error()
	}
	if in.SafetyQty, err = ParseQty(f.Get("safety_qty"), g.Decimals); err != nil {
		fe["safety_qty"] = err.Error()
	}
	if len(fe) > 0 {
		return apperr.FieldErrors(fe)
	}
	if _, err := s.SaveReservePlan(r.Context(), web.Principal(r), in); err != nil {
		return err
	}
	web.Flash(w, "储备计划已保存")
	web.Redirect(w, r, "/supply/reserve")
	return nil
}

func (s *Service) contractPost(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	in := ReserveContractInput{No: f.Get("no"), NodeID: formInt(r, "node_id"), Lender: f.Get("lender"), StartOn: f.Get("start_on"), EndOn: f.Get("end_on")}
	fe := map[string]string{}
	var ok bool
	if in.PrincipalFen, ok = parseYuan(f.Get("principal_yuan")); !ok {
		fe["principal_fen"] = "请填写贷款本金（元）"
	}
	if rate, err := ParseQty(f.Get("rate_pct"), 4); err != nil {
		fe["rate_ppm"] = "请填写年利率（%，最多 4 位小数）"
	} else {
		in.RatePPM = rate // percent with 4 decimals = millionths
	}
	if ratio, err := ParseQty(f.Get("ratio_pct"), 2); err != nil {
		fe["ratio_bp"] = "请填写贴息比例（%，最多 2 位小数）"
	} else {
		in.RatioBP = ratio // percent with 2 decimals = ten-thousandths
	}
	if len(fe) > 0 {
		return apperr.FieldErrors(fe)
	}
	c, err := s.CreateReserveContract(r.Context(), web.Principal(r), in)
	if err != nil {
		return err
	}
	web.Flash(w, fmt.Sprintf("贴息合同已登记，核定贴息 %s 元", yuan(c.SubsidyFen)))
	web.Redirect(w, r, "/supply/reserve#contracts")
	return nil
}

// ---- prices ----

func (s *Service) pricesPage(w http.ResponseWriter, r *http.Request, status int, fs formState) error {
	p := web.Principal(r)
	items, err := s.PriceItems(r.Context(), p)
	if err != nil {
		return err
	}
	points, err := s.PricePoints(r.Context(), p)
	if err != nil {
		return err
	}
	var mine []*PricePoint
	for _, pt := range points {
		if canReportAt(p, pt) {
			mine = append(mine, pt)
		}
	}
	q := r.URL.Query()
	alerts, err := s.PriceAlerts(r.Context(), p, PriceFilter{From: time.Now().In(web.Shanghai).AddDate(0, 0, -30).Format("2006-01-02")})
	if err != nil {
		return err
	}
	itemID, _ := strconv.ParseInt(q.Get("item"), 10, 64)
	if itemID == 0 && len(alerts) > 0 {
		itemID = alerts[0].ItemID // open on what is moving
	}
	if itemID == 0 && len(items) > 0 {
		itemID = items[0].ID
	}
	from := q.Get("from")
	if !validDate(from) {
		from = time.Now().In(web.Shanghai).AddDate(0, -3, 0).Format("2006-01-02")
	}
	f := PriceFilter{ItemID: itemID, From: from, Township: q.Get("township")}
	reports, err := s.PriceReports(r.Context(), p, f)
	if err != nil {
		return err
	}
	data := map[string]any{"Items": items, "Points": mine, "ItemID": itemID, "From": from, "Reports": reports, "Alerts": alerts, "F": fs, "Today": s.today()}
	if len(reports) > 60 {
		data["Reports"] = reports[:60]
	}
	if itemID != 0 {
		series, err := s.PriceSeries(r.Context(), p, f)
		if err != nil {
			return err
		}
		var ref int64
		for _, it := range items {
			if it.ID == itemID {
				ref = it.ReferenceFen
			}
		}
		data["Chart"], data["Legend"] = priceChart(series, ref)
	}
	return web.Render(w, r, status, "supply/prices.html", data)
}

func (s *Service) pricePost(w http.ResponseWriter, r *http.Request) error {
	fen, ok := parseYuan(r.PostForm.Get("price_yuan"))
	if !ok {
		return apperr.FieldErrors(map[string]string{"price_fen": "请填写价格（元，最多 2 位小数）"})
	}
	rep, err := s.ReportPrice(r.Context(), web.Principal(r), PriceReportInput{ItemID: formInt(r, "item_id"), PointID: formInt(r, "point_id"),
		Date: r.PostForm.Get("date"), PriceFen: fen})
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("已报送：%s %s %s 元", rep.PointName, rep.ItemName, yuan(rep.PriceFen))
	if len(rep.Alerts) > 0 {
		msg += "。预警：" + strings.Join(rep.Alerts, "；")
	}
	web.Flash(w, msg)
	web.Redirect(w, r, fmt.Sprintf("/supply/prices?item=%d", rep.ItemID))
	return nil
}

// priceChart draws weekly averages per township as an inline SVG line chart, with the reference price dashed.
func priceChart(series []Series, refFen int64) (template.HTML, []map[string]string) {
	if len(series) == 0 {
		return "", nil
	}
	const W, H, left, right, top, bottom = 640.0, 280.0, 52.0, 12.0, 12.0, 36.0
	weeks := map[string]bool{}
	lo, hi := int64(math.MaxInt64), int64(0)
	for _, sr := range series {
		for _, pt := range sr.Points {
			weeks[pt.Week] = true
			lo, hi = min(lo, pt.PriceFen), max(hi, pt.PriceFen)
		}
	}
	if refFen > 0 {
		lo, hi = min(lo, refFen), max(hi, refFen)
	}
	var ws []string
	for w := range weeks {
		ws = append(ws, w)
	}
	sortStrings(ws)
	idx := map[string]int{}
	for i, w := range ws {
		idx[w] = i
	}
	span := float64(hi - lo)
	if span == 0 {
		span = 100
	}
	y0, y1 := float64(lo)-span*0.1, float64(hi)+span*0.1
	px := func(i int) float64 {
		if len(ws) == 1 {
			return left + (W-left-right)/2
		}
		return left + float64(i)*(W-left-right)/float64(len(ws)-1)
	}
	py := func(v float64) float64 { return top + (y1-v)/(y1-y0)*(H-top-bottom) }
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg viewBox="0 0 %.0f %.0f" role="img" aria-label="价格走势图" xmlns="http://www.w3.org/2000/svg" style="width:100%%;height:auto;background:#fff">`, W, H)
	for k := 0; k <= 4; k++ {
		v := y0 + (y1-y0)*float64(k)/4
		y := py(v)
		fmt.Fprintf(&b, `<line x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f" stroke="#e5e9ec"/><text x="%.0f" y="%.1f" font-size="11" text-anchor="end" fill="#667">%s</text>`,
			left, W-right, y, y, left-6, y+4, yuan(int64(v)))
	}
	step := max(1, len(ws)/6)
	for i := 0; i < len(ws); i += step {
		fmt.Fprintf(&b, `<text x="%.1f" y="%.0f" font-size="11" text-anchor="middle" fill="#667">%s</text>`, px(i), H-12, ws[i][5:])
	}
	if refFen > 0 {
		y := py(float64(refFen))
		fmt.Fprintf(&b, `<line x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f" stroke="#c62828" stroke-dasharray="6 4"/><text x="%.0f" y="%.1f" font-size="11" text-anchor="end" fill="#c62828">参考价</text>`,
			left, W-right, y, y, W-right, y-4)
	}
	var legend []map[string]string
	for i, sr := range series {
		c := routeColors[i%len(routeColors)]
		var pts []string
		for _, pt := range sr.Points {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(idx[pt.Week]), py(float64(pt.PriceFen))))
		}
		fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"><title>%s</title></polyline>`, strings.Join(pts, " "), c, html.EscapeString(sr.RegionName))
		for _, pt := range sr.Points {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"><title>%s %s 周均价 %s 元（%d 次报价）</title></circle>`, px(idx[pt.Week]), py(float64(pt.PriceFen)), c,
				html.EscapeString(sr.RegionName), pt.Week, yuan(pt.PriceFen), pt.Reports)
		}
		legend = append(legend, map[string]string{"Name": sr.RegionName, "Color": c})
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()), legend // #nosec: names escaped above
}

func sortStrings(a []string) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

func (s *Service) priceExport(w http.ResponseWriter, r *http.Request) error {
	p := web.Principal(r)
	q := r.URL.Query()
	itemID, _ := strconv.ParseInt(q.Get("item"), 10, 64)
	f := PriceFilter{ItemID: itemID, From: q.Get("from"), To: q.Get("to"), Township: q.Get("township")}
	if (f.From != "" && !validDate(f.From)) || (f.To != "" && !validDate(f.To)) {
		return apperr.FieldErrors(map[string]string{"from": "日期格式为 YYYY-MM-DD"})
	}
	list, err := s.PriceReports(r.Context(), p, f)
	if err != nil {
		return err
	}
	rows := make([][]string, 0, len(list))
	for _, x := range list {
		rows = append(rows, []string{x.Date, x.ItemName, x.Unit, x.PointName, x.RegionName, yuan(x.PriceFen), x.Reporter, strings.Join(x.Alerts, "；")})
	}
	var buf bytes.Buffer
	if err := tabular.WriteXLSX(&buf, tabular.Sheet{Name: "价格监测表", Header: []string{"日期", "品种", "单位", "监测点", "所在地", "价格（元）", "报送人", "预警"}, Rows: rows}); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="price-monitoring.xlsx"; filename*=UTF-8''`+url.PathEscape("价格监测表.xlsx"))
	_, err = w.Write(buf.Bytes())
	return err
}
