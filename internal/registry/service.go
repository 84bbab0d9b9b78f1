package registry

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/pii"
	"nongfu/internal/region"
	"nongfu/internal/validate"
)

//go:embed migrations
var migrationsFS embed.FS

// Migrations is the room's schema.
var Migrations = db.RoomMigrations("registry", migrationsFS, "migrations")

// Service is the register's use cases.
type Service struct {
	db      *db.DB
	regions *region.Service
	box     *pii.Box
	now     func() time.Time

	indMu sync.Mutex
	inds  []string // cached industries list; nil = reload
}

// NewService wires the register.
func NewService(d *db.DB, regions *region.Service, box *pii.Box) *Service {
	return &Service{db: d, regions: regions, box: box, now: time.Now}
}

// Init seeds the industries list on a fresh database.
func (s *Service) Init(ctx context.Context) error {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM industries`).Scan(&n); err != nil {
		return fmt.Errorf("count industries: %w", err)
	}
	if n > 0 {
		// a database from before subject_counts existed (or restored without it) gets its counts once
		var subjects, counted int
		if err := s.db.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM subjects), (SELECT COUNT(*) FROM subject_counts)`).Scan(&subjects, &counted); err != nil {
			return fmt.Errorf("check counts: %w", err)
		}
		if subjects > 0 && counted == 0 {
			return s.RebuildCounts(ctx)
		}
		return nil
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		for i, name := range DefaultIndustries {
			if _, err := tx.ExecContext(ctx, `INSERT INTO industries (name, sort, active) VALUES (?, ?, TRUE)`, name, i); err != nil {
				return fmt.Errorf("seed industries: %w", err)
			}
		}
		return nil
	})
}

// Industries returns the configured industries in order (cached; SetIndustries refreshes it).
func (s *Service) Industries(ctx context.Context) ([]string, error) {
	s.indMu.Lock()
	defer s.indMu.Unlock()
	if s.inds != nil {
		return s.inds, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT name FROM industries WHERE active = TRUE ORDER BY sort, name`)
	if err != nil {
		return nil, fmt.Errorf("industries: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	s.inds = out
	return out, nil
}

// SetIndustries replaces the configured list (county admins).
func (s *Service) SetIndustries(ctx context.Context, p *auth.Principal, names []string) error {
	if !p.Is(auth.CountyAdmin, auth.Sysadmin) {
		return apperr.New(apperr.Forbidden, "只有县级管理员可以配置主导产业")
	}
	var clean []string
	seen := map[string]bool{}
	for _, n := range names {
		n = validate.Normalize(n)
		if n != "" && !seen[n] {
			seen[n] = true
			clean = append(clean, n)
		}
	}
	if len(clean) == 0 {
		return apperr.FieldErrors(map[string]string{"industries": "至少保留一个产业"})
	}
	before, _ := s.Industries(ctx)
	defer func() {
		s.indMu.Lock()
		s.inds = nil
		s.indMu.Unlock()
	}()
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE industries SET active = FALSE`); err != nil {
			return err
		}
		for i, n := range clean {
			res, err := tx.ExecContext(ctx, `UPDATE industries SET active = TRUE, sort = ? WHERE name = ?`, i, n)
			if err != nil {
				return err
			}
			if k, _ := res.RowsAffected(); k == 0 {
				if _, err := tx.ExecContext(ctx, `INSERT INTO industries (name, sort, active) VALUES (?, ?, TRUE)`, n, i); err != nil {
					return err
				}
			}
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "update", Entity: "industries", Summary: "修改主导产业目录", Before: before, After: clean})
	})
}

const subjectCols = `s.id, s.kind, s.name, COALESCE(s.credit_code, ''), s.legal_rep, s.id_enc, s.phone_enc, s.region_code, s.address, s.industries,
	s.scale_mu, s.scale_head, s.households_led, s.lng, s.lat, s.status, s.established_on, s.registered_on, s.note, s.deactivate_reason, s.created_at, s.updated_at`

func scanSubject(sc interface{ Scan(...any) error }) (*Subject, error) {
	x := &Subject{}
	var inds string
	err := sc.Scan(&x.ID, &x.Kind, &x.Name, &x.CreditCode, &x.LegalRep, &x.idEnc, &x.phoneEnc, &x.RegionCode, &x.Address, &inds,
		&x.scaleCenti, &x.ScaleHead, &x.HouseholdsLed, &x.Lng, &x.Lat, &x.Status, &x.EstablishedOn, &x.RegisteredOn, &x.Note, &x.DeactivateReason, &x.CreatedAt, &x.UpdatedAt)
	if err != nil {
		return nil, err
	}
	x.Industries = splitList(inds)
	x.ScaleMu = float64(x.scaleCenti) / 100
	x.KindLabel = KindLabel(x.Kind)
	if k, ok := KindOf(x.Kind); ok {
		x.NewType = k.NewType
	}
	return x, nil
}

func splitList(s string) []string {
	s = strings.Trim(s, "|")
	if s == "" {
		return []string{}
	}
	return strings.Split(s, "|")
}

func joinList(l []string) string {
	if len(l) == 0 {
		return ""
	}
	return "|" + strings.Join(l, "|") + "|"
}

