package supply

import (
	"net/http"
	"strconv"
	"strings"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/web"
)

// handle registers a JSON operation whose body (if any) decodes into In and whose result is written as Out.
func handle[In any, Out any](srv *web.Server, op web.Op, fn func(r *http.Request, p *auth.Principal, in In) (Out, error)) {
	var in In
	if _, empty := any(in).(none); !empty && op.Method != "GET" {
		op.Request = in
	}
	var out Out
	op.Response = out
	status := op.Status
	if status == 0 {
		status = http.StatusOK
	}
	srv.Handle(op, func(w http.ResponseWriter, r *http.Request) error {
		var in In
		if r.Method != "GET" && r.ContentLength != 0 {
			if err := web.DecodeJSON(r, &in); err != nil {
				return err
			}
		}
		out, err := fn(r, web.Principal(r), in)
		if err != nil {
			return err
		}
		web.WriteJSON(w, status, out)
		return nil
	})
}

type none struct{}

func list[T any](items []T) web.List[T] {
	if items == nil {
		items = []T{}
	}
	return web.List[T]{Items: items, Total: len(items), Page: 1, PerPage: len(items)}
}

func pathInt(r *http.Request, name string) (int, error) {
	v, err := strconv.Atoi(r.PathValue(name))
	if err != nil || v <= 0 {
		return 0, apperr.New(apperr.NotFound, "路径参数不正确")
	}
	return v, nil
}

// BudgetInput sets a year's subsidy budget.
type BudgetInput struct {
	BudgetFen int64 `json:"budget_fen" doc:"年度贴息预算（分），不少于 10 万元"`
}

// PayInput marks a subsidy paid.
type PayInput struct {
	PaidOn string `json:"paid_on"`
}

// AllocateInput allocates a round's goods.
type AllocateInput struct {
	ShipOn string `json:"ship_on" doc:"配送日期，默认今天"`
}

