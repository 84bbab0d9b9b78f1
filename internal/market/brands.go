package market

import (
	"context"
	"crypto/rand"
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

// Brand levels.
const (
	BrandRegional  = "regional"  // 县域区域公用品牌
	BrandMunicipal = "municipal" // 市级公用品牌（家族）
)

// BrandLevelLabel is the Chinese label of a brand level.
func BrandLevelLabel(l string) string {
	return map[string]string{BrandRegional: "区域公用品牌", BrandMunicipal: "市级公用品牌"}[l]
}

// Brand is a regional or municipal public brand (区域公用品牌) with its standard.
type Brand struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	Level      string    `json:"level" doc:"regional 区域公用品牌 / municipal 市级公用品牌"`
	LevelLabel string    `json:"level_label"`
	Family     string    `json:"family" doc:"所属市级品牌家族，如 巴味渝珍"`
	Products   string    `json:"products" doc:"适用品名，逗号分隔"`
	Owner      string    `json:"owner" doc:"品牌持有单位"`
	StandardNo string    `json:"standard_no" doc:"标准编号"`
	Standard   string    `json:"standard" doc:"标准要点"`
	Members    int       `json:"members" doc:"有效授权主体数"`
	Batches    int       `json:"batches"`
	CreatedAt  time.Time `json:"created_at"`
}

// BrandInput creates a brand.
type BrandInput struct {
	Name       string `json:"name"`
	Level      string `json:"level"`
	Family     string `json:"family"`
	Products   string `json:"products"`
	Owner      string `json:"owner"`
	StandardNo string `json:"standard_no"`
	Standard   string `json:"standard"`
}

// Authorisation is a subject's licence to use a brand (品牌授权): product, term and output quota.
type Authorisation struct {
	ID          int64     `json:"id"`
	BrandID     int64     `json:"brand_id"`
	BrandName   string    `json:"brand_name"`
	SubjectID   int64     `json:"subject_id"`
	SubjectName string    `json:"subject_name"`
	RegionCode  string    `json:"region_code"`
	RegionName  string    `json:"region_name"`
	Product     string    `json:"product"`
	DateFrom    string    `json:"date_from"`
	DateTo      string    `json:"date_to"`
	Quota       int64     `json:"quota" doc:"授权产量上限"`
	Unit        string    `json:"unit"`
	Used        int64     `json:"used" doc:"已赋码数量"`
	Status      string    `json:"status" doc:"active 有效 / revoked 已撤销"`
	Valid       bool      `json:"valid" doc:"今天在授权期内且未撤销"`
	CreatedAt   time.Time `json:"created_at"`
}

// AuthInput authorises a subject.
type AuthInput struct {
	SubjectID int64  `json:"subject_id"`
	Product   string `json:"product"`
	DateFrom  string `json:"date_from"`
	DateTo    string `json:"date_to"`
	Quota     int64  `json:"quota"`
	Unit      string `json:"unit"`
}

// Batch is a batch code issued against an authorisation's quota (批次码).
type Batch struct {
	ID          int64     `json:"id"`
	Code        string    `json:"code"`
	AuthID      int64     `json:"auth_id"`
	BrandID     int64     `json:"brand_id"`
	BrandName   string    `json:"brand_name"`
	SubjectID   int64     `json:"subject_id"`
	SubjectName string    `json:"subject_name"`
	Product     string    `json:"product"`
	Quantity    int64     `json:"quantity"`
	Unit        string    `json:"unit"`
	HarvestDate string    `json:"harvest_date"`
	OriginCode  string    `json:"origin_code"`
	OriginName  string    `json:"origin_name"`
	Note        string    `json:"note"`
	CreatedAt   time.Time `json:"created_at"`
}

// BatchInput issues a batch code.
type BatchInput struct {
	Quantity    int64  `json:"quantity"`
	HarvestDate string `json:"harvest_date"`
	OriginCode  string `json:"origin_code" doc:"产地区划（村或乡镇）；省略时取主体所在地"`
	Note        string `json:"note"`
}