// present fills display fields and decrypts or masks personal data for p.
func (s *Service) present(p *auth.Principal, x *Subject) error {
	x.RegionName = s.regions.Name(x.RegionCode)
	id, err := s.box.Decrypt(x.idEnc)
	if err != nil {
		return fmt.Errorf("decrypt id of subject %d: %w", x.ID, err)
	}
	phone, err := s.box.Decrypt(x.phoneEnc)
	if err != nil {
		return fmt.Errorf("decrypt phone of subject %d: %w", x.ID, err)
	}
	x.IDNumber = pii.MaskID(id)
	x.Phone = phone
	if !canSeeClear(p, x.RegionCode) && !(p.Is(auth.Member, auth.Provider, auth.Bank) && p.SubjectID == x.ID) {
		x.Phone = pii.MaskPhone(phone)
	}
	return nil
}

// Get returns a subject p may see.
func (s *Service) Get(ctx context.Context, p *auth.Principal, id int64) (*Subject, error) {
	x, err := s.get(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	if !canSee(p, x.ID, x.RegionCode) {
		return nil, apperr.New(apperr.NotFound, "主体不存在或不在您的管辖范围内")
	}
	if err := s.present(p, x); err != nil {
		return nil, err
	}
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM household_members WHERE subject_id = ?`, id).Scan(&x.MemberCount); err != nil {
		return nil, err
	}
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM plots WHERE subject_id = ? AND status = 'active'`, id).Scan(&x.PlotCount); err != nil {
		return nil, err
	}
	return x, nil
}

