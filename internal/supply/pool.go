package supply

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/region"
)

// 集采集配 (pooled procurement and distribution). A round (Pool) lists goods with a supplier, a list price and
// volume price tiers, a window and the pickup nodes; members place demand (or staff on their behalf); closing the
// round turns the demand into one purchase order per supplier at the tier price the pooled quantity reaches; the
// goods are received into the round's hub (a county node) as ledger receipts; allocation gives every demand its
// share of what arrived (all of it, or a largest-remainder share when short) and creates one shipment per pickup
// node and goods; delivering a shipment is a two-sided ledger transfer hub → pickup node; handing over is an issue
// at the pickup node with the member's signature. Every unit of every demand ends as handed or as shortfall.
//
// Quantities are in the goods' smallest units (as in the ledger); prices are 分 per display unit; an amount is
// qty × price / 10^decimals rounded half up to the 分.

// Pool statuses.
const (
	PoolOpen      = "open"
	PoolOrdered   = "ordered"
	PoolReceived  = "received"
	PoolAllocated = "allocated"
	PoolDone      = "done"
)

// PoolStatusLabel is a status's Chinese name.
func PoolStatusLabel(s string) string {
	switch s {
	case PoolOpen:
		return "征集需求中"
	case PoolOrdered:
		return "已截单下单"
	case PoolReceived:
		return "已到货入库"
	case PoolAllocated:
		return "已分配配送"
	case PoolDone:
		return "已全部交付"
	}
	return s
}

// Tier is a volume price: from MinQty (smallest units, pooled total) the unit price is PriceFen.
type Tier struct {
	MinQty   int64 `json:"min_qty"`
	PriceFen int64 `json:"price_fen"`
}

// PoolItemInput is one goods item of a round.
type PoolItemInput struct {
	GoodsID      int64  `json:"goods_id"`
	Supplier     string `json:"supplier"`
	ListPriceFen int64  `json:"list_price_fen" doc:"市场零售价（分/计量单位）"`
	Tiers        []Tier `json:"tiers" doc:"阶梯价：合计需求达到 min_qty（最小单位）时的单价（分/计量单位）"`
}

// PoolInput opens a round.
type PoolInput struct {
	Name      string          `json:"name"`
	HubNodeID int64           `json:"hub_node_id" doc:"到货的县级节点（仓储中心或集采集配中心）"`
	OpensOn   string          `json:"opens_on" doc:"YYYY-MM-DD"`
	ClosesOn  string          `json:"closes_on" doc:"YYYY-MM-DD"`
	NodeIDs   []int64         `json:"node_ids" doc:"自提点（乡镇节点、村级点、网点、服务站；可含县级节点本身）"`
	Items     []PoolItemInput `json:"items"`
	Note      string          `json:"note"`
}

// PoolItem is a goods item of a round with its pooled demand.
type PoolItem struct {
	ID           int64  `json:"id"`
	GoodsID      int64  `json:"goods_id"`
	GoodsName    string `json:"goods_name"`
	Unit         string `json:"unit"`
	Decimals     int    `json:"decimals"`
	Supplier     string `json:"supplier"`
	ListPriceFen int64  `json:"list_price_fen"`
	Tiers        []Tier `json:"tiers"`
	DemandQty    int64  `json:"demand_qty"`
	PriceFen     int64  `json:"price_fen" doc:"按当前合计需求达到的阶梯单价"`
	weightG      int64
	volumeML     int64
}

// Pool is a pooling round.
type Pool struct {
	ID          int64       `json:"id"`
	No          string      `json:"no"`
	Name        string      `json:"name"`
	HubNodeID   int64       `json:"hub_node_id"`
	HubName     string      `json:"hub_name"`
	OpensOn     string      `json:"opens_on"`
	ClosesOn    string      `json:"closes_on"`
	Status      string      `json:"status"`
	StatusLabel string      `json:"status_label"`
	Note        string      `json:"note"`
	CountyCode  string      `json:"county_code"`
	Nodes       []*Node     `json:"nodes,omitempty"`
	Items       []*PoolItem `json:"items,omitempty"`
	Orders      []*Order    `json:"orders,omitempty"`
	Members     int         `json:"members"`
	ListFen     int64       `json:"list_fen" doc:"按零售价的合计金额（分）"`
	AmountFen   int64       `json:"amount_fen" doc:"集采金额（分）"`
	SavingFen   int64       `json:"saving_fen" doc:"节约金额（分）"`
	CreatedAt   time.Time   `json:"created_at"`
}

