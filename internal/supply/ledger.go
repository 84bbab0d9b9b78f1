package supply

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/region"
)

// The stock ledger. supply_moves is append-only: nothing updates or deletes a move; a correction is a reversal
// (a new move with the opposite quantity that names the move it reverses, at most once). On-hand is the sum of a
// node × goods' moves. Every write locks its node × goods pairs first — on PostgreSQL by SELECT … FOR UPDATE on the
// pair's supply_locks row (created on first use), in (node, goods) order so that two transfers cannot deadlock;
// on SQLite the single writer (BEGIN IMMEDIATE) serialises — then reads on-hand, refuses a move that would drive it
// negative, and appends the moves with their audit record in the same transaction.

// leg is one signed change of one node × goods inside a write.
type leg struct {
	node    *Node
	goods   *Goods
	kind    string
	qty     int64
	other   int64
	counted *int64
	reverse int64
}

// lock takes the node × goods lock for the rest of the transaction.
func lock(ctx context.Context, tx *db.Tx, nodeID, goodsID int64) error {
	if tx.Engine() != db.Postgres {
		return nil // BEGIN IMMEDIATE: this transaction is the only writer
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO supply_locks (node_id, goods_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, nodeID, goodsID); err != nil {
		return fmt.Errorf("stock lock row: %w", err)
	}
	var x int64
	if err := tx.QueryRowContext(ctx, `SELECT node_id FROM supply_locks WHERE node_id = ? AND goods_id = ? FOR UPDATE`, nodeID, goodsID).Scan(&x); err != nil {
		return fmt.Errorf("stock lock: %w", err)
	}
	return nil
}

func onHand(ctx context.Context, q db.Querier, nodeID, goodsID int64) (int64, error) {
	var v int64
	if err := q.QueryRowContext(ctx, `SELECT COALESCE(SUM(qty), 0) FROM supply_moves WHERE node_id = ? AND goods_id = ?`, nodeID, goodsID).Scan(&v); err != nil {
		return 0, fmt.Errorf("on hand: %w", err)
	}
	return v, nil
}

// OnHand is the on-hand quantity of goods at node (smallest units), without an access check.
func (s *Service) OnHand(ctx context.Context, nodeID, goodsID int64) (int64, error) {
	return onHand(ctx, s.db, nodeID, goodsID)
}

func qtyText(q int64, g *Goods) string { return FormatQty(q, g.Decimals) + " " + g.Unit }

func goodsText(g *Goods) string {
	if g.Spec != "" {
		return g.Name + "（" + g.Spec + "）"
	}
	return g.Name
}

// shortage is the refusal of a move that would drive stock negative.
func shortage(l leg, have int64) error {
	msg := fmt.Sprintf("库存不足：%s 的 %s 现有 %s，本次需出 %s，不能出库", l.node.Name, goodsText(l.goods), qtyText(have, l.goods), qtyText(-l.qty, l.goods))
	return &apperr.Error{Code: apperr.Invalid, Message: msg, Fields: map[string]string{"qty": msg}}
}

// Move records a receipt, issue, loss, stocktake or transfer and returns the moves written (two for a transfer:
// out, then in).
func (s *Service) Move(ctx context.Context, p *auth.Principal, in MoveInput) ([]*Move, error) {
	fe := map[string]string{}
	kind := strings.TrimSpace(in.Kind)
	switch kind {
	case MoveReceipt, MoveIssue, MoveLoss, "transfer":
		if in.Qty <= 0 {
			fe["qty"] = "数量须大于 0"
		}
	case MoveStocktake:
		if in.Qty < 0 {
			fe["qty"] = "实盘数不能为负"
		}
	default:
		fe["kind"] = "业务类型只能是 入库、销售/发放、损耗、盘点、调拨"
	}
	date := strings.TrimSpace(in.Date)
	if date == "" {
		date = s.today()
	} else if t, err := time.Parse("2006-01-02", date); err != nil || t.Format("2006-01-02") != date {
		fe["date"] = "日期格式为 YYYY-MM-DD"
	} else if date > s.today() {
		fe["date"] = "日期不能晚于今天"
	}
	if utf8.RuneCountInString(in.Ref) > 60 || utf8.RuneCountInString(in.Note) > 200 {
		fe["note"] = "单据号不超过 60 字，备注不超过 200 字"
	}
	if kind == "transfer" && in.ToNodeID == 0 {
		fe["to_node_id"] = "请选择调入网点"
	}
	if kind == "transfer" && in.ToNodeID == in.NodeID {
		fe["to_node_id"] = "调入网点不能是调出网点本身"
	}
	if in.NodeID == 0 {
		fe["node_id"] = "请选择网点"
	}
	if in.GoodsID == 0 {
		fe["goods_id"] = "请选择商品"
	}
	if len(fe) > 0 {
		return nil, apperr.FieldErrors(fe)
	}
	node, err := s.loadNode(ctx, s.db, in.NodeID)
	if err != nil {
		return nil, err
	}
	if err := canWrite(p, node); err != nil {
		return nil, err
	}
	goods, err := s.loadGoods(ctx, s.db, in.GoodsID)
	if errors.Is(err, errNoGoods) {
		return nil, apperr.FieldErrors(map[string]string{"goods_id": "商品不存在"})
	}
	if err != nil {
		return nil, err
	}
	if node.Status == NodeClosed {
		return nil, apperr.Errorf(apperr.Conflict, "%s 已停用，不能办理出入库", node.Name)
	}
	var legs []leg
	summary := ""
	switch kind {
	case MoveReceipt:
		legs = []leg{{node: node, goods: goods, kind: kind, qty: in.Qty}}
		summary = fmt.Sprintf("入库：%s %s %s", node.Name, goodsText(goods), qtyText(in.Qty, goods))
	case MoveIssue, MoveLoss:
		legs = []leg{{node: node, goods: goods, kind: kind, qty: -in.Qty}}
		summary = fmt.Sprintf("%s：%s %s %s", MoveKindLabel(kind), node.Name, goodsText(goods), qtyText(in.Qty, goods))
	case MoveStocktake:
		c := in.Qty
		legs = []leg{{node: node, goods: goods, kind: kind, counted: &c}}
		summary = fmt.Sprintf("盘点：%s %s 实盘 %s", node.Name, goodsText(goods), qtyText(in.Qty, goods))
	case "transfer":
		to, err := s.loadNode(ctx, s.db, in.ToNodeID)
		if errors.Is(err, errNoNode) {
			return nil, apperr.FieldErrors(map[string]string{"to_node_id": "调入网点不存在或不在您的管辖范围内"})
		}
		if err != nil {
			return nil, err
		}
		if err := canWrite(p, to); err != nil {
			if apperr.CodeOf(err) == apperr.NotFound {
				return nil, apperr.FieldErrors(map[string]string{"to_node_id": "调入网点不存在或不在您的管辖范围内"})
			}
			return nil, err
		}
		if to.Status == NodeClosed {
			return nil, apperr.Errorf(apperr.Conflict, "%s 已停用，不能调入", to.Name)
		}
		legs = []leg{{node: node, goods: goods, kind: MoveTransferOut, qty: -in.Qty, other: to.ID},
			{node: to, goods: goods, kind: MoveTransferIn, qty: in.Qty, other: node.ID}}
		summary = fmt.Sprintf("调拨：%s → %s %s %s", node.Name, to.Name, goodsText(goods), qtyText(in.Qty, goods))
	}
	var ids []int64
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		var e error
		ids, e = s.writeLegs(ctx, tx, p.Actor(), legs, date, strings.TrimSpace(in.Ref), strings.TrimSpace(in.Note), summary, time.Time{})
		return e
	})
	if err != nil {
		return nil, err
	}
	return s.movesByID(ctx, ids)
}