func (s *Service) get(ctx context.Context, q db.Querier, id int64) (*Subject, error) {
	x, err := scanSubject(q.QueryRowContext(ctx, `SELECT `+subjectCols+` FROM subjects s WHERE s.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.New(apperr.NotFound, "主体不存在或不在您的管辖范围内")
	}
	if err != nil {
		return nil, fmt.Errorf("get subject %d: %w", id, err)
	}
	return x, nil
}

// Lookup returns subjects by id without access checks, for other rooms that already checked access to their own
// records (names for display). Personal data stays masked.
func (s *Service) Lookup(ctx context.Context, ids []int64) (map[int64]*Subject, error) {
	out := map[int64]*Subject{}
	for start := 0; start < len(ids); start += 500 {
		end := min(start+500, len(ids))
		ph := strings.TrimSuffix(strings.Repeat("?,", end-start), ",")
		args := make([]any, 0, end-start)
		for _, id := range ids[start:end] {
			args = append(args, id)
		}
		rows, err := s.db.QueryContext(ctx, `SELECT `+subjectCols+` FROM subjects s WHERE s.id IN (`+ph+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("lookup subjects: %w", err)
		}
		for rows.Next() {
			x, err := scanSubject(rows)
			if err != nil {
				rows.Close()
				return nil, err
			}
			x.RegionName = s.regions.Name(x.RegionCode)
			x.IDNumber, x.Phone = "", ""
			out[x.ID] = x
		}
		rows.Close()
	}
	return out, nil
}

// Reveal returns the clear ID number and phone of a subject for a permitted role, and audits the reveal.
func (s *Service) Reveal(ctx context.Context, p *auth.Principal, id int64) (idNumber, phone string, err error) {
	x, err := s.get(ctx, s.db, id)
	if err != nil {
		return "", "", err
	}
	if !canSee(p, x.ID, x.RegionCode) {
		return "", "", apperr.New(apperr.NotFound, "主体不存在或不在您的管辖范围内")
	}
	if !canSeeClear(p, x.RegionCode) {
		return "", "", apperr.New(apperr.Forbidden, "您的角色无权查看完整身份证号")
	}
	if idNumber, err = s.box.Decrypt(x.idEnc); err != nil {
		return "", "", err
	}
	if phone, err = s.box.Decrypt(x.phoneEnc); err != nil {
		return "", "", err
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "reveal", Entity: "subject", EntityID: id, Summary: "查看完整身份证号：" + x.Name})
	})
	return idNumber, phone, err
}

var (
	reDigits4 = regexp.MustCompile(`^[0-9]{3}[0-9Xx]$`)
	reMobile  = regexp.MustCompile(`^1[3-9][0-9]{9}$`)
)

// CountCap bounds the total of a text search: beyond it the answer is "more than CountCap" (CountCap+1), so that a
// one-character search on a million-subject register stays fast; nobody pages through a thousand search hits. Lists without text search count exactly.
const CountCap = 1000

// List returns the subjects p may see that match f, and the total count (CountCap+1 means "more than CountCap").
func (s *Service) List(ctx context.Context, p *auth.Principal, f Filter) ([]*Subject, int, error) {
	kindCode := ""
	if f.Kind != "" {
		k, ok := KindOf(f.Kind)
		if !ok {
			return nil, 0, apperr.FieldErrors(map[string]string{"kind": "未知的主体类型"})
		}
		kindCode = k.Code
	}
	q := validate.Normalize(f.Q)
	// conds builds the WHERE clause; plus disables the region and kind indexes (a unary '+' in SQLite) for the
	// page query, which is faster walking ids newest-first and filtering than sorting a whole township.
	conds := func(plus bool) (string, []any) {
		pre := ""
		if plus && s.db.Engine() == db.SQLite {
			pre = "+"
		}
		where, args := scopeSQL(p, pre+"s.region_code")
		cs := []string{where}
		add := func(c string, a ...any) {
			cs = append(cs, c)
			args = append(args, a...)
		}
		switch f.Status {
		case "all":
		case StatusInactive:
			add(pre+"s.status = ?", StatusInactive)
		default:
			add(pre+"s.status = ?", StatusActive)
		}
		if kindCode != "" {
			add(pre+"s.kind = ?", kindCode)
		}
		if f.NewType {
			add(pre + "s.kind IN ('family_farm', 'cooperative', 'enterprise')")
		}
		if f.RegionCode != "" {
			lo, hi := db.PrefixRange(auth.RegionPrefix(f.RegionCode))
			add(pre+"s.region_code >= ? AND "+pre+"s.region_code < ?", lo, hi)
		}
		if f.Industry != "" {
			add("s.industries LIKE ? ESCAPE '\\'", db.Like("|"+f.Industry+"|"))
		}
		if len(f.IDs) > 0 {
			ph := strings.TrimSuffix(strings.Repeat("?,", len(f.IDs)), ",")
			a := make([]any, len(f.IDs))
			for i, v := range f.IDs {
				a[i] = v
			}
			add("s.id IN ("+ph+")", a...)
		}
		if q != "" {
			c, a, _ := s.searchSQL(q)
			add(c, a...)
		}
		return strings.Join(cs, " AND "), args
	}
	// from is the FROM clause: a name search on SQLite starts from the n-gram index (CROSS JOIN fixes the order)
	from, fromArgs, byIndex := "subjects s", []any(nil), false
	if q != "" {
		if _, _, fts := s.searchSQL(q); fts != "" {
			from, fromArgs, byIndex = "subjects_fts CROSS JOIN subjects s ON s.id = subjects_fts.rowid", []any{fts}, true
		}
	}
	withFrom := func(w string, args []any) (string, []any) {
		if byIndex {
			return "subjects_fts MATCH ? AND " + w, append(append([]any{}, fromArgs...), args...)
		}
		return w, args
	}
	total, ok, err := s.countFromTable(ctx, p, f, kindCode)
	if err != nil {
		return nil, 0, err
	}
	if !ok {
		w, args := withFrom(conds(false))
		query := `SELECT COUNT(*) FROM ` + from + ` WHERE ` + w
		if q != "" {
			query = fmt.Sprintf(`SELECT COUNT(*) FROM (SELECT 1 FROM %s WHERE %s LIMIT %d) c`, from, w, CountCap+1)
		}
		if err := s.db.QueryRowContext(ctx, query, args...).Scan(&total); err != nil {
			return nil, 0, fmt.Errorf("count subjects: %w", err)
		}
	}
	if f.PerPage <= 0 {
		f.PerPage = 20
	}
	if f.Page <= 0 {
		f.Page = 1
	}
	if total == 0 || (f.Page-1)*f.PerPage >= total {
		return []*Subject{}, total, nil
	}
	order := "s.id DESC"
	if byIndex {
		order = "subjects_fts.rowid DESC"
	}
	plus := true
	switch f.Sort {
	case "name":
		order = "s.name, s.id"
	case "region":
		order, plus = "s.region_code, s.id", false
	case "created":
		order = "s.id"
	}
	w, args := withFrom(conds(plus))
	rows, err := s.db.QueryContext(ctx, `SELECT `+subjectCols+` FROM `+from+` WHERE `+w+` ORDER BY `+order+` LIMIT ? OFFSET ?`,
		append(args, f.PerPage, (f.Page-1)*f.PerPage)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list subjects: %w", err)
	}
	defer rows.Close()
	out := []*Subject{}
	for rows.Next() {
		x, err := scanSubject(rows)
		if err != nil {
			return nil, 0, err
		}
		if err := s.present(p, x); err != nil {
			return nil, 0, err
		}
		out = append(out, x)
	}
	return out, total, rows.Err()
}

// Each streams every subject p may see that matches f (exports), in id order.
func (s *Service) Each(ctx context.Context, p *auth.Principal, f Filter, fn func(*Subject) error) error {
	f.PerPage = 2000
	for page := 1; ; page++ {
		f.Page = page
		f.Sort = "created"
		items, _, err := s.List(ctx, p, f)
		if err != nil {
			return err
		}
		for _, x := range items {
			if err := fn(x); err != nil {
				return err
			}
		}
		if len(items) < f.PerPage {
			return nil
		}
	}
}

// searchSQL interprets q: a full ID number or mobile number is looked up by its keyed hash, four trailing ID
// characters by the stored tail, a credit code exactly, anything else by name. Names are searched through an
// n-gram index on SQLite and by ILIKE on PostgreSQL; both mean "name contains q".
//
// On SQLite a plain name search returns fts: the query then starts from the n-gram index and walks its ids
// newest-first, so the first page of a one-character search over a million names stops after twenty hits.
func (s *Service) searchSQL(q string) (cond string, args []any, fts string) {
	c := validate.Compact(q)
	if id, err := validate.IDNumber(c); err == nil {
		return "s.id_hash = ?", []any{s.box.Hash(id)}, ""
	}
	if m, err := validate.Mobile(c); err == nil && reMobile.MatchString(m) {
		return "s.phone_hash = ?", []any{s.box.Hash(m)}, ""
	}
	if reDigits4.MatchString(c) {
		if s.db.Engine() == db.SQLite {
			return "(s.id_tail = ? OR s.id IN (SELECT rowid FROM subjects_fts WHERE subjects_fts MATCH ?) AND s.name LIKE ? ESCAPE '\\')",
				[]any{strings.ToUpper(c), ftsQuery(queryTerms(q)), db.Like(q)}, ""
		}
		return "(s.id_tail = ? OR s.name LIKE ? ESCAPE '\\')", []any{strings.ToUpper(c), db.Like(q)}, ""
	}
	if cc, err := validate.CreditCode(c); err == nil {
		return "s.credit_code = ?", []any{cc}, ""
	}
	if s.db.Engine() == db.Postgres {
		return "s.name ILIKE ? ESCAPE '\\'", []any{db.Like(q)}, ""
	}
	terms := queryTerms(q)
	if len(terms) == 0 {
		return "s.name LIKE ? ESCAPE '\\'", []any{db.Like(q)}, ""
	}
	return "s.name LIKE ? ESCAPE '\\'", []any{db.Like(q)}, ftsQuery(terms)
}

func ftsQuery(terms []string) string { return `"` + strings.Join(terms, `" AND "`) + `"` }

// nameTerms are the unigrams and bigrams of a name, the tokens of the SQLite search index: any substring of two
// or more characters contains only bigrams that the name has, so MATCH narrows and LIKE confirms.
func nameTerms(name string) string {
	rs := searchRunes(name)
	var b strings.Builder
	for i, r := range rs {
		b.WriteRune(r)
		b.WriteByte(' ')
		if i+1 < len(rs) {
			b.WriteRune(r)
			b.WriteRune(rs[i+1])
			b.WriteByte(' ')
		}
	}
	return b.String()
}

func queryTerms(q string) []string {
	rs := searchRunes(q)
	if len(rs) == 1 {
		return []string{string(rs)}
	}
	var out []string
	for i := 0; i+1 < len(rs); i++ {
		out = append(out, string(rs[i:i+2]))
	}
	return out
}

func searchRunes(s string) []rune {
	var out []rune
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			out = append(out, r)
		}
	}
	return out
}

func writeFTS(ctx context.Context, tx *db.Tx, id int64, name string, replace bool) error {
	if tx.Engine() != db.SQLite {
		return nil
	}
	if replace {
		if _, err := tx.ExecContext(ctx, `DELETE FROM subjects_fts WHERE rowid = ?`, id); err != nil {
			return fmt.Errorf("search index delete: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO subjects_fts (rowid, terms) VALUES (?, ?)`, id, nameTerms(name)); err != nil {
		return fmt.Errorf("search index insert: %w", err)
	}
	return nil
}

// normalized is a validated subject ready to store.
type normalized struct {
	Subject
	idNumber string
	phone    string
}

// apply merges in into base and validates the result; fields maps API field names to Chinese messages.
func (s *Service) apply(ctx context.Context, base normalized, in SubjectInput) (normalized, error) {
	x := base
	fields := map[string]string{}
	str := func(p *string) (string, bool) {
		if p == nil {
			return "", false
		}
		return validate.Normalize(*p), true
	}
	if v, ok := str(in.Kind); ok {
		if k, ok := KindOf(v); ok {
			x.Kind = k.Code
		} else {
			fields["kind"] = "未知的主体类型：" + v
		}
	}
	if v, ok := str(in.Name); ok {
		x.Name = v
	}
	if x.Name == "" {
		fields["name"] = "请填写名称"
	} else if utf8.RuneCountInString(x.Name) > 100 {
		fields["name"] = "名称不能超过100字"
	}
	if x.Kind == "" && fields["kind"] == "" {
		fields["kind"] = "请选择主体类型"
	}
	if v, ok := str(in.CreditCode); ok {
		if v == "" {
			x.CreditCode = ""
		} else if cc, err := validate.CreditCode(v); err != nil {
			fields["credit_code"] = err.Error()
		} else {
			x.CreditCode = cc
		}
	}
	if (x.Kind == "cooperative" || x.Kind == "enterprise") && x.CreditCode == "" && fields["credit_code"] == "" {
		fields["credit_code"] = "农民专业合作社和农业企业须填写统一社会信用代码"
	}
	if v, ok := str(in.LegalRep); ok {
		x.LegalRep = v
	}
	if v, ok := str(in.IDNumber); ok {
		if v == "" {
			x.idNumber = ""
		} else if id, err := validate.IDNumber(v); err != nil {
			fields["id_number"] = err.Error()
		} else {
			x.idNumber = id
		}
	}
	if x.Kind == "household" {
		if x.idNumber == "" && fields["id_number"] == "" {
			fields["id_number"] = "农户须填写户主身份证号"
		}
		if x.LegalRep == "" {
			x.LegalRep = x.Name
		}
	}
	if v, ok := str(in.Phone); ok {
		if v == "" {
			x.phone = ""
		} else if m, err := validate.Mobile(v); err != nil {
			fields["phone"] = err.Error()
		} else {
			x.phone = m
		}
	}
	if v, ok := str(in.RegionCode); ok {
		x.RegionCode = validate.Compact(v)
	}
	if x.RegionCode == "" {
		fields["region_code"] = "请选择所在区域"
	} else {
		min := region.LevelTownship
		if x.Kind == "household" {
			min = region.LevelVillage
		}
		if err := s.regions.Validate(x.RegionCode, min); err != nil {
			fields["region_code"] = apperr.MessageOf(err)
		}
	}
	if v, ok := str(in.Address); ok {
		x.Address = v
	}
	if in.Industries != nil {
		known, err := s.Industries(ctx)
		if err != nil {
			return x, err
		}
		x.Industries = nil
		for _, v := range *in.Industries {
			v = validate.Normalize(v)
			if v == "" {
				continue
			}
			found := false
			for _, k := range known {
				if k == v {
					found = true
				}
			}
			if !found {
				fields["industries"] = "未配置的产业：" + v + "（可选：" + strings.Join(known, "、") + "）"
			} else if !contains(x.Industries, v) {
				x.Industries = append(x.Industries, v)
			}
		}
	}
	if in.ScaleMu != nil {
		if *in.ScaleMu < 0 || *in.ScaleMu > 1e7 || math.IsNaN(*in.ScaleMu) {
			fields["scale_mu"] = "面积应在 0 到 1000 万亩之间"
		} else {
			x.scaleCenti = int64(math.Round(*in.ScaleMu * 100))
			x.ScaleMu = float64(x.scaleCenti) / 100
		}
	}
	if in.ScaleHead != nil {
		if *in.ScaleHead < 0 {
			fields["scale_head"] = "养殖规模不能为负数"
		} else {
			x.ScaleHead = *in.ScaleHead
		}
	}
	if in.HouseholdsLed != nil {
		if *in.HouseholdsLed < 0 {
			fields["households_led"] = "带动农户数不能为负数"
		} else {
			x.HouseholdsLed = *in.HouseholdsLed
		}
	}
	if in.Lng != nil {
		x.Lng = *in.Lng
	}
	if in.Lat != nil {
		x.Lat = *in.Lat
	}
	if x.Lng != 0 || x.Lat != 0 {
		if x.Lng < 73 || x.Lng > 136 || x.Lat < 3 || x.Lat > 54 {
			fields["lng"] = "经纬度不在中国境内（经度73–136，纬度3–54）"
		}
	}
	for _, d := range []struct {
		in    *string
		out   *string
		field string
	}{{in.EstablishedOn, &x.EstablishedOn, "established_on"}, {in.RegisteredOn, &x.RegisteredOn, "registered_on"}} {
		if v, ok := str(d.in); ok {
			if v != "" {
				t, err := parseDate(v)
				if err != nil {
					fields[d.field] = "日期格式应为 2024-08-01"
					continue
				}
				v = t
			}
			*d.out = v
		}
	}
	if v, ok := str(in.Note); ok {
		x.Note = v
	}
	if v, ok := str(in.Status); ok && v != "" {
		if v != StatusActive && v != StatusInactive {
			fields["status"] = "状态应为 active 或 inactive"
		} else {
			x.Status = v
		}
	}
	if x.Status == "" {
		x.Status = StatusActive
	}
	return x, apperr.FieldErrors(fields)
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func parseDate(v string) (string, error) {
	v = strings.NewReplacer("/", "-", ".", "-", "年", "-", "月", "-", "日", "").Replace(v)
	for _, layout := range []string{"2006-1-2", "2006-01-02", "20060102"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.Format("2006-01-02"), nil
		}
	}
	return "", errors.New("bad date")
}

// duplicate finds an existing subject with the same ID number or credit code (other than self).
func (s *Service) duplicate(ctx context.Context, q db.Querier, x normalized, self int64) error {
	if x.idNumber != "" {
		var id int64
		var name, region string
		err := q.QueryRowContext(ctx, `SELECT id, name, region_code FROM subjects WHERE id_hash = ? AND id <> ?`, s.box.Hash(x.idNumber), self).Scan(&id, &name, &region)
		if err == nil {
			return &apperr.Error{Code: apperr.Conflict, Message: fmt.Sprintf("该身份证号已登记：%s（%s，编号 %d）", name, s.regions.Name(region), id),
				Fields: map[string]string{"id_number": fmt.Sprintf("已登记为 %s（编号 %d）", name, id)}}
		} else if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if err := s.memberDuplicate(ctx, q, x); err != nil {
			return err
		}
	}
	if x.CreditCode != "" {
		var id int64
		var name string
		err := q.QueryRowContext(ctx, `SELECT id, name FROM subjects WHERE credit_code = ? AND id <> ?`, x.CreditCode, self).Scan(&id, &name)
		if err == nil {
			return &apperr.Error{Code: apperr.Conflict, Message: fmt.Sprintf("该统一社会信用代码已登记：%s（编号 %d）", name, id),
				Fields: map[string]string{"credit_code": fmt.Sprintf("已登记为 %s（编号 %d）", name, id)}}
		} else if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
	}
	return nil
}

// memberDuplicate refuses an ID number already registered as a household member.
func (s *Service) memberDuplicate(ctx context.Context, q db.Querier, x normalized) error {
	if x.idNumber == "" {
		return nil
	}
	var id int64
	var name string
	err := q.QueryRowContext(ctx, `SELECT m.subject_id, m.name FROM household_members m WHERE m.id_hash = ?`, s.box.Hash(x.idNumber)).Scan(&id, &name)
	if err == nil && id != x.ID {
		return &apperr.Error{Code: apperr.Conflict, Message: fmt.Sprintf("该身份证号已作为家庭成员 %s 登记在主体编号 %d 下", name, id),
			Fields: map[string]string{"id_number": "已作为家庭成员登记"}}
	}
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	return nil
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func tail(id string) string {
	if len(id) < 4 {
		return ""
	}
	return id[len(id)-4:]
}

// Create registers a subject.
func (s *Service) Create(ctx context.Context, p *auth.Principal, in SubjectInput) (*Subject, error) {
	var out *Subject
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		out, err = s.CreateTx(ctx, tx, p, in)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, p, out.ID)
}

// CreateTx registers a subject inside tx (imports, demo loading).
func (s *Service) CreateTx(ctx context.Context, tx *db.Tx, p *auth.Principal, in SubjectInput) (*Subject, error) {
	return s.create(ctx, tx, p, in, false)
}

// create registers a subject; matched says the caller already looked the ID number and credit code up among
// subjects and household members in this transaction and found nothing (imports).
func (s *Service) create(ctx context.Context, tx *db.Tx, p *auth.Principal, in SubjectInput, matched bool) (*Subject, error) {
	ps, err := s.prepareCreate(ctx, in)
	if err != nil {
		return nil, err
	}
	return s.insertPrepared(ctx, tx, p, ps, matched)
}

// preparedSubject is a validated new subject with its personal data already sealed: the part of a create that
// needs no database, so imports can do it on another core while the writer inserts.
type preparedSubject struct {
	x                 normalized
	idEnc, phoneEnc   string
	idHash, phoneHash string
	terms             string
	auditAfter        json.RawMessage
}

func (s *Service) prepareCreate(ctx context.Context, in SubjectInput) (*preparedSubject, error) {
	x, err := s.apply(ctx, normalized{}, in)
	if err != nil {
		return nil, err
	}
	ps := &preparedSubject{x: x, idHash: s.box.Hash(x.idNumber), phoneHash: s.box.Hash(x.phone), terms: nameTerms(x.Name)}
	if ps.idEnc, err = s.box.Encrypt(x.idNumber); err != nil {
		return nil, err
	}
	if ps.phoneEnc, err = s.box.Encrypt(x.phone); err != nil {
		return nil, err
	}
	if ps.auditAfter, err = json.Marshal(auditView(x)); err != nil {
		return nil, err
	}
	return ps, nil
}

func (s *Service) insertPrepared(ctx context.Context, tx *db.Tx, p *auth.Principal, ps *preparedSubject, matched bool) (*Subject, error) {
	x := ps.x
	if p != nil {
		if err := canEdit(p, x.RegionCode); err != nil {
			return nil, err
		}
	}
	if !matched {
		if err := s.duplicate(ctx, tx, x, 0); err != nil {
			return nil, err
		}
	}
	x.ID = tx.NextID()
	now := s.now().UTC()
	x.CreatedAt, x.UpdatedAt = now, now
	_, err := tx.ExecContext(ctx, `INSERT INTO subjects (`+strings.Join(subjectInsertCols, ", ")+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, subjectValues(x, ps)...)
	if err != nil {
		if db.IsUniqueViolation(err) {
			return nil, apperr.New(apperr.Conflict, "身份证号或统一社会信用代码已登记")
		}
		return nil, fmt.Errorf("insert subject: %w", err)
	}
	if tx.Engine() == db.SQLite {
		if _, err := tx.ExecContext(ctx, `INSERT INTO subjects_fts (rowid, terms) VALUES (?, ?)`, x.ID, ps.terms); err != nil {
			return nil, fmt.Errorf("search index insert: %w", err)
		}
	}
	bumpCounts(tx, ctx, x, +1)
	if err := audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "create", Entity: "subject", EntityID: x.ID,
		Summary: "登记" + KindLabel(x.Kind) + "：" + x.Name, After: ps.auditAfter}); err != nil {
		return nil, err
	}
	return &x.Subject, nil
}