// Order is a consolidated purchase order to one supplier.
type Order struct {
	ID         int64        `json:"id"`
	No         string       `json:"no"`
	Supplier   string       `json:"supplier"`
	Status     string       `json:"status" doc:"ordered 或 received"`
	ListFen    int64        `json:"list_fen"`
	AmountFen  int64        `json:"amount_fen"`
	SavingFen  int64        `json:"saving_fen"`
	ReceivedOn string       `json:"received_on"`
	Lines      []*OrderLine `json:"lines"`
}

// OrderLine is one goods item of a purchase order.
type OrderLine struct {
	ItemID       int64  `json:"item_id"`
	GoodsID      int64  `json:"goods_id"`
	GoodsName    string `json:"goods_name"`
	Unit         string `json:"unit"`
	Decimals     int    `json:"decimals"`
	Qty          int64  `json:"qty"`
	Received     int64  `json:"received"`
	UnitPriceFen int64  `json:"unit_price_fen"`
	ListPriceFen int64  `json:"list_price_fen"`
	AmountFen    int64  `json:"amount_fen"`
	ListFen      int64  `json:"list_fen"`
}

// Demand is one member's demand for one item of a round, and what became of it.
type Demand struct {
	ID          int64  `json:"id"`
	PoolID      int64  `json:"pool_id"`
	ItemID      int64  `json:"item_id"`
	GoodsName   string `json:"goods_name"`
	Unit        string `json:"unit"`
	Decimals    int    `json:"decimals"`
	SubjectID   int64  `json:"subject_id"`
	SubjectName string `json:"subject_name"`
	NodeID      int64  `json:"node_id"`
	NodeName    string `json:"node_name"`
	Qty         int64  `json:"qty"`
	Allocated   int64  `json:"allocated"`
	Delivered   int64  `json:"delivered" doc:"已送达自提点的数量"`
	Handed      int64  `json:"handed"`
	Shortfall   int64  `json:"shortfall" doc:"到货不足未能分配的数量"`
	Pending     int64  `json:"pending" doc:"已分配未交付"`
	HandedOn    string `json:"handed_on"`
	Signer      string `json:"signer"`
	ReceiptNo   string `json:"receipt_no"`
	EnteredBy   string `json:"entered_by"`
}

// DemandInput places (or changes; qty 0 withdraws) a demand.
type DemandInput struct {
	ItemID    int64 `json:"item_id"`
	SubjectID int64 `json:"subject_id" doc:"代录时填写农户/主体编号；会员本人下单时省略"`
	NodeID    int64 `json:"node_id" doc:"自提点"`
	Qty       int64 `json:"qty" doc:"最小单位整数；0 表示撤回"`
}

// ReceiveInput receives an order into the hub.
type ReceiveInput struct {
	Date  string        `json:"date"`
	Lines []ReceiveLine `json:"lines" doc:"省略时按订单数量全部到货"`
}

// ReceiveLine is the quantity that arrived for one item.
type ReceiveLine struct {
	ItemID int64 `json:"item_id"`
	Qty    int64 `json:"qty"`
}

// HandoverInput records a hand-over to a member with a signed receipt.
type HandoverInput struct {
	Qty    int64  `json:"qty" doc:"省略时交付全部待交付数量"`
	Signer string `json:"signer" doc:"签收人姓名"`
	Date   string `json:"date"`
}

var (
	errNoPool   = apperr.New(apperr.NotFound, "集采批次不存在或不在您的管辖范围内")
	errNoDemand = apperr.New(apperr.NotFound, "需求登记不存在或不在您的管辖范围内")
)

func pow10(d int) int64 {
	u := int64(1)
	for range d {
		u *= 10
	}
	return u
}

// Amount is qty (smallest units) × price (分 per display unit) / 10^decimals, rounded half up to the 分.
func Amount(qty, priceFen int64, decimals int) int64 {
	u := pow10(decimals)
	return (qty*priceFen + u/2) / u
}

// TierPrice is the unit price a pooled total reaches: the tier with the largest MinQty ≤ total, else list.
func TierPrice(list int64, tiers []Tier, total int64) int64 {
	p := list
	best := int64(-1)
	for _, t := range tiers {
		if total >= t.MinQty && t.MinQty > best {
			best, p = t.MinQty, t.PriceFen
		}
	}
	return p
}

func encodeTiers(ts []Tier) string {
	var parts []string
	for _, t := range ts {
		parts = append(parts, fmt.Sprintf("%d:%d", t.MinQty, t.PriceFen))
	}
	return strings.Join(parts, ",")
}

