package market

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
	"nongfu/internal/platform/web"
	"nongfu/internal/region"
)

var errSigned = apperr.New(apperr.Conflict, "合同已签订，条款不能再改，只能以补充协议变更")

const contractCols = `c.id, c.no, c.supply_id, c.demand_id, c.seller_id, c.seller_region, c.buyer_id, c.buyer_region, c.product, c.grade, c.quantity,
	c.unit, c.price_fen, c.amount_fen, c.quality_terms, c.match_score, c.status, c.seller_signed_at, c.seller_signed_by, c.buyer_signed_at,
	c.buyer_signed_by, c.signed_at, c.created_by, c.created_at`

func scanContract(sc interface{ Scan(...any) error }) (*OrderContract, error) {
	c := &OrderContract{}
	var ss, bs, sg sql.NullTime
	err := sc.Scan(&c.ID, &c.No, &c.SupplyID, &c.DemandID, &c.SellerID, &c.SellerRegion, &c.BuyerID, &c.BuyerRegion, &c.Product, &c.Grade, &c.Quantity,
		&c.Unit, &c.PriceFen, &c.AmountFen, &c.QualityTerms, &c.MatchScore, &c.Status, &ss, &c.SellerSignedBy, &bs, &c.BuyerSignedBy, &sg,
		&c.CreatedBy, &c.CreatedAt)
	if err != nil {
		return nil, err
	}
	at := func(n sql.NullTime) *time.Time {
		if !n.Valid {
			return nil
		}
		t := n.Time.UTC()
		return &t
	}
	c.SellerSignedAt, c.BuyerSignedAt, c.SignedAt = at(ss), at(bs), at(sg)
	c.StatusLabel, c.CreatedAt = ContractStatusLabel(c.Status), c.CreatedAt.UTC()
	return c, nil
}

// party reports which side of c the member p is ("seller", "buyer" or "").
func party(p *auth.Principal, c *OrderContract) string {
	if !isMember(p) {
		return ""
	}
	switch p.SubjectID {
	case c.SellerID:
		return "seller"
	case c.BuyerID:
		return "buyer"
	}
	return ""
}

func canReadContract(p *auth.Principal, c *OrderContract) bool {
	if isMember(p) {
		return party(p, c) != ""
	}
	return isReader(p) && (p.InRegion(c.SellerRegion) || p.InRegion(c.BuyerRegion))
}

// canHandleContract: staff whose scope holds the seller (the member side the platform serves), or a party.
func canHandleContract(p *auth.Principal, c *OrderContract) error {
	if isMember(p) {
		if party(p, c) == "" {
			return errNoContract
		}
		return nil
	}
	return staffFor(p, c.SellerRegion, "该合同的卖方")
}

