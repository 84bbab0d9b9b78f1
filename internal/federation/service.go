package federation

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/region"
	"nongfu/internal/registry"
	"nongfu/internal/validate"
)

//go:embed migrations
var migrationsFS embed.FS

// Migrations is the room's schema (it references the registry's subjects, so it is applied after registry).
var Migrations = db.RoomMigrations("federation", migrationsFS, "migrations")

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

// ---------------------------------------------------------------------------------------------------------------
// Access rules, in one place.
//
//   - every logged-in role reads the federations of its county (roles without a scope read every federation);
//   - county_admin: creates and edits federations, governs them and reviews memberships in its scope (a county);
//   - township_operator: governs and reviews only federations whose covered townships intersect its scopes, files
//     applications on behalf of subjects in its scopes, reads memberships of those federations and of subjects in
//     its scopes;
//   - member, provider, bank: apply for their own subject (p.SubjectID), withdraw their own membership, read only
//     their own memberships;
//   - department, taskforce, viewer, sysadmin: read federations and the memberships of their county; no writes.
// ---------------------------------------------------------------------------------------------------------------

var (
	errNoFed       = apperr.New(apperr.NotFound, "农合联不存在或不在您的管辖范围内")
	errNoMember    = apperr.New(apperr.NotFound, "入会记录不存在或您无权查看")
	errCannotWrite = apperr.New(apperr.Forbidden, "您的角色只能查看农合联信息，不能修改")
)

// selfService reports whether p acts only for its own subject.
func selfService(p *auth.Principal) bool { return p.Is(auth.Member, auth.Provider, auth.Bank) }

// counties returns the 6-digit county codes of p's scopes (nil: no scope).
func counties(p *auth.Principal) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range p.Scopes {
		c := region.County(s)
		if c != "" && !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out
}

// canReadFed reports whether p may see federation f.
func canReadFed(p *auth.Principal, f *Federation) bool {
	if p == nil {
		return false
	}
	cs := counties(p)
	if len(cs) == 0 {
		return true
	}
	for _, c := range cs {
		if c == f.CountyCode {
			return true
		}
	}
	return false
}

// canAdminFed: creating and editing the federation record itself.
func canAdminFed(p *auth.Principal, regionCode string) error {
	if !p.Is(auth.CountyAdmin) {
		if p.Is(auth.TownshipOperator) {
			return apperr.New(apperr.Forbidden, "只有县级管理员可以新建或修改农合联")
		}
		return errCannotWrite
	}
	if !p.InRegion(regionCode) {
		return apperr.New(apperr.Forbidden, "该农合联不在您的管辖范围内")
	}
	return nil
}

// intersects reports whether two region codes overlap (one contains the other).
func intersects(a, b string) bool {
	return strings.HasPrefix(a, auth.RegionPrefix(b)) || strings.HasPrefix(b, auth.RegionPrefix(a))
}

// canGovern: governance records and membership review of federation f.
func canGovern(p *auth.Principal, f *Federation) error {
	switch {
	case p.Is(auth.CountyAdmin):
		if p.InRegion(f.RegionCode) {
			return nil
		}
		return apperr.New(apperr.Forbidden, "该农合联不在您的管辖范围内")
	case p.Is(auth.TownshipOperator):
		for _, t := range f.Townships {
			for _, s := range p.Scopes {
				if intersects(t, s) {
					return nil
				}
			}
		}
		return apperr.New(apperr.Forbidden, "该农合联不覆盖您管辖的乡镇，只能由县级或本乡镇（片区）工作人员办理")
	case selfService(p):
		return apperr.New(apperr.Forbidden, "会员不能审核入会申请或维护农合联组织机构")
	}
	return errCannotWrite
}

