package service

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"nongfu/internal/platform/web"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/region"
	"nongfu/internal/registry"
)

//go:embed migrations
var migrationsFS embed.FS

// Migrations is the room's schema (applied after registry: carriers, contracts and requests refer to subjects by id).
var Migrations = db.RoomMigrations("service", migrationsFS, "migrations")

// Service is the room's use cases.
type Service struct {
	db       *db.DB
	regions  *region.Service
	subjects *registry.Service
	now      func() time.Time
}

// NewService wires the room.
func NewService(d *db.DB, regions *region.Service, subjects *registry.Service) *Service {
	return &Service{db: d, regions: regions, subjects: subjects, now: time.Now}
}

// SetClock replaces the clock (tests build timelines with it).
func (s *Service) SetClock(now func() time.Time) { s.now = now }

func (s *Service) nowUTC() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

func displayName(p *auth.Principal) string {
	if p.DisplayName != "" {
		return p.DisplayName
	}
	return p.Username
}

// countyOf is the county a principal works in (its first scope, or its subject's region for members).
func (s *Service) countyOf(ctx context.Context, p *auth.Principal) (string, error) {
	if p == nil {
		return "", errReadOnly
	}
	if len(p.Scopes) > 0 {
		return region.County(p.Scopes[0]), nil
	}
	if p.SubjectID != 0 {
		subs, err := s.subjects.Lookup(ctx, []int64{p.SubjectID})
		if err != nil {
			return "", err
		}
		if x, ok := subs[p.SubjectID]; ok {
			return region.County(x.RegionCode), nil
		}
	}
	return "", apperr.New(apperr.Forbidden, "您的账号没有所属区县")
}

// ---------------------------------------------------------------------------------------------------------------
// Carriers
// ---------------------------------------------------------------------------------------------------------------

const centerCols = `c.id, c.level, c.name, c.host_id, c.collective_id, c.strong_village, c.region_code, c.lng, c.lat, c.staff, c.status,
	c.services, c.phone, c.note, c.created_at, c.updated_at`

func scanCenter(sc interface{ Scan(...any) error }) (*Center, error) {
	c := &Center{}
	var services string
	err := sc.Scan(&c.ID, &c.Level, &c.Name, &c.HostID, &c.CollectiveID, &c.StrongVillage, &c.RegionCode, &c.Lng, &c.Lat, &c.Staff, &c.Status,
		&services, &c.Phone, &c.Note, &c.CreatedAt, &c.UpdatedAt)
	if err != nil {
		return nil, err
	}
	c.Services = splitCodes(services)
	c.LevelLabel, c.StatusLabel = LevelLabel(c.Level), OpenLabel(c.Status)
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	return c, nil
}