// writeLegs locks every pair, checks on-hand, and appends the legs (one transfer id when more than one) with one
// audit record. It returns the new move ids in leg order.
func (s *Service) writeLegs(ctx context.Context, tx *db.Tx, actor audit.Actor, legs []leg, date, ref, note, summary string, at time.Time) ([]int64, error) {
	// lock in (node, goods) order
	order := make([]int, len(legs))
	for i := range order {
		order[i] = i
	}
	for i := 1; i < len(order); i++ {
		for j := i; j > 0; j-- {
			a, b := legs[order[j-1]], legs[order[j]]
			if a.node.ID > b.node.ID || (a.node.ID == b.node.ID && a.goods.ID > b.goods.ID) {
				order[j-1], order[j] = order[j], order[j-1]
			}
		}
	}
	for _, i := range order {
		if err := lock(ctx, tx, legs[i].node.ID, legs[i].goods.ID); err != nil {
			return nil, err
		}
	}
	if at.IsZero() {
		at = s.now().UTC().Truncate(time.Microsecond)
	}
	var transferID int64
	if len(legs) > 1 {
		transferID = tx.NextID()
	}
	ids := make([]int64, 0, len(legs))
	var after []map[string]any
	for i, l := range legs {
		if i > 0 && s.beforeTransferIn != nil {
			if err := s.beforeTransferIn(); err != nil {
				return nil, err
			}
		}
		have, err := onHand(ctx, tx, l.node.ID, l.goods.ID)
		if err != nil {
			return nil, err
		}
		if l.counted != nil {
			l.qty = *l.counted - have
		} else if l.qty < 0 && have+l.qty < 0 {
			return nil, shortage(l, have)
		}
		id := tx.NextID()
		var reverses any
		if l.reverse != 0 {
			reverses = l.reverse
		}
		var counted any
		if l.counted != nil {
			counted = *l.counted
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO supply_moves (id, county_code, node_id, goods_id, kind, qty, other_node_id, transfer_id, reverses_id,
			counted, moved_on, ref, note, actor_id, actor_name, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, region.County(l.node.RegionCode), l.node.ID, l.goods.ID, l.kind, l.qty, l.other, transferID, reverses, counted, date, ref, note,
			actor.ID, actor.Name, at)
		if db.IsUniqueViolation(err) {
			return nil, apperr.New(apperr.Conflict, "该笔流水已冲销过，不能重复冲销")
		}
		if err != nil {
			return nil, fmt.Errorf("insert move: %w", err)
		}
		ids = append(ids, id)
		after = append(after, map[string]any{"id": id, "node_id": l.node.ID, "goods_id": l.goods.ID, "kind": l.kind, "qty": l.qty,
			"before": have, "after": have + l.qty})
	}
	return ids, audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "create", Entity: "supply_move", EntityID: ids[0], Summary: summary,
		After: map[string]any{"moves": after, "date": date, "ref": ref}})
}