func decodeTiers(s string) []Tier {
	out := []Tier{}
	for _, p := range strings.Split(s, ",") {
		a, b, ok := strings.Cut(p, ":")
		if !ok {
			continue
		}
		q, _ := strconv.ParseInt(a, 10, 64)
		f, _ := strconv.ParseInt(b, 10, 64)
		out = append(out, Tier{q, f})
	}
	return out
}

func validDate(v string) bool {
	t, err := time.Parse("2006-01-02", v)
	return err == nil && t.Format("2006-01-02") == v
}

// inCounty reports whether p's scope touches county (6 digits): county-level documents (rounds, price items)
// are visible to every scoped staff of the county.
func inCounty(p *auth.Principal, county string) bool {
	for _, pre := range p.ScopePrefixes() {
		if strings.HasPrefix(pre, county) || strings.HasPrefix(county, pre) {
			return true
		}
	}
	return false
}

func principalCounty(p *auth.Principal) string {
	if len(p.Scopes) > 0 {
		return region.County(p.Scopes[0])
	}
	return ""
}

// CreatePool opens a round (county_admin; the hub must be a county-level node the admin may write).
func (s *Service) CreatePool(ctx context.Context, p *auth.Principal, in PoolInput) (*Pool, error) {
	if !p.Is(auth.CountyAdmin) {
		return nil, apperr.New(apperr.Forbidden, "只有县级管理员可以发起集采批次")
	}
	fe := map[string]string{}
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 60 {
		fe["name"] = "请填写批次名称（不超过 60 字）"
	}
	if !validDate(in.OpensOn) {
		fe["opens_on"] = "开始日期格式为 YYYY-MM-DD"
	}
	if !validDate(in.ClosesOn) {
		fe["closes_on"] = "截止日期格式为 YYYY-MM-DD"
	} else if in.ClosesOn < in.OpensOn {
		fe["closes_on"] = "截止日期不能早于开始日期"
	}
	hub, err := s.loadNode(ctx, s.db, in.HubNodeID)
	switch {
	case errors.Is(err, errNoNode):
		fe["hub_node_id"] = "请选择到货的县级节点"
	case err != nil:
		return nil, err
	case NodeLevel(hub.Kind) != "county" || canWrite(p, hub) != nil || hub.Status != NodeActive:
		fe["hub_node_id"] = "到货节点须是您管辖范围内运营中的县级节点（仓储中心、集采集配中心或冷链仓库）"
	}
	var nodes []*Node
	seenNode := map[int64]bool{}
	for _, id := range in.NodeIDs {
		if seenNode[id] {
			continue
		}
		seenNode[id] = true
		n, err := s.loadNode(ctx, s.db, id)
		if err != nil || !canRead(p, n) || n.Status != NodeActive {
			fe["node_ids"] = fmt.Sprintf("自提点 %d 不存在、未运营或不在管辖范围内", id)
			continue
		}
		nodes = append(nodes, n)
	}
	if len(nodes) == 0 && fe["node_ids"] == "" {
		fe["node_ids"] = "请至少选择一个自提点"
	}
	if len(in.Items) == 0 {
		fe["items"] = "请至少添加一种商品"
	}
	seenGoods := map[int64]bool{}
	for i, it := range in.Items {
		k := fmt.Sprintf("items[%d]", i)
		if _, err := s.loadGoods(ctx, s.db, it.GoodsID); err != nil {
			fe[k+".goods_id"] = "商品不存在"
		} else if seenGoods[it.GoodsID] {
			fe[k+".goods_id"] = "同一商品只能列一次"
		}
		seenGoods[it.GoodsID] = true
		in.Items[i].Supplier = strings.TrimSpace(it.Supplier)
		if in.Items[i].Supplier == "" || utf8.RuneCountInString(it.Supplier) > 60 {
			fe[k+".supplier"] = "请填写供应商（不超过 60 字）"
		}
		if it.ListPriceFen <= 0 {
			fe[k+".list_price_fen"] = "零售价须大于 0"
		}
		for _, t := range it.Tiers {
			if t.MinQty <= 0 || t.PriceFen <= 0 || t.PriceFen > it.ListPriceFen {
				fe[k+".tiers"] = "阶梯价的起订量须大于 0，单价须大于 0 且不高于零售价"
			}
		}
	}
	if len(fe) > 0 {
		return nil, apperr.FieldErrors(fe)
	}
	var id int64
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		var e error
		id, e = s.createPoolTx(ctx, tx, p.Actor(), hub, in, nodes)
		return e
	})
	if err != nil {
		return nil, err
	}
	return s.GetPool(ctx, p, id)
}

