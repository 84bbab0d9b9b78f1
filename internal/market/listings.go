package market

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/region"
)

const listingCols = `l.id, l.side, l.subject_id, l.region_code, l.lng, l.lat, l.product, l.grade, l.quantity, l.unit, l.price_fen, l.date_from,
	l.date_to, l.brand_id, l.note, l.status, l.on_behalf, l.created_by, l.created_at, l.updated_at`

func scanListing(sc interface{ Scan(...any) error }) (*Listing, error) {
	l := &Listing{}
	err := sc.Scan(&l.ID, &l.Side, &l.SubjectID, &l.RegionCode, &l.Lng, &l.Lat, &l.Product, &l.Grade, &l.Quantity, &l.Unit, &l.PriceFen,
		&l.DateFrom, &l.DateTo, &l.BrandID, &l.Note, &l.Status, &l.OnBehalf, &l.CreatedBy, &l.CreatedAt, &l.UpdatedAt)
	if err != nil {
		return nil, err
	}
	l.SideLabel, l.StatusLabel = SideLabel(l.Side), ListingStatusLabel(l.Status)
	l.CreatedAt, l.UpdatedAt = l.CreatedAt.UTC(), l.UpdatedAt.UTC()
	return l, nil
}

// listingScope limits listings to what p reads: readers their scope; members the open listings of their county
// and every listing of their own subject.
func (s *Service) listingScope(ctx context.Context, p *auth.Principal) (string, []any, error) {
	if isMember(p) {
		county, err := s.countyOf(ctx, p)
		if err != nil {
			return "", nil, err
		}
		return "((l.county_code = ? AND l.status = 'open') OR l.subject_id = ?)", []any{county, p.SubjectID}, nil
	}
	where, args := scopeSQL(p, "l.region_code")
	return where, args, nil
}