func (s *Service) brandNames(ctx context.Context, ids []int64) (map[int64]string, error) {
	out := map[int64]string{}
	if len(ids) == 0 {
		return out, nil
	}
	ph, args := db.InList(ids)
	rows, err := s.db.QueryContext(ctx, `SELECT id, name FROM market_brands WHERE id IN (`+ph+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("brand names: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var n string
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = n
	}
	return out, rows.Err()
}

// authorised reports whether subject holds a valid authorisation of brand for product today.
func (s *Service) authorised(ctx context.Context, brand, subject int64, product string) (bool, error) {
	today := s.today()
	rows, err := s.db.QueryContext(ctx, `SELECT product FROM market_brand_auths WHERE brand_id = ? AND subject_id = ? AND status = 'active'
		AND date_from <= ? AND date_to >= ?`, brand, subject, today, today)
	if err != nil {
		return false, fmt.Errorf("authorised: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return false, err
		}
		if normProduct(p) == normProduct(product) {
			return true, nil
		}
	}
	return false, rows.Err()
}

// ListBrands lists the brands of p's county with their live member and batch counts. Every role of the room sees
// the brands (members choose one to apply for).
func (s *Service) ListBrands(ctx context.Context, p *auth.Principal) ([]*Brand, error) {
	if !canSee(p) {
		return nil, errNoAccess
	}
	county, err := s.countyOf(ctx, p)
	if err != nil {
		return nil, err
	}
	today := s.today()
	rows, err := s.db.QueryContext(ctx, `SELECT b.id, b.name, b.level, b.family, b.products, b.owner, b.standard_no, b.standard, b.created_at,
		(SELECT COUNT(DISTINCT a.subject_id) FROM market_brand_auths a WHERE a.brand_id = b.id AND a.status = 'active' AND a.date_from <= ? AND a.date_to >= ?),
		(SELECT COUNT(*) FROM market_batches x JOIN market_brand_auths a ON a.id = x.auth_id WHERE a.brand_id = b.id)
		FROM market_brands b WHERE b.county_code = ? ORDER BY b.level DESC, b.id`, today, today, county)
	if err != nil {
		return nil, fmt.Errorf("list brands: %w", err)
	}
	defer rows.Close()
	var out []*Brand
	for rows.Next() {
		b := &Brand{}
		if err := rows.Scan(&b.ID, &b.Name, &b.Level, &b.Family, &b.Products, &b.Owner, &b.StandardNo, &b.Standard, &b.CreatedAt, &b.Members, &b.Batches); err != nil {
			return nil, err
		}
		b.LevelLabel, b.CreatedAt = BrandLevelLabel(b.Level), b.CreatedAt.UTC()
		out = append(out, b)
	}
	return out, rows.Err()
}

// GetBrand returns one brand of p's county.
func (s *Service) GetBrand(ctx context.Context, p *auth.Principal, id int64) (*Brand, error) {
	list, err := s.ListBrands(ctx, p)
	if err != nil {
		return nil, err
	}
	for _, b := range list {
		if b.ID == id {
			return b, nil
		}
	}
	return nil, errNoBrand
}

// CreateBrand registers a brand and its standard (county_admin).
func (s *Service) CreateBrand(ctx context.Context, p *auth.Principal, in BrandInput) (*Brand, error) {
	if p == nil || !p.Is(auth.CountyAdmin) {
		return nil, apperr.New(apperr.Forbidden, "只有县级管理员可以登记品牌")
	}
	county, err := s.countyOf(ctx, p)
	if err != nil {
		return nil, err
	}
	in.Name, in.Family, in.Products, in.Owner = strings.TrimSpace(in.Name), strings.TrimSpace(in.Family), strings.TrimSpace(in.Products), strings.TrimSpace(in.Owner)
	in.StandardNo, in.Standard = strings.TrimSpace(in.StandardNo), strings.TrimSpace(in.Standard)
	fields := map[string]string{}
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 30 {
		fields["name"] = "请填写品牌名称（不超过 30 字）"
	}
	if in.Level != BrandRegional && in.Level != BrandMunicipal {
		fields["level"] = "级别应为 regional 区域公用品牌或 municipal 市级公用品牌"
	}
	if in.Products == "" {
		fields["products"] = "请填写适用品名"
	}
	if utf8.RuneCountInString(in.Standard) > 2000 {
		fields["standard"] = "标准要点不能超过 2000 字"
	}
	if len(fields) > 0 {
		return nil, apperr.FieldErrors(fields)
	}
	var id int64
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		var e error
		id, e = s.insertBrand(ctx, tx, p, county, in)
		return e
	})
	if err != nil {
		return nil, err
	}
	return s.GetBrand(ctx, p, id)
}