// canFileFor decides whether p may file an application for subject x, and whether that is 代办 (on behalf).
func canFileFor(p *auth.Principal, x *registry.Subject) (onBehalf bool, err error) {
	switch {
	case selfService(p):
		if p.SubjectID == 0 || p.SubjectID != x.ID {
			return false, apperr.New(apperr.Forbidden, "只能为本人（本单位）主体申请入会")
		}
		return false, nil
	case p.Is(auth.CountyAdmin, auth.TownshipOperator):
		if !p.InRegion(x.RegionCode) {
			return false, apperr.New(apperr.Forbidden, "该主体不在您的管辖范围内，不能代办入会申请")
		}
		return true, nil
	}
	return false, errCannotWrite
}

// canSeeMembership reports whether p may read membership m of federation f.
func canSeeMembership(p *auth.Principal, m *Membership, f *Federation) bool {
	switch {
	case selfService(p):
		return p.SubjectID != 0 && m.SubjectID == p.SubjectID
	case p.Is(auth.TownshipOperator):
		return p.InRegion(m.TownshipCode) || canGovern(p, f) == nil
	}
	if len(p.Scopes) == 0 {
		return false
	}
	return canReadFed(p, f)
}

// membershipScope is canSeeMembership as SQL on memberships m; managed are the federations a township operator governs.
func membershipScope(p *auth.Principal, managed []int64) (string, []any) {
	switch {
	case selfService(p):
		return "m.subject_id = ?", []any{p.SubjectID}
	case p.Is(auth.TownshipOperator):
		parts, args := regionRanges(p, "m.township_code")
		if len(managed) > 0 {
			parts = append(parts, "m.federation_id IN ("+db.Placeholders(len(managed))+")")
			for _, id := range managed {
				args = append(args, id)
			}
		}
		if len(parts) == 0 {
			return "1 = 0", nil
		}
		return "(" + strings.Join(parts, " OR ") + ")", args
	}
	cs := counties(p)
	if len(cs) == 0 {
		return "1 = 0", nil
	}
	args := make([]any, len(cs))
	for i, c := range cs {
		args[i] = c
	}
	return "m.county_code IN (" + db.Placeholders(len(cs)) + ")", args
}

// regionRanges turns p's scopes into index-friendly ranges on col.
func regionRanges(p *auth.Principal, col string) ([]string, []any) {
	var parts []string
	var args []any
	for _, pre := range p.ScopePrefixes() {
		lo, hi := db.PrefixRange(pre)
		parts = append(parts, "("+col+" >= ? AND "+col+" < ?)")
		args = append(args, lo, hi)
	}
	return parts, args
}

// managedIDs are the federations p may govern and review (county admins: all in scope).
func (s *Service) managedIDs(ctx context.Context, p *auth.Principal) ([]int64, error) {
	if !p.Is(auth.CountyAdmin, auth.TownshipOperator) {
		return nil, nil
	}
	feds, err := s.allFederations(ctx, p)
	if err != nil {
		return nil, err
	}
	var out []int64
	for _, f := range feds {
		if canGovern(p, f) == nil {
			out = append(out, f.ID)
		}
	}
	return out, nil
}

// ---------------------------------------------------------------------------------------------------------------
// Federations
// ---------------------------------------------------------------------------------------------------------------

const fedCols = `f.id, f.county_code, f.code, f.name, f.level, f.region_code, f.industry, COALESCE(f.guided_by, 0), f.secretariat_subject_id,
	f.secretariat_name, f.president_name, f.president_subject_id, f.established_on, f.address, f.phone, f.note, f.status, f.created_at, f.updated_at`

func scanFed(sc interface{ Scan(...any) error }) (*Federation, error) {
	f := &Federation{}
	err := sc.Scan(&f.ID, &f.CountyCode, &f.Code, &f.Name, &f.Level, &f.RegionCode, &f.Industry, &f.GuidedBy, &f.SecretariatSubjectID,
		&f.SecretariatName, &f.PresidentName, &f.PresidentSubjectID, &f.EstablishedOn, &f.Address, &f.Phone, &f.Note, &f.Status, &f.CreatedAt, &f.UpdatedAt)
	if err != nil {
		return nil, err
	}
	f.LevelLabel = LevelLabel(f.Level)
	f.StatusLabel = FedStatusLabel(f.Status)
	f.Townships = []string{}
	return f, nil
}

