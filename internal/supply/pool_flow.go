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

// Apportion shares have units among wants: everyone gets their want when have covers the total; otherwise each
// gets floor(want × have / total) and the units left go one each to the largest remainders (ties: earlier first).
// The result never exceeds a want and sums to min(have, total).
func Apportion(have int64, wants []int64) []int64 {
	out := make([]int64, len(wants))
	var total int64
	for _, w := range wants {
		total += w
	}
	if have >= total {
		copy(out, wants)
		return out
	}
	if have <= 0 {
		return out
	}
	type rem struct {
		i int
		r int64
	}
	rems := make([]rem, len(wants))
	var given int64
	for i, w := range wants {
		// w × have may overflow for absurd inputs; quantities here are far below 2^31 each
		out[i] = w * have / total
		rems[i] = rem{i, w * have % total}
		given += out[i]
	}
	sort.SliceStable(rems, func(a, b int) bool { return rems[a].r > rems[b].r })
	for k := 0; given < have; k++ {
		i := rems[k%len(rems)].i
		if out[i] < wants[i] {
			out[i]++
			given++
		}
	}
	return out
}

// ReceiveOrder books a purchase order's goods into the round's hub (ledger receipts, ref = order no). Lines may
// name a smaller quantity than ordered (a short delivery); never more.
func (s *Service) ReceiveOrder(ctx context.Context, p *auth.Principal, orderID int64, in ReceiveInput) (*Pool, error) {
	var poolID int64
	var status string
	if err := s.db.QueryRowContext(ctx, `SELECT pool_id, status FROM supply_pool_orders WHERE id = ?`, orderID).Scan(&poolID, &status); err != nil {
		return nil, apperr.New(apperr.NotFound, "采购订单不存在")
	}
	x, err := s.GetPool(ctx, p, poolID)
	if err != nil {
		return nil, err
	}
	hub, err := s.loadNode(ctx, s.db, x.HubNodeID)
	if err != nil {
		return nil, err
	}
	if err := canWrite(p, hub); err != nil {
		return nil, err
	}
	var order *Order
	for _, o := range x.Orders {
		if o.ID == orderID {
			order = o
		}
	}
	if status != "ordered" || order == nil {
		return nil, apperr.New(apperr.Conflict, "该订单已到货入库")
	}
	fe := map[string]string{}
	date := strings.TrimSpace(in.Date)
	if date == "" {
		date = s.today()
	} else if !validDate(date) || date > s.today() {
		fe["date"] = "到货日期格式为 YYYY-MM-DD，且不能晚于今天"
	}
	got := map[int64]int64{}
	for _, l := range order.Lines {
		got[l.ItemID] = l.Qty
	}
	for i, l := range in.Lines {
		want, ok := got[l.ItemID]
		switch {
		case !ok:
			fe[fmt.Sprintf("lines[%d].item_id", i)] = "该商品不在本订单中"
		case l.Qty < 0 || l.Qty > want:
			fe[fmt.Sprintf("lines[%d].qty", i)] = fmt.Sprintf("到货数量须在 0 到订购数量 %d 之间", want)
		default:
			got[l.ItemID] = l.Qty
		}
	}
	if len(fe) > 0 {
		return nil, apperr.FieldErrors(fe)
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		return s.receiveTx(ctx, tx, p.Actor(), x, hub, order, got, date)
	})
	if err != nil {
		return nil, err
	}
	return s.GetPool(ctx, p, poolID)
}