func (s *Service) createPoolTx(ctx context.Context, tx *db.Tx, actor audit.Actor, hub *Node, in PoolInput, nodes []*Node) (int64, error) {
	at := s.now().UTC().Truncate(time.Microsecond)
	id := tx.NextID()
	no := "JC" + strings.ReplaceAll(in.OpensOn, "-", "") + "-" + strconv.FormatInt(id%100000, 10)
	if _, err := tx.ExecContext(ctx, `INSERT INTO supply_pools (id, county_code, no, name, hub_node_id, opens_on, closes_on, status, note, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, region.County(hub.RegionCode), no, in.Name, hub.ID, in.OpensOn, in.ClosesOn, PoolOpen,
		strings.TrimSpace(in.Note), actor.Name, at); err != nil {
		return 0, fmt.Errorf("insert pool: %w", err)
	}
	for _, it := range in.Items {
		sort.Slice(it.Tiers, func(i, j int) bool { return it.Tiers[i].MinQty < it.Tiers[j].MinQty })
		if _, err := tx.ExecContext(ctx, `INSERT INTO supply_pool_items (id, pool_id, goods_id, supplier, list_price_fen, tiers) VALUES (?, ?, ?, ?, ?, ?)`,
			tx.NextID(), id, it.GoodsID, it.Supplier, it.ListPriceFen, encodeTiers(it.Tiers)); err != nil {
			return 0, fmt.Errorf("insert pool item: %w", err)
		}
	}
	for _, n := range nodes {
		if _, err := tx.ExecContext(ctx, `INSERT INTO supply_pool_nodes (pool_id, node_id) VALUES (?, ?)`, id, n.ID); err != nil {
			return 0, fmt.Errorf("insert pool node: %w", err)
		}
	}
	return id, audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "create", Entity: "supply_pool", EntityID: id,
		Summary: "发起集采批次：" + in.Name, After: in})
}

const poolCols = `id, county_code, no, name, hub_node_id, opens_on, closes_on, status, note, created_at`

func scanPool(sc interface{ Scan(...any) error }) (*Pool, error) {
	x := &Pool{}
	if err := sc.Scan(&x.ID, &x.CountyCode, &x.No, &x.Name, &x.HubNodeID, &x.OpensOn, &x.ClosesOn, &x.Status, &x.Note, &x.CreatedAt); err != nil {
		return nil, err
	}
	x.StatusLabel = PoolStatusLabel(x.Status)
	x.CreatedAt = x.CreatedAt.UTC()
	return x, nil
}

func (s *Service) loadPool(ctx context.Context, q db.Querier, id int64) (*Pool, error) {
	x, err := scanPool(q.QueryRowContext(ctx, `SELECT `+poolCols+` FROM supply_pools WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoPool
	}
	if err != nil {
		return nil, fmt.Errorf("get pool %d: %w", id, err)
	}
	return x, nil
}

