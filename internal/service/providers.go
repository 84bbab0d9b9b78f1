package service

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/region"
)

var (
	errNoProvider = apperr.New(apperr.NotFound, "服务主体不存在或不在您的管辖范围内")
	errNoMachine  = apperr.New(apperr.NotFound, "农机不存在或不在您的管辖范围内")
)

// ownsProvider reports whether p is the provider account of the provider's subject.
func ownsProvider(p *auth.Principal, subjectID int64) bool {
	return p != nil && p.Is(auth.Provider) && p.SubjectID != 0 && p.SubjectID == subjectID
}

// canReadProvider: readers in scope, the provider itself, and members of the county (they choose whom to order from).
func canReadProvider(p *auth.Principal, pr *Provider, memberCounty string) bool {
	switch {
	case p == nil:
		return false
	case ownsProvider(p, pr.SubjectID):
		return true
	case p.Is(auth.Member):
		return memberCounty == region.County(pr.RegionCode)
	}
	return isReader(p) && p.InRegion(pr.RegionCode)
}

// canManageProvider: staff in scope manage providers; a provider account manages its own staff and machines.
func canManageProvider(p *auth.Principal, pr *Provider) error {
	if ownsProvider(p, pr.SubjectID) {
		return nil
	}
	if !isStaff(p) {
		return apperr.New(apperr.Forbidden, "只有县级管理员、乡镇操作员和服务主体本身可以修改")
	}
	if !p.InRegion(pr.RegionCode) {
		return apperr.New(apperr.Forbidden, "该服务主体不在您的管辖范围内")
	}
	return nil
}

// qualify checks the 名录库 qualification.
func qualify(founded, year int, services, towns []string) (bool, string) {
	var why []string
	if founded == 0 || year-founded < MinYearsListed {
		why = append(why, fmt.Sprintf("成立未满 %d 年", MinYearsListed))
	}
	if len(services) == 0 {
		why = append(why, "没有登记服务项目")
	}
	if len(towns) == 0 {
		why = append(why, "没有登记服务乡镇")
	}
	if len(why) == 0 {
		return true, fmt.Sprintf("成立 %d 年，符合入库条件", year-founded)
	}
	return false, strings.Join(why, "；")
}

const providerCols = `p.id, p.subject_id, p.name, p.kind, p.region_code, p.founded_year, p.services, p.townships, p.contact, p.phone, p.listed,
	p.status, p.note, p.created_at`

func (s *Service) scanProvider(sc interface{ Scan(...any) error }) (*Provider, error) {
	pr := &Provider{}
	var svc, towns string
	if err := sc.Scan(&pr.ID, &pr.SubjectID, &pr.Name, &pr.Kind, &pr.RegionCode, &pr.FoundedYear, &svc, &towns, &pr.Contact, &pr.Phone, &pr.Listed,
		&pr.Status, &pr.Note, &pr.CreatedAt); err != nil {
		return nil, err
	}
	pr.Services, pr.Townships = splitCodes(svc), splitCodes(towns)
	pr.KindLabel, pr.RegionName = ProviderKindLabel(pr.Kind), s.regions.Name(pr.RegionCode)
	pr.Qualified, pr.QualifyNote = qualify(pr.FoundedYear, s.now().Year(), pr.Services, pr.Townships)
	pr.CreatedAt = pr.CreatedAt.UTC()
	return pr, nil
}

// ProviderFilter selects providers.
type ProviderFilter struct {
	Kind, Region, Q, Service string
	Listed                   bool
	Page, PerPage            int
}

func (s *Service) providerScope(ctx context.Context, p *auth.Principal) (string, []any, error) {
	switch {
	case p == nil:
		return "1 = 0", nil, nil
	case p.Is(auth.Provider):
		return "p.subject_id = ?", []any{p.SubjectID}, nil
	case p.Is(auth.Member):
		county, err := s.countyOf(ctx, p)
		if err != nil {
			return "", nil, err
		}
		return "p.county_code = ? AND p.status = 'active'", []any{county}, nil
	}
	w, a := scopeSQL(p, "p.region_code", "")
	return w, a, nil
}