func splitCodes(s string) []string {
	out := []string{}
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// ListCenters returns the carriers p may read, by level and name.
func (s *Service) ListCenters(ctx context.Context, p *auth.Principal, f CenterFilter) ([]*Center, int, error) {
	if !canSee(p) {
		return nil, 0, nil
	}
	where, args := scopeSQL(p, "c.region_code", "")
	if p.Is(auth.Member) {
		county, err := s.countyOf(ctx, p)
		if err != nil {
			return nil, 0, err
		}
		where, args = "c.county_code = ?", []any{county}
	}
	if f.Level != "" {
		where += " AND c.level = ?"
		args = append(args, f.Level)
	}
	if f.Status != "" {
		where += " AND c.status = ?"
		args = append(args, f.Status)
	}
	if f.Region != "" {
		lo, hi := db.PrefixRange(auth.RegionPrefix(f.Region))
		where += " AND c.region_code >= ? AND c.region_code < ?"
		args = append(args, lo, hi)
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		where += ` AND c.name LIKE ? ESCAPE '\'`
		args = append(args, db.Like(q))
	}
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM service_centers c WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count centers: %w", err)
	}
	if f.PerPage <= 0 {
		f.PerPage = 50
	}
	if f.Page < 1 {
		f.Page = 1
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+centerCols+` FROM service_centers c WHERE `+where+`
		ORDER BY CASE c.level WHEN 'county' THEN 0 WHEN 'township' THEN 1 WHEN 'coop' THEN 2 ELSE 3 END, c.region_code, c.name, c.id LIMIT ? OFFSET ?`,
		append(args, f.PerPage, (f.Page-1)*f.PerPage)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list centers: %w", err)
	}
	defer rows.Close()
	var out []*Center
	for rows.Next() {
		c, err := scanCenter(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	rows.Close()
	return out, total, s.decorateCenters(ctx, out)
}

func (s *Service) decorateCenters(ctx context.Context, list []*Center) error {
	if len(list) == 0 {
		return nil
	}
	var ids, sids []int64
	byID := map[int64]*Center{}
	for _, c := range list {
		ids = append(ids, c.ID)
		byID[c.ID] = c
		c.RegionName = s.regions.Name(c.RegionCode)
		for _, x := range []int64{c.HostID, c.CollectiveID} {
			if x != 0 {
				sids = append(sids, x)
			}
		}
	}
	if len(sids) > 0 {
		subs, err := s.subjects.Lookup(ctx, sids)
		if err != nil {
			return err
		}
		for _, c := range list {
			if x, ok := subs[c.HostID]; ok {
				c.HostName = x.Name
			}
			if x, ok := subs[c.CollectiveID]; ok {
				c.CollectiveName = x.Name
			}
		}
	}
	ph, args := db.InList(ids)
	today := s.today()
	rows, err := s.db.QueryContext(ctx, `SELECT center_id, COUNT(*) FROM service_contracts WHERE status = 'active' AND date_from <= ? AND date_to >= ?
		AND center_id IN (`+ph+`) GROUP BY center_id`, append([]any{today, today}, args...)...)
	if err != nil {
		return fmt.Errorf("count contracts: %w", err)
	}
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			rows.Close()
			return err
		}
		byID[id].Contracts = n
	}
	rows.Close()
	rows, err = s.db.QueryContext(ctx, `SELECT center_id, COUNT(*) FROM service_requests WHERE status IN ('filed', 'accepted', 'handled')
		AND center_id IN (`+ph+`) GROUP BY center_id`, args...)
	if err != nil {
		return fmt.Errorf("count requests: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return err
		}
		byID[id].OpenRequests = n
	}
	return rows.Err()
}

func (s *Service) today() string { return s.now().In(web.Shanghai).Format("2006-01-02") }