func (s *Service) receiveTx(ctx context.Context, tx *db.Tx, actor audit.Actor, x *Pool, hub *Node, order *Order, got map[int64]int64, date string) error {
	res, err := tx.ExecContext(ctx, `UPDATE supply_pool_orders SET status = 'received', received_on = ? WHERE id = ? AND status = 'ordered'`, date, order.ID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return apperr.New(apperr.Conflict, "该订单已到货入库")
	}
	for _, l := range order.Lines {
		q := got[l.ItemID]
		if _, err := tx.ExecContext(ctx, `UPDATE supply_pool_order_lines SET received = ? WHERE order_id = ? AND item_id = ?`, q, order.ID, l.ItemID); err != nil {
			return err
		}
		if q == 0 {
			continue
		}
		g, err := s.loadGoods(ctx, tx, l.GoodsID)
		if err != nil {
			return err
		}
		if _, err := s.writeLegs(ctx, tx, actor, []leg{{node: hub, goods: g, kind: MoveReceipt, qty: q}}, date, order.No, "集采到货："+x.Name,
			fmt.Sprintf("集采到货入库：%s %s %s（订单 %s）", hub.Name, goodsText(g), qtyText(q, g), order.No), time.Time{}); err != nil {
			return err
		}
	}
	var open int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM supply_pool_orders WHERE pool_id = ? AND status = 'ordered'`, x.ID).Scan(&open); err != nil {
		return err
	}
	if open == 0 {
		if _, err := tx.ExecContext(ctx, `UPDATE supply_pools SET status = ? WHERE id = ?`, PoolReceived, x.ID); err != nil {
			return err
		}
	}
	return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "update", Entity: "supply_pool_order", EntityID: order.ID,
		Summary: "采购订单到货入库：" + order.No, After: got})
}

// AllocatePool shares what arrived among the demands (Apportion per item, demands in the order placed) and creates
// one delivery shipment per pickup node and goods for shipOn (none for demands picked up at the hub itself).
func (s *Service) AllocatePool(ctx context.Context, p *auth.Principal, poolID int64, shipOn string) (*Pool, error) {
	x, err := s.GetPool(ctx, p, poolID)
	if err != nil {
		return nil, err
	}
	hub, err := s.loadNode(ctx, s.db, x.HubNodeID)
	if err != nil {
		return nil, err
	}
	if !p.Is(auth.CountyAdmin) {
		return nil, apperr.New(apperr.Forbidden, "只有县级管理员可以分配集采到货")
	}
	if err := canWrite(p, hub); err != nil {
		return nil, err
	}
	shipOn = strings.TrimSpace(shipOn)
	if shipOn == "" {
		shipOn = s.today()
	}
	if !validDate(shipOn) {
		return nil, apperr.FieldErrors(map[string]string{"ship_on": "配送日期格式为 YYYY-MM-DD"})
	}
	if x.Status != PoolReceived {
		return nil, apperr.Errorf(apperr.Conflict, "批次状态为“%s”，全部订单到货后才能分配", x.StatusLabel)
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		return s.allocateTx(ctx, tx, p.Actor(), x, hub, shipOn)
	})
	if err != nil {
		return nil, err
	}
	return s.GetPool(ctx, p, poolID)
}

func (s *Service) allocateTx(ctx context.Context, tx *db.Tx, actor audit.Actor, x *Pool, hub *Node, shipOn string) error {
	res, err := tx.ExecContext(ctx, `UPDATE supply_pools SET status = ? WHERE id = ? AND status = ?`, PoolAllocated, x.ID, PoolReceived)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return apperr.New(apperr.Conflict, "该批次已分配")
	}
	at := s.now().UTC().Truncate(time.Microsecond)
	type shipKey struct{ node, goods int64 }
	ships := map[shipKey]int64{}
	var keys []shipKey
	items := map[int64]*PoolItem{}
	for _, it := range x.Items {
		items[it.ID] = it
	}
	var shortTotal int64
	for _, it := range x.Items {
		var received int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(received), 0) FROM supply_pool_order_lines WHERE item_id = ?`, it.ID).Scan(&received); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, node_id, qty FROM supply_pool_demands WHERE item_id = ? ORDER BY created_at, id`, it.ID)
		if err != nil {
			return err
		}
		var ids, nodes, wants []int64
		for rows.Next() {
			var id, node, q int64
			if err := rows.Scan(&id, &node, &q); err != nil {
				rows.Close()
				return err
			}
			ids, nodes, wants = append(ids, id), append(nodes, node), append(wants, q)
		}
		rows.Close()
		alloc := Apportion(received, wants)
		for i, id := range ids {
			shortTotal += wants[i] - alloc[i]
			if _, err := tx.ExecContext(ctx, `UPDATE supply_pool_demands SET allocated = ?, updated_at = ? WHERE id = ?`, alloc[i], at, id); err != nil {
				return err
			}
			if alloc[i] > 0 && nodes[i] != hub.ID {
				k := shipKey{nodes[i], it.GoodsID}
				if _, ok := ships[k]; !ok {
					keys = append(keys, k)
				}
				ships[k] += alloc[i]
			}
		}
	}
	goodsByID := map[int64]*PoolItem{}
	for _, it := range x.Items {
		goodsByID[it.GoodsID] = it
	}
	for _, k := range keys {
		it := goodsByID[k.goods]
		q := ships[k]
		u := pow10(it.Decimals)
		w, v := (q*it.weightG+u/2)/u, (q*it.volumeML+u/2)/u
		if _, err := tx.ExecContext(ctx, `INSERT INTO supply_shipments (id, county_code, kind, from_node_id, to_node_id, ship_on, goods_id, qty, weight_g, volume_ml,
			pool_id, status, description, created_at) VALUES (?, ?, 'delivery', ?, ?, ?, ?, ?, ?, ?, ?, 'planned', ?, ?)`,
			tx.NextID(), region.County(hub.RegionCode), hub.ID, k.node, shipOn, k.goods, q, w, v, x.ID, "集采配送："+x.Name+" · "+it.GoodsName, at); err != nil {
			return fmt.Errorf("insert shipment: %w", err)
		}
	}
	return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "update", Entity: "supply_pool", EntityID: x.ID,
		Summary: fmt.Sprintf("集采到货分配：%d 个自提点配送单，到货不足未能分配 %d（最小单位）", len(keys), shortTotal)})
}

// Handover hands (part of) a demand's allocation to the member at the pickup node against a signed receipt: an
// issue move at the pickup node with the receipt number as ref.
func (s *Service) Handover(ctx context.Context, p *auth.Principal, demandID int64, in HandoverInput) (*Demand, error) {
	d, err := s.getDemand(ctx, demandID)
	if err != nil {
		return nil, err
	}
	node, err := s.loadNode(ctx, s.db, d.NodeID)
	if err != nil {
		return nil, err
	}
	if err := canWrite(p, node); err != nil {
		if apperr.CodeOf(err) == apperr.NotFound {
			return nil, errNoDemand
		}
		return nil, err
	}
	x, err := s.loadPool(ctx, s.db, d.PoolID)
	if err != nil {
		return nil, err
	}
	fe := map[string]string{}
	in.Signer = strings.TrimSpace(in.Signer)
	if in.Signer == "" || utf8.RuneCountInString(in.Signer) > 30 {
		fe["signer"] = "请填写签收人姓名"
	}
	if in.Qty == 0 {
		in.Qty = d.Pending
	}
	if in.Qty <= 0 || in.Qty > d.Pending {
		fe["qty"] = fmt.Sprintf("交付数量须在 1 到待交付数量 %s %s 之间", FormatQty(d.Pending, d.Decimals), d.Unit)
	}
	date := strings.TrimSpace(in.Date)
	if date == "" {
		date = s.today()
	} else if !validDate(date) || date > s.today() {
		fe["date"] = "交付日期格式为 YYYY-MM-DD，且不能晚于今天"
	}
	if len(fe) > 0 {
		return nil, apperr.FieldErrors(fe)
	}
	if x.Status != PoolAllocated {
		return nil, apperr.New(apperr.Conflict, "该批次尚未分配到货，不能交付")
	}
	if d.Delivered < d.Allocated {
		return nil, apperr.Errorf(apperr.Conflict, "%s 的货物尚未送达 %s，不能交付", d.GoodsName, d.NodeName)
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		return s.handoverTx(ctx, tx, p.Actor(), x, d, node, in.Qty, in.Signer, date)
	})
	if err != nil {
		return nil, err
	}
	return s.getDemand(ctx, demandID)
}

func (s *Service) handoverTx(ctx context.Context, tx *db.Tx, actor audit.Actor, x *Pool, d *Demand, node *Node, qty int64, signer, date string) error {
	receipt := fmt.Sprintf("QS-%s-%d", x.No, d.ID%1000000)
	res, err := tx.ExecContext(ctx, `UPDATE supply_pool_demands SET handed = handed + ?, handed_on = ?, signer = ?, receipt_no = ?, updated_at = ?
		WHERE id = ? AND handed + ? <= allocated`, qty, date, signer, receipt, s.now().UTC(), d.ID, qty)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return apperr.New(apperr.Conflict, "交付数量超过待交付数量（可能已被他人交付）")
	}
	var goodsID int64
	if err := tx.QueryRowContext(ctx, `SELECT goods_id FROM supply_pool_items WHERE id = ?`, d.ItemID).Scan(&goodsID); err != nil {
		return err
	}
	g, err := s.loadGoods(ctx, tx, goodsID)
	if err != nil {
		return err
	}
	if _, err := s.writeLegs(ctx, tx, actor, []leg{{node: node, goods: g, kind: MoveIssue, qty: -qty}}, date, receipt, "集采交付 签收人："+signer,
		fmt.Sprintf("集采交付：%s 向 %s 交付 %s %s，签收人 %s", node.Name, d.SubjectName, goodsText(g), qtyText(qty, g), signer), time.Time{}); err != nil {
		return err
	}
	// the round is done when every demand has received its allocation
	var pending int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM supply_pool_demands WHERE pool_id = ? AND handed < allocated`, x.ID).Scan(&pending); err != nil {
		return err
	}
	if pending == 0 {
		if _, err := tx.ExecContext(ctx, `UPDATE supply_pools SET status = ? WHERE id = ?`, PoolDone, x.ID); err != nil {
			return err
		}
	}
	return nil
}