func (s *Service) insertBrand(ctx context.Context, tx *db.Tx, p *auth.Principal, county string, in BrandInput) (int64, error) {
	id := tx.NextID()
	_, err := tx.ExecContext(ctx, `INSERT INTO market_brands (id, county_code, name, level, family, products, owner, standard_no, standard, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, county, in.Name, in.Level, in.Family, in.Products, in.Owner, in.StandardNo, in.Standard, s.nowUTC())
	if db.IsUniqueViolation(err) {
		return 0, &apperr.Error{Code: apperr.Conflict, Message: "已有同名品牌：" + in.Name, Fields: map[string]string{"name": "已有同名品牌"}}
	}
	if err != nil {
		return 0, fmt.Errorf("insert brand: %w", err)
	}
	return id, audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "create", Entity: "market_brand", EntityID: id, Summary: "登记品牌：" + in.Name, After: in})
}

const authCols = `a.id, a.brand_id, a.subject_id, a.region_code, a.product, a.date_from, a.date_to, a.quota, a.unit, a.status, a.created_at,
	(SELECT COALESCE(SUM(x.quantity), 0) FROM market_batches x WHERE x.auth_id = a.id)`

func (s *Service) scanAuths(ctx context.Context, rows *sql.Rows) ([]*Authorisation, error) {
	defer rows.Close()
	var out []*Authorisation
	var sids, bids []int64
	today := s.today()
	for rows.Next() {
		a := &Authorisation{}
		if err := rows.Scan(&a.ID, &a.BrandID, &a.SubjectID, &a.RegionCode, &a.Product, &a.DateFrom, &a.DateTo, &a.Quota, &a.Unit, &a.Status, &a.CreatedAt, &a.Used); err != nil {
			return nil, err
		}
		a.Valid = a.Status == "active" && a.DateFrom <= today && a.DateTo >= today
		a.RegionName, a.CreatedAt = s.regions.Name(a.RegionCode), a.CreatedAt.UTC()
		out = append(out, a)
		sids, bids = append(sids, a.SubjectID), append(bids, a.BrandID)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	subs, err := s.names(ctx, sids)
	if err != nil {
		return nil, err
	}
	bn, err := s.brandNames(ctx, bids)
	if err != nil {
		return nil, err
	}
	for _, a := range out {
		if x, ok := subs[a.SubjectID]; ok {
			a.SubjectName = x.Name
		}
		a.BrandName = bn[a.BrandID]
	}
	return out, nil
}

// ListAuths lists the authorisations of a brand (0 = every brand) p may read: readers in scope, members their own.
func (s *Service) ListAuths(ctx context.Context, p *auth.Principal, brandID int64) ([]*Authorisation, error) {
	if !canSee(p) {
		return nil, errNoAccess
	}
	where, args := scopeSQL(p, "a.region_code")
	if isMember(p) {
		where, args = "a.subject_id = ?", []any{p.SubjectID}
	}
	if brandID != 0 {
		where += " AND a.brand_id = ?"
		args = append(args, brandID)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+authCols+` FROM market_brand_auths a WHERE `+where+` ORDER BY a.brand_id, a.region_code, a.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list authorisations: %w", err)
	}
	return s.scanAuths(ctx, rows)
}