// canReadPool: staff of the county see every round; members and providers see open rounds and those they
// placed demand in.
func (s *Service) canReadPool(ctx context.Context, p *auth.Principal, x *Pool) bool {
	if p.Is(scopeRoles...) {
		return inCounty(p, x.CountyCode)
	}
	if p.Is(selfRoles...) && p.SubjectID != 0 {
		if x.Status == PoolOpen {
			return true
		}
		var n int
		_ = s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM supply_pool_demands WHERE pool_id = ? AND subject_id = ?`, x.ID, p.SubjectID).Scan(&n)
		return n > 0
	}
	return false
}

// ListPools lists the rounds p may see, newest first.
func (s *Service) ListPools(ctx context.Context, p *auth.Principal, status string) ([]*Pool, error) {
	where, args := "1 = 1", []any{}
	if status != "" {
		where += " AND status = ?"
		args = append(args, status)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+poolCols+` FROM supply_pools WHERE `+where+` ORDER BY opens_on DESC, id DESC LIMIT 500`, args...)
	if err != nil {
		return nil, fmt.Errorf("list pools: %w", err)
	}
	var all []*Pool
	for rows.Next() {
		x, err := scanPool(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		all = append(all, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []*Pool
	for _, x := range all {
		if s.canReadPool(ctx, p, x) {
			if err := s.poolTotals(ctx, s.db, x); err != nil {
				return nil, err
			}
			out = append(out, x)
		}
	}
	return out, nil
}

// poolTotals fills items with their pooled demand and tier price, and the round's list/amount/saving: from the
// orders once closed, else from the current demand.
func (s *Service) poolTotals(ctx context.Context, q db.Querier, x *Pool) error {
	rows, err := q.QueryContext(ctx, `SELECT i.id, i.goods_id, g.name, g.spec, g.unit, g.decimals, i.supplier, i.list_price_fen, i.tiers,
		g.unit_weight_g, g.unit_volume_ml, COALESCE((SELECT SUM(d.qty) FROM supply_pool_demands d WHERE d.item_id = i.id), 0)
		FROM supply_pool_items i JOIN supply_goods g ON g.id = i.goods_id WHERE i.pool_id = ? ORDER BY i.id`, x.ID)
	if err != nil {
		return fmt.Errorf("pool items: %w", err)
	}
	defer rows.Close()
	x.Items = nil
	x.ListFen, x.AmountFen = 0, 0
	for rows.Next() {
		it := &PoolItem{}
		var spec, tiers string
		if err := rows.Scan(&it.ID, &it.GoodsID, &it.GoodsName, &spec, &it.Unit, &it.Decimals, &it.Supplier, &it.ListPriceFen, &tiers,
			&it.weightG, &it.volumeML, &it.DemandQty); err != nil {
			return err
		}
		if spec != "" {
			it.GoodsName += "（" + spec + "）"
		}
		it.Tiers = decodeTiers(tiers)
		it.PriceFen = TierPrice(it.ListPriceFen, it.Tiers, it.DemandQty)
		x.Items = append(x.Items, it)
		x.ListFen += Amount(it.DemandQty, it.ListPriceFen, it.Decimals)
		x.AmountFen += Amount(it.DemandQty, it.PriceFen, it.Decimals)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if x.Status != PoolOpen {
		var l, a int64
		if err := q.QueryRowContext(ctx, `SELECT COALESCE(SUM(list_fen), 0), COALESCE(SUM(amount_fen), 0) FROM supply_pool_orders WHERE pool_id = ?`,
			x.ID).Scan(&l, &a); err != nil {
			return fmt.Errorf("pool orders: %w", err)
		}
		x.ListFen, x.AmountFen = l, a
	}
	x.SavingFen = x.ListFen - x.AmountFen
	return q.QueryRowContext(ctx, `SELECT COUNT(DISTINCT subject_id) FROM supply_pool_demands WHERE pool_id = ?`, x.ID).Scan(&x.Members)
}

// GetPool returns a round with its items, pickup nodes and orders.
func (s *Service) GetPool(ctx context.Context, p *auth.Principal, id int64) (*Pool, error) {
	x, err := s.loadPool(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	if !s.canReadPool(ctx, p, x) {
		return nil, errNoPool
	}
	if err := s.poolTotals(ctx, s.db, x); err != nil {
		return nil, err
	}
	if hub, err := s.loadNode(ctx, s.db, x.HubNodeID); err == nil {
		x.HubName = hub.Name
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+nodeCols+` FROM supply_nodes n JOIN supply_pool_nodes pn ON pn.node_id = n.id WHERE pn.pool_id = ?
		ORDER BY n.region_code, n.name`, id)
	if err != nil {
		return nil, fmt.Errorf("pool nodes: %w", err)
	}
	for rows.Next() {
		n, err := s.scanNode(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		x.Nodes = append(x.Nodes, n)
	}
	rows.Close()
	x.Orders, err = s.poolOrders(ctx, s.db, id)
	return x, err
}

func (s *Service) poolOrders(ctx context.Context, q db.Querier, poolID int64) ([]*Order, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, no, supplier, status, list_fen, amount_fen, received_on FROM supply_pool_orders WHERE pool_id = ? ORDER BY no`, poolID)
	if err != nil {
		return nil, fmt.Errorf("pool orders: %w", err)
	}
	var out []*Order
	for rows.Next() {
		o := &Order{}
		if err := rows.Scan(&o.ID, &o.No, &o.Supplier, &o.Status, &o.ListFen, &o.AmountFen, &o.ReceivedOn); err != nil {
			rows.Close()
			return nil, err
		}
		o.SavingFen = o.ListFen - o.AmountFen
		out = append(out, o)
	}
	rows.Close()
	for _, o := range out {
		lr, err := q.QueryContext(ctx, `SELECT l.item_id, i.goods_id, g.name, g.unit, g.decimals, l.qty, l.received, l.unit_price_fen, l.list_price_fen,
			l.amount_fen, l.list_fen FROM supply_pool_order_lines l JOIN supply_pool_items i ON i.id = l.item_id JOIN supply_goods g ON g.id = i.goods_id
			WHERE l.order_id = ? ORDER BY l.item_id`, o.ID)
		if err != nil {
			return nil, fmt.Errorf("order lines: %w", err)
		}
		for lr.Next() {
			l := &OrderLine{}
			if err := lr.Scan(&l.ItemID, &l.GoodsID, &l.GoodsName, &l.Unit, &l.Decimals, &l.Qty, &l.Received, &l.UnitPriceFen, &l.ListPriceFen,
				&l.AmountFen, &l.ListFen); err != nil {
				lr.Close()
				return nil, err
			}
			o.Lines = append(o.Lines, l)
		}
		lr.Close()
	}
	return out, nil
}

