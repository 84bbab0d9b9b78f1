package service

import (
	"context"
	"fmt"
	"nongfu/internal/platform/web"
	"slices"
	"strings"
	"time"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/region"
	"nongfu/internal/registry"
)

// SignedSubjects counts the distinct subjects under regionPrefix (the subject's region; empty = everywhere) with a
// contract in force on day on (Asia/Shanghai date): not terminated, and from ≤ on ≤ to.
func (s *Service) SignedSubjects(ctx context.Context, regionPrefix string, on time.Time) (int, error) {
	day := on.In(web.Shanghai).Format("2006-01-02")
	where, args := "status = 'active' AND date_from <= ? AND date_to >= ?", []any{day, day}
	if regionPrefix != "" {
		lo, hi := db.PrefixRange(auth.RegionPrefix(regionPrefix))
		where += " AND region_code >= ? AND region_code < ?"
		args = append(args, lo, hi)
	}
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(DISTINCT subject_id) FROM service_contracts WHERE `+where, args...).Scan(&n)
	return n, err
}

const contractCols = `k.id, k.center_id, k.center_region, k.subject_id, k.region_code, k.scope, k.date_from, k.date_to, k.fee_fen, k.status, k.created_at`

func (s *Service) scanContract(sc interface{ Scan(...any) error }) (*Contract, error) {
	k := &Contract{}
	var scope string
	if err := sc.Scan(&k.ID, &k.CenterID, &k.centerReg, &k.SubjectID, &k.RegionCode, &scope, &k.From, &k.To, &k.FeeFen, &k.Status, &k.CreatedAt); err != nil {
		return nil, err
	}
	k.Scope = splitCodes(scope)
	var names []string
	for _, c := range k.Scope {
		names = append(names, ItemName(c))
	}
	k.ScopeLabel = strings.Join(names, "、")
	k.StatusLabel = ContractStatusLabel(k.Status)
	t := s.today()
	k.InForce = k.Status == ContractActive && k.From <= t && k.To >= t
	k.RegionName = s.regions.Name(k.RegionCode)
	k.CreatedAt = k.CreatedAt.UTC()
	return k, nil
}

// ListContracts returns the contracts p may read (readers: by the carrier's region; members: their own), newest first.
func (s *Service) ListContracts(ctx context.Context, p *auth.Principal, centerID int64, page, perPage int) ([]*Contract, int, error) {
	if !canSee(p) {
		return nil, 0, nil
	}
	where, args := scopeSQL(p, "k.center_region", "k.subject_id")
	if centerID != 0 {
		where += " AND k.center_id = ?"
		args = append(args, centerID)
	}
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM service_contracts k WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count contracts: %w", err)
	}
	if perPage <= 0 {
		perPage = 50
	}
	if page < 1 {
		page = 1
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+contractCols+` FROM service_contracts k WHERE `+where+` ORDER BY k.id DESC LIMIT ? OFFSET ?`,
		append(args, perPage, (page-1)*perPage)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list contracts: %w", err)
	}
	defer rows.Close()
	var out []*Contract
	for rows.Next() {
		k, err := s.scanContract(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	rows.Close()
	return out, total, s.names(ctx, out, nil)
}

// names fills carrier and subject names of contracts and requests.
func (s *Service) names(ctx context.Context, ks []*Contract, rs []*Request) error {
	cids, sids := map[int64]bool{}, map[int64]bool{}
	for _, k := range ks {
		cids[k.CenterID], sids[k.SubjectID] = true, true
	}
	for _, r := range rs {
		cids[r.CenterID], sids[r.SubjectID] = true, true
	}
	if len(cids) == 0 {
		return nil
	}
	var list []int64
	for id := range cids {
		list = append(list, id)
	}
	ph, args := db.InList(list)
	rows, err := s.db.QueryContext(ctx, `SELECT id, name FROM service_centers WHERE id IN (`+ph+`)`, args...)
	if err != nil {
		return err
	}
	cn := map[int64]string{}
	for rows.Next() {
		var id int64
		var n string
		if err := rows.Scan(&id, &n); err != nil {
			rows.Close()
			return err
		}
		cn[id] = n
	}
	rows.Close()
	list = list[:0]
	for id := range sids {
		list = append(list, id)
	}
	subs, err := s.subjects.Lookup(ctx, list)
	if err != nil {
		return err
	}
	sn := func(id int64) string {
		if x, ok := subs[id]; ok {
			return x.Name
		}
		return ""
	}
	for _, k := range ks {
		k.CenterName, k.SubjectName = cn[k.CenterID], sn(k.SubjectID)
	}
	for _, r := range rs {
		r.CenterName, r.SubjectName = cn[r.CenterID], sn(r.SubjectID)
	}
	return nil
}

func parseDate(s string) (string, bool) {
	t, err := time.Parse("2006-01-02", strings.TrimSpace(s))
	if err != nil || t.Year() < 2000 || t.Year() > 2200 {
		return "", false
	}
	return t.Format("2006-01-02"), true
}

// CreateContract signs a contract between a carrier and a subject.
func (s *Service) CreateContract(ctx context.Context, p *auth.Principal, in ContractInput) (*Contract, error) {
	if !isStaff(p) {
		return nil, errReadOnly
	}
	fields := map[string]string{}
	c, err := s.loadCenter(ctx, s.db, in.CenterID)
	if err != nil {
		fields["center_id"] = "请选择服务载体"
	} else if err := canHandle(p, c.RegionCode); err != nil {
		return nil, err
	}
	var sub *registry.Subject
	if in.SubjectID > 0 {
		subs, err := s.subjects.Lookup(ctx, []int64{in.SubjectID})
		if err != nil {
			return nil, err
		}
		sub = subs[in.SubjectID]
	}
	if sub == nil {
		fields["subject_id"] = "请选择签约主体"
	} else if sub.Status != registry.StatusActive {
		fields["subject_id"] = "该主体已注销"
	}
	var scope []string
	for _, code := range in.Scope {
		if _, ok := defaultItem(code); !ok {
			fields["scope"] = "未知的服务：" + code
			break
		}
		if !slices.Contains(scope, code) {
			scope = append(scope, code)
		}
	}
	if len(scope) == 0 && fields["scope"] == "" {
		fields["scope"] = "请选择至少一项服务"
	}
	from, ok1 := parseDate(in.From)
	to, ok2 := parseDate(in.To)
	if !ok1 {
		fields["from"] = "请填写起始日（YYYY-MM-DD）"
	}
	if !ok2 {
		fields["to"] = "请填写终止日（YYYY-MM-DD）"
	} else if ok1 && to < from {
		fields["to"] = "终止日不能早于起始日"
	}
	if in.FeeFen < 0 || in.FeeFen > 10_000_000_000 {
		fields["fee_fen"] = "服务费应在 0–1 亿元之间（以分计）"
	}
	if len(fields) > 0 {
		return nil, apperr.FieldErrors(fields)
	}
	if c.Status == OpenClosed {
		return nil, apperr.New(apperr.Conflict, c.Name+" 已停业，不能签约")
	}
	var id int64
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		var e error
		id, e = s.insertContract(ctx, tx, p.Actor(), c, sub.ID, sub.RegionCode, scope, from, to, in.FeeFen, s.nowUTC(), sub.Name)
		return e
	})
	if err != nil {
		return nil, err
	}
	list, _, err := s.listContractsByID(ctx, id)
	if err != nil || len(list) == 0 {
		return nil, err
	}
	return list[0], nil
}

func (s *Service) listContractsByID(ctx context.Context, id int64) ([]*Contract, int, error) {
	k, err := s.scanContract(s.db.QueryRowContext(ctx, `SELECT `+contractCols+` FROM service_contracts k WHERE k.id = ?`, id))
	if err != nil {
		return nil, 0, errNoContract
	}
	return []*Contract{k}, 1, s.names(ctx, []*Contract{k}, nil)
}

func (s *Service) insertContract(ctx context.Context, tx *db.Tx, actor audit.Actor, c *Center, subjectID int64, subjectRegion string, scope []string,
	from, to string, fee int64, now time.Time, subjectName string) (int64, error) {
	id := tx.NextID()
	if _, err := tx.ExecContext(ctx, `INSERT INTO service_contracts (id, county_code, center_id, center_region, subject_id, region_code, scope, date_from, date_to,
		fee_fen, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, region.County(c.RegionCode), c.ID, c.RegionCode, subjectID, subjectRegion,
		strings.Join(scope, ","), from, to, fee, ContractActive, now); err != nil {
		return 0, fmt.Errorf("insert contract: %w", err)
	}
	return id, audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "create", Entity: "service_contract", EntityID: id,
		Summary: fmt.Sprintf("签约服务：%s — %s（%s 至 %s）", c.Name, subjectName, from, to),
		After:   map[string]any{"center_id": c.ID, "subject_id": subjectID, "scope": scope, "from": from, "to": to, "fee_fen": fee}})
}

// TerminateContract ends a contract early (it no longer counts as signed).
func (s *Service) TerminateContract(ctx context.Context, p *auth.Principal, id int64) error {
	list, _, err := s.listContractsByID(ctx, id)
	if err != nil {
		return err
	}
	k := list[0]
	if err := canHandle(p, k.centerReg); err != nil {
		if isReader(p) && p.InRegion(k.centerReg) {
			return err
		}
		return errNoContract
	}
	if k.Status == ContractTerminated {
		return apperr.New(apperr.Conflict, "该签约服务已解除")
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE service_contracts SET status = ? WHERE id = ?`, ContractTerminated, id); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "terminate", Entity: "service_contract", EntityID: id,
			Summary: "解除签约服务：" + k.CenterName + " — " + k.SubjectName, Before: map[string]any{"status": k.Status}, After: map[string]any{"status": ContractTerminated}})
	})
}