// getFed loads a federation with its townships, without access checks.
func (s *Service) getFed(ctx context.Context, q db.Querier, id int64) (*Federation, error) {
	f, err := scanFed(q.QueryRowContext(ctx, `SELECT `+fedCols+` FROM federations f WHERE f.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoFed
	}
	if err != nil {
		return nil, fmt.Errorf("get federation %d: %w", id, err)
	}
	if err := s.loadTownships(ctx, q, []*Federation{f}); err != nil {
		return nil, err
	}
	return f, nil
}

func (s *Service) loadTownships(ctx context.Context, q db.Querier, feds []*Federation) error {
	if len(feds) == 0 {
		return nil
	}
	by := map[int64]*Federation{}
	args := make([]any, len(feds))
	for i, f := range feds {
		by[f.ID] = f
		args[i] = f.ID
		f.Townships = []string{}
		f.TownshipNames = []string{}
	}
	rows, err := q.QueryContext(ctx, `SELECT federation_id, region_code FROM federation_regions WHERE federation_id IN (`+db.Placeholders(len(feds))+`) ORDER BY federation_id, sort, region_code`, args...)
	if err != nil {
		return fmt.Errorf("federation regions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var code string
		if err := rows.Scan(&id, &code); err != nil {
			return err
		}
		if f := by[id]; f != nil {
			f.Townships = append(f.Townships, code)
			f.TownshipNames = append(f.TownshipNames, s.regions.ShortName(code))
		}
	}
	return rows.Err()
}

// present fills display names and live counts.
func (s *Service) present(ctx context.Context, feds []*Federation) error {
	if len(feds) == 0 {
		return nil
	}
	ids := make([]any, len(feds))
	by := map[int64]*Federation{}
	for i, f := range feds {
		ids[i] = f.ID
		by[f.ID] = f
		f.RegionName = s.regions.Name(f.RegionCode)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT federation_id, status, COUNT(*) FROM memberships WHERE federation_id IN (`+db.Placeholders(len(ids))+`)
		AND status IN ('applied', 'approved') GROUP BY federation_id, status`, ids...)
	if err != nil {
		return fmt.Errorf("count members: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var st string
		var n int
		if err := rows.Scan(&id, &st, &n); err != nil {
			return err
		}
		if st == StatusApproved {
			by[id].MemberCount = n
		} else {
			by[id].PendingCount = n
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	var guides []int64
	for _, f := range feds {
		if f.GuidedBy != 0 {
			if g := by[f.GuidedBy]; g != nil {
				f.GuidedByName = g.Name
			} else {
				guides = append(guides, f.GuidedBy)
			}
		}
	}
	for _, gid := range guides {
		var name string
		if err := s.db.QueryRowContext(ctx, `SELECT name FROM federations WHERE id = ?`, gid).Scan(&name); err == nil {
			for _, f := range feds {
				if f.GuidedBy == gid {
					f.GuidedByName = name
				}
			}
		}
	}
	return nil
}

// GetFederation returns a federation p may see, with live counts.
func (s *Service) GetFederation(ctx context.Context, p *auth.Principal, id int64) (*Federation, error) {
	f, err := s.getFed(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	if !canReadFed(p, f) {
		return nil, errNoFed
	}
	if err := s.present(ctx, []*Federation{f}); err != nil {
		return nil, err
	}
	return f, nil
}

// allFederations returns every federation p may see (a county has tens), county level first.
func (s *Service) allFederations(ctx context.Context, p *auth.Principal) ([]*Federation, error) {
	where, args := "1 = 1", []any(nil)
	if cs := counties(p); len(cs) > 0 {
		where = "f.county_code IN (" + db.Placeholders(len(cs)) + ")"
		for _, c := range cs {
			args = append(args, c)
		}
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+fedCols+` FROM federations f WHERE `+where+`
		ORDER BY f.county_code, CASE f.level WHEN 'county' THEN 0 WHEN 'township' THEN 1 ELSE 2 END, f.region_code, f.code`, args...)
	if err != nil {
		return nil, fmt.Errorf("list federations: %w", err)
	}
	var out []*Federation
	for rows.Next() {
		f, err := scanFed(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, s.loadTownships(ctx, s.db, out)
}

// ListFederations returns the federations p may see that match f, with live counts.
func (s *Service) ListFederations(ctx context.Context, p *auth.Principal, ff FedFilter) ([]*Federation, int, error) {
	if ff.Level != "" && LevelLabel(ff.Level) == ff.Level {
		return nil, 0, apperr.FieldErrors(map[string]string{"level": "层级应为 county、township 或 industry"})
	}
	all, err := s.allFederations(ctx, p)
	if err != nil {
		return nil, 0, err
	}
	q := strings.TrimSpace(ff.Q)
	var sel []*Federation
	for _, f := range all {
		if ff.Level != "" && f.Level != ff.Level {
			continue
		}
		if ff.Status != "" && f.Status != ff.Status {
			continue
		}
		if q != "" && !strings.Contains(f.Name, q) && !strings.EqualFold(f.Code, q) && !strings.Contains(strings.Join(f.TownshipNames, ","), q) && f.Industry != q {
			continue
		}
		sel = append(sel, f)
	}
	if ff.PerPage <= 0 {
		ff.PerPage = 50
	}
	if ff.Page <= 0 {
		ff.Page = 1
	}
	total := len(sel)
	from := min((ff.Page-1)*ff.PerPage, total)
	to := min(from+ff.PerPage, total)
	page := sel[from:to]
	if err := s.present(ctx, page); err != nil {
		return nil, 0, err
	}
	return page, total, nil
}

var reCode = regexp.MustCompile(`^[A-Z0-9]{1,16}$`)

// ParseDate accepts 2024-08-01, 2024/8/1, 2024年8月1日 and 20240801; it returns YYYY-MM-DD.
func ParseDate(v string) (string, bool) {
	v = strings.NewReplacer("/", "-", ".", "-", "年", "-", "月", "-", "日", "").Replace(strings.TrimSpace(v))
	for _, layout := range []string{"2006-1-2", "2006-01-02", "20060102"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.Format("2006-01-02"), true
		}
	}
	return "", false
}

// applyFed merges in into base and validates the result.
func (s *Service) applyFed(ctx context.Context, p *auth.Principal, base Federation, in FederationInput, creating bool) (Federation, error) {
	x := base
	fields := map[string]string{}
	str := func(v *string) (string, bool) {
		if v == nil {
			return "", false
		}
		return validate.Normalize(*v), true
	}
	if v, ok := str(in.Level); ok {
		if !creating && v != x.Level {
			fields["level"] = "农合联层级建立后不能修改"
		} else {
			x.Level = v
		}
	}
	if LevelLabel(x.Level) == x.Level {
		fields["level"] = "层级应为 county（县级）、township（乡镇）或 industry（产业）"
	}
	if v, ok := str(in.Name); ok {
		x.Name = v
	}
	if x.Name == "" {
		fields["name"] = "请填写农合联名称"
	} else if utf8.RuneCountInString(x.Name) > 100 {
		fields["name"] = "名称不能超过100字"
	}
	if v, ok := str(in.Code); ok {
		x.Code = strings.ToUpper(v)
		if x.Code != "" && !reCode.MatchString(x.Code) {
			fields["code"] = "编码为1–16位大写字母或数字"
		}
	}
	if v, ok := str(in.Industry); ok {
		x.Industry = v
	}
	if x.Level == LevelIndustry && x.Industry == "" {
		fields["industry"] = "产业农合联须填写产业，如 脆李"
	}
	if x.Level != LevelIndustry && in.Industry == nil {
		x.Industry = ""
	}
	if in.Townships != nil {
		seen := map[string]bool{}
		x.Townships = []string{}
		for _, t := range *in.Townships {
			t = strings.TrimSpace(t)
			if t == "" || seen[t] {
				continue
			}
			seen[t] = true
			r, ok := s.regions.Get(t)
			if !ok || r.Level != region.LevelTownship {
				fields["townships"] = "不是有效的乡镇（街道）代码：" + t
				continue
			}
			x.Townships = append(x.Townships, t)
		}
	}
	switch x.Level {
	case LevelTownship:
		if len(x.Townships) == 0 && fields["townships"] == "" {
			fields["townships"] = "乡镇农合联须选择覆盖的乡镇（可多个，组成片区）"
		}
		if len(x.Townships) > 0 {
			x.RegionCode = x.Townships[0]
		}
	case LevelCounty, LevelIndustry:
		if v, ok := str(in.RegionCode); ok && v != "" {
			x.RegionCode = v
		}
		if x.RegionCode == "" {
			for _, sc := range p.Scopes {
				if c := region.County(sc); c != "" {
					x.RegionCode = c + "000000"
					break
				}
			}
		}
		if r, ok := s.regions.Get(x.RegionCode); !ok || r.Level != region.LevelCounty {
			fields["region_code"] = "请填写所在县（区）的12位区划代码"
		}
		if x.Level == LevelCounty && len(x.Townships) > 0 {
			fields["townships"] = "县级农合联覆盖全县，不需选择乡镇"
		}
	}
	x.CountyCode = region.County(x.RegionCode)
	for _, t := range x.Townships {
		if region.County(t) != x.CountyCode {
			fields["townships"] = "覆盖的乡镇须在同一个县内"
		}
	}
	if in.GuidedBy != nil {
		x.GuidedBy = *in.GuidedBy
	}
	if x.Level == LevelCounty {
		if x.GuidedBy != 0 {
			fields["guided_by"] = "县级农合联没有上级指导单位"
		}
	} else if x.GuidedBy == 0 && in.GuidedBy == nil && x.CountyCode != "" {
		_ = s.db.QueryRowContext(ctx, `SELECT id FROM federations WHERE county_code = ? AND level = 'county' AND status = 'active' ORDER BY id LIMIT 1`, x.CountyCode).Scan(&x.GuidedBy)
	} else if x.GuidedBy != 0 {
		var lvl, cc string
		err := s.db.QueryRowContext(ctx, `SELECT level, county_code FROM federations WHERE id = ?`, x.GuidedBy).Scan(&lvl, &cc)
		if err != nil || lvl != LevelCounty || cc != x.CountyCode {
			fields["guided_by"] = "指导单位应为本县的县级农合联"
		}
	}
	if in.SecretariatSubjectID != nil {
		x.SecretariatSubjectID = *in.SecretariatSubjectID
	}
	if v, ok := str(in.SecretariatName); ok {
		x.SecretariatName = v
	}
	if in.PresidentSubjectID != nil {
		x.PresidentSubjectID = *in.PresidentSubjectID
	}
	if v, ok := str(in.PresidentName); ok {
		x.PresidentName = v
	}
	var want []int64
	for _, id := range []int64{x.SecretariatSubjectID, x.PresidentSubjectID} {
		if id != 0 {
			want = append(want, id)
		}
	}
	if len(want) > 0 {
		found, err := s.subjects.Lookup(ctx, want)
		if err != nil {
			return x, err
		}
		if sid := x.SecretariatSubjectID; sid != 0 {
			if sub := found[sid]; sub == nil {
				fields["secretariat_subject_id"] = "主体名录中没有该编号"
			} else if x.SecretariatName == "" || (in.SecretariatSubjectID != nil && in.SecretariatName == nil) {
				x.SecretariatName = sub.Name
			}
		}
		if pid := x.PresidentSubjectID; pid != 0 && found[pid] == nil {
			fields["president_subject_id"] = "主体名录中没有该编号"
		}
	}
	if v, ok := str(in.EstablishedOn); ok {
		if v == "" {
			x.EstablishedOn = ""
		} else if d, ok := ParseDate(v); ok {
			x.EstablishedOn = d
		} else {
			fields["established_on"] = "日期格式应为 2024-08-01"
		}
	}
	if v, ok := str(in.Address); ok {
		x.Address = v
	}
	if v, ok := str(in.Phone); ok {
		x.Phone = v
	}
	if v, ok := str(in.Note); ok {
		x.Note = v
	}
	if v, ok := str(in.Status); ok && v != "" {
		if v != FedActive && v != FedDissolved {
			fields["status"] = "状态应为 active 或 dissolved"
		} else {
			x.Status = v
		}
	}
	if x.Status == "" {
		x.Status = FedActive
	}
	return x, apperr.FieldErrors(fields)
}

// nextCode makes a default federation code: X (县级), Z (乡镇) or C (产业) and a two-digit sequence.
func nextCode(ctx context.Context, tx *db.Tx, county, level string) (string, error) {
	letter := map[string]string{LevelCounty: "X", LevelTownship: "Z", LevelIndustry: "C"}[level]
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM federations WHERE county_code = ? AND level = ?`, county, level).Scan(&n); err != nil {
		return "", err
	}
	for i := n + 1; ; i++ {
		code := fmt.Sprintf("%s%02d", letter, i)
		var k int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM federations WHERE county_code = ? AND code = ?`, county, code).Scan(&k); err != nil {
			return "", err
		}
		if k == 0 {
			return code, nil
		}
	}
}

func (s *Service) checkUnique(ctx context.Context, tx *db.Tx, x *Federation) error {
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM federations WHERE county_code = ? AND name = ? AND id <> ?`, x.CountyCode, x.Name, x.ID).Scan(&id)
	if err == nil {
		return &apperr.Error{Code: apperr.Conflict, Message: "同名农合联已存在：" + x.Name, Fields: map[string]string{"name": "同名农合联已存在"}}
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	err = tx.QueryRowContext(ctx, `SELECT id FROM federations WHERE county_code = ? AND code = ? AND id <> ?`, x.CountyCode, x.Code, x.ID).Scan(&id)
	if err == nil {
		return &apperr.Error{Code: apperr.Conflict, Message: "农合联编码已被使用：" + x.Code, Fields: map[string]string{"code": "编码已被使用"}}
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if x.Level == LevelCounty && x.Status == FedActive {
		var name string
		err = tx.QueryRowContext(ctx, `SELECT name FROM federations WHERE county_code = ? AND level = 'county' AND status = 'active' AND id <> ?`, x.CountyCode, x.ID).Scan(&name)
		if err == nil {
			return &apperr.Error{Code: apperr.Conflict, Message: "本县已有县级农合联：" + name, Fields: map[string]string{"level": "一个县只设一个县级农合联"}}
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
	}
	return nil
}

func (s *Service) insertFed(ctx context.Context, tx *db.Tx, x *Federation) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO federations (id, county_code, code, name, level, region_code, industry, guided_by, secretariat_subject_id,
		secretariat_name, president_name, president_subject_id, established_on, address, phone, note, status, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		x.ID, x.CountyCode, x.Code, x.Name, x.Level, x.RegionCode, x.Industry, nullID(x.GuidedBy), x.SecretariatSubjectID,
		x.SecretariatName, x.PresidentName, x.PresidentSubjectID, x.EstablishedOn, x.Address, x.Phone, x.Note, x.Status, x.CreatedAt, x.UpdatedAt)
	if err != nil {
		if db.IsUniqueViolation(err) {
			return apperr.New(apperr.Conflict, "农合联名称或编码已存在")
		}
		return fmt.Errorf("insert federation: %w", err)
	}
	return writeTownships(ctx, tx, x.ID, x.Townships)
}

func writeTownships(ctx context.Context, tx *db.Tx, id int64, towns []string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM federation_regions WHERE federation_id = ?`, id); err != nil {
		return fmt.Errorf("federation regions: %w", err)
	}
	for i, t := range towns {
		if _, err := tx.ExecContext(ctx, `INSERT INTO federation_regions (federation_id, region_code, sort) VALUES (?, ?, ?)`, id, t, i); err != nil {
			return fmt.Errorf("federation regions: %w", err)
		}
	}
	return nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// auditFed is what the trail keeps of a federation.
func auditFed(x Federation) map[string]any {
	return map[string]any{"code": x.Code, "name": x.Name, "level": x.Level, "region_code": x.RegionCode, "townships": x.Townships,
		"industry": x.Industry, "guided_by": x.GuidedBy, "secretariat_subject_id": x.SecretariatSubjectID, "secretariat_name": x.SecretariatName,
		"president_name": x.PresidentName, "president_subject_id": x.PresidentSubjectID, "established_on": x.EstablishedOn,
		"address": x.Address, "phone": x.Phone, "note": x.Note, "status": x.Status}
}

// CreateFederation sets up a federation (county admins).
func (s *Service) CreateFederation(ctx context.Context, p *auth.Principal, in FederationInput) (*Federation, error) {
	if !p.Is(auth.CountyAdmin) {
		return nil, canAdminFed(p, "")
	}
	x, err := s.applyFed(ctx, p, Federation{}, in, true)
	if err != nil {
		return nil, err
	}
	if err := canAdminFed(p, x.RegionCode); err != nil {
		return nil, err
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		x.ID = tx.NextID()
		if x.Code == "" {
			if x.Code, err = nextCode(ctx, tx, x.CountyCode, x.Level); err != nil {
				return err
			}
		}
		if err := s.checkUnique(ctx, tx, &x); err != nil {
			return err
		}
		now := s.now().UTC()
		x.CreatedAt, x.UpdatedAt = now, now
		if err := s.insertFed(ctx, tx, &x); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "create", Entity: "federation", EntityID: x.ID,
			Summary: "新建" + LevelLabel(x.Level) + "：" + x.Name, After: auditFed(x)})
	})
	if err != nil {
		return nil, err
	}
	return s.GetFederation(ctx, p, x.ID)
}

// UpdateFederation changes a federation; only the fields present in in change.
func (s *Service) UpdateFederation(ctx context.Context, p *auth.Principal, id int64, in FederationInput) (*Federation, error) {
	cur, err := s.getFed(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	if !canReadFed(p, cur) {
		return nil, errNoFed
	}
	if err := canAdminFed(p, cur.RegionCode); err != nil {
		return nil, err
	}
	x, err := s.applyFed(ctx, p, *cur, in, false)
	if err != nil {
		return nil, err
	}
	if err := canAdminFed(p, x.RegionCode); err != nil {
		return nil, err
	}
	if x.Code == "" {
		x.Code = cur.Code
	}
	before, after := auditFed(*cur), auditFed(x)
	if fmt.Sprint(before) == fmt.Sprint(after) {
		return s.GetFederation(ctx, p, id)
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := s.checkUnique(ctx, tx, &x); err != nil {
			return err
		}
		x.UpdatedAt = s.now().UTC()
		_, err := tx.ExecContext(ctx, `UPDATE federations SET county_code = ?, code = ?, name = ?, region_code = ?, industry = ?, guided_by = ?,
			secretariat_subject_id = ?, secretariat_name = ?, president_name = ?, president_subject_id = ?, established_on = ?, address = ?, phone = ?,
			note = ?, status = ?, updated_at = ? WHERE id = ?`,
			x.CountyCode, x.Code, x.Name, x.RegionCode, x.Industry, nullID(x.GuidedBy), x.SecretariatSubjectID, x.SecretariatName, x.PresidentName,
			x.PresidentSubjectID, x.EstablishedOn, x.Address, x.Phone, x.Note, x.Status, x.UpdatedAt, id)
		if err != nil {
			if db.IsUniqueViolation(err) {
				return apperr.New(apperr.Conflict, "农合联名称或编码已存在")
			}
			return fmt.Errorf("update federation: %w", err)
		}
		if fmt.Sprint(cur.Townships) != fmt.Sprint(x.Townships) {
			if err := writeTownships(ctx, tx, id, x.Townships); err != nil {
				return err
			}
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "update", Entity: "federation", EntityID: id,
			Summary: "修改农合联：" + x.Name, Before: before, After: after})
	})
	if err != nil {
		return nil, err
	}
	return s.GetFederation(ctx, p, id)
}