func (s *Service) loadContract(ctx context.Context, q db.Querier, id int64) (*OrderContract, error) {
	c, err := scanContract(q.QueryRowContext(ctx, `SELECT `+contractCols+` FROM market_contracts c WHERE c.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoContract
	}
	if err != nil {
		return nil, fmt.Errorf("get contract %d: %w", id, err)
	}
	return c, s.details(ctx, q, c)
}

// details loads a contract's schedule, supplements and fulfilment and derives its figures.
func (s *Service) details(ctx context.Context, q db.Querier, c *OrderContract) error {
	c.Schedule, c.Supplements, c.Fulfilments = []Instalment{}, []Supplement{}, []Fulfilment{}
	rows, err := q.QueryContext(ctx, `SELECT seq, due_date, quantity, amount_fen FROM market_instalments WHERE contract_id = ? ORDER BY seq`, c.ID)
	if err != nil {
		return fmt.Errorf("schedule: %w", err)
	}
	for rows.Next() {
		var x Instalment
		if err := rows.Scan(&x.Seq, &x.DueDate, &x.Quantity, &x.AmountFen); err != nil {
			rows.Close()
			return err
		}
		c.Schedule = append(c.Schedule, x)
	}
	rows.Close()
	rows, err = q.QueryContext(ctx, `SELECT id, seq, quantity_delta, amount_delta_fen, text, created_by, created_at FROM market_supplements
		WHERE contract_id = ? ORDER BY seq`, c.ID)
	if err != nil {
		return fmt.Errorf("supplements: %w", err)
	}
	for rows.Next() {
		var x Supplement
		if err := rows.Scan(&x.ID, &x.Seq, &x.QuantityDelta, &x.AmountDeltaFen, &x.Text, &x.CreatedBy, &x.CreatedAt); err != nil {
			rows.Close()
			return err
		}
		x.CreatedAt = x.CreatedAt.UTC()
		c.Supplements = append(c.Supplements, x)
	}
	rows.Close()
	rows, err = q.QueryContext(ctx, `SELECT id, kind, on_date, quantity, amount_fen, note, created_by, created_at FROM market_fulfilments
		WHERE contract_id = ? ORDER BY on_date, id`, c.ID)
	if err != nil {
		return fmt.Errorf("fulfilments: %w", err)
	}
	for rows.Next() {
		var x Fulfilment
		if err := rows.Scan(&x.ID, &x.Kind, &x.OnDate, &x.Quantity, &x.AmountFen, &x.Note, &x.CreatedBy, &x.CreatedAt); err != nil {
			rows.Close()
			return err
		}
		x.KindLabel, x.CreatedAt = FulfilLabel(x.Kind), x.CreatedAt.UTC()
		c.Fulfilments = append(c.Fulfilments, x)
	}
	rows.Close()
	derive(c, s.today())
	return nil
}

// derive computes the effective terms, fulfilment totals, receivable and on-time deliveries: an instalment is on
// time when the deliveries dated on or before its due date cover it and every instalment before it.
func derive(c *OrderContract, today string) {
	c.EffQuantity, c.EffAmountFen = c.Quantity, c.AmountFen
	for _, x := range c.Supplements {
		c.EffQuantity += x.QuantityDelta
		c.EffAmountFen += x.AmountDeltaFen
	}
	c.DeliveredQty, c.AcceptedQty, c.PaidFen = 0, 0, 0
	for _, f := range c.Fulfilments {
		switch f.Kind {
		case FulfilDelivered:
			c.DeliveredQty += f.Quantity
		case FulfilAccepted:
			c.AcceptedQty += f.Quantity
		case FulfilPaid:
			c.PaidFen += f.AmountFen
		}
	}
	c.ReceivableFen = 0
	if c.Status == ContractSigned || c.Status == ContractFulfilled {
		c.ReceivableFen = c.EffAmountFen - c.PaidFen
	}
	c.OnTimeDue, c.OnTimeMet = 0, 0
	var need int64
	for i := range c.Schedule {
		x := &c.Schedule[i]
		need += x.Quantity
		var by int64
		for _, f := range c.Fulfilments {
			if f.Kind == FulfilDelivered && f.OnDate <= x.DueDate {
				by += f.Quantity
			}
		}
		x.Delivered = min(by, need)
		x.OnTime = by >= need
		if x.DueDate < today || x.OnTime {
			c.OnTimeDue++
			if x.OnTime {
				c.OnTimeMet++
			}
		}
	}
}

// GetContract returns a contract p may read, with its schedule, supplements and fulfilment.
func (s *Service) GetContract(ctx context.Context, p *auth.Principal, id int64) (*OrderContract, error) {
	if !canSee(p) {
		return nil, errNoAccess
	}
	c, err := s.loadContract(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	if !canReadContract(p, c) {
		return nil, errNoContract
	}
	return c, s.decorateContracts(ctx, []*OrderContract{c})
}

func (s *Service) decorateContracts(ctx context.Context, list []*OrderContract) error {
	var ids []int64
	for _, c := range list {
		ids = append(ids, c.SellerID, c.BuyerID)
	}
	subs, err := s.names(ctx, ids)
	if err != nil {
		return err
	}
	for _, c := range list {
		if x, ok := subs[c.SellerID]; ok {
			c.SellerName = x.Name
		}
		if x, ok := subs[c.BuyerID]; ok {
			c.BuyerName = x.Name
		}
	}
	return nil
}

// ListContracts returns the contracts p may read, newest first, with their derived figures.
func (s *Service) ListContracts(ctx context.Context, p *auth.Principal, f ContractFilter) ([]*OrderContract, int, error) {
	if !canSee(p) {
		return nil, 0, errNoAccess
	}
	where, args := scopeSQL(p, "c.seller_region", "c.buyer_region")
	if isMember(p) {
		where, args = "(c.seller_id = ? OR c.buyer_id = ?)", []any{p.SubjectID, p.SubjectID}
	}
	if f.Status != "" {
		where += " AND c.status = ?"
		args = append(args, f.Status)
	}
	if f.SubjectID != 0 {
		where += " AND (c.seller_id = ? OR c.buyer_id = ?)"
		args = append(args, f.SubjectID, f.SubjectID)
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		where += ` AND (c.product LIKE ? ESCAPE '\' OR c.no LIKE ? ESCAPE '\')`
		args = append(args, db.Like(q), db.Like(q))
	}
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM market_contracts c WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count contracts: %w", err)
	}
	if f.PerPage <= 0 {
		f.PerPage = 50
	}
	if f.Page < 1 {
		f.Page = 1
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+contractCols+` FROM market_contracts c WHERE `+where+` ORDER BY c.created_at DESC, c.id DESC LIMIT ? OFFSET ?`,
		append(args, f.PerPage, (f.Page-1)*f.PerPage)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list contracts: %w", err)
	}
	var out []*OrderContract
	for rows.Next() {
		c, err := scanContract(rows)
		if err != nil {
			rows.Close()
			return nil, 0, err
		}
		out = append(out, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	for _, c := range out {
		if err := s.details(ctx, s.db, c); err != nil {
			return nil, 0, err
		}
	}
	return out, total, s.decorateContracts(ctx, out)
}

// validateTerms checks quantity, price, quality terms and schedule against the supply listing.
func (s *Service) validateTerms(in *ContractInput, supply *Listing) (map[string]string, []Instalment) {
	fields := map[string]string{}
	in.QualityTerms = strings.TrimSpace(in.QualityTerms)
	if in.Quantity <= 0 {
		fields["quantity"] = "请填写合同数量（正整数）"
	} else if in.Quantity > supply.Quantity {
		fields["quantity"] = fmt.Sprintf("合同数量不能超过供应量 %d%s", supply.Quantity, supply.Unit)
	}
	if in.PriceFen <= 0 || in.PriceFen > 1e9 {
		fields["price_fen"] = "请填写合同单价（分，正整数）"
	}
	if in.Quantity > 0 && in.PriceFen > 0 && float64(in.Quantity)*float64(in.PriceFen) > math.MaxInt64/4 {
		fields["quantity"] = "合同金额过大"
	}
	if utf8.RuneCountInString(in.QualityTerms) > 1000 {
		fields["quality_terms"] = "质量条款不能超过 1000 字"
	} else if in.QualityTerms == "" {
		fields["quality_terms"] = "请填写质量条款（等级、规格、检验方法等）"
	}
	if len(in.Schedule) == 0 && in.Quantity > 0 {
		in.Schedule = []InstalmentSpec{{DueDate: supply.DateTo, Quantity: in.Quantity}}
	}
	if len(in.Schedule) > 24 {
		fields["schedule"] = "交货计划最多 24 期"
	}
	var sched []Instalment
	var sum int64
	prev := ""
	for i, x := range in.Schedule {
		switch {
		case !validDate(x.DueDate):
			fields["schedule"] = fmt.Sprintf("第 %d 期交货日期无效（YYYY-MM-DD）", i+1)
		case x.DueDate < prev:
			fields["schedule"] = fmt.Sprintf("第 %d 期交货日期早于上一期", i+1)
		case x.Quantity <= 0:
			fields["schedule"] = fmt.Sprintf("第 %d 期交货数量应为正整数", i+1)
		}
		prev = x.DueDate
		sum += x.Quantity
		sched = append(sched, Instalment{Seq: i + 1, DueDate: x.DueDate, Quantity: x.Quantity, AmountFen: x.Quantity * in.PriceFen})
	}
	if fields["schedule"] == "" && in.Quantity > 0 && sum != in.Quantity {
		fields["schedule"] = fmt.Sprintf("各期交货数量合计 %d，应等于合同数量 %d", sum, in.Quantity)
	}
	return fields, sched
}

// DraftContract turns a match (a supply and a demand listing, both open) into a contract to be signed. Staff in the
// seller's scope or either party may draft it.
func (s *Service) DraftContract(ctx context.Context, p *auth.Principal, in ContractInput) (*OrderContract, error) {
	if !isStaff(p) && !isMember(p) {
		return nil, errReadOnly
	}
	fields := map[string]string{}
	supply, err := s.loadListing(ctx, s.db, in.SupplyID)
	if err != nil || supply.Side != SideSupply {
		fields["supply_id"] = "请选择一条供应信息"
	}
	demand, err := s.loadListing(ctx, s.db, in.DemandID)
	if err != nil || demand.Side != SideDemand {
		fields["demand_id"] = "请选择一条求购信息"
	}
	if len(fields) > 0 {
		return nil, apperr.FieldErrors(fields)
	}
	if supply.Status != ListingOpen {
		fields["supply_id"] = "该供应信息已不在挂牌中"
	}
	if demand.Status != ListingOpen {
		fields["demand_id"] = "该求购信息已不在挂牌中"
	}
	if supply.SubjectID == demand.SubjectID {
		fields["demand_id"] = "买卖双方不能是同一主体"
	}
	m := ScorePair(supply, demand)
	if m.Excluded {
		fields["demand_id"] = "品名或计量单位不可比，不能撮合"
	}
	if demand.Unit != supply.Unit {
		fields["demand_id"] = "合同按供应方单位计量，请双方使用同一单位（供应：" + supply.Unit + "，求购：" + demand.Unit + "）"
	}
	terms, sched := s.validateTerms(&in, supply)
	for k, v := range terms {
		fields[k] = v
	}
	switch {
	case isMember(p):
		if p.SubjectID != supply.SubjectID && p.SubjectID != demand.SubjectID {
			return nil, apperr.New(apperr.Forbidden, "会员只能为本主体的供求信息起草合同")
		}
	default:
		if err := staffFor(p, supply.RegionCode, "卖方"); err != nil {
			return nil, err
		}
	}
	if len(fields) > 0 {
		return nil, apperr.FieldErrors(fields)
	}
	var id int64
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.nowUTC()
		id = tx.NextID()
		no := fmt.Sprintf("DD%s-%d", now.In(web.Shanghai).Format("2006"), id)
		amount := in.Quantity * in.PriceFen
		if _, err := tx.ExecContext(ctx, `INSERT INTO market_contracts (id, no, county_code, supply_id, demand_id, seller_id, seller_region, buyer_id,
			buyer_region, product, grade, quantity, unit, price_fen, amount_fen, quality_terms, match_score, status, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'draft', ?, ?, ?)`,
			id, no, region.County(supply.RegionCode), supply.ID, demand.ID, supply.SubjectID, supply.RegionCode, demand.SubjectID, demand.RegionCode,
			supply.Product, supply.Grade, in.Quantity, supply.Unit, in.PriceFen, amount, in.QualityTerms, m.Score, displayName(p), now, now); err != nil {
			return fmt.Errorf("insert contract: %w", err)
		}
		if err := insertSchedule(ctx, tx, id, sched); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "create", Entity: "market_contract", EntityID: id,
			Summary: fmt.Sprintf("起草订单合同 %s：%s %d%s，金额 %s", no, supply.Product, in.Quantity, supply.Unit, yuan(amount)),
			After: map[string]any{"supply_id": supply.ID, "demand_id": demand.ID, "quantity": in.Quantity, "price_fen": in.PriceFen, "amount_fen": amount,
				"quality_terms": in.QualityTerms, "schedule": sched, "match_score": m.Score}})
	})
	if err != nil {
		return nil, err
	}
	return s.GetContract(ctx, p, id)
}