var subjectInsertCols = []string{"id", "county_code", "kind", "name", "credit_code", "legal_rep", "id_enc", "id_hash", "id_tail", "phone_enc", "phone_hash",
	"region_code", "address", "industries", "scale_mu", "scale_head", "households_led", "lng", "lat", "status", "established_on", "registered_on", "note", "created_at", "updated_at"}

func subjectValues(x normalized, ps *preparedSubject) []any {
	return []any{x.ID, region.County(x.RegionCode), x.Kind, x.Name, nullIfEmpty(x.CreditCode), x.LegalRep, ps.idEnc, nullIfEmpty(ps.idHash), tail(x.idNumber),
		ps.phoneEnc, ps.phoneHash, x.RegionCode, x.Address, joinList(x.Industries), x.scaleCenti, x.ScaleHead, x.HouseholdsLed, x.Lng, x.Lat,
		x.Status, x.EstablishedOn, x.RegisteredOn, x.Note, x.CreatedAt, x.UpdatedAt}
}

// insertMany inserts prepared new subjects with multi-row statements (imports); the caller has checked access
// and duplicates.
func (s *Service) insertMany(ctx context.Context, tx *db.Tx, p *auth.Principal, batch []*preparedSubject) error {
	if len(batch) == 0 {
		return nil
	}
	now := s.now().UTC()
	rows := make([][]any, len(batch))
	terms := make([][]any, len(batch))
	entries := make([]audit.Entry, len(batch))
	for i, ps := range batch {
		x := ps.x
		x.ID = tx.NextID()
		x.CreatedAt, x.UpdatedAt = now, now
		rows[i] = subjectValues(x, ps)
		terms[i] = []any{x.ID, ps.terms}
		entries[i] = audit.Entry{Actor: p.Actor(), Action: "create", Entity: "subject", EntityID: x.ID,
			Summary: "登记" + KindLabel(x.Kind) + "：" + x.Name, After: ps.auditAfter}
		bumpCounts(tx, ctx, x, +1)
	}
	if err := tx.InsertRows(ctx, "subjects", subjectInsertCols, rows, 40); err != nil {
		return err
	}
	if tx.Engine() == db.SQLite {
		if err := tx.InsertRows(ctx, "subjects_fts", []string{"rowid", "terms"}, terms, 200); err != nil {
			return err
		}
	}
	return audit.WriteMany(ctx, tx, entries)
}