// PlaceDemand records a member's demand (members for their own subject; staff on behalf of any subject at a
// pickup node they may write). A second demand for the same item replaces the first; qty 0 withdraws it.
func (s *Service) PlaceDemand(ctx context.Context, p *auth.Principal, poolID int64, in DemandInput) (*Demand, error) {
	x, err := s.loadPool(ctx, s.db, poolID)
	if err != nil {
		return nil, err
	}
	if !s.canReadPool(ctx, p, x) {
		return nil, errNoPool
	}
	fe := map[string]string{}
	switch {
	case p.Is(auth.Member, auth.Provider):
		if p.SubjectID == 0 {
			return nil, apperr.New(apperr.Forbidden, "您的账号未关联主体，不能登记需求")
		}
		in.SubjectID = p.SubjectID
	case isStaff(p):
		if in.SubjectID == 0 {
			fe["subject_id"] = "代录需求请选择农户或主体"
		} else if subs, err := s.subjects.Lookup(ctx, []int64{in.SubjectID}); err != nil {
			return nil, err
		} else if _, ok := subs[in.SubjectID]; !ok {
			fe["subject_id"] = "主体不存在"
		}
	default:
		return nil, apperr.New(apperr.Forbidden, "您的角色不能登记集采需求")
	}
	if in.Qty < 0 {
		fe["qty"] = "数量不能为负"
	}
	var goodsID int64
	if err := s.db.QueryRowContext(ctx, `SELECT goods_id FROM supply_pool_items WHERE id = ? AND pool_id = ?`, in.ItemID, poolID).Scan(&goodsID); err != nil {
		fe["item_id"] = "请选择本批次的商品"
	}
	var inPool int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM supply_pool_nodes WHERE pool_id = ? AND node_id = ?`, poolID, in.NodeID).Scan(&inPool); err != nil {
		return nil, err
	}
	if inPool == 0 {
		fe["node_id"] = "请选择本批次的自提点"
	} else if isStaff(p) {
		n, err := s.loadNode(ctx, s.db, in.NodeID)
		if err != nil {
			return nil, err
		}
		if canWrite(p, n) != nil {
			fe["node_id"] = "该自提点不在您的管辖范围内，不能代录"
		}
	}
	if len(fe) > 0 {
		return nil, apperr.FieldErrors(fe)
	}
	today := s.today()
	if x.Status != PoolOpen || today < x.OpensOn || today > x.ClosesOn {
		return nil, apperr.Errorf(apperr.Conflict, "该批次需求征集时间为 %s 至 %s，现在不能登记", x.OpensOn, x.ClosesOn)
	}
	var id int64
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		// re-check inside the writer: a close may have won the race
		var st string
		if err := tx.QueryRowContext(ctx, `SELECT status FROM supply_pools WHERE id = ?`, poolID).Scan(&st); err != nil {
			return err
		}
		if st != PoolOpen {
			return apperr.New(apperr.Conflict, "该批次已截单，不能再登记需求")
		}
		var e error
		id, e = s.placeDemandTx(ctx, tx, p.Actor(), poolID, in)
		return e
	})
	if err != nil || id == 0 {
		return nil, err
	}
	return s.getDemand(ctx, id)
}

func (s *Service) placeDemandTx(ctx context.Context, tx *db.Tx, actor audit.Actor, poolID int64, in DemandInput) (int64, error) {
	at := s.now().UTC().Truncate(time.Microsecond)
	var id, old int64
	err := tx.QueryRowContext(ctx, `SELECT id, qty FROM supply_pool_demands WHERE pool_id = ? AND item_id = ? AND subject_id = ?`, poolID, in.ItemID, in.SubjectID).Scan(&id, &old)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if in.Qty == 0 {
			return 0, apperr.FieldErrors(map[string]string{"qty": "数量须大于 0"})
		}
		id = tx.NextID()
		_, err = tx.ExecContext(ctx, `INSERT INTO supply_pool_demands (id, pool_id, item_id, subject_id, node_id, qty, entered_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, poolID, in.ItemID, in.SubjectID, in.NodeID, in.Qty, actor.Name, at, at)
	case err != nil:
		return 0, err
	case in.Qty == 0:
		_, err = tx.ExecContext(ctx, `DELETE FROM supply_pool_demands WHERE id = ?`, id)
	default:
		_, err = tx.ExecContext(ctx, `UPDATE supply_pool_demands SET qty = ?, node_id = ?, entered_by = ?, updated_at = ? WHERE id = ?`,
			in.Qty, in.NodeID, actor.Name, at, id)
	}
	if err != nil {
		return 0, fmt.Errorf("write demand: %w", err)
	}
	action, summary := "update", fmt.Sprintf("集采需求：主体 %d 数量 %d → %d", in.SubjectID, old, in.Qty)
	if old == 0 {
		action = "create"
	}
	if err := audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: action, Entity: "supply_pool_demand", EntityID: id, Summary: summary, After: in}); err != nil {
		return 0, err
	}
	if in.Qty == 0 {
		return 0, nil
	}
	return id, nil
}

