package registry

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"database/sql"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/pii"
	"nongfu/internal/region"
	"nongfu/internal/validate"
)

// Members lists a household's members.
func (s *Service) Members(ctx context.Context, p *auth.Principal, subjectID int64) ([]Member, error) {
	x, err := s.Get(ctx, p, subjectID)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, subject_id, name, relation, id_enc, gender, birth_date, phone_enc, note FROM household_members WHERE subject_id = ? ORDER BY id`, subjectID)
	if err != nil {
		return nil, fmt.Errorf("members: %w", err)
	}
	defer rows.Close()
	clear := canSeeClear(p, x.RegionCode)
	var out []Member
	for rows.Next() {
		var m Member
		var idEnc, phoneEnc string
		if err := rows.Scan(&m.ID, &m.SubjectID, &m.Name, &m.Relation, &idEnc, &m.Gender, &m.BirthDate, &phoneEnc, &m.Note); err != nil {
			return nil, err
		}
		id, err := s.box.Decrypt(idEnc)
		if err != nil {
			return nil, err
		}
		phone, err := s.box.Decrypt(phoneEnc)
		if err != nil {
			return nil, err
		}
		m.IDNumber = pii.MaskID(id)
		m.Phone = phone
		if !clear {
			m.Phone = pii.MaskPhone(phone)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// AddMember adds a person to a household.
func (s *Service) AddMember(ctx context.Context, p *auth.Principal, subjectID int64, in MemberInput) (Member, error) {
	var m Member
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		m, err = s.AddMemberTx(ctx, tx, p, subjectID, in)
		return err
	})
	return m, err
}

// AddMemberTx adds a person to a household inside tx; an ID number already on file for this household updates it.
func (s *Service) AddMemberTx(ctx context.Context, tx *db.Tx, p *auth.Principal, subjectID int64, in MemberInput) (Member, error) {
	x, err := s.get(ctx, tx, subjectID)
	if err != nil {
		return Member{}, err
	}
	if p != nil {
		if !canSee(p, x.ID, x.RegionCode) {
			return Member{}, apperr.New(apperr.NotFound, "主体不存在或不在您的管辖范围内")
		}
		if err := canEdit(p, x.RegionCode); err != nil {
			return Member{}, err
		}
	}
	if x.Kind != "household" {
		return Member{}, apperr.New(apperr.Invalid, "只有农户可以登记家庭成员")
	}
	fields := map[string]string{}
	m := Member{SubjectID: subjectID, Name: validate.Normalize(in.Name), Relation: validate.Normalize(in.Relation), Note: validate.Normalize(in.Note)}
	if m.Name == "" {
		fields["name"] = "请填写姓名"
	}
	var id, phone string
	if v := validate.Normalize(in.IDNumber); v != "" {
		if id, err = validate.IDNumber(v); err != nil {
			fields["id_number"] = err.Error()
		} else {
			m.Gender = validate.IDGender(id)
			if b, ok := validate.IDBirthDate(id); ok {
				m.BirthDate = b.Format("2006-01-02")
			}
		}
	}
	if v := validate.Normalize(in.Phone); v != "" {
		if phone, err = validate.Mobile(v); err != nil {
			fields["phone"] = err.Error()
		}
	}
	if err := apperr.FieldErrors(fields); err != nil {
		return Member{}, err
	}
	if id != "" {
		var other int64
		var otherName string
		err := tx.QueryRowContext(ctx, `SELECT id, name FROM subjects WHERE id_hash = ?`, s.box.Hash(id)).Scan(&other, &otherName)
		if err == nil && other != subjectID {
			return Member{}, &apperr.Error{Code: apperr.Conflict, Message: fmt.Sprintf("该身份证号已登记为主体 %s（编号 %d）", otherName, other), Fields: map[string]string{"id_number": "已登记为其他主体"}}
		}
		if err == nil && other == subjectID {
			return Member{}, &apperr.Error{Code: apperr.Conflict, Message: "该身份证号是本户户主", Fields: map[string]string{"id_number": "该身份证号是本户户主"}}
		}
		var mid, msub int64
		err = tx.QueryRowContext(ctx, `SELECT id, subject_id FROM household_members WHERE id_hash = ?`, s.box.Hash(id)).Scan(&mid, &msub)
		if err == nil {
			if msub != subjectID {
				return Member{}, &apperr.Error{Code: apperr.Conflict, Message: fmt.Sprintf("该身份证号已作为家庭成员登记在主体编号 %d 下", msub), Fields: map[string]string{"id_number": "已登记在其他农户"}}
			}
			m.ID = mid
		} else if !errors.Is(err, sql.ErrNoRows) {
			return Member{}, err
		}
	}
	idEnc, err := s.box.Encrypt(id)
	if err != nil {
		return Member{}, err
	}
	phoneEnc, err := s.box.Encrypt(phone)
	if err != nil {
		return Member{}, err
	}
	action := "create"
	if m.ID != 0 {
		action = "update"
		_, err = tx.ExecContext(ctx, `UPDATE household_members SET name = ?, relation = ?, phone_enc = ?, note = ? WHERE id = ?`, m.Name, m.Relation, phoneEnc, m.Note, m.ID)
	} else {
		m.ID = tx.NextID()
		_, err = tx.ExecContext(ctx, `INSERT INTO household_members (id, subject_id, name, relation, id_enc, id_hash, gender, birth_date, phone_enc, note, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, m.ID, subjectID, m.Name, m.Relation, idEnc, nullIfEmpty(s.box.Hash(id)), m.Gender, m.BirthDate, phoneEnc, m.Note, s.now().UTC())
	}
	if err != nil {
		return Member{}, fmt.Errorf("save member: %w", err)
	}
	m.IDNumber, m.Phone = pii.MaskID(id), pii.MaskPhone(phone)
	return m, audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: action, Entity: "household_member", EntityID: m.ID,
		Summary: "家庭成员：" + m.Name + "（" + x.Name + "户）", After: m})
}