// ListProviders lists the providers p may read.
func (s *Service) ListProviders(ctx context.Context, p *auth.Principal, f ProviderFilter) ([]*Provider, int, error) {
	where, args, err := s.providerScope(ctx, p)
	if err != nil {
		return nil, 0, err
	}
	if f.Kind != "" {
		where += " AND p.kind = ?"
		args = append(args, f.Kind)
	}
	if f.Listed {
		where += " AND p.listed = ?"
		args = append(args, true)
	}
	if f.Region != "" {
		lo, hi := db.PrefixRange(auth.RegionPrefix(f.Region))
		where += " AND p.region_code >= ? AND p.region_code < ?"
		args = append(args, lo, hi)
	}
	if f.Service != "" {
		where += ` AND (',' || p.services || ',') LIKE ?`
		args = append(args, "%,"+f.Service+",%")
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		where += ` AND p.name LIKE ? ESCAPE '\'`
		args = append(args, db.Like(q))
	}
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM service_providers p WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count providers: %w", err)
	}
	if f.PerPage <= 0 {
		f.PerPage = 50
	}
	f.Page = max(f.Page, 1)
	rows, err := s.db.QueryContext(ctx, `SELECT `+providerCols+` FROM service_providers p WHERE `+where+` ORDER BY p.region_code, p.name, p.id LIMIT ? OFFSET ?`,
		append(args, f.PerPage, (f.Page-1)*f.PerPage)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list providers: %w", err)
	}
	defer rows.Close()
	var out []*Provider
	for rows.Next() {
		pr, err := s.scanProvider(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, pr)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	rows.Close()
	return out, total, s.decorateProviders(ctx, out)
}

func (s *Service) decorateProviders(ctx context.Context, list []*Provider) error {
	if len(list) == 0 {
		return nil
	}
	by := map[int64]*Provider{}
	var ids, sids []int64
	for _, pr := range list {
		by[pr.ID] = pr
		ids = append(ids, pr.ID)
		sids = append(sids, pr.SubjectID)
	}
	subs, err := s.subjects.Lookup(ctx, sids)
	if err != nil {
		return err
	}
	for _, pr := range list {
		if x, ok := subs[pr.SubjectID]; ok {
			pr.SubjectName = x.Name
		}
	}
	ph, args := db.InList(ids)
	for _, q := range []struct {
		sql string
		set func(*Provider, int)
	}{
		{`SELECT provider_id, COUNT(*) FROM service_machines WHERE status <> 'retired' AND provider_id IN (` + ph + `) GROUP BY provider_id`, func(p *Provider, n int) { p.Machines = n }},
		{`SELECT provider_id, COUNT(*) FROM service_provider_staff WHERE provider_id IN (` + ph + `) GROUP BY provider_id`, func(p *Provider, n int) { p.StaffCount = n }},
		{`SELECT provider_id, COUNT(*) FROM service_jobs WHERE status IN ('pending', 'planned', 'working') AND provider_id IN (` + ph + `) GROUP BY provider_id`, func(p *Provider, n int) { p.OpenJobs = n }},
	} {
		rows, err := s.db.QueryContext(ctx, q.sql, args...)
		if err != nil {
			return fmt.Errorf("decorate providers: %w", err)
		}
		for rows.Next() {
			var id int64
			var n int
			if err := rows.Scan(&id, &n); err != nil {
				rows.Close()
				return err
			}
			q.set(by[id], n)
		}
		rows.Close()
	}
	return nil
}