// ReconItem balances one goods item of a round: demanded = allocated + shortfall; received = allocated + surplus;
// allocated = handed + pending.
type ReconItem struct {
	ItemID    int64  `json:"item_id"`
	GoodsName string `json:"goods_name"`
	Unit      string `json:"unit"`
	Decimals  int    `json:"decimals"`
	Demanded  int64  `json:"demanded"`
	Ordered   int64  `json:"ordered"`
	Received  int64  `json:"received"`
	Allocated int64  `json:"allocated"`
	Shortfall int64  `json:"shortfall"`
	Surplus   int64  `json:"surplus" doc:"到货多于需求、留在县级节点的数量"`
	Delivered int64  `json:"delivered"`
	Handed    int64  `json:"handed"`
	Pending   int64  `json:"pending"`
	Issued    int64  `json:"issued" doc:"库存流水中凭集采签收单出库的数量（应等于 handed）"`
	Balanced  bool   `json:"balanced"`
}

// Reconciliation is the end-of-round account of every member's demand.
type Reconciliation struct {
	Pool     *Pool       `json:"pool"`
	Items    []ReconItem `json:"items"`
	Demands  []*Demand   `json:"demands"`
	Balanced bool        `json:"balanced" doc:"每种商品的账都平"`
	Complete bool        `json:"complete" doc:"每户需求都已交付或记为短缺"`
}