// RemoveMember deletes a household member record (a person who left the household); audited with the record.
func (s *Service) RemoveMember(ctx context.Context, p *auth.Principal, subjectID, memberID int64) error {
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		x, err := s.get(ctx, tx, subjectID)
		if err != nil {
			return err
		}
		if !canSee(p, x.ID, x.RegionCode) {
			return apperr.New(apperr.NotFound, "主体不存在或不在您的管辖范围内")
		}
		if err := canEdit(p, x.RegionCode); err != nil {
			return err
		}
		var name string
		if err := tx.QueryRowContext(ctx, `SELECT name FROM household_members WHERE id = ? AND subject_id = ?`, memberID, subjectID).Scan(&name); err != nil {
			return apperr.New(apperr.NotFound, "家庭成员不存在")
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM household_members WHERE id = ?`, memberID); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "delete", Entity: "household_member", EntityID: memberID,
			Summary: "移除家庭成员：" + name, Before: map[string]any{"name": name, "subject_id": subjectID}})
	})
}

const plotCols = `pl.id, pl.subject_id, s.name, pl.region_code, pl.name, pl.crop, pl.area, pl.polygon, pl.polygon_area, pl.lng, pl.lat, pl.note, pl.status, pl.created_at`

func (s *Service) scanPlot(sc interface{ Scan(...any) error }) (Plot, error) {
	var pl Plot
	var area, parea int64
	err := sc.Scan(&pl.ID, &pl.SubjectID, &pl.SubjectName, &pl.RegionCode, &pl.Name, &pl.Crop, &area, &pl.Polygon, &parea, &pl.Lng, &pl.Lat, &pl.Note, &pl.Status, &pl.CreatedAt)
	pl.AreaMu, pl.PolygonAreaMu = float64(area)/100, float64(parea)/100
	pl.RegionName = s.regions.Name(pl.RegionCode)
	return pl, err
}

// PlotFilter selects plots.
type PlotFilter struct {
	SubjectID  int64
	RegionCode string
	Crop       string
	Page       int
	PerPage    int
}

// Plots lists plots p may see.
func (s *Service) Plots(ctx context.Context, p *auth.Principal, f PlotFilter) ([]Plot, int, error) {
	where, args := scopeSQL(p, "pl.region_code")
	if p.Is(auth.Member, auth.Provider, auth.Bank) {
		where, args = "pl.subject_id = ?", []any{p.SubjectID}
	}
	conds := []string{where, "pl.status = 'active'"}
	if f.SubjectID != 0 {
		conds = append(conds, "pl.subject_id = ?")
		args = append(args, f.SubjectID)
	}
	if f.RegionCode != "" {
		lo, hi := db.PrefixRange(auth.RegionPrefix(f.RegionCode))
		conds = append(conds, "pl.region_code >= ? AND pl.region_code < ?")
		args = append(args, lo, hi)
	}
	if f.Crop != "" {
		conds = append(conds, "pl.crop = ?")
		args = append(args, f.Crop)
	}
	w := strings.Join(conds, " AND ")
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM plots pl WHERE `+w, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count plots: %w", err)
	}
	if f.PerPage <= 0 {
		f.PerPage = 50
	}
	if f.Page <= 0 {
		f.Page = 1
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+plotCols+` FROM plots pl JOIN subjects s ON s.id = pl.subject_id WHERE `+w+` ORDER BY pl.id DESC LIMIT ? OFFSET ?`,
		append(args, f.PerPage, (f.Page-1)*f.PerPage)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list plots: %w", err)
	}
	defer rows.Close()
	var out []Plot
	for rows.Next() {
		pl, err := s.scanPlot(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, pl)
	}
	return out, total, rows.Err()
}