func (s *Service) loadProvider(ctx context.Context, q db.Querier, id int64) (*Provider, error) {
	pr, err := s.scanProvider(q.QueryRowContext(ctx, `SELECT `+providerCols+` FROM service_providers p WHERE p.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoProvider
	}
	if err != nil {
		return nil, fmt.Errorf("get provider %d: %w", id, err)
	}
	return pr, nil
}

// GetProvider returns a provider with its staff.
func (s *Service) GetProvider(ctx context.Context, p *auth.Principal, id int64) (*Provider, error) {
	pr, err := s.loadProvider(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	county := ""
	if p != nil && p.Is(auth.Member) {
		if county, err = s.countyOf(ctx, p); err != nil {
			return nil, err
		}
	}
	if !canReadProvider(p, pr, county) {
		return nil, errNoProvider
	}
	if err := s.decorateProviders(ctx, []*Provider{pr}); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, duty, phone FROM service_provider_staff WHERE provider_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var st Staff
		if err := rows.Scan(&st.ID, &st.Name, &st.Duty, &st.Phone); err != nil {
			return nil, err
		}
		pr.StaffMembers = append(pr.StaffMembers, st)
	}
	return pr, rows.Err()
}

func (s *Service) validateProvider(ctx context.Context, in ProviderInput) (ProviderInput, string, error) {
	fields := map[string]string{}
	in.Name, in.Contact, in.Phone, in.Note = strings.TrimSpace(in.Name), strings.TrimSpace(in.Contact), strings.TrimSpace(in.Phone), strings.TrimSpace(in.Note)
	var regionCode string
	subs, err := s.subjects.Lookup(ctx, []int64{in.SubjectID})
	if err != nil {
		return in, "", err
	}
	if x, ok := subs[in.SubjectID]; !ok {
		fields["subject_id"] = "请选择在主体名录中登记的经营主体"
	} else {
		regionCode = x.RegionCode
		if in.Name == "" {
			in.Name = x.Name
		}
	}
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 60 {
		fields["name"] = "请填写名称（不超过 60 字）"
	}
	if !slices.Contains(ProviderKinds, in.Kind) {
		fields["kind"] = "类型应为 machinery 农机、protection 植保、inputs 农资或 tech 农技"
	}
	year := s.now().Year()
	if in.FoundedYear != 0 && (in.FoundedYear < 1949 || in.FoundedYear > year) {
		fields["founded_year"] = fmt.Sprintf("成立年份应在 1949–%d 之间", year)
	}
	var svc []string
	for _, c := range in.Services {
		c = strings.TrimSpace(c)
		it, ok := defaultItem(c)
		if !ok || it.Group != GroupProduction {
			fields["services"] = "未知的生产服务：" + c
			break
		}
		if !slices.Contains(svc, c) {
			svc = append(svc, c)
		}
	}
	in.Services = svc
	var towns []string
	for _, t := range in.Towns() {
		r, ok := s.regions.Get(t)
		if !ok || r.Level != "township" {
			fields["townships"] = "未知的乡镇：" + t
			break
		}
		if !slices.Contains(towns, t) {
			towns = append(towns, t)
		}
	}
	in.Townships = towns
	if in.Status == "" {
		in.Status = "active"
	}
	if in.Status != "active" && in.Status != "suspended" {
		fields["status"] = "状态应为 active 正常或 suspended 暂停"
	}
	if in.Listed {
		if ok, why := qualify(in.FoundedYear, year, in.Services, in.Townships); !ok {
			fields["listed"] = "不符合名录库入库条件：" + why
		}
	}
	if len(fields) > 0 {
		return in, "", apperr.FieldErrors(fields)
	}
	return in, regionCode, nil
}

// Towns returns the township codes, trimmed.
func (in ProviderInput) Towns() []string {
	var out []string
	for _, t := range in.Townships {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

func providerAudit(in ProviderInput) map[string]any {
	return map[string]any{"subject_id": in.SubjectID, "name": in.Name, "kind": in.Kind, "founded_year": in.FoundedYear, "services": in.Services,
		"townships": in.Townships, "listed": in.Listed, "status": in.Status}
}

// CreateProvider registers a provider (staff in scope of the subject's region).
func (s *Service) CreateProvider(ctx context.Context, p *auth.Principal, in ProviderInput) (*Provider, error) {
	var id int64
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var e error
		id, _, e = s.saveProviderTx(ctx, tx, p, in)
		return e
	})
	if err != nil {
		return nil, err
	}
	return s.GetProvider(ctx, p, id)
}

// saveProviderTx creates a provider, or updates the county's provider of the same name (idempotent imports).
func (s *Service) saveProviderTx(ctx context.Context, tx *db.Tx, p *auth.Principal, in ProviderInput) (int64, bool, error) {
	if !isStaff(p) {
		return 0, false, apperr.New(apperr.Forbidden, "只有县级管理员和乡镇操作员可以登记服务主体")
	}
	in, regionCode, err := s.validateProvider(ctx, in)
	if err != nil {
		return 0, false, err
	}
	if !p.InRegion(regionCode) {
		return 0, false, apperr.New(apperr.Forbidden, "该经营主体不在您的管辖范围内")
	}
	now := s.nowUTC()
	county := region.County(regionCode)
	var id int64
	err = tx.QueryRowContext(ctx, `SELECT id FROM service_providers WHERE county_code = ? AND name = ?`, county, in.Name).Scan(&id)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, false, err
	}
	if id != 0 {
		_, err = tx.ExecContext(ctx, `UPDATE service_providers SET subject_id = ?, kind = ?, region_code = ?, founded_year = ?, services = ?, townships = ?,
			contact = ?, phone = ?, listed = ?, status = ?, note = ?, updated_at = ? WHERE id = ?`, in.SubjectID, in.Kind, regionCode, in.FoundedYear,
			strings.Join(in.Services, ","), strings.Join(in.Townships, ","), in.Contact, in.Phone, in.Listed, in.Status, in.Note, now, id)
		if err != nil {
			return 0, false, fmt.Errorf("update provider: %w", err)
		}
		return id, false, audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "update", Entity: "service_provider", EntityID: id,
			Summary: "修改服务主体：" + in.Name, After: providerAudit(in)})
	}
	id = tx.NextID()
	_, err = tx.ExecContext(ctx, `INSERT INTO service_providers (id, county_code, subject_id, name, kind, region_code, founded_year, services, townships,
		contact, phone, listed, status, note, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, county, in.SubjectID, in.Name, in.Kind, regionCode, in.FoundedYear, strings.Join(in.Services, ","), strings.Join(in.Townships, ","),
		in.Contact, in.Phone, in.Listed, in.Status, in.Note, now, now)
	if err != nil {
		return 0, false, fmt.Errorf("insert provider: %w", err)
	}
	return id, true, audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "create", Entity: "service_provider", EntityID: id,
		Summary: "登记服务主体：" + in.Name, After: providerAudit(in)})
}