// ---------------------------------------------------------------------------------------------------------------
// Live counts
// ---------------------------------------------------------------------------------------------------------------

// FederationStats counts a federation's members by status, and its approved members by subject kind and township.
func (s *Service) FederationStats(ctx context.Context, p *auth.Principal, id int64) (Stats, error) {
	f, err := s.getFed(ctx, s.db, id)
	if err != nil {
		return Stats{}, err
	}
	if !canReadFed(p, f) {
		return Stats{}, errNoFed
	}
	st := Stats{FederationID: id, ByStatus: map[string]int{}, ByKind: []Count{}, ByTownship: []Count{}}
	for _, k := range Statuses {
		st.ByStatus[k] = 0
	}
	rows, err := s.db.QueryContext(ctx, `SELECT status, COUNT(*) FROM memberships WHERE federation_id = ? GROUP BY status`, id)
	if err != nil {
		return st, fmt.Errorf("member stats: %w", err)
	}
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			rows.Close()
			return st, err
		}
		st.ByStatus[k] = n
	}
	rows.Close()
	st.Members = st.ByStatus[StatusApproved]
	byKind := map[string]int{}
	if err := s.countBy(ctx, `SELECT subject_kind, COUNT(*) FROM memberships WHERE federation_id = ? AND status = 'approved' GROUP BY subject_kind`, id, byKind); err != nil {
		return st, err
	}
	for _, k := range registry.Kinds {
		if n := byKind[k.Code]; n > 0 {
			st.ByKind = append(st.ByKind, Count{Code: k.Code, Label: k.Label, Count: n})
			delete(byKind, k.Code)
		}
	}
	for k, n := range byKind {
		st.ByKind = append(st.ByKind, Count{Code: k, Label: registry.KindLabel(k), Count: n})
	}
	byTown := map[string]int{}
	if err := s.countBy(ctx, `SELECT township_code, COUNT(*) FROM memberships WHERE federation_id = ? AND status = 'approved' GROUP BY township_code`, id, byTown); err != nil {
		return st, err
	}
	for code, n := range byTown {
		st.ByTownship = append(st.ByTownship, Count{Code: code, Label: s.regions.ShortName(code), Count: n})
	}
	sort.Slice(st.ByTownship, func(i, j int) bool { return st.ByTownship[i].Code < st.ByTownship[j].Code })
	return st, nil
}