// Reconcile accounts for every unit of every demand of a round (county_admin or staff of the county).
func (s *Service) Reconcile(ctx context.Context, p *auth.Principal, poolID int64) (*Reconciliation, error) {
	if !p.Is(scopeRoles...) {
		return nil, apperr.New(apperr.Forbidden, "您的角色不能查看集采对账")
	}
	x, err := s.GetPool(ctx, p, poolID)
	if err != nil {
		return nil, err
	}
	ds, err := s.scanDemands(ctx, "d.pool_id = ?", poolID)
	if err != nil {
		return nil, err
	}
	r := &Reconciliation{Pool: x, Demands: ds, Balanced: true, Complete: x.Status == PoolAllocated || x.Status == PoolDone}
	for _, it := range x.Items {
		ri := ReconItem{ItemID: it.ID, GoodsName: it.GoodsName, Unit: it.Unit, Decimals: it.Decimals}
		if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(SUM(qty), 0), COALESCE(SUM(received), 0) FROM supply_pool_order_lines WHERE item_id = ?`, it.ID).
			Scan(&ri.Ordered, &ri.Received); err != nil {
			return nil, err
		}
		for _, d := range ds {
			if d.ItemID != it.ID {
				continue
			}
			ri.Demanded += d.Qty
			ri.Allocated += d.Allocated
			ri.Shortfall += d.Shortfall
			ri.Delivered += d.Delivered
			ri.Handed += d.Handed
			ri.Pending += d.Pending
			if d.Pending > 0 {
				r.Complete = false
			}
		}
		if x.Status == PoolAllocated || x.Status == PoolDone {
			ri.Surplus = ri.Received - ri.Allocated
		}
		// what the ledger says went out of pickup nodes against this round's receipts
		if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(-SUM(m.qty), 0) FROM supply_moves m WHERE m.kind = 'issue' AND m.goods_id = ? AND m.ref LIKE ?`,
			it.GoodsID, "QS-"+x.No+"-%").Scan(&ri.Issued); err != nil {
			return nil, err
		}
		ri.Balanced = ri.Handed == ri.Issued && ri.Allocated == ri.Handed+ri.Pending && ri.Allocated <= ri.Demanded
		if x.Status == PoolAllocated || x.Status == PoolDone {
			ri.Balanced = ri.Balanced && ri.Demanded == ri.Allocated+ri.Shortfall && ri.Received == ri.Allocated+ri.Surplus && ri.Surplus >= 0
		}
		if !ri.Balanced {
			r.Balanced = false
		}
		r.Items = append(r.Items, ri)
	}
	return r, nil
}

// Q formats a quantity of the item's goods for display (smallest units → 12.5).
func (it *PoolItem) Q(v int64) string { return FormatQty(v, it.Decimals) }

// Q formats a quantity of the demand's goods for display.
func (d *Demand) Q(v int64) string { return FormatQty(v, d.Decimals) }

// Q formats a quantity of the line's goods for display.
func (l *OrderLine) Q(v int64) string { return FormatQty(v, l.Decimals) }

// Q formats a quantity of the item's goods for display.
func (r ReconItem) Q(v int64) string { return FormatQty(v, r.Decimals) }

// Q formats a quantity of the plan's goods for display.
func (r *ReservePlan) Q(v int64) string { return FormatQty(v, r.Decimals) }