func insertSchedule(ctx context.Context, tx *db.Tx, id int64, sched []Instalment) error {
	for _, x := range sched {
		if _, err := tx.ExecContext(ctx, `INSERT INTO market_instalments (contract_id, seq, due_date, quantity, amount_fen) VALUES (?, ?, ?, ?, ?)`,
			id, x.Seq, x.DueDate, x.Quantity, x.AmountFen); err != nil {
			return fmt.Errorf("insert instalment: %w", err)
		}
	}
	return nil
}

// UpdateDraft changes the terms of a contract not yet signed by both sides; a signature given on the old terms is
// withdrawn. A signed contract is refused: it changes only by supplement.
func (s *Service) UpdateDraft(ctx context.Context, p *auth.Principal, id int64, in ContractInput) (*OrderContract, error) {
	c, err := s.GetContract(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if err := canHandleContract(p, c); err != nil {
		return nil, err
	}
	if c.Status != ContractDraft {
		return nil, errSigned
	}
	supply, err := s.loadListing(ctx, s.db, c.SupplyID)
	if err != nil {
		return nil, err
	}
	fields, sched := s.validateTerms(&in, supply)
	if len(fields) > 0 {
		return nil, apperr.FieldErrors(fields)
	}
	amount := in.Quantity * in.PriceFen
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE market_contracts SET quantity = ?, price_fen = ?, amount_fen = ?, quality_terms = ?, seller_signed_at = NULL,
			seller_signed_by = '', buyer_signed_at = NULL, buyer_signed_by = '', updated_at = ? WHERE id = ? AND status = 'draft'`,
			in.Quantity, in.PriceFen, amount, in.QualityTerms, s.nowUTC(), id)
		if err != nil {
			return fmt.Errorf("update draft: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errSigned
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM market_instalments WHERE contract_id = ?`, id); err != nil {
			return err
		}
		if err := insertSchedule(ctx, tx, id, sched); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "update", Entity: "market_contract", EntityID: id,
			Summary: "修改待签合同 " + c.No + " 的条款（已有签字作废）",
			Before:  map[string]any{"quantity": c.Quantity, "price_fen": c.PriceFen, "quality_terms": c.QualityTerms, "schedule": c.Schedule},
			After:   map[string]any{"quantity": in.Quantity, "price_fen": in.PriceFen, "quality_terms": in.QualityTerms, "schedule": sched}})
	})
	if err != nil {
		return nil, err
	}
	return s.GetContract(ctx, p, id)
}