func (s *Service) getAuth(ctx context.Context, q db.Querier, p *auth.Principal, id int64) (*Authorisation, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+authCols+` FROM market_brand_auths a WHERE a.id = ?`, id)
	if err != nil {
		return nil, fmt.Errorf("get authorisation: %w", err)
	}
	list, err := s.scanAuths(ctx, rows)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, errNoAuth
	}
	a := list[0]
	if p != nil && !(isMember(p) && a.SubjectID == p.SubjectID) && !(isReader(p) && p.InRegion(a.RegionCode)) {
		return nil, errNoAuth
	}
	return a, nil
}

// Authorise grants a subject the use of a brand for a product, a term and an output quota (staff in the
// subject's scope).
func (s *Service) Authorise(ctx context.Context, p *auth.Principal, brandID int64, in AuthInput) (*Authorisation, error) {
	if !isStaff(p) {
		return nil, apperr.New(apperr.Forbidden, "只有县级管理员和乡镇操作员可以办理品牌授权")
	}
	b, err := s.GetBrand(ctx, p, brandID)
	if err != nil {
		return nil, err
	}
	in.Product, in.Unit = strings.TrimSpace(in.Product), strings.TrimSpace(in.Unit)
	fields := map[string]string{}
	x, err := s.subject(ctx, in.SubjectID, "subject_id")
	if err != nil {
		if apperr.FieldsOf(err) == nil {
			return nil, err
		}
		fields["subject_id"] = apperr.FieldsOf(err)["subject_id"]
	} else if x.Status != "active" {
		fields["subject_id"] = "该主体已注销"
	}
	if in.Product == "" {
		fields["product"] = "请填写授权品名"
	} else if !productIn(in.Product, b.Products) {
		fields["product"] = "该品牌只适用于：" + b.Products
	}
	if !validDate(in.DateFrom) {
		fields["date_from"] = "请填写授权起始日期（YYYY-MM-DD）"
	}
	if !validDate(in.DateTo) || in.DateTo < in.DateFrom {
		fields["date_to"] = "请填写不早于起始日期的授权截止日期"
	}
	if in.Quota <= 0 || in.Quota > 1e9 {
		fields["quota"] = "请填写授权产量上限（正整数）"
	}
	if !unitKnown(in.Unit) {
		fields["unit"] = "单位应为 公斤、斤、吨、箱、枚、头 或 只"
	}
	if len(fields) > 0 {
		return nil, apperr.FieldErrors(fields)
	}
	if err := staffFor(p, x.RegionCode, "该主体"); err != nil {
		return nil, err
	}
	var id int64
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		var e error
		id, e = s.insertAuth(ctx, tx, p, b, x.ID, x.RegionCode, x.Name, in)
		return e
	})
	if err != nil {
		return nil, err
	}
	return s.getAuth(ctx, s.db, p, id)
}

func (s *Service) insertAuth(ctx context.Context, tx *db.Tx, p *auth.Principal, b *Brand, sid int64, regionCode, name string, in AuthInput) (int64, error) {
	id := tx.NextID()
	if _, err := tx.ExecContext(ctx, `INSERT INTO market_brand_auths (id, brand_id, subject_id, region_code, product, date_from, date_to, quota, unit, status,
		created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?)`, id, b.ID, sid, regionCode, in.Product, in.DateFrom, in.DateTo, in.Quota,
		in.Unit, displayName(p), s.nowUTC()); err != nil {
		return 0, fmt.Errorf("insert authorisation: %w", err)
	}
	return id, audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "authorise", Entity: "market_brand_auth", EntityID: id,
		Summary: fmt.Sprintf("授权 %s 使用“%s”品牌（%s，%d%s）", name, b.Name, in.Product, in.Quota, in.Unit), After: in})
}