// subjectAudit is what the trail keeps of a subject: personal data masked, never in clear.
type subjectAudit struct {
	Kind          string   `json:"kind"`
	Name          string   `json:"name"`
	CreditCode    string   `json:"credit_code,omitempty"`
	LegalRep      string   `json:"legal_rep,omitempty"`
	IDNumber      string   `json:"id_number,omitempty"`
	Phone         string   `json:"phone,omitempty"`
	RegionCode    string   `json:"region_code"`
	Address       string   `json:"address,omitempty"`
	Industries    []string `json:"industries,omitempty"`
	ScaleMu       float64  `json:"scale_mu,omitempty"`
	ScaleHead     int64    `json:"scale_head,omitempty"`
	HouseholdsLed int      `json:"households_led,omitempty"`
	Lng           float64  `json:"lng,omitempty"`
	Lat           float64  `json:"lat,omitempty"`
	Status        string   `json:"status"`
	EstablishedOn string   `json:"established_on,omitempty"`
	RegisteredOn  string   `json:"registered_on,omitempty"`
	Note          string   `json:"note,omitempty"`
}

func auditView(x normalized) subjectAudit {
	return subjectAudit{Kind: x.Kind, Name: x.Name, CreditCode: x.CreditCode, LegalRep: x.LegalRep,
		IDNumber: pii.MaskID(x.idNumber), Phone: pii.MaskPhone(x.phone), RegionCode: x.RegionCode, Address: x.Address,
		Industries: x.Industries, ScaleMu: x.ScaleMu, ScaleHead: x.ScaleHead, HouseholdsLed: x.HouseholdsLed,
		Lng: x.Lng, Lat: x.Lat, Status: x.Status, EstablishedOn: x.EstablishedOn, RegisteredOn: x.RegisteredOn, Note: x.Note}
}