const demandCols = `d.id, d.pool_id, d.item_id, g.name, g.unit, g.decimals, d.subject_id, d.node_id, n.name, d.qty, d.allocated, d.handed, d.handed_on,
	d.signer, d.receipt_no, d.entered_by, p.status`

func (s *Service) scanDemands(ctx context.Context, where string, args ...any) ([]*Demand, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+demandCols+` FROM supply_pool_demands d JOIN supply_pool_items i ON i.id = d.item_id
		JOIN supply_goods g ON g.id = i.goods_id JOIN supply_nodes n ON n.id = d.node_id JOIN supply_pools p ON p.id = d.pool_id
		WHERE `+where+` ORDER BY n.region_code, n.name, d.subject_id, d.item_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("demands: %w", err)
	}
	var out []*Demand
	var ids []int64
	for rows.Next() {
		d := &Demand{}
		var status string
		if err := rows.Scan(&d.ID, &d.PoolID, &d.ItemID, &d.GoodsName, &d.Unit, &d.Decimals, &d.SubjectID, &d.NodeID, &d.NodeName, &d.Qty,
			&d.Allocated, &d.Handed, &d.HandedOn, &d.Signer, &d.ReceiptNo, &d.EnteredBy, &status); err != nil {
			rows.Close()
			return nil, err
		}
		if status == PoolAllocated || status == PoolDone {
			d.Shortfall = d.Qty - d.Allocated
		}
		d.Pending = d.Allocated - d.Handed
		out = append(out, d)
		ids = append(ids, d.SubjectID)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(ids) > 0 {
		subs, err := s.subjects.Lookup(ctx, ids)
		if err != nil {
			return nil, err
		}
		for _, d := range out {
			if x, ok := subs[d.SubjectID]; ok {
				d.SubjectName = x.Name
			}
		}
	}
	return out, s.fillDelivered(ctx, out)
}

// fillDelivered sets each demand's delivered quantity: its allocation once the shipment to its pickup node has
// arrived (or at once when the pickup node is the hub).
func (s *Service) fillDelivered(ctx context.Context, list []*Demand) error {
	type key struct{ pool, node, item int64 }
	cache := map[key]bool{}
	for _, d := range list {
		if d.Allocated == 0 {
			continue
		}
		k := key{d.PoolID, d.NodeID, d.ItemID}
		arrived, ok := cache[k]
		if !ok {
			var waiting int
			if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM supply_shipments sh JOIN supply_pool_items i ON i.goods_id = sh.goods_id AND i.pool_id = sh.pool_id
				WHERE sh.pool_id = ? AND sh.to_node_id = ? AND i.id = ? AND sh.status <> 'delivered'`, d.PoolID, d.NodeID, d.ItemID).Scan(&waiting); err != nil {
				return err
			}
			arrived = waiting == 0
			cache[k] = arrived
		}
		if arrived {
			d.Delivered = d.Allocated
		}
	}
	return nil
}

func (s *Service) getDemand(ctx context.Context, id int64) (*Demand, error) {
	list, err := s.scanDemands(ctx, "d.id = ?", id)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, errNoDemand
	}
	return list[0], nil
}

// Demands lists a round's demands p may see: staff in scope (by pickup node), members their own.
func (s *Service) Demands(ctx context.Context, p *auth.Principal, poolID int64) ([]*Demand, error) {
	x, err := s.GetPool(ctx, p, poolID)
	if err != nil {
		return nil, err
	}
	all, err := s.scanDemands(ctx, "d.pool_id = ?", x.ID)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, d := range all {
		if p.Is(selfRoles...) {
			if d.SubjectID == p.SubjectID {
				out = append(out, d)
			}
			continue
		}
		n, err := s.loadNode(ctx, s.db, d.NodeID)
		if err != nil {
			return nil, err
		}
		if canRead(p, n) || p.Is(auth.CountyAdmin) {
			out = append(out, d)
		}
	}
	return out, nil
}