// Sign signs one side of a draft. A member signs its own side; staff record a side's signature on paper (代签录入).
// When both sides have signed the contract takes effect and the listings' remaining quantities drop.
func (s *Service) Sign(ctx context.Context, p *auth.Principal, id int64, side string) (*OrderContract, error) {
	c, err := s.GetContract(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if err := canHandleContract(p, c); err != nil {
		return nil, err
	}
	if isMember(p) {
		side = party(p, c)
	}
	if side != "seller" && side != "buyer" {
		return nil, apperr.FieldErrors(map[string]string{"side": "请选择签字方：seller 卖方或 buyer 买方"})
	}
	if c.Status != ContractDraft {
		return nil, apperr.New(apperr.Conflict, "合同已"+c.StatusLabel+"，不能再签字")
	}
	if (side == "seller" && c.SellerSignedAt != nil) || (side == "buyer" && c.BuyerSignedAt != nil) {
		return nil, apperr.New(apperr.Conflict, map[string]string{"seller": "卖方", "buyer": "买方"}[side]+"已签字")
	}
	now := s.nowUTC()
	by := displayName(p)
	if !isMember(p) {
		by += "（代签录入）"
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := lockRow(ctx, tx, "market_contracts", id); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE market_contracts SET `+side+`_signed_at = ?, `+side+`_signed_by = ?, updated_at = ?
			WHERE id = ? AND status = 'draft' AND `+side+`_signed_at IS NULL`, now, by, now, id)
		if err != nil {
			return fmt.Errorf("sign: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.New(apperr.Conflict, "合同状态已变化，请刷新后再试")
		}
		summary := fmt.Sprintf("订单合同 %s %s签字", c.No, map[string]string{"seller": "卖方", "buyer": "买方"}[side])
		// read both signatures inside the locked transaction: the other side may have signed since c was read
		var both bool
		if err := tx.QueryRowContext(ctx, `SELECT seller_signed_at IS NOT NULL AND buyer_signed_at IS NOT NULL FROM market_contracts WHERE id = ?`, id).Scan(&both); err != nil {
			return fmt.Errorf("signatures: %w", err)
		}
		if both {
			if err := s.takeEffect(ctx, tx, c, now); err != nil {
				return err
			}
			summary += "，双方签订，合同生效"
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "sign", Entity: "market_contract", EntityID: id, Summary: summary,
			After: map[string]any{"side": side, "by": by}})
	})
	if err != nil {
		return nil, err
	}
	return s.GetContract(ctx, p, id)
}

// takeEffect makes a fully signed contract binding and takes its quantity off both listings (a listing whose
// quantity is used up is marked 已成交).
func (s *Service) takeEffect(ctx context.Context, tx *db.Tx, c *OrderContract, now time.Time) error {
	if _, err := tx.ExecContext(ctx, `UPDATE market_contracts SET status = 'signed', signed_at = ? WHERE id = ?`, now, c.ID); err != nil {
		return fmt.Errorf("contract takes effect: %w", err)
	}
	for _, lid := range []int64{c.SupplyID, c.DemandID} { // supply ids before demand ids: no lock-order cycle
		if err := lockRow(ctx, tx, "market_listings", lid); err != nil {
			return err
		}
		l, err := s.loadListing(ctx, tx, lid)
		if err != nil {
			return err
		}
		left := max(l.Quantity-c.Quantity, 0)
		status := l.Status
		if left == 0 {
			status = ListingMatched
			left = l.Quantity
		}
		if _, err := tx.ExecContext(ctx, `UPDATE market_listings SET quantity = ?, status = ?, updated_at = ? WHERE id = ?`, left, status, now, lid); err != nil {
			return fmt.Errorf("listing after contract: %w", err)
		}
	}
	return nil
}

// Cancel voids a draft (never a signed contract).
func (s *Service) Cancel(ctx context.Context, p *auth.Principal, id int64) (*OrderContract, error) {
	c, err := s.GetContract(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if err := canHandleContract(p, c); err != nil {
		return nil, err
	}
	if c.Status != ContractDraft {
		return nil, apperr.New(apperr.Conflict, "只有待签订的合同可以作废")
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE market_contracts SET status = 'cancelled', updated_at = ? WHERE id = ? AND status = 'draft'`, s.nowUTC(), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errSigned
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "cancel", Entity: "market_contract", EntityID: id, Summary: "作废待签合同 " + c.No})
	})
	if err != nil {
		return nil, err
	}
	return s.GetContract(ctx, p, id)
}