func (s *Service) flowRoutes(srv *web.Server) {
	const tag = "supply"
	handle(srv, web.Op{Method: "PUT", Path: "/api/v1/supply/nodes/{id}", Summary: "修改网点", Tag: tag, Roles: writeRoles},
		func(r *http.Request, p *auth.Principal, in NodeInput) (Node, error) {
			id, err := web.PathID(r, "id")
			if err != nil {
				return Node{}, err
			}
			n, err := s.UpdateNode(r.Context(), p, id, in)
			if err != nil {
				return Node{}, err
			}
			return *n, nil
		})
	// 集采集配
	handle(srv, web.Op{Method: "GET", Path: "/api/v1/supply/pools", Summary: "集采批次（员工：本县；会员：征集中和参与过的）", Tag: tag, Query: []string{"status"},
		Roles: readRoles}, func(r *http.Request, p *auth.Principal, _ none) (web.List[Pool], error) {
		l, err := s.ListPools(r.Context(), p, r.URL.Query().Get("status"))
		return list(web.Deref(l)), err
	})
	handle(srv, web.Op{Method: "POST", Path: "/api/v1/supply/pools", Summary: "发起集采批次（商品、阶梯价、征集期、自提点）", Tag: tag, Status: 201, Roles: "county_admin"},
		func(r *http.Request, p *auth.Principal, in PoolInput) (Pool, error) {
			x, err := s.CreatePool(r.Context(), p, in)
			if err != nil {
				return Pool{}, err
			}
			return *x, nil
		})
	handle(srv, web.Op{Method: "GET", Path: "/api/v1/supply/pools/{id}", Summary: "集采批次详情（商品、当前阶梯价、采购订单）", Tag: tag, Roles: readRoles},
		func(r *http.Request, p *auth.Principal, _ none) (Pool, error) {
			id, err := web.PathID(r, "id")
			if err != nil {
				return Pool{}, err
			}
			x, err := s.GetPool(r.Context(), p, id)
			if err != nil {
				return Pool{}, err
			}
			return *x, nil
		})
	handle(srv, web.Op{Method: "GET", Path: "/api/v1/supply/pools/{id}/demands", Summary: "集采需求（员工：管辖范围内自提点；会员：本人）", Tag: tag, Roles: readRoles},
		func(r *http.Request, p *auth.Principal, _ none) (web.List[Demand], error) {
			id, err := web.PathID(r, "id")
			if err != nil {
				return web.List[Demand]{}, err
			}
			l, err := s.Demands(r.Context(), p, id)
			return list(web.Deref(l)), err
		})
	handle(srv, web.Op{Method: "POST", Path: "/api/v1/supply/pools/{id}/demands", Summary: "登记集采需求（会员本人或员工代录；数量 0 为撤回）", Tag: tag, Status: 201,
		Roles: "member、provider（本主体）；county_admin、township_operator（代录，管辖范围内自提点）"},
		func(r *http.Request, p *auth.Principal, in DemandInput) (*Demand, error) {
			id, err := web.PathID(r, "id")
			if err != nil {
				return nil, err
			}
			return s.PlaceDemand(r.Context(), p, id, in)
		})
	handle(srv, web.Op{Method: "POST", Path: "/api/v1/supply/pools/{id}/close", Summary: "截单：按供应商生成采购订单（阶梯价、节约金额）", Tag: tag, Roles: "county_admin"},
		func(r *http.Request, p *auth.Principal, _ none) (Pool, error) {
			id, err := web.PathID(r, "id")
			if err != nil {
				return Pool{}, err
			}
			x, err := s.ClosePool(r.Context(), p, id)
			if err != nil {
				return Pool{}, err
			}
			return *x, nil
		})
	handle(srv, web.Op{Method: "POST", Path: "/api/v1/supply/orders/{id}/receive", Summary: "采购订单到货入库（县级节点入库流水；可短交）", Tag: tag, Roles: "county_admin"},
		func(r *http.Request, p *auth.Principal, in ReceiveInput) (Pool, error) {
			id, err := web.PathID(r, "id")
			if err != nil {
				return Pool{}, err
			}
			x, err := s.ReceiveOrder(r.Context(), p, id, in)
			if err != nil {
				return Pool{}, err
			}
			return *x, nil
		})
	handle(srv, web.Op{Method: "POST", Path: "/api/v1/supply/pools/{id}/allocate", Summary: "按需求分配到货（不足时按比例、最大余数），生成配送单", Tag: tag, Roles: "county_admin"},
		func(r *http.Request, p *auth.Principal, in AllocateInput) (Pool, error) {
			id, err := web.PathID(r, "id")
			if err != nil {
				return Pool{}, err
			}
			x, err := s.AllocatePool(r.Context(), p, id, in.ShipOn)
			if err != nil {
				return Pool{}, err
			}
			return *x, nil
		})
	handle(srv, web.Op{Method: "POST", Path: "/api/v1/supply/demands/{id}/handover", Summary: "向会员交付（签收）：自提点出库", Tag: tag, Roles: writeRoles},
		func(r *http.Request, p *auth.Principal, in HandoverInput) (*Demand, error) {
			id, err := web.PathID(r, "id")
			if err != nil {
				return nil, err
			}
			return s.Handover(r.Context(), p, id, in)
		})
	handle(srv, web.Op{Method: "GET", Path: "/api/v1/supply/pools/{id}/reconciliation", Summary: "集采对账：每户需求 = 已交付 + 短缺 + 待交付", Tag: tag,
		Roles: "county_admin、township_operator、department、taskforce、viewer"}, func(r *http.Request, p *auth.Principal, _ none) (*Reconciliation, error) {
		id, err := web.PathID(r, "id")
		if err != nil {
			return nil, err
		}
		return s.Reconcile(r.Context(), p, id)
	})
	// shipments and routes
	handle(srv, web.Op{Method: "GET", Path: "/api/v1/supply/shipments", Summary: "某节点某日的配送单（送货与回程揽收）", Tag: tag, Query: []string{"node_id", "date"}, Roles: readRoles},
		func(r *http.Request, p *auth.Principal, _ none) (web.List[Shipment], error) {
			nid, err := queryID(r, "node_id")
			if err != nil {
				return web.List[Shipment]{}, err
			}
			date := r.URL.Query().Get("date")
			if date == "" {
				date = s.today()
			}
			l, err := s.Shipments(r.Context(), p, nid, date)
			return list(web.Deref(l)), err
		})
	handle(srv, web.Op{Method: "POST", Path: "/api/v1/supply/shipments", Summary: "新增配送单（送货或回程揽收：农产品、包裹）", Tag: tag, Status: 201, Roles: writeRoles},
		func(r *http.Request, p *auth.Principal, in ShipmentInput) (*Shipment, error) {
			return s.CreateShipment(r.Context(), p, in)
		})
	handle(srv, web.Op{Method: "POST", Path: "/api/v1/supply/shipments/{id}/deliver", Summary: "单独登记一张配送单送达（库存调拨）", Tag: tag, Roles: writeRoles},
		func(r *http.Request, p *auth.Principal, _ none) (map[string]bool, error) {
			id, err := web.PathID(r, "id")
			if err != nil {
				return nil, err
			}
			return map[string]bool{"ok": true}, s.DeliverShipment(r.Context(), p, id)
		})
	handle(srv, web.Op{Method: "POST", Path: "/api/v1/supply/plans", Summary: "配送排线：当日待排线配送单 → 车辆路线（后台求解，轮询方案状态）", Tag: tag, Status: 201,
		Roles: writeRoles}, func(r *http.Request, p *auth.Principal, in PlanInput) (*Plan, error) {
		return s.PlanRoutes(r.Context(), p, in)
	})
	handle(srv, web.Op{Method: "GET", Path: "/api/v1/supply/plans", Summary: "某节点的排线方案", Tag: tag, Query: []string{"node_id"}, Roles: readRoles},
		func(r *http.Request, p *auth.Principal, _ none) (web.List[Plan], error) {
			nid, err := queryID(r, "node_id")
			if err != nil {
				return web.List[Plan]{}, err
			}
			l, err := s.ListPlans(r.Context(), p, nid)
			return list(web.Deref(l)), err
		})
	handle(srv, web.Op{Method: "GET", Path: "/api/v1/supply/plans/{id}", Summary: "排线方案（线路、站点、预计到达）", Tag: tag, Roles: readRoles},
		func(r *http.Request, p *auth.Principal, _ none) (*Plan, error) {
			id, err := web.PathID(r, "id")
			if err != nil {
				return nil, err
			}
			return s.GetPlan(r.Context(), p, id)
		})
	handle(srv, web.Op{Method: "POST", Path: "/api/v1/supply/plans/{id}/routes/{route}/stops/{seq}", Summary: "登记站点送达/未送达", Tag: tag, Roles: writeRoles},
		func(r *http.Request, p *auth.Principal, in StopInput) (*Plan, error) {
			id, err := web.PathID(r, "id")
			if err != nil {
				return nil, err
			}
			route, err := pathInt(r, "route")
			if err != nil {
				return nil, err
			}
			seq, err := pathInt(r, "seq")
			if err != nil {
				return nil, err
			}
			return s.RecordStop(r.Context(), p, id, route, seq, in)
		})
	// reserves
	handle(srv, web.Op{Method: "GET", Path: "/api/v1/supply/reserve/plans", Summary: "储备计划与现有库存、覆盖率、预警", Tag: tag, Query: []string{"alerts"}, Roles: readRoles},
		func(r *http.Request, p *auth.Principal, _ none) (web.List[ReservePlan], error) {
			l, err := s.ReservePlans(r.Context(), p, r.URL.Query().Get("alerts") == "1")
			return list(web.Deref(l)), err
		})
	handle(srv, web.Op{Method: "POST", Path: "/api/v1/supply/reserve/plans", Summary: "设定储备计划（节点 × 商品 × 季节）", Tag: tag, Status: 201, Roles: "county_admin"},
		func(r *http.Request, p *auth.Principal, in ReservePlanInput) (*ReservePlan, error) {
			return s.SaveReservePlan(r.Context(), p, in)
		})
	handle(srv, web.Op{Method: "GET", Path: "/api/v1/supply/reserve/contracts", Summary: "储备贷款贴息合同", Tag: tag, Roles: "county_admin、township_operator、department、taskforce、viewer"},
		func(r *http.Request, p *auth.Principal, _ none) (web.List[ReserveContract], error) {
			l, err := s.ReserveContracts(r.Context(), p)
			return list(l), err
		})
	handle(srv, web.Op{Method: "POST", Path: "/api/v1/supply/reserve/contracts", Summary: "登记储备贷款合同，核定贴息 = 本金 × 年利率 × 天数 / 360 × 贴息比例（分，四舍五入）", Tag: tag,
		Status: 201, Roles: "county_admin"}, func(r *http.Request, p *auth.Principal, in ReserveContractInput) (*ReserveContract, error) {
		return s.CreateReserveContract(r.Context(), p, in)
	})
	handle(srv, web.Op{Method: "POST", Path: "/api/v1/supply/reserve/contracts/{id}/pay", Summary: "拨付贴息", Tag: tag, Roles: "county_admin"},
		func(r *http.Request, p *auth.Principal, in PayInput) (*ReserveContract, error) {
			id, err := web.PathID(r, "id")
			if err != nil {
				return nil, err
			}
			return s.PaySubsidy(r.Context(), p, id, in.PaidOn)
		})
	handle(srv, web.Op{Method: "GET", Path: "/api/v1/supply/reserve/budgets", Summary: "年度贴息预算与使用", Tag: tag, Roles: "county_admin、township_operator、department、taskforce、viewer"},
		func(r *http.Request, p *auth.Principal, _ none) (web.List[BudgetYear], error) {
			l, err := s.Budgets(r.Context(), p)
			return list(web.Deref(l)), err
		})
	handle(srv, web.Op{Method: "PUT", Path: "/api/v1/supply/reserve/budgets/{year}", Summary: "设定年度贴息预算（不少于 10 万元）", Tag: tag, Roles: "county_admin"},
		func(r *http.Request, p *auth.Principal, in BudgetInput) (*BudgetYear, error) {
			y, err := pathInt(r, "year")
			if err != nil {
				return nil, err
			}
			return s.SetBudget(r.Context(), p, y, in.BudgetFen)
		})
	// prices
	handle(srv, web.Op{Method: "GET", Path: "/api/v1/supply/prices/items", Summary: "价格监测品种", Tag: tag, Roles: readRoles},
		func(r *http.Request, p *auth.Principal, _ none) (web.List[PriceItem], error) {
			l, err := s.PriceItems(r.Context(), p)
			return list(web.Deref(l)), err
		})
	handle(srv, web.Op{Method: "POST", Path: "/api/v1/supply/prices/items", Summary: "新增监测品种（参考价、周环比阈值）", Tag: tag, Status: 201, Roles: "county_admin"},
		func(r *http.Request, p *auth.Principal, in PriceItemInput) (*PriceItem, error) {
			return s.CreatePriceItem(r.Context(), p, in)
		})
	handle(srv, web.Op{Method: "GET", Path: "/api/v1/supply/prices/points", Summary: "价格监测点", Tag: tag, Roles: readRoles},
		func(r *http.Request, p *auth.Principal, _ none) (web.List[PricePoint], error) {
			l, err := s.PricePoints(r.Context(), p)
			return list(web.Deref(l)), err
		})
	handle(srv, web.Op{Method: "POST", Path: "/api/v1/supply/prices/points", Summary: "新增监测点", Tag: tag, Status: 201, Roles: "county_admin"},
		func(r *http.Request, p *auth.Principal, in PricePointInput) (*PricePoint, error) {
			return s.CreatePricePoint(r.Context(), p, in)
		})
	handle(srv, web.Op{Method: "GET", Path: "/api/v1/supply/prices/reports", Summary: "价格监测表", Tag: tag, Query: []string{"item_id", "township", "from", "to"}, Roles: readRoles},
		func(r *http.Request, p *auth.Principal, _ none) (web.List[PriceReport], error) {
			f, err := priceFilter(r)
			if err != nil {
				return web.List[PriceReport]{}, err
			}
			l, err := s.PriceReports(r.Context(), p, f)
			return list(web.Deref(l)), err
		})
	handle(srv, web.Op{Method: "POST", Path: "/api/v1/supply/prices/reports", Summary: "报送价格（员工或网点运营者；同日同点再报则覆盖），返回触发的预警", Tag: tag, Status: 201,
		Roles: "county_admin、township_operator（管辖范围内）；provider、member（本主体运营网点的监测点）"},
		func(r *http.Request, p *auth.Principal, in PriceReportInput) (*PriceReport, error) {
			return s.ReportPrice(r.Context(), p, in)
		})
	handle(srv, web.Op{Method: "GET", Path: "/api/v1/supply/prices/series", Summary: "某品种各乡镇周均价", Tag: tag, Query: []string{"item_id", "from", "to"}, Roles: readRoles},
		func(r *http.Request, p *auth.Principal, _ none) (web.List[Series], error) {
			f, err := priceFilter(r)
			if err != nil {
				return web.List[Series]{}, err
			}
			l, err := s.PriceSeries(r.Context(), p, f)
			return list(l), err
		})
	handle(srv, web.Op{Method: "GET", Path: "/api/v1/supply/prices/alerts", Summary: "价格预警（周环比超阈值、超参考价）", Tag: tag, Query: []string{"from", "to"}, Roles: readRoles},
		func(r *http.Request, p *auth.Principal, _ none) (web.List[PriceAlert], error) {
			f, err := priceFilter(r)
			if err != nil {
				return web.List[PriceAlert]{}, err
			}
			l, err := s.PriceAlerts(r.Context(), p, f)
			return list(l), err
		})
}

func priceFilter(r *http.Request) (PriceFilter, error) {
	q := r.URL.Query()
	id, err := queryID(r, "item_id")
	if err != nil {
		return PriceFilter{}, err
	}
	f := PriceFilter{ItemID: id, Township: strings.TrimSpace(q.Get("township")), From: q.Get("from"), To: q.Get("to")}
	for k, v := range map[string]string{"from": f.From, "to": f.To} {
		if v != "" && !validDate(v) {
			return f, apperr.FieldErrors(map[string]string{k: "日期格式为 YYYY-MM-DD"})
		}
	}
	return f, nil
}