// ClosePool ends the demand window and writes one purchase order per supplier at the tier price the pooled
// quantity reaches.
func (s *Service) ClosePool(ctx context.Context, p *auth.Principal, poolID int64) (*Pool, error) {
	x, err := s.loadPool(ctx, s.db, poolID)
	if err != nil {
		return nil, err
	}
	if !s.canReadPool(ctx, p, x) {
		return nil, errNoPool
	}
	if !p.Is(auth.CountyAdmin) {
		return nil, apperr.New(apperr.Forbidden, "只有县级管理员可以截单下单")
	}
	if x.Status != PoolOpen {
		return nil, apperr.New(apperr.Conflict, "该批次已截单")
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE supply_pools SET status = ?, closed_at = ? WHERE id = ? AND status = ?`, PoolOrdered, s.now().UTC(), poolID, PoolOpen)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.New(apperr.Conflict, "该批次已截单")
		}
		return s.writeOrdersTx(ctx, tx, p.Actor(), x)
	})
	if err != nil {
		return nil, err
	}
	return s.GetPool(ctx, p, poolID)
}

func (s *Service) writeOrdersTx(ctx context.Context, tx *db.Tx, actor audit.Actor, x *Pool) error {
	rows, err := tx.QueryContext(ctx, `SELECT i.id, i.supplier, i.list_price_fen, i.tiers, g.decimals, COALESCE(SUM(d.qty), 0)
		FROM supply_pool_items i JOIN supply_goods g ON g.id = i.goods_id LEFT JOIN supply_pool_demands d ON d.item_id = i.id
		WHERE i.pool_id = ? GROUP BY i.id, i.supplier, i.list_price_fen, i.tiers, g.decimals ORDER BY i.supplier, i.id`, x.ID)
	if err != nil {
		return fmt.Errorf("pool totals: %w", err)
	}
	type line struct {
		item, list, price, qty int64
		dec                    int
	}
	bySupplier := map[string][]line{}
	var suppliers []string
	for rows.Next() {
		var l line
		var sup, tiers string
		if err := rows.Scan(&l.item, &sup, &l.list, &tiers, &l.dec, &l.qty); err != nil {
			rows.Close()
			return err
		}
		if l.qty == 0 {
			continue
		}
		l.price = TierPrice(l.list, decodeTiers(tiers), l.qty)
		if _, ok := bySupplier[sup]; !ok {
			suppliers = append(suppliers, sup)
		}
		bySupplier[sup] = append(bySupplier[sup], l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(suppliers) == 0 {
		// nobody asked for anything: the round ends here, nothing to buy or hand over
		_, err := tx.ExecContext(ctx, `UPDATE supply_pools SET status = ? WHERE id = ?`, PoolDone, x.ID)
		if err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "update", Entity: "supply_pool", EntityID: x.ID, Summary: "集采批次截单：无需求，批次结束"})
	}
	var summary []string
	for i, sup := range suppliers {
		oid := tx.NextID()
		no := fmt.Sprintf("%s-%02d", x.No, i+1)
		var listFen, amountFen int64
		for _, l := range bySupplier[sup] {
			listFen += Amount(l.qty, l.list, l.dec)
			amountFen += Amount(l.qty, l.price, l.dec)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO supply_pool_orders (id, pool_id, no, supplier, status, list_fen, amount_fen) VALUES (?, ?, ?, ?, 'ordered', ?, ?)`,
			oid, x.ID, no, sup, listFen, amountFen); err != nil {
			return fmt.Errorf("insert order: %w", err)
		}
		for _, l := range bySupplier[sup] {
			la, aa := Amount(l.qty, l.list, l.dec), Amount(l.qty, l.price, l.dec)
			if _, err := tx.ExecContext(ctx, `INSERT INTO supply_pool_order_lines (order_id, item_id, qty, unit_price_fen, list_price_fen, amount_fen, list_fen)
				VALUES (?, ?, ?, ?, ?, ?, ?)`, oid, l.item, l.qty, l.price, l.list, aa, la); err != nil {
				return fmt.Errorf("insert order line: %w", err)
			}
		}
		summary = append(summary, fmt.Sprintf("%s %s 元（节约 %s 元）", sup, yuan(amountFen), yuan(listFen-amountFen)))
	}
	return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "update", Entity: "supply_pool", EntityID: x.ID,
		Summary: "集采批次截单，生成采购订单：" + strings.Join(summary, "；")})
}

func yuan(fen int64) string {
	neg := ""
	if fen < 0 {
		neg, fen = "-", -fen
	}
	return fmt.Sprintf("%s%d.%02d", neg, fen/100, fen%100)
}