func (s *Service) countBy(ctx context.Context, q string, id int64, into map[string]int) error {
	rows, err := s.db.QueryContext(ctx, q, id)
	if err != nil {
		return fmt.Errorf("member stats: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return err
		}
		into[k] = n
	}
	return rows.Err()
}

// Overview counts federations by level, approved memberships and the applications p may review.
func (s *Service) Overview(ctx context.Context, p *auth.Principal) (Overview, error) {
	o := Overview{ByLevel: map[string]int{}}
	feds, err := s.allFederations(ctx, p)
	if err != nil {
		return o, err
	}
	for _, f := range feds {
		if f.Status == FedActive {
			o.ByLevel[f.Level]++
			o.Feds++
		}
	}
	where, args := membershipScope(p, nil)
	if p.Is(auth.TownshipOperator) {
		managed, err := s.managedIDs(ctx, p)
		if err != nil {
			return o, err
		}
		where, args = membershipScope(p, managed)
	}
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(DISTINCT m.subject_id) FROM memberships m WHERE `+where+` AND m.status = 'approved'`, args...).Scan(&o.Members, &o.Subjects); err != nil {
		return o, fmt.Errorf("count members: %w", err)
	}
	if p.Is(auth.CountyAdmin, auth.TownshipOperator) {
		managed, err := s.managedIDs(ctx, p)
		if err != nil {
			return o, err
		}
		if len(managed) > 0 {
			a := make([]any, len(managed))
			for i, id := range managed {
				a[i] = id
			}
			if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM memberships WHERE status = 'applied' AND federation_id IN (`+db.Placeholders(len(a))+`)`, a...).Scan(&o.Pending); err != nil {
				return o, fmt.Errorf("count pending: %w", err)
			}
		}
	}
	return o, nil
}