// ListListings returns the listings p may read, newest first.
func (s *Service) ListListings(ctx context.Context, p *auth.Principal, f ListingFilter) ([]*Listing, int, error) {
	if !canSee(p) {
		return nil, 0, errNoAccess
	}
	where, args, err := s.listingScope(ctx, p)
	if err != nil {
		return nil, 0, err
	}
	add := func(cond string, v ...any) { where += " AND " + cond; args = append(args, v...) }
	if f.Side != "" {
		add("l.side = ?", f.Side)
	}
	if f.Status != "" {
		add("l.status = ?", f.Status)
	}
	if f.Grade != "" {
		add("l.grade = ?", f.Grade)
	}
	if f.SubjectID != 0 {
		add("l.subject_id = ?", f.SubjectID)
	}
	if f.BrandID != 0 {
		add("l.brand_id = ?", f.BrandID)
	}
	if f.Region != "" {
		w, a := prefixSQL("l.region_code", f.Region)
		add(w, a...)
	}
	if q := strings.TrimSpace(f.Product); q != "" {
		add(`l.product LIKE ? ESCAPE '\'`, db.Like(q))
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		add(`(l.product LIKE ? ESCAPE '\' OR l.note LIKE ? ESCAPE '\')`, db.Like(q), db.Like(q))
	}
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM market_listings l WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count listings: %w", err)
	}
	if f.PerPage <= 0 {
		f.PerPage = 50
	}
	if f.Page < 1 {
		f.Page = 1
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+listingCols+` FROM market_listings l WHERE `+where+` ORDER BY l.created_at DESC, l.id DESC LIMIT ? OFFSET ?`,
		append(args, f.PerPage, (f.Page-1)*f.PerPage)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list listings: %w", err)
	}
	defer rows.Close()
	var out []*Listing
	for rows.Next() {
		l, err := scanListing(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	rows.Close()
	return out, total, s.decorateListings(ctx, out)
}

func (s *Service) decorateListings(ctx context.Context, list []*Listing) error {
	if len(list) == 0 {
		return nil
	}
	var ids, brands []int64
	for _, l := range list {
		ids = append(ids, l.SubjectID)
		if l.BrandID != 0 {
			brands = append(brands, l.BrandID)
		}
	}
	subs, err := s.names(ctx, ids)
	if err != nil {
		return err
	}
	bn, err := s.brandNames(ctx, brands)
	if err != nil {
		return err
	}
	ch, err := s.channels(ctx, ids)
	if err != nil {
		return err
	}
	for _, l := range list {
		if x, ok := subs[l.SubjectID]; ok {
			l.SubjectName = x.Name
		}
		l.RegionName = s.regions.Name(l.RegionCode)
		l.BrandName = bn[l.BrandID]
		if l.Side == SideDemand {
			l.Channel = ch[l.SubjectID]
			l.ChannelName = ChannelLabel(l.Channel)
		}
	}
	return nil
}

func (s *Service) channels(ctx context.Context, ids []int64) (map[int64]string, error) {
	out := map[int64]string{}
	if len(ids) == 0 {
		return out, nil
	}
	ph, args := db.InList(ids)
	rows, err := s.db.QueryContext(ctx, `SELECT subject_id, channel FROM market_buyers WHERE subject_id IN (`+ph+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("buyer channels: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var c string
		if err := rows.Scan(&id, &c); err != nil {
			return nil, err
		}
		out[id] = c
	}
	return out, rows.Err()
}

func (s *Service) loadListing(ctx context.Context, q db.Querier, id int64) (*Listing, error) {
	l, err := scanListing(q.QueryRowContext(ctx, `SELECT `+listingCols+` FROM market_listings l WHERE l.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoListing
	}
	if err != nil {
		return nil, fmt.Errorf("get listing %d: %w", id, err)
	}
	return l, nil
}

// canReadListing: readers in scope, members their own listings and the open ones of their county.
func (s *Service) canReadListing(ctx context.Context, p *auth.Principal, l *Listing) bool {
	switch {
	case isMember(p):
		if l.SubjectID == p.SubjectID {
			return true
		}
		county, err := s.countyOf(ctx, p)
		return err == nil && l.Status == ListingOpen && region.County(l.RegionCode) == county
	case isReader(p):
		return p.InRegion(l.RegionCode)
	}
	return false
}

// canEditListing: members their own subject's listings; staff listings located in their scope.
func canEditListing(p *auth.Principal, subjectID int64, regionCode string) error {
	if isMember(p) {
		if subjectID != p.SubjectID {
			return apperr.New(apperr.Forbidden, "会员只能发布和修改本主体的供求信息")
		}
		return nil
	}
	return staffFor(p, regionCode, "该主体")
}

// GetListing returns a listing p may read.
func (s *Service) GetListing(ctx context.Context, p *auth.Principal, id int64) (*Listing, error) {
	l, err := s.loadListing(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	if !s.canReadListing(ctx, p, l) {
		return nil, errNoListing
	}
	return l, s.decorateListings(ctx, []*Listing{l})
}

// validateListing normalises the input into field errors; the subject decides the default location.
func (s *Service) validateListing(ctx context.Context, p *auth.Principal, in ListingInput, creating bool) (ListingInput, error) {
	fields := map[string]string{}
	if isMember(p) && in.SubjectID == 0 {
		in.SubjectID = p.SubjectID
	}
	in.Product, in.Grade, in.Unit, in.Note = strings.TrimSpace(in.Product), strings.TrimSpace(in.Grade), strings.TrimSpace(in.Unit), strings.TrimSpace(in.Note)
	in.RegionCode = strings.TrimSpace(in.RegionCode)
	if in.Side != SideSupply && in.Side != SideDemand {
		fields["side"] = "类型应为 supply 供应或 demand 求购"
	}
	if in.Product == "" || utf8.RuneCountInString(in.Product) > 30 {
		fields["product"] = "请填写品名（不超过 30 字）"
	}
	if in.Grade != "" && !slices.Contains(Grades, in.Grade) {
		fields["grade"] = "等级应为 特级、一级、二级 或 统货"
	} else if in.Grade == "" && in.Side == SideSupply {
		fields["grade"] = "供应信息请填写等级"
	}
	if in.Quantity <= 0 || in.Quantity > 1e9 {
		fields["quantity"] = "数量应为正整数"
	}
	if !slices.ContainsFunc(Units, func(o Option) bool { return o.Value == in.Unit }) {
		fields["unit"] = "单位应为 公斤、斤、吨、箱、枚、头 或 只"
	}
	if in.PriceFen < 0 || in.PriceFen > 1e9 {
		fields["price_fen"] = "单价不能为负数（0 表示面议）"
	}
	if !validDate(in.DateFrom) {
		fields["date_from"] = "请填写开始日期（YYYY-MM-DD）"
	}
	if !validDate(in.DateTo) {
		fields["date_to"] = "请填写结束日期（YYYY-MM-DD）"
	} else if validDate(in.DateFrom) && in.DateTo < in.DateFrom {
		fields["date_to"] = "结束日期不能早于开始日期"
	} else if creating && in.DateTo < s.today() {
		fields["date_to"] = "结束日期已过，不能发布"
	}
	if utf8.RuneCountInString(in.Note) > 500 {
		fields["note"] = "备注不能超过 500 字"
	}
	if in.Status != "" && in.Status != ListingOpen && in.Status != ListingClosed {
		fields["status"] = "状态只能设为 open 挂牌或 closed 下架"
	}
	if in.SubjectID == 0 {
		fields["subject_id"] = "请选择发布主体"
	} else if x, err := s.subject(ctx, in.SubjectID, "subject_id"); err != nil {
		if f := apperr.FieldsOf(err); f != nil {
			fields["subject_id"] = f["subject_id"]
		} else {
			return in, err
		}
	} else {
		if x.Status != "active" {
			fields["subject_id"] = "该主体已注销"
		}
		if in.Side == SideDemand {
			if ch, err := s.channels(ctx, []int64{x.ID}); err != nil {
				return in, err
			} else if ch[x.ID] == "" {
				fields["subject_id"] = "求购方须先登记为采购商"
			}
		}
		if in.RegionCode == "" {
			in.RegionCode = x.RegionCode
			if in.Lng == 0 && in.Lat == 0 {
				in.Lng, in.Lat = x.Lng, x.Lat
			}
		}
	}
	if r, ok := s.regions.Get(in.RegionCode); !ok || (r.Level != "township" && r.Level != "village" && r.Level != "county") {
		fields["region_code"] = "请选择产地或收货地（区县、乡镇或村）"
	} else if in.Lng == 0 && in.Lat == 0 {
		in.Lng, in.Lat = r.Lng, r.Lat
	}
	if in.Lng != 0 || in.Lat != 0 {
		if in.Lng < 73 || in.Lng > 136 || in.Lat < 3 || in.Lat > 54 {
			fields["lng"] = "坐标不在中国境内（经度 73–136，纬度 3–54）"
		}
	}
	if in.BrandID != 0 {
		if in.Side != SideSupply {
			fields["brand_id"] = "只有供应信息可标注品牌"
		} else if ok, err := s.authorised(ctx, in.BrandID, in.SubjectID, in.Product); err != nil {
			return in, err
		} else if !ok {
			fields["brand_id"] = "该主体未获得此品牌对该品名的有效授权"
		}
	}
	if len(fields) > 0 {
		return in, apperr.FieldErrors(fields)
	}
	return in, nil
}

func listingAudit(in ListingInput) map[string]any {
	return map[string]any{"side": in.Side, "subject_id": in.SubjectID, "region_code": in.RegionCode, "product": in.Product, "grade": in.Grade,
		"quantity": in.Quantity, "unit": in.Unit, "price_fen": in.PriceFen, "date_from": in.DateFrom, "date_to": in.DateTo, "brand_id": in.BrandID,
		"status": in.Status}
}

// CreateListing posts a listing (members for themselves; staff on behalf of a subject in their scope).
func (s *Service) CreateListing(ctx context.Context, p *auth.Principal, in ListingInput) (*Listing, error) {
	if !isMember(p) && !isStaff(p) {
		return nil, errReadOnly
	}
	if isMember(p) && in.SubjectID != 0 && in.SubjectID != p.SubjectID {
		return nil, apperr.New(apperr.Forbidden, "会员只能发布本主体的供求信息")
	}
	in, err := s.validateListing(ctx, p, in, true)
	if err != nil {
		return nil, err
	}
	if err := canEditListing(p, in.SubjectID, in.RegionCode); err != nil {
		return nil, err
	}
	in.Status = ListingOpen
	var id int64
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		var e error
		id, e = s.insertListing(ctx, tx, p, in, s.nowUTC())
		return e
	})
	if err != nil {
		return nil, err
	}
	return s.GetListing(ctx, p, id)
}

func (s *Service) insertListing(ctx context.Context, tx *db.Tx, p *auth.Principal, in ListingInput, now time.Time) (int64, error) {
	id := tx.NextID()
	_, err := tx.ExecContext(ctx, `INSERT INTO market_listings (id, county_code, side, subject_id, region_code, lng, lat, product, grade, quantity, unit,
		price_fen, date_from, date_to, brand_id, note, status, on_behalf, created_by, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, region.County(in.RegionCode), in.Side, in.SubjectID, in.RegionCode, in.Lng, in.Lat, in.Product, in.Grade, in.Quantity, in.Unit,
		in.PriceFen, in.DateFrom, in.DateTo, in.BrandID, in.Note, in.Status, !isMember(p), displayName(p), now, now)
	if err != nil {
		return 0, fmt.Errorf("insert listing: %w", err)
	}
	return id, audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "create", Entity: "market_listing", EntityID: id,
		Summary: fmt.Sprintf("发布%s信息：%s %d%s", SideLabel(in.Side), in.Product, in.Quantity, in.Unit), After: listingAudit(in)})
}

// UpdateListing replaces a listing's fields; its side and subject stay.
func (s *Service) UpdateListing(ctx context.Context, p *auth.Principal, id int64, in ListingInput) (*Listing, error) {
	old, err := s.GetListing(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if err := canEditListing(p, old.SubjectID, old.RegionCode); err != nil {
		return nil, err
	}
	if old.Status == ListingMatched {
		return nil, apperr.New(apperr.Conflict, "该信息已签约成交，不能再修改")
	}
	in.Side, in.SubjectID = old.Side, old.SubjectID
	if in.Status == "" {
		in.Status = old.Status
	}
	in, err = s.validateListing(ctx, p, in, false)
	if err != nil {
		return nil, err
	}
	if err := canEditListing(p, in.SubjectID, in.RegionCode); err != nil {
		return nil, err
	}
	before := listingAudit(ListingInput{Side: old.Side, SubjectID: old.SubjectID, RegionCode: old.RegionCode, Product: old.Product, Grade: old.Grade,
		Quantity: old.Quantity, Unit: old.Unit, PriceFen: old.PriceFen, DateFrom: old.DateFrom, DateTo: old.DateTo, BrandID: old.BrandID, Status: old.Status})
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE market_listings SET county_code = ?, region_code = ?, lng = ?, lat = ?, product = ?, grade = ?, quantity = ?,
			unit = ?, price_fen = ?, date_from = ?, date_to = ?, brand_id = ?, note = ?, status = ?, updated_at = ? WHERE id = ? AND status <> 'matched'`,
			region.County(in.RegionCode), in.RegionCode, in.Lng, in.Lat, in.Product, in.Grade, in.Quantity, in.Unit, in.PriceFen, in.DateFrom, in.DateTo,
			in.BrandID, in.Note, in.Status, s.nowUTC(), id)
		if err != nil {
			return fmt.Errorf("update listing: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.New(apperr.Conflict, "该信息已签约成交，不能再修改")
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "update", Entity: "market_listing", EntityID: id,
			Summary: fmt.Sprintf("修改%s信息：%s", SideLabel(in.Side), in.Product), Before: before, After: listingAudit(in)})
	})
	if err != nil {
		return nil, err
	}
	return s.GetListing(ctx, p, id)
}

// ---------------------------------------------------------------------------------------------------------------
// Buyers
// ---------------------------------------------------------------------------------------------------------------

// RegisterBuyer records a subject of the register as a buyer (采购商) with its channel; staff only, in scope.
func (s *Service) RegisterBuyer(ctx context.Context, p *auth.Principal, in BuyerInput) (*Buyer, error) {
	if !isStaff(p) {
		return nil, errReadOnly
	}
	fields := map[string]string{}
	in.Note = strings.TrimSpace(in.Note)
	if !slices.ContainsFunc(Channels, func(o Option) bool { return o.Value == in.Channel }) {
		fields["channel"] = "采购商类型应为 商超、批发商、电商平台、机关食堂/团餐、加工企业 或 其他"
	}
	x, err := s.subject(ctx, in.SubjectID, "subject_id")
	if err != nil && apperr.FieldsOf(err) == nil {
		return nil, err
	}
	if err != nil {
		fields["subject_id"] = apperr.FieldsOf(err)["subject_id"]
	} else if x.Kind == "household" {
		fields["subject_id"] = "采购商应为企业、合作社等组织，请先在主体登记中登记"
	}
	if utf8.RuneCountInString(in.Note) > 200 {
		fields["note"] = "备注不能超过 200 字"
	}
	if len(fields) > 0 {
		return nil, apperr.FieldErrors(fields)
	}
	if err := staffFor(p, x.RegionCode, "该主体"); err != nil {
		return nil, err
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		return s.insertBuyer(ctx, tx, p, x.ID, x.RegionCode, x.Name, in)
	})
	if err != nil {
		return nil, err
	}
	list, err := s.ListBuyers(ctx, p, x.ID)
	if err != nil || len(list) == 0 {
		return nil, err
	}
	return list[0], nil
}

func (s *Service) insertBuyer(ctx context.Context, tx *db.Tx, p *auth.Principal, id int64, regionCode, name string, in BuyerInput) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO market_buyers (subject_id, county_code, region_code, channel, note, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		id, region.County(regionCode), regionCode, in.Channel, in.Note, displayName(p), s.nowUTC())
	if db.IsUniqueViolation(err) {
		return &apperr.Error{Code: apperr.Conflict, Message: "该主体已登记为采购商", Fields: map[string]string{"subject_id": "已登记为采购商"}}
	}
	if err != nil {
		return fmt.Errorf("insert buyer: %w", err)
	}
	return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "create", Entity: "market_buyer", EntityID: id,
		Summary: "登记采购商：" + name + "（" + ChannelLabel(in.Channel) + "）", After: map[string]any{"subject_id": id, "channel": in.Channel}})
}

// ListBuyers lists buyers p may read (members: every buyer of their county, to know who buys); only is one id or 0.
func (s *Service) ListBuyers(ctx context.Context, p *auth.Principal, only int64) ([]*Buyer, error) {
	if !canSee(p) {
		return nil, errNoAccess
	}
	where, args := scopeSQL(p, "b.region_code")
	if isMember(p) {
		county, err := s.countyOf(ctx, p)
		if err != nil {
			return nil, err
		}
		where, args = "b.county_code = ?", []any{county}
	}
	if only != 0 {
		where += " AND b.subject_id = ?"
		args = append(args, only)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT b.subject_id, b.region_code, b.channel, b.note, b.created_at,
		(SELECT COUNT(*) FROM market_listings l WHERE l.subject_id = b.subject_id AND l.side = 'demand' AND l.status = 'open')
		FROM market_buyers b WHERE `+where+` ORDER BY b.channel, b.subject_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list buyers: %w", err)
	}
	defer rows.Close()
	var out []*Buyer
	var ids []int64
	for rows.Next() {
		b := &Buyer{}
		if err := rows.Scan(&b.SubjectID, &b.RegionCode, &b.Channel, &b.Note, &b.CreatedAt, &b.OpenDemands); err != nil {
			return nil, err
		}
		b.ChannelLabel, b.RegionName, b.CreatedAt = ChannelLabel(b.Channel), s.regions.Name(b.RegionCode), b.CreatedAt.UTC()
		out = append(out, b)
		ids = append(ids, b.SubjectID)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	subs, err := s.names(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, b := range out {
		if x, ok := subs[b.SubjectID]; ok {
			b.Name, b.KindLabel = x.Name, x.KindLabel
		}
	}
	return out, nil
}