// AddSupplement amends a signed contract by a supplement record (补充协议); the signed terms stay as they were.
func (s *Service) AddSupplement(ctx context.Context, p *auth.Principal, id int64, in SupplementInput) (*OrderContract, error) {
	c, err := s.GetContract(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if err := canHandleContract(p, c); err != nil {
		return nil, err
	}
	if c.Status != ContractSigned {
		return nil, apperr.New(apperr.Conflict, "只有履约中的合同可以签补充协议")
	}
	in.Text = strings.TrimSpace(in.Text)
	fields := map[string]string{}
	if in.Text == "" || utf8.RuneCountInString(in.Text) > 1000 {
		fields["text"] = "请填写补充协议内容（不超过 1000 字）"
	}
	if c.EffQuantity+in.QuantityDelta < max(c.DeliveredQty, 1) {
		fields["quantity_delta"] = fmt.Sprintf("变更后数量不能少于已交付的 %d%s", c.DeliveredQty, c.Unit)
	}
	if c.EffAmountFen+in.AmountDeltaFen < max(c.PaidFen, 1) {
		fields["amount_delta_fen"] = "变更后金额不能少于已付款 " + yuan(c.PaidFen)
	}
	if len(fields) > 0 {
		return nil, apperr.FieldErrors(fields)
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := lockRow(ctx, tx, "market_contracts", id); err != nil {
			return err
		}
		sid := tx.NextID()
		if _, err := tx.ExecContext(ctx, `INSERT INTO market_supplements (id, contract_id, seq, quantity_delta, amount_delta_fen, text, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, sid, id, len(c.Supplements)+1, in.QuantityDelta, in.AmountDeltaFen, in.Text, displayName(p), s.nowUTC()); err != nil {
			if db.IsUniqueViolation(err) {
				return apperr.New(apperr.Conflict, "补充协议同时被他人录入，请刷新后再试")
			}
			return fmt.Errorf("insert supplement: %w", err)
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "supplement", Entity: "market_contract", EntityID: id,
			Summary: fmt.Sprintf("订单合同 %s 补充协议第 %d 号", c.No, len(c.Supplements)+1), After: in})
	})
	if err != nil {
		return nil, err
	}
	return s.GetContract(ctx, p, id)
}

// Fulfil records a delivery (seller or staff), acceptance or payment (buyer or staff). Totals may not pass what
// the contract allows; when everything is accepted and paid the contract is 已履约.
func (s *Service) Fulfil(ctx context.Context, p *auth.Principal, id int64, in FulfilmentInput) (*OrderContract, error) {
	c, err := s.GetContract(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if err := canHandleContract(p, c); err != nil {
		return nil, err
	}
	if c.Status != ContractSigned {
		return nil, apperr.New(apperr.Conflict, "只有履约中的合同可以登记交付、验收和付款")
	}
	if side := party(p, c); side != "" {
		if (side == "seller") != (in.Kind == FulfilDelivered) {
			return nil, apperr.New(apperr.Forbidden, "卖方登记交付，买方登记验收和付款")
		}
	}
	in.Note = strings.TrimSpace(in.Note)
	fields := map[string]string{}
	if !validDate(in.OnDate) {
		fields["on_date"] = "请填写日期（YYYY-MM-DD）"
	} else if in.OnDate > s.today() {
		fields["on_date"] = "日期不能晚于今天"
	}
	if utf8.RuneCountInString(in.Note) > 300 {
		fields["note"] = "备注不能超过 300 字"
	}
	switch in.Kind {
	case FulfilDelivered:
		in.AmountFen = 0
		if in.Quantity <= 0 {
			fields["quantity"] = "请填写交付数量"
		} else if c.DeliveredQty+in.Quantity > c.EffQuantity {
			fields["quantity"] = fmt.Sprintf("累计交付不能超过合同数量 %d%s（已交付 %d）", c.EffQuantity, c.Unit, c.DeliveredQty)
		}
	case FulfilAccepted:
		in.AmountFen = 0
		if in.Quantity <= 0 {
			fields["quantity"] = "请填写验收数量"
		} else if c.AcceptedQty+in.Quantity > c.DeliveredQty {
			fields["quantity"] = fmt.Sprintf("累计验收不能超过已交付的 %d%s（已验收 %d）", c.DeliveredQty, c.Unit, c.AcceptedQty)
		}
	case FulfilPaid:
		in.Quantity = 0
		if in.AmountFen <= 0 {
			fields["amount_fen"] = "请填写付款金额（分）"
		} else if c.PaidFen+in.AmountFen > c.EffAmountFen {
			fields["amount_fen"] = "累计付款不能超过合同金额 " + yuan(c.EffAmountFen) + "（已付 " + yuan(c.PaidFen) + "）"
		}
	default:
		fields["kind"] = "类型应为 delivered 交付、accepted 验收或 paid 付款"
	}
	if len(fields) > 0 {
		return nil, apperr.FieldErrors(fields)
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := lockRow(ctx, tx, "market_contracts", id); err != nil {
			return err
		}
		fid := tx.NextID()
		if _, err := tx.ExecContext(ctx, `INSERT INTO market_fulfilments (id, contract_id, kind, on_date, quantity, amount_fen, note, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, fid, id, in.Kind, in.OnDate, in.Quantity, in.AmountFen, in.Note, displayName(p), s.nowUTC()); err != nil {
			return fmt.Errorf("insert fulfilment: %w", err)
		}
		// re-read inside the transaction: two clerks recording at once must not overshoot together
		now, err := s.loadContract(ctx, tx, id)
		if err != nil {
			return err
		}
		if now.DeliveredQty > now.EffQuantity || now.AcceptedQty > now.DeliveredQty || now.PaidFen > now.EffAmountFen {
			return apperr.New(apperr.Conflict, "同时有其他履约记录录入，累计数已超过合同约定，请刷新后再试")
		}
		summary := fmt.Sprintf("订单合同 %s 登记%s", c.No, FulfilLabel(in.Kind))
		if now.AcceptedQty >= now.EffQuantity && now.PaidFen >= now.EffAmountFen {
			if _, err := tx.ExecContext(ctx, `UPDATE market_contracts SET status = 'fulfilled', updated_at = ? WHERE id = ?`, s.nowUTC(), id); err != nil {
				return err
			}
			summary += "，合同履约完毕"
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "fulfil", Entity: "market_contract", EntityID: id, Summary: summary, After: in})
	})
	if err != nil {
		return nil, err
	}
	return s.GetContract(ctx, p, id)
}

// PledgeableContract is the credit room's view of a contract for a pledge (质押): the effective amount (with
// supplements) and the receivable outstanding. Called by the platform on the credit room's behalf (no principal).
func (s *Service) PledgeableContract(ctx context.Context, id int64) (PledgeableContract, error) {
	c, err := s.loadContract(ctx, s.db, id)
	if err != nil {
		return PledgeableContract{}, err
	}
	if err := s.decorateContracts(ctx, []*OrderContract{c}); err != nil {
		return PledgeableContract{}, err
	}
	return PledgeableContract{ID: c.ID, No: c.No, SellerID: c.SellerID, BuyerName: c.BuyerName, Product: c.Product, AmountFen: c.EffAmountFen,
		ReceivableFen: c.ReceivableFen, Status: c.Status, Signed: c.Status == ContractSigned || c.Status == ContractFulfilled}, nil
}