// Reverse corrects a move by a new opposite move (both sides for a transfer). A move can be reversed once; a
// reversal cannot be reversed; a reversal that would drive stock negative is refused like any other move.
func (s *Service) Reverse(ctx context.Context, p *auth.Principal, moveID int64, note string) ([]*Move, error) {
	orig, err := s.movesByID(ctx, []int64{moveID})
	if err != nil {
		return nil, err
	}
	if len(orig) == 0 {
		return nil, errNoMove
	}
	m := orig[0]
	if m.Kind == MoveReversal {
		return nil, apperr.New(apperr.Conflict, "冲销流水不能再冲销")
	}
	list := orig
	if m.TransferID != 0 {
		if list, err = s.listMoves(ctx, "m.transfer_id = ?", []any{m.TransferID}, "m.id", 10, 0); err != nil {
			return nil, err
		}
	}
	ids := make([]int64, 0, len(list))
	for _, x := range list {
		ids = append(ids, x.ID)
	}
	ph, args := db.InList(ids)
	var done int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM supply_moves WHERE reverses_id IN (`+ph+`)`, args...).Scan(&done); err != nil {
		return nil, err
	}
	if done > 0 {
		return nil, apperr.New(apperr.Conflict, "该笔流水已冲销过，不能重复冲销")
	}
	goods, err := s.loadGoods(ctx, s.db, m.GoodsID)
	if err != nil {
		return nil, err
	}
	var legs []leg
	for _, x := range list {
		n, err := s.loadNode(ctx, s.db, x.NodeID)
		if err != nil {
			return nil, err
		}
		if err := canWrite(p, n); err != nil {
			return nil, err
		}
		legs = append(legs, leg{node: n, goods: goods, kind: MoveReversal, qty: -x.Qty, other: x.OtherNodeID, reverse: x.ID})
	}
	// take the outgoing side first so that a shortage names it
	if len(legs) == 2 && legs[0].qty > 0 {
		legs[0], legs[1] = legs[1], legs[0]
	}
	summary := fmt.Sprintf("冲销%s：%s %s %s", m.KindLabel, m.NodeName, goodsText(goods), qtyText(m.Qty, goods))
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		var e error
		ids, e = s.writeLegs(ctx, tx, p.Actor(), legs, s.today(), "", strings.TrimSpace(note), summary, time.Time{})
		return e
	})
	if err != nil {
		return nil, err
	}
	return s.movesByID(ctx, ids)
}

// ---------------------------------------------------------------------------------------------------------------
// Reading the ledger
// ---------------------------------------------------------------------------------------------------------------

const moveCols = `m.id, m.node_id, n.name, m.goods_id, g.name, g.spec, g.unit, g.decimals, m.kind, m.qty, m.other_node_id, m.transfer_id,
	m.reverses_id, m.counted, m.moved_on, m.ref, m.note, m.actor_name, m.created_at`

func (s *Service) listMoves(ctx context.Context, where string, args []any, orderBy string, limit, offset int) ([]*Move, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+moveCols+` FROM supply_moves m JOIN supply_nodes n ON n.id = m.node_id
		JOIN supply_goods g ON g.id = m.goods_id WHERE `+where+` ORDER BY `+orderBy+` LIMIT ? OFFSET ?`, append(args, limit, offset)...)
	if err != nil {
		return nil, fmt.Errorf("list moves: %w", err)
	}
	defer rows.Close()
	var out []*Move
	for rows.Next() {
		m := &Move{}
		var spec string
		var rev, counted sql.NullInt64
		if err := rows.Scan(&m.ID, &m.NodeID, &m.NodeName, &m.GoodsID, &m.GoodsName, &spec, &m.Unit, &m.Decimals, &m.Kind, &m.Qty, &m.OtherNodeID,
			&m.TransferID, &rev, &counted, &m.MovedOn, &m.Ref, &m.Note, &m.ActorName, &m.CreatedAt); err != nil {
			return nil, err
		}
		if spec != "" {
			m.GoodsName += "（" + spec + "）"
		}
		m.ReversesID = rev.Int64
		if counted.Valid {
			c := counted.Int64
			m.Counted = &c
		}
		m.KindLabel = MoveKindLabel(m.Kind)
		m.CreatedAt = m.CreatedAt.UTC()
		out = append(out, m)
	}
	return out, rows.Err()
}

func (s *Service) movesByID(ctx context.Context, ids []int64) ([]*Move, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	ph, args := db.InList(ids)
	list, err := s.listMoves(ctx, "m.id IN ("+ph+")", args, "m.id", len(ids), 0)
	if err != nil {
		return nil, err
	}
	byID := map[int64]*Move{}
	for _, m := range list {
		byID[m.ID] = m
	}
	out := make([]*Move, 0, len(ids))
	for _, id := range ids {
		if m, ok := byID[id]; ok {
			out = append(out, m)
		}
	}
	return out, nil
}

// MoveFilter selects ledger lines.
type MoveFilter struct {
	NodeID  int64
	GoodsID int64
	Kind    string
	Page    int
	PerPage int
}

// ListMoves returns the moves at nodes p may read, newest first.
func (s *Service) ListMoves(ctx context.Context, p *auth.Principal, f MoveFilter) ([]*Move, int, error) {
	where, args := scopeSQL(p)
	if f.NodeID != 0 {
		where += " AND m.node_id = ?"
		args = append(args, f.NodeID)
	}
	if f.GoodsID != 0 {
		where += " AND m.goods_id = ?"
		args = append(args, f.GoodsID)
	}
	if f.Kind != "" {
		where += " AND m.kind = ?"
		args = append(args, f.Kind)
	}
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM supply_moves m JOIN supply_nodes n ON n.id = m.node_id WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count moves: %w", err)
	}
	if f.PerPage <= 0 {
		f.PerPage = 50
	}
	if f.Page < 1 {
		f.Page = 1
	}
	list, err := s.listMoves(ctx, where, args, "m.moved_on DESC, m.id DESC", f.PerPage, (f.Page-1)*f.PerPage)
	return list, total, err
}

// StockFilter selects on-hand rows.
type StockFilter struct {
	NodeID  int64
	GoodsID int64
}

// Stock returns on-hand quantities (non-zero, or every pair that has moves when a node and goods are named) at
// nodes p may read.
func (s *Service) Stock(ctx context.Context, p *auth.Principal, f StockFilter) ([]Stock, error) {
	where, args := scopeSQL(p)
	if f.NodeID != 0 {
		where += " AND n.id = ?"
		args = append(args, f.NodeID)
	}
	if f.GoodsID != 0 {
		where += " AND m.goods_id = ?"
		args = append(args, f.GoodsID)
	}
	return s.stock(ctx, where, args)
}

func (s *Service) stock(ctx context.Context, where string, args []any) ([]Stock, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT n.id, n.name, g.id, g.name, g.spec, g.unit, g.decimals, SUM(m.qty)
		FROM supply_moves m JOIN supply_nodes n ON n.id = m.node_id JOIN supply_goods g ON g.id = m.goods_id
		WHERE `+where+` GROUP BY n.id, n.name, g.id, g.name, g.spec, g.unit, g.decimals, g.category ORDER BY n.name, n.id, g.category, g.name, g.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("stock: %w", err)
	}
	defer rows.Close()
	out := []Stock{}
	for rows.Next() {
		var x Stock
		if err := rows.Scan(&x.NodeID, &x.NodeName, &x.GoodsID, &x.GoodsName, &x.Spec, &x.Unit, &x.Decimals, &x.OnHand); err != nil {
			return nil, err
		}
		x.Display = FormatQty(x.OnHand, x.Decimals) + " " + x.Unit
		out = append(out, x)
	}
	return out, rows.Err()
}