// Revoke ends an authorisation (staff in scope); batch codes already issued stay valid for lookup.
func (s *Service) Revoke(ctx context.Context, p *auth.Principal, id int64) (*Authorisation, error) {
	a, err := s.getAuth(ctx, s.db, p, id)
	if err != nil {
		return nil, err
	}
	if err := staffFor(p, a.RegionCode, "该主体"); err != nil {
		return nil, err
	}
	if a.Status != "active" {
		return nil, apperr.New(apperr.Conflict, "该授权已撤销")
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE market_brand_auths SET status = 'revoked' WHERE id = ?`, id); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "revoke", Entity: "market_brand_auth", EntityID: id,
			Summary: "撤销 " + a.SubjectName + " 的“" + a.BrandName + "”品牌授权"})
	})
	if err != nil {
		return nil, err
	}
	return s.getAuth(ctx, s.db, p, id)
}

func productIn(product, list string) bool {
	for _, x := range strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == '，' || r == '、' }) {
		if normProduct(x) == normProduct(product) {
			return true
		}
	}
	return false
}

func unitKnown(u string) bool {
	for _, o := range Units {
		if o.Value == u {
			return true
		}
	}
	return false
}

// batchCode is a fresh, unguessable code: WS (巫山) + yymmdd + 8 characters of an alphabet without 0/O/1/I.
func batchCode(now time.Time) string {
	const alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return "WS" + now.Format("060102") + string(b)
}

// IssueBatch issues a batch code against an authorisation's remaining quota: by the authorised member itself or
// staff in its scope; the authorisation must be valid today.
func (s *Service) IssueBatch(ctx context.Context, p *auth.Principal, authID int64, in BatchInput) (*Batch, error) {
	if !isStaff(p) && !isMember(p) {
		return nil, errReadOnly
	}
	a, err := s.getAuth(ctx, s.db, p, authID)
	if err != nil {
		return nil, err
	}
	if !isMember(p) {
		if err := staffFor(p, a.RegionCode, "该主体"); err != nil {
			return nil, err
		}
	}
	in.Note, in.OriginCode = strings.TrimSpace(in.Note), strings.TrimSpace(in.OriginCode)
	if in.OriginCode == "" {
		in.OriginCode = a.RegionCode
	}
	fields := map[string]string{}
	if !a.Valid {
		return nil, apperr.New(apperr.Conflict, "该品牌授权已过期或已撤销，不能赋码")
	}
	if in.Quantity <= 0 {
		fields["quantity"] = "请填写批次数量（正整数）"
	} else if a.Used+in.Quantity > a.Quota {
		fields["quantity"] = fmt.Sprintf("超出授权产量：上限 %d%s，已赋码 %d，剩余 %d", a.Quota, a.Unit, a.Used, a.Quota-a.Used)
	}
	if !validDate(in.HarvestDate) {
		fields["harvest_date"] = "请填写采收日期（YYYY-MM-DD）"
	} else if in.HarvestDate > s.today() {
		fields["harvest_date"] = "采收日期不能晚于今天"
	}
	if r, ok := s.regions.Get(in.OriginCode); !ok || (r.Level != "village" && r.Level != "township") {
		fields["origin_code"] = "产地应为乡镇或村"
	} else if region.County(in.OriginCode) != region.County(a.RegionCode) {
		fields["origin_code"] = "产地应在授权主体所在区县"
	}
	if utf8.RuneCountInString(in.Note) > 200 {
		fields["note"] = "备注不能超过 200 字"
	}
	if len(fields) > 0 {
		return nil, apperr.FieldErrors(fields)
	}
	var id int64
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		var e error
		id, e = s.insertBatch(ctx, tx, p, a, in)
		return e
	})
	if err != nil {
		return nil, err
	}
	return s.batchByID(ctx, id)
}

func (s *Service) insertBatch(ctx context.Context, tx *db.Tx, p *auth.Principal, a *Authorisation, in BatchInput) (int64, error) {
	// the quota is checked again inside the transaction so that concurrent issues cannot overrun it together
	if err := lockRow(ctx, tx, "market_brand_auths", a.ID); err != nil {
		return 0, err
	}
	var used int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(quantity), 0) FROM market_batches WHERE auth_id = ?`, a.ID).Scan(&used); err != nil {
		return 0, err
	}
	if used+in.Quantity > a.Quota {
		return 0, apperr.FieldErrors(map[string]string{"quantity": fmt.Sprintf("超出授权产量：上限 %d%s，已赋码 %d", a.Quota, a.Unit, used)})
	}
	id := tx.NextID()
	code := batchCode(s.now().In(shanghai()))
	if _, err := tx.ExecContext(ctx, `INSERT INTO market_batches (id, code, auth_id, quantity, harvest_date, origin_code, note, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, code, a.ID, in.Quantity, in.HarvestDate, in.OriginCode, in.Note, displayName(p), s.nowUTC()); err != nil {
		return 0, fmt.Errorf("insert batch: %w", err)
	}
	return id, audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "create", Entity: "market_batch", EntityID: id,
		Summary: fmt.Sprintf("“%s”批次赋码 %s：%s %d%s", a.BrandName, code, a.Product, in.Quantity, a.Unit), After: in})
}

const batchCols = `x.id, x.code, x.auth_id, a.brand_id, a.subject_id, a.product, x.quantity, a.unit, x.harvest_date, x.origin_code, x.note, x.created_at`

func (s *Service) scanBatches(ctx context.Context, rows *sql.Rows) ([]*Batch, error) {
	defer rows.Close()
	var out []*Batch
	var sids, bids []int64
	for rows.Next() {
		b := &Batch{}
		if err := rows.Scan(&b.ID, &b.Code, &b.AuthID, &b.BrandID, &b.SubjectID, &b.Product, &b.Quantity, &b.Unit, &b.HarvestDate, &b.OriginCode, &b.Note, &b.CreatedAt); err != nil {
			return nil, err
		}
		b.OriginName, b.CreatedAt = s.regions.Name(b.OriginCode), b.CreatedAt.UTC()
		out = append(out, b)
		sids, bids = append(sids, b.SubjectID), append(bids, b.BrandID)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	subs, err := s.names(ctx, sids)
	if err != nil {
		return nil, err
	}
	bn, err := s.brandNames(ctx, bids)
	if err != nil {
		return nil, err
	}
	for _, b := range out {
		if x, ok := subs[b.SubjectID]; ok {
			b.SubjectName = x.Name
		}
		b.BrandName = bn[b.BrandID]
	}
	return out, nil
}

func (s *Service) batchByID(ctx context.Context, id int64) (*Batch, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+batchCols+` FROM market_batches x JOIN market_brand_auths a ON a.id = x.auth_id WHERE x.id = ?`, id)
	if err != nil {
		return nil, err
	}
	list, err := s.scanBatches(ctx, rows)
	if err != nil || len(list) == 0 {
		return nil, errors.Join(err, errNoAuth)
	}
	return list[0], nil
}

// ListBatches lists the batches of an authorisation p may read.
func (s *Service) ListBatches(ctx context.Context, p *auth.Principal, authID int64) ([]*Batch, error) {
	if _, err := s.getAuth(ctx, s.db, p, authID); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+batchCols+` FROM market_batches x JOIN market_brand_auths a ON a.id = x.auth_id
		WHERE x.auth_id = ? ORDER BY x.created_at DESC, x.id DESC`, authID)
	if err != nil {
		return nil, fmt.Errorf("list batches: %w", err)
	}
	return s.scanBatches(ctx, rows)
}

// PublicBatch is what anyone scanning a batch's QR code sees: no ids, no personal data — the producer's name as
// a label would print it (a household shows only its family name), origin, brand and its standard.
type PublicBatch struct {
	Code        string `json:"code"`
	Brand       string `json:"brand"`
	BrandLevel  string `json:"brand_level"`
	Family      string `json:"family"`
	StandardNo  string `json:"standard_no"`
	Standard    string `json:"standard"`
	Owner       string `json:"owner"`
	Product     string `json:"product"`
	Quantity    int64  `json:"quantity"`
	Unit        string `json:"unit"`
	HarvestDate string `json:"harvest_date"`
	Producer    string `json:"producer"`
	Origin      string `json:"origin"`
	AuthValid   string `json:"auth_valid" doc:"授权期"`
	Issued      string `json:"issued"`
}

// LookupBatch finds a batch by code for the public page.
func (s *Service) LookupBatch(ctx context.Context, code string) (*PublicBatch, error) {
	code = strings.ToUpper(strings.TrimSpace(code))
	notFound := apperr.New(apperr.NotFound, "没有这个批次码，请核对后再查")
	if len(code) < 8 || len(code) > 20 {
		return nil, notFound
	}
	var out PublicBatch
	var sid int64
	var created time.Time
	var from, to, origin string
	err := s.db.QueryRowContext(ctx, `SELECT x.code, b.name, b.level, b.family, b.standard_no, b.standard, b.owner, a.product, x.quantity, a.unit,
		x.harvest_date, a.subject_id, x.origin_code, a.date_from, a.date_to, x.created_at
		FROM market_batches x JOIN market_brand_auths a ON a.id = x.auth_id JOIN market_brands b ON b.id = a.brand_id WHERE x.code = ?`, code).
		Scan(&out.Code, &out.Brand, &out.BrandLevel, &out.Family, &out.StandardNo, &out.Standard, &out.Owner, &out.Product, &out.Quantity, &out.Unit,
			&out.HarvestDate, &sid, &origin, &from, &to, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound
	}
	if err != nil {
		return nil, fmt.Errorf("lookup batch: %w", err)
	}
	out.BrandLevel = BrandLevelLabel(out.BrandLevel)
	out.Origin = s.regions.Name(origin)
	out.AuthValid = from + " 至 " + to
	out.Issued = created.In(shanghai()).Format("2006-01-02")
	subs, err := s.names(ctx, []int64{sid})
	if err != nil {
		return nil, err
	}
	if x, ok := subs[sid]; ok {
		out.Producer = labelName(x.Kind, x.Name)
	}
	return &out, nil
}

// labelName is the producer's name as a public label shows it: organisations by their registered name, a household
// only by its family name (张**户) — a person's full name is personal data.
func labelName(kind, name string) string {
	if kind != "household" {
		return name
	}
	r := []rune(strings.TrimSpace(name))
	if len(r) == 0 {
		return "农户"
	}
	return string(r[0]) + "**（农户）"
}

// batchesOf lists the batches of authorisations already read by the caller (newest first, at most per each).
func (s *Service) batchesOf(ctx context.Context, auths []*Authorisation, per int) (map[int64][]*Batch, error) {
	out := map[int64][]*Batch{}
	if len(auths) == 0 {
		return out, nil
	}
	var ids []int64
	for _, a := range auths {
		ids = append(ids, a.ID)
	}
	ph, args := db.InList(ids)
	rows, err := s.db.QueryContext(ctx, `SELECT `+batchCols+` FROM market_batches x JOIN market_brand_auths a ON a.id = x.auth_id
		WHERE x.auth_id IN (`+ph+`) ORDER BY x.created_at DESC, x.id DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("batches of authorisations: %w", err)
	}
	list, err := s.scanBatches(ctx, rows)
	if err != nil {
		return nil, err
	}
	for _, b := range list {
		if len(out[b.AuthID]) < per {
			out[b.AuthID] = append(out[b.AuthID], b)
		}
	}
	return out, nil
}