func (s *Service) loadNormalized(ctx context.Context, q db.Querier, id int64) (normalized, error) {
	cur, err := s.get(ctx, q, id)
	if err != nil {
		return normalized{}, err
	}
	n := normalized{Subject: *cur}
	if n.idNumber, err = s.box.Decrypt(cur.idEnc); err != nil {
		return n, err
	}
	if n.phone, err = s.box.Decrypt(cur.phoneEnc); err != nil {
		return n, err
	}
	return n, nil
}

// Update changes a subject; only the fields present in in change.
func (s *Service) Update(ctx context.Context, p *auth.Principal, id int64, in SubjectInput) (*Subject, error) {
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := s.UpdateTx(ctx, tx, p, id, in)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, p, id)
}

// UpdateTx changes a subject inside tx; it reports whether anything changed.
func (s *Service) UpdateTx(ctx context.Context, tx *db.Tx, p *auth.Principal, id int64, in SubjectInput) (bool, error) {
	cur, err := s.loadNormalized(ctx, tx, id)
	if err != nil {
		return false, err
	}
	if p != nil {
		if !canSee(p, cur.ID, cur.RegionCode) {
			return false, apperr.New(apperr.NotFound, "主体不存在或不在您的管辖范围内")
		}
		if err := canEdit(p, cur.RegionCode); err != nil {
			return false, err
		}
	}
	x, err := s.apply(ctx, cur, in)
	if err != nil {
		return false, err
	}
	if p != nil {
		if err := canEdit(p, x.RegionCode); err != nil {
			return false, err
		}
	}
	if err := s.duplicate(ctx, tx, x, id); err != nil {
		return false, err
	}
	before, after := auditView(cur), auditView(x)
	if reflect.DeepEqual(before, after) {
		return false, nil
	}
	idEnc, err := s.box.Encrypt(x.idNumber)
	if err != nil {
		return false, err
	}
	phoneEnc, err := s.box.Encrypt(x.phone)
	if err != nil {
		return false, err
	}
	x.UpdatedAt = s.now().UTC()
	_, err = tx.ExecContext(ctx, `UPDATE subjects SET county_code = ?, kind = ?, name = ?, credit_code = ?, legal_rep = ?, id_enc = ?, id_hash = ?, id_tail = ?,
		phone_enc = ?, phone_hash = ?, region_code = ?, address = ?, industries = ?, scale_mu = ?, scale_head = ?, households_led = ?, lng = ?, lat = ?,
		status = ?, established_on = ?, registered_on = ?, note = ?, updated_at = ? WHERE id = ?`,
		region.County(x.RegionCode), x.Kind, x.Name, nullIfEmpty(x.CreditCode), x.LegalRep, idEnc, nullIfEmpty(s.box.Hash(x.idNumber)), tail(x.idNumber),
		phoneEnc, s.box.Hash(x.phone), x.RegionCode, x.Address, joinList(x.Industries), x.scaleCenti, x.ScaleHead, x.HouseholdsLed, x.Lng, x.Lat,
		x.Status, x.EstablishedOn, x.RegisteredOn, x.Note, x.UpdatedAt, id)
	if err != nil {
		if db.IsUniqueViolation(err) {
			return false, apperr.New(apperr.Conflict, "身份证号或统一社会信用代码已登记")
		}
		return false, fmt.Errorf("update subject: %w", err)
	}
	if x.Name != cur.Name {
		if err := writeFTS(ctx, tx, id, x.Name, true); err != nil {
			return false, err
		}
	}
	bumpCounts(tx, ctx, cur, -1)
	bumpCounts(tx, ctx, x, +1)
	return true, audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "update", Entity: "subject", EntityID: id,
		Summary: "修改主体：" + x.Name, Before: before, After: after})
}