// SavePlot creates a plot, or updates the subject's plot of the same name (idempotent imports).
func (s *Service) SavePlot(ctx context.Context, p *auth.Principal, in PlotInput) (Plot, bool, error) {
	var pl Plot
	var created bool
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		pl, created, err = s.SavePlotTx(ctx, tx, p, in)
		return err
	})
	return pl, created, err
}

// SavePlotTx is SavePlot inside tx.
func (s *Service) SavePlotTx(ctx context.Context, tx *db.Tx, p *auth.Principal, in PlotInput) (Plot, bool, error) {
	x, err := s.get(ctx, tx, in.SubjectID)
	if err != nil {
		return Plot{}, false, apperr.FieldErrors(map[string]string{"subject_id": "主体不存在"})
	}
	if p != nil {
		if !canSee(p, x.ID, x.RegionCode) {
			return Plot{}, false, apperr.New(apperr.NotFound, "主体不存在或不在您的管辖范围内")
		}
		if err := canEdit(p, x.RegionCode); err != nil {
			return Plot{}, false, err
		}
	}
	fields := map[string]string{}
	pl := Plot{SubjectID: x.ID, SubjectName: x.Name, Name: validate.Normalize(in.Name), Crop: validate.Normalize(in.Crop), Note: validate.Normalize(in.Note), Status: "active"}
	pl.RegionCode = validate.Compact(in.RegionCode)
	if pl.RegionCode == "" {
		pl.RegionCode = x.RegionCode
	}
	if err := s.regions.Validate(pl.RegionCode, region.LevelVillage); err != nil {
		fields["region_code"] = apperr.MessageOf(err)
		if in.RegionCode == "" {
			fields["region_code"] = "请填写地块所在的村（社区）"
		}
	} else if p != nil && !p.InRegion(pl.RegionCode) && !p.Is(auth.CountyAdmin) {
		fields["region_code"] = "该村不在您的管辖范围内"
	}
	if pl.Name == "" {
		fields["name"] = "请填写地块名称（如 屋后坡地）"
	}
	var polyCenti int64
	if strings.TrimSpace(in.Polygon) != "" {
		mu, lng, lat, err := PolygonArea(in.Polygon)
		if err != nil {
			fields["polygon"] = err.Error()
		} else {
			polyCenti = int64(math.Round(mu * 100))
			pl.Polygon, pl.Lng, pl.Lat = strings.TrimSpace(in.Polygon), lng, lat
		}
	}
	var area int64
	switch {
	case in.AreaMu != nil:
		if *in.AreaMu <= 0 || *in.AreaMu > 1e6 {
			fields["area_mu"] = "面积应大于 0 亩"
		}
		area = int64(math.Round(*in.AreaMu * 100))
	case polyCenti > 0:
		area = polyCenti
	default:
		if fields["polygon"] == "" {
			fields["area_mu"] = "请填写面积，或上传地块边界（GeoJSON）由系统计算"
		}
	}
	if err := apperr.FieldErrors(fields); err != nil {
		return Plot{}, false, err
	}
	pl.AreaMu, pl.PolygonAreaMu = float64(area)/100, float64(polyCenti)/100
	now := s.now().UTC()
	pl.CreatedAt = now
	var existing int64
	err = tx.QueryRowContext(ctx, `SELECT id FROM plots WHERE subject_id = ? AND name = ?`, x.ID, pl.Name).Scan(&existing)
	created := errors.Is(err, sql.ErrNoRows)
	if err != nil && !created {
		return Plot{}, false, err
	}
	if created {
		pl.ID = tx.NextID()
		_, err = tx.ExecContext(ctx, `INSERT INTO plots (id, subject_id, county_code, region_code, name, crop, area, polygon, polygon_area, lng, lat, note, status, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?)`, pl.ID, pl.SubjectID, region.County(pl.RegionCode), pl.RegionCode, pl.Name, pl.Crop, area, pl.Polygon, polyCenti, pl.Lng, pl.Lat, pl.Note, now, now)
	} else {
		pl.ID = existing
		_, err = tx.ExecContext(ctx, `UPDATE plots SET region_code = ?, crop = ?, area = ?, polygon = ?, polygon_area = ?, lng = ?, lat = ?, note = ?, status = 'active', updated_at = ? WHERE id = ?`,
			pl.RegionCode, pl.Crop, area, pl.Polygon, polyCenti, pl.Lng, pl.Lat, pl.Note, now, existing)
	}
	if err != nil {
		return Plot{}, false, fmt.Errorf("save plot: %w", err)
	}
	pl.RegionName = s.regions.Name(pl.RegionCode)
	action := "update"
	if created {
		action = "create"
	}
	view := pl
	view.Polygon = ""
	return pl, created, audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: action, Entity: "plot", EntityID: pl.ID,
		Summary: "地块：" + pl.Name + "（" + x.Name + "）", After: view})
}