// UpdateProvider replaces a provider's fields (staff in scope).
func (s *Service) UpdateProvider(ctx context.Context, p *auth.Principal, id int64, in ProviderInput) (*Provider, error) {
	old, err := s.GetProvider(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if !isStaff(p) || !p.InRegion(old.RegionCode) {
		return nil, apperr.New(apperr.Forbidden, "只有管辖范围内的县级管理员和乡镇操作员可以修改服务主体")
	}
	if in.Name == "" {
		in.Name = old.Name
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		in2, regionCode, err := s.validateProvider(ctx, in)
		if err != nil {
			return err
		}
		if !p.InRegion(regionCode) {
			return apperr.New(apperr.Forbidden, "该经营主体不在您的管辖范围内")
		}
		_, err = tx.ExecContext(ctx, `UPDATE service_providers SET subject_id = ?, name = ?, kind = ?, region_code = ?, founded_year = ?, services = ?,
			townships = ?, contact = ?, phone = ?, listed = ?, status = ?, note = ?, updated_at = ? WHERE id = ?`, in2.SubjectID, in2.Name, in2.Kind, regionCode,
			in2.FoundedYear, strings.Join(in2.Services, ","), strings.Join(in2.Townships, ","), in2.Contact, in2.Phone, in2.Listed, in2.Status, in2.Note, s.nowUTC(), id)
		if db.IsUniqueViolation(err) {
			return apperr.FieldErrors(map[string]string{"name": "已有同名服务主体"})
		}
		if err != nil {
			return fmt.Errorf("update provider: %w", err)
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "update", Entity: "service_provider", EntityID: id,
			Summary: "修改服务主体：" + in2.Name, After: providerAudit(in2)})
	})
	if err != nil {
		return nil, err
	}
	return s.GetProvider(ctx, p, id)
}