func (s *Service) loadCenter(ctx context.Context, q db.Querier, id int64) (*Center, error) {
	c, err := scanCenter(q.QueryRowContext(ctx, `SELECT `+centerCols+` FROM service_centers c WHERE c.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoCenter
	}
	if err != nil {
		return nil, fmt.Errorf("get center %d: %w", id, err)
	}
	return c, nil
}

// GetCenter returns a carrier p may read.
func (s *Service) GetCenter(ctx context.Context, p *auth.Principal, id int64) (*Center, error) {
	c, err := s.loadCenter(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	if !canReadCenter(p, c) {
		return nil, errNoCenter
	}
	if p.Is(auth.Member) {
		county, err := s.countyOf(ctx, p)
		if err != nil || region.County(c.RegionCode) != county {
			return nil, errNoCenter
		}
	}
	return c, s.decorateCenters(ctx, []*Center{c})
}

// validateCenter checks the input into field errors and returns the normalised row.
func (s *Service) validateCenter(ctx context.Context, in CenterInput) (CenterInput, error) {
	fields := map[string]string{}
	in.Name = strings.TrimSpace(in.Name)
	in.RegionCode = strings.TrimSpace(in.RegionCode)
	in.Phone = strings.TrimSpace(in.Phone)
	in.Note = strings.TrimSpace(in.Note)
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 60 {
		fields["name"] = "请填写名称（不超过 60 字）"
	}
	if !slices.Contains(Levels, in.Level) {
		fields["level"] = "层级应为 county 县级中心、township 乡镇中心、coop 综合服务社或 station 村级服务站"
	}
	if in.Status == "" {
		in.Status = OpenPlanning
	}
	if !slices.Contains(OpenStatuses, in.Status) {
		fields["status"] = "状态应为 planning 筹建、operating 运营或 closed 停业"
	}
	r, ok := s.regions.Get(in.RegionCode)
	if !ok {
		fields["region_code"] = "请选择所在区划"
	} else {
		want := map[string]string{LevelCounty: "county", LevelTownship: "township", LevelStation: "village"}[in.Level]
		switch {
		case want != "" && r.Level != want:
			fields["region_code"] = LevelLabel(in.Level) + "应设在" + region.LevelLabel(want) + "一级"
		case in.Level == LevelCoop && r.Level != "township" && r.Level != "village":
			fields["region_code"] = "综合服务社应设在乡镇或村"
		}
	}
	if in.Staff < 0 || in.Staff > 10000 {
		fields["staff"] = "工作人员数应在 0–10000 之间"
	}
	if in.Lng != 0 || in.Lat != 0 {
		if in.Lng < 73 || in.Lng > 136 || in.Lat < 3 || in.Lat > 54 {
			fields["lng"] = "坐标不在中国境内（经度 73–136，纬度 3–54）"
		}
	} else if ok {
		in.Lng, in.Lat = r.Lng, r.Lat
	}
	var svc []string
	for _, code := range in.Services {
		code = strings.TrimSpace(code)
		if _, ok := defaultItem(code); !ok {
			fields["services"] = "未知的服务：" + code
			break
		}
		if !slices.Contains(svc, code) {
			svc = append(svc, code)
		}
	}
	in.Services = svc
	if utf8.RuneCountInString(in.Note) > 500 {
		fields["note"] = "备注不能超过 500 字"
	}
	// hosts
	var ids []int64
	for _, x := range []int64{in.HostID, in.CollectiveID} {
		if x != 0 {
			ids = append(ids, x)
		}
	}
	subs := map[int64]*registry.Subject{}
	if len(ids) > 0 {
		var err error
		if subs, err = s.subjects.Lookup(ctx, ids); err != nil {
			return in, err
		}
	}
	host, hostOK := subs[in.HostID]
	switch in.Level {
	case LevelCounty, LevelTownship:
		if !hostOK {
			fields["host_id"] = "请选择依托（主办）组织"
		}
		in.CollectiveID, in.StrongVillage = 0, false
	case LevelCoop:
		if !hostOK || host.Kind != "supply_coop" {
			fields["host_id"] = "综合服务社须由一个基层供销社共建"
		}
		if col, ok := subs[in.CollectiveID]; !ok || col.Kind != "village_collective" {
			fields["collective_id"] = "综合服务社须由一个村集体经济组织共建"
		}
	case LevelStation:
		if in.HostID != 0 && !hostOK {
			fields["host_id"] = "依托组织不存在"
		}
		in.CollectiveID, in.StrongVillage = 0, false
	}
	if len(fields) > 0 {
		return in, apperr.FieldErrors(fields)
	}
	return in, nil
}

func centerAudit(in CenterInput) map[string]any {
	return map[string]any{"level": in.Level, "name": in.Name, "host_id": in.HostID, "collective_id": in.CollectiveID, "strong_village": in.StrongVillage,
		"region_code": in.RegionCode, "staff": in.Staff, "status": in.Status, "services": in.Services}
}

// CreateCenter registers a carrier.
func (s *Service) CreateCenter(ctx context.Context, p *auth.Principal, in CenterInput) (*Center, error) {
	if !isStaff(p) {
		return nil, apperr.New(apperr.Forbidden, "只有县级管理员和乡镇操作员可以管理服务载体")
	}
	in, err := s.validateCenter(ctx, in)
	if err != nil {
		return nil, err
	}
	if err := canWriteCenter(p, in.Level, in.RegionCode); err != nil {
		return nil, err
	}
	var id int64
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		var e error
		id, e = s.insertCenter(ctx, tx, p.Actor(), in, s.nowUTC())
		return e
	})
	if err != nil {
		return nil, err
	}
	return s.GetCenter(ctx, p, id)
}

func (s *Service) insertCenter(ctx context.Context, tx *db.Tx, actor audit.Actor, in CenterInput, now time.Time) (int64, error) {
	id := tx.NextID()
	_, err := tx.ExecContext(ctx, `INSERT INTO service_centers (id, county_code, level, name, host_id, collective_id, strong_village, region_code,
		lng, lat, staff, status, services, phone, note, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, region.County(in.RegionCode), in.Level, in.Name, in.HostID, in.CollectiveID, in.StrongVillage, in.RegionCode, in.Lng, in.Lat, in.Staff,
		in.Status, strings.Join(in.Services, ","), in.Phone, in.Note, now, now)
	if db.IsUniqueViolation(err) {
		return 0, &apperr.Error{Code: apperr.Conflict, Message: "已有同名服务载体：" + in.Name, Fields: map[string]string{"name": "已有同名服务载体"}}
	}
	if err != nil {
		return 0, fmt.Errorf("insert center: %w", err)
	}
	return id, audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "create", Entity: "service_center", EntityID: id,
		Summary: "登记" + LevelLabel(in.Level) + "：" + in.Name, After: centerAudit(in)})
}