// Deactivate marks a subject inactive (注销) with a reason; nothing is deleted.
func (s *Service) Deactivate(ctx context.Context, p *auth.Principal, id int64, reason string) error {
	reason = validate.Normalize(reason)
	if reason == "" {
		return apperr.FieldErrors(map[string]string{"reason": "请填写注销原因"})
	}
	return s.setStatus(ctx, p, id, StatusInactive, reason)
}

// Reactivate restores a deactivated subject.
func (s *Service) Reactivate(ctx context.Context, p *auth.Principal, id int64) error {
	return s.setStatus(ctx, p, id, StatusActive, "")
}

func (s *Service) setStatus(ctx context.Context, p *auth.Principal, id int64, status, reason string) error {
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		cur, err := s.get(ctx, tx, id)
		if err != nil {
			return err
		}
		if !canSee(p, cur.ID, cur.RegionCode) {
			return apperr.New(apperr.NotFound, "主体不存在或不在您的管辖范围内")
		}
		if err := canEdit(p, cur.RegionCode); err != nil {
			return err
		}
		if cur.Status == status {
			return apperr.New(apperr.Conflict, "主体已是该状态")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE subjects SET status = ?, deactivate_reason = ?, updated_at = ? WHERE id = ?`, status, reason, s.now().UTC(), id); err != nil {
			return fmt.Errorf("set status: %w", err)
		}
		old := normalized{Subject: *cur}
		bumpCounts(tx, ctx, old, -1)
		old.Status = status
		bumpCounts(tx, ctx, old, +1)
		action, summary := "deactivate", "注销主体："+cur.Name+"（"+reason+"）"
		if status == StatusActive {
			action, summary = "reactivate", "恢复主体："+cur.Name
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: action, Entity: "subject", EntityID: id, Summary: summary,
			Before: map[string]string{"status": cur.Status}, After: map[string]string{"status": status, "reason": reason}})
	})
}

// Counts are live totals for dashboards.
type Counts struct {
	Total     int
	ByKind    map[string]int
	Plots     int
	PlotCenti int64
}

// Count returns live counts of active subjects visible to p.
func (s *Service) Count(ctx context.Context, p *auth.Principal) (Counts, error) {
	where, args := scopeSQL(p, "s.region_code")
	c := Counts{ByKind: map[string]int{}}
	query := `SELECT s.kind, COUNT(*) FROM subjects s WHERE ` + where + ` AND s.status = 'active' GROUP BY s.kind`
	if !p.Is(auth.Member, auth.Provider, auth.Bank) {
		where, args = scopeSQL(p, "c.region_code")
		query = `SELECT c.kind, COALESCE(SUM(c.n), 0) FROM subject_counts c WHERE ` + where + ` AND c.status = 'active' AND c.industry = '' GROUP BY c.kind`
	}
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return c, fmt.Errorf("count subjects: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return c, err
		}
		c.ByKind[k] = n
		c.Total += n
	}
	if err := rows.Err(); err != nil {
		return c, err
	}
	where2, args2 := scopeSQL(p, "pl.region_code")
	if p.Is(auth.Member, auth.Provider, auth.Bank) {
		where2, args2 = "pl.subject_id = ?", []any{p.SubjectID}
	}
	err = s.db.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(pl.area), 0) FROM plots pl WHERE `+where2+` AND pl.status = 'active'`, args2...).Scan(&c.Plots, &c.PlotCenti)
	return c, err
}