// AddStaff adds a team member to a provider.
func (s *Service) AddStaff(ctx context.Context, p *auth.Principal, providerID int64, st Staff) (Staff, error) {
	pr, err := s.GetProvider(ctx, p, providerID)
	if err != nil {
		return st, err
	}
	if err := canManageProvider(p, pr); err != nil {
		return st, err
	}
	st.Name, st.Duty, st.Phone = strings.TrimSpace(st.Name), strings.TrimSpace(st.Duty), strings.TrimSpace(st.Phone)
	if st.Name == "" || utf8.RuneCountInString(st.Name) > 30 {
		return st, apperr.FieldErrors(map[string]string{"name": "请填写姓名（不超过 30 字）"})
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		st.ID = tx.NextID()
		if _, err := tx.ExecContext(ctx, `INSERT INTO service_provider_staff (id, provider_id, name, duty, phone, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			st.ID, providerID, st.Name, st.Duty, st.Phone, s.nowUTC()); err != nil {
			return fmt.Errorf("insert staff: %w", err)
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "create", Entity: "service_provider_staff", EntityID: st.ID,
			Summary: pr.Name + " 增加人员：" + st.Name, After: map[string]any{"provider_id": providerID, "duty": st.Duty}})
	})
	return st, err
}

// ---------------------------------------------------------------------------------------------------------------
// Machines
// ---------------------------------------------------------------------------------------------------------------

const machineCols = `m.id, m.provider_id, pr.name, m.name, m.kind, m.services, m.implement, m.width_cm, m.rate_centi, m.hours_day, m.base_lng, m.base_lat,
	m.operator, m.status, m.region_code`

func scanMachine(sc interface{ Scan(...any) error }) (*Machine, error) {
	m := &Machine{}
	var svc string
	var width, rate int64
	if err := sc.Scan(&m.ID, &m.ProviderID, &m.ProviderName, &m.Name, &m.Kind, &svc, &m.Implement, &width, &rate, &m.HoursDay, &m.BaseLng, &m.BaseLat,
		&m.Operator, &m.Status, &m.RegionCode); err != nil {
		return nil, err
	}
	m.Services, m.WidthM, m.RateMuDay, m.StatusLabel = splitCodes(svc), float64(width)/100, float64(rate)/100, MachineStatusLabel(m.Status)
	return m, nil
}

// MachineFilter selects machines.
type MachineFilter struct {
	ProviderID    int64
	Region        string
	Status        string
	Service       string
	Page, PerPage int
}

// ListMachines lists the machines p may read (providers: their own).
func (s *Service) ListMachines(ctx context.Context, p *auth.Principal, f MachineFilter) ([]*Machine, int, error) {
	var where string
	var args []any
	switch {
	case p != nil && p.Is(auth.Provider):
		where, args = "pr.subject_id = ?", []any{p.SubjectID}
	case isReader(p):
		where, args = scopeSQL(p, "m.region_code", "")
	default:
		return nil, 0, nil
	}
	if f.ProviderID != 0 {
		where += " AND m.provider_id = ?"
		args = append(args, f.ProviderID)
	}
	if f.Status != "" {
		where += " AND m.status = ?"
		args = append(args, f.Status)
	}
	if f.Service != "" {
		where += ` AND (',' || m.services || ',') LIKE ?`
		args = append(args, "%,"+f.Service+",%")
	}
	if f.Region != "" {
		lo, hi := db.PrefixRange(auth.RegionPrefix(f.Region))
		where += " AND m.region_code >= ? AND m.region_code < ?"
		args = append(args, lo, hi)
	}
	from := ` FROM service_machines m JOIN service_providers pr ON pr.id = m.provider_id WHERE ` + where
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*)`+from, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count machines: %w", err)
	}
	if f.PerPage <= 0 {
		f.PerPage = 100
	}
	f.Page = max(f.Page, 1)
	rows, err := s.db.QueryContext(ctx, `SELECT `+machineCols+from+` ORDER BY pr.name, m.name, m.id LIMIT ? OFFSET ?`, append(args, f.PerPage, (f.Page-1)*f.PerPage)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list machines: %w", err)
	}
	defer rows.Close()
	var out []*Machine
	for rows.Next() {
		m, err := scanMachine(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, m)
	}
	return out, total, rows.Err()
}

func (s *Service) loadMachine(ctx context.Context, q db.Querier, id int64) (*Machine, error) {
	m, err := scanMachine(q.QueryRowContext(ctx, `SELECT `+machineCols+` FROM service_machines m JOIN service_providers pr ON pr.id = m.provider_id WHERE m.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoMachine
	}
	return m, err
}

func validateMachine(in MachineInput) (MachineInput, error) {
	fields := map[string]string{}
	in.Name, in.Kind, in.Implement, in.Operator = strings.TrimSpace(in.Name), strings.TrimSpace(in.Kind), strings.TrimSpace(in.Implement), strings.TrimSpace(in.Operator)
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 60 {
		fields["name"] = "请填写农机名称或编号（不超过 60 字）"
	}
	if in.Kind == "" {
		fields["kind"] = "请填写农机类型"
	}
	var svc []string
	for _, c := range in.Services {
		c = strings.TrimSpace(c)
		if it, ok := defaultItem(c); !ok || it.Group != GroupProduction {
			fields["services"] = "未知的生产服务：" + c
			break
		}
		if !slices.Contains(svc, c) {
			svc = append(svc, c)
		}
	}
	if len(svc) == 0 && fields["services"] == "" {
		fields["services"] = "请选择至少一项可做的服务"
	}
	in.Services = svc
	if in.WidthM < 0 || in.WidthM > 50 {
		fields["width_m"] = "作业幅宽应在 0–50 米之间"
	}
	if in.RateMuDay <= 0 || in.RateMuDay > 5000 {
		fields["rate_mu_day"] = "作业效率应大于 0 且不超过 5000 亩/天"
	}
	if in.HoursDay == 0 {
		in.HoursDay = 8
	}
	if in.HoursDay < 1 || in.HoursDay > 16 {
		fields["hours_day"] = "每天作业小时应在 1–16 之间"
	}
	if in.BaseLng < 73 || in.BaseLng > 136 || in.BaseLat < 3 || in.BaseLat > 54 {
		fields["base_lng"] = "机库坐标不在中国境内（经度 73–136，纬度 3–54）"
	}
	if in.Status == "" {
		in.Status = MachineOK
	}
	if in.Status != MachineOK && in.Status != MachineBroken && in.Status != MachineRetired {
		fields["status"] = "状态应为 ok 可用、broken 故障或 retired 停用"
	}
	if len(fields) > 0 {
		return in, apperr.FieldErrors(fields)
	}
	return in, nil
}

func machineAudit(in MachineInput) map[string]any {
	return map[string]any{"name": in.Name, "kind": in.Kind, "services": in.Services, "width_m": in.WidthM, "rate_mu_day": in.RateMuDay,
		"hours_day": in.HoursDay, "base": [2]float64{in.BaseLng, in.BaseLat}, "operator": in.Operator, "status": in.Status}
}

func centi(x float64) int64 { return int64(math.Round(x * 100)) }

// SaveMachine creates (id 0) or replaces a machine of a provider; an existing machine of the same name is updated.
func (s *Service) SaveMachine(ctx context.Context, p *auth.Principal, providerID, id int64, in MachineInput) (*Machine, error) {
	pr, err := s.GetProvider(ctx, p, providerID)
	if err != nil {
		return nil, err
	}
	var mid int64
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		var e error
		mid, _, e = s.saveMachineTx(ctx, tx, p, pr, id, in)
		return e
	})
	if err != nil {
		return nil, err
	}
	return s.loadMachine(ctx, s.db, mid)
}

func (s *Service) saveMachineTx(ctx context.Context, tx *db.Tx, p *auth.Principal, pr *Provider, id int64, in MachineInput) (int64, bool, error) {
	if err := canManageProvider(p, pr); err != nil {
		return 0, false, err
	}
	in, err := validateMachine(in)
	if err != nil {
		return 0, false, err
	}
	if id == 0 {
		err := tx.QueryRowContext(ctx, `SELECT id FROM service_machines WHERE provider_id = ? AND name = ?`, pr.ID, in.Name).Scan(&id)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return 0, false, err
		}
	} else {
		old, err := s.loadMachine(ctx, tx, id)
		if err != nil || old.ProviderID != pr.ID {
			return 0, false, errNoMachine
		}
	}
	now := s.nowUTC()
	svc := strings.Join(in.Services, ",")
	if id != 0 {
		_, err = tx.ExecContext(ctx, `UPDATE service_machines SET name = ?, kind = ?, services = ?, implement = ?, width_cm = ?, rate_centi = ?, hours_day = ?,
			base_lng = ?, base_lat = ?, operator = ?, status = ?, updated_at = ? WHERE id = ?`, in.Name, in.Kind, svc, in.Implement, centi(in.WidthM),
			centi(in.RateMuDay), in.HoursDay, in.BaseLng, in.BaseLat, in.Operator, in.Status, now, id)
		if db.IsUniqueViolation(err) {
			return 0, false, apperr.FieldErrors(map[string]string{"name": "该服务主体已有同名农机"})
		}
		if err != nil {
			return 0, false, fmt.Errorf("update machine: %w", err)
		}
		return id, false, audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "update", Entity: "service_machine", EntityID: id,
			Summary: pr.Name + " 修改农机：" + in.Name, After: machineAudit(in)})
	}
	id = tx.NextID()
	_, err = tx.ExecContext(ctx, `INSERT INTO service_machines (id, provider_id, county_code, region_code, name, kind, services, implement, width_cm, rate_centi,
		hours_day, base_lng, base_lat, operator, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, pr.ID, region.County(pr.RegionCode), pr.RegionCode, in.Name, in.Kind, svc, in.Implement, centi(in.WidthM), centi(in.RateMuDay), in.HoursDay,
		in.BaseLng, in.BaseLat, in.Operator, in.Status, now, now)
	if err != nil {
		return 0, false, fmt.Errorf("insert machine: %w", err)
	}
	return id, true, audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "create", Entity: "service_machine", EntityID: id,
		Summary: pr.Name + " 登记农机：" + in.Name, After: machineAudit(in)})
}

// SetMachineStatus marks a machine broken down, repaired or retired (the dispatcher then re-plans around it).
func (s *Service) SetMachineStatus(ctx context.Context, p *auth.Principal, id int64, status string) (*Machine, error) {
	m, err := s.loadMachine(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	pr, err := s.GetProvider(ctx, p, m.ProviderID)
	if err != nil {
		return nil, err
	}
	in := MachineInput{Name: m.Name, Kind: m.Kind, Services: m.Services, Implement: m.Implement, WidthM: m.WidthM, RateMuDay: m.RateMuDay, HoursDay: m.HoursDay,
		BaseLng: m.BaseLng, BaseLat: m.BaseLat, Operator: m.Operator, Status: status}
	return s.SaveMachine(ctx, p, pr.ID, id, in)
}

func atoi64(v string) int64 { n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64); return n }