// UpdateCenter replaces a carrier's fields.
func (s *Service) UpdateCenter(ctx context.Context, p *auth.Principal, id int64, in CenterInput) (*Center, error) {
	old, err := s.GetCenter(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if err := canWriteCenter(p, old.Level, old.RegionCode); err != nil {
		return nil, err
	}
	in, err = s.validateCenter(ctx, in)
	if err != nil {
		return nil, err
	}
	if err := canWriteCenter(p, in.Level, in.RegionCode); err != nil {
		return nil, err
	}
	before := centerAudit(CenterInput{Level: old.Level, Name: old.Name, HostID: old.HostID, CollectiveID: old.CollectiveID, StrongVillage: old.StrongVillage,
		RegionCode: old.RegionCode, Staff: old.Staff, Status: old.Status, Services: old.Services})
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE service_centers SET level = ?, name = ?, host_id = ?, collective_id = ?, strong_village = ?, region_code = ?,
			county_code = ?, lng = ?, lat = ?, staff = ?, status = ?, services = ?, phone = ?, note = ?, updated_at = ? WHERE id = ?`,
			in.Level, in.Name, in.HostID, in.CollectiveID, in.StrongVillage, in.RegionCode, region.County(in.RegionCode), in.Lng, in.Lat, in.Staff,
			in.Status, strings.Join(in.Services, ","), in.Phone, in.Note, s.nowUTC(), id)
		if db.IsUniqueViolation(err) {
			return &apperr.Error{Code: apperr.Conflict, Message: "已有同名服务载体：" + in.Name, Fields: map[string]string{"name": "已有同名服务载体"}}
		}
		if err != nil {
			return fmt.Errorf("update center: %w", err)
		}
		if in.RegionCode != old.RegionCode {
			for _, t := range []string{"service_contracts", "service_requests"} {
				if _, err := tx.ExecContext(ctx, `UPDATE `+t+` SET center_region = ? WHERE center_id = ?`, in.RegionCode, id); err != nil {
					return err
				}
			}
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "update", Entity: "service_center", EntityID: id,
			Summary: "修改服务载体：" + in.Name, Before: before, After: centerAudit(in)})
	})
	if err != nil {
		return nil, err
	}
	return s.GetCenter(ctx, p, id)
}

// CountCenters counts operating carriers of a level (all levels when empty) under a region prefix (any 12-digit code
// or its significant prefix; empty = everywhere). Carriers 筹建 or 停业 are not counted: the plan counts built ones.
func (s *Service) CountCenters(ctx context.Context, level, regionPrefix string) (int, error) {
	where, args := "status = 'operating'", []any{}
	if level != "" {
		where += " AND level = ?"
		args = append(args, level)
	}
	if regionPrefix != "" {
		lo, hi := db.PrefixRange(auth.RegionPrefix(regionPrefix))
		where += " AND region_code >= ? AND region_code < ?"
		args = append(args, lo, hi)
	}
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM service_centers WHERE `+where, args...).Scan(&n)
	return n, err
}

// LevelCount is the number of carriers of one level in one township, by status.
type LevelCount struct {
	Township     string         `json:"township"`
	TownshipName string         `json:"township_name"`
	ByLevel      map[string]int `json:"by_level" doc:"运营中的载体数，按层级"`
	Planning     int            `json:"planning"`
}

// CenterCounts counts the carriers p may read per township (county-level centers under the county code), live.
func (s *Service) CenterCounts(ctx context.Context, p *auth.Principal) ([]LevelCount, error) {
	if !isReader(p) {
		return nil, nil
	}
	where, args := scopeSQL(p, "region_code", "")
	rows, err := s.db.QueryContext(ctx, `SELECT region_code, level, status, COUNT(*) FROM service_centers WHERE `+where+` GROUP BY region_code, level, status`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	byTown := map[string]*LevelCount{}
	var order []string
	for rows.Next() {
		var code, level, status string
		var n int
		if err := rows.Scan(&code, &level, &status, &n); err != nil {
			return nil, err
		}
		town := code
		if level != LevelCounty {
			town = region.Township(code)
		}
		lc := byTown[town]
		if lc == nil {
			lc = &LevelCount{Township: town, TownshipName: s.regions.Name(town), ByLevel: map[string]int{}}
			byTown[town] = lc
			order = append(order, town)
		}
		switch status {
		case OpenOperating:
			lc.ByLevel[level] += n
		case OpenPlanning:
			lc.Planning += n
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.Sort(order)
	out := make([]LevelCount, 0, len(order))
	for _, t := range order {
		out = append(out, *byTown[t])
	}
	return out, nil
}
