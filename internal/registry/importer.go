package registry

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/imports"
	"nongfu/internal/region"
	"nongfu/internal/validate"
)

// SubjectColumns are the columns of the subjects sheet, in template and export order. The export writes the
// same headers, so an exported file imports back (round trip).
var SubjectColumns = []imports.Column{
	{Key: "id", Header: "编号", Note: "系统编号：导出文件自带，用于更新；新登记留空", Aliases: []string{"ID"}},
	{Key: "kind", Header: "主体类型", Required: true, Note: "农户、家庭农场、农民专业合作社、农业企业、村集体经济组织、基层供销社、农村综合服务社、金融机构、担保机构、保险机构、行业协会、其他", Example: "农户"},
	{Key: "name", Header: "名称", Required: true, Note: "农户填户主姓名", Aliases: []string{"主体名称", "姓名", "户主姓名"}, Example: "向明德"},
	{Key: "credit_code", Header: "统一社会信用代码", Note: "18位；合作社、企业必填", Aliases: []string{"信用代码"}},
	{Key: "legal_rep", Header: "法定代表人/户主", Aliases: []string{"法定代表人", "户主", "负责人"}, Example: "向明德"},
	{Key: "id_number", Header: "身份证号", Note: "法定代表人或户主的18位身份证号；农户必填。导出时为脱敏值，导入时脱敏值视为未修改", Aliases: []string{"居民身份证号", "身份证号码"}, Example: "500237198003150012"},
	{Key: "phone", Header: "手机号", Aliases: []string{"联系电话", "手机号码", "电话"}, Example: "13800138000"},
	{Key: "township", Header: "乡镇", Note: "乡镇（街道）名称，如 骡坪镇；填了区划代码可不填", Aliases: []string{"乡镇(街道)", "乡镇街道"}, Example: "骡坪镇"},
	{Key: "village", Header: "村社区", Note: "村（社区）名称；农户必填", Aliases: []string{"村", "村(社区)", "村社"}},
	{Key: "region_code", Header: "区划代码", Note: "12位统计用区划代码；与乡镇、村名称二选一", Aliases: []string{"行政区划代码"}},
	{Key: "address", Header: "地址", Aliases: []string{"详细地址", "住址"}},
	{Key: "industries", Header: "主导产业", Note: "多个用、分隔，如 脆李、柑橘", Aliases: []string{"产业"}, Example: "脆李"},
	{Key: "scale_mu", Header: "经营面积(亩)", Aliases: []string{"面积", "经营面积", "面积(亩)"}, Example: "6.5"},
	{Key: "scale_head", Header: "养殖规模(头只)", Aliases: []string{"养殖规模", "养殖规模(头/只)"}},
	{Key: "households_led", Header: "带动农户数", Aliases: []string{"带动农户"}},
	{Key: "lng", Header: "经度"},
	{Key: "lat", Header: "纬度"},
	{Key: "established_on", Header: "成立日期", Note: "如 2019-05-20"},
	{Key: "registered_on", Header: "登记日期"},
	{Key: "status", Header: "状态", Note: "正常 / 已注销；留空为正常"},
	{Key: "note", Header: "备注"},
}

// SubjectImporter imports the subjects sheet.
type SubjectImporter struct{ S *Service }

func (SubjectImporter) Name() string              { return "subjects" }
func (SubjectImporter) Title() string             { return "主体名录" }
func (SubjectImporter) Columns() []imports.Column { return SubjectColumns }

// resolveRegion turns a code or township + village names into a code.
func (s *Service) resolveRegion(row map[string]string, p *auth.Principal) (string, error) {
	if c := validate.Compact(row["region_code"]); c != "" {
		return c, nil
	}
	town, village := validate.Normalize(row["township"]), validate.Normalize(row["village"])
	if town == "" {
		return "", nil
	}
	// township names repeat across counties: prefer one inside the user's scope
	var tcode string
	for _, t := range s.regions.Townships() {
		if t.Name == town || strings.TrimSuffix(t.Name, "土家族乡") == strings.TrimSuffix(strings.TrimSuffix(town, "土家族乡"), "乡") || t.Name == town+"镇" || t.Name == town+"乡" {
			if tcode == "" {
				tcode = t.Code
			}
			if p != nil && p.InRegion(t.Code) {
				tcode = t.Code
				break
			}
		}
	}
	if tcode == "" {
		return "", &apperr.Error{Code: apperr.Invalid, Message: "找不到乡镇：" + town, Fields: map[string]string{"township": "找不到乡镇：" + town}}
	}
	if village == "" {
		return tcode, nil
	}
	for _, v := range s.regions.Children(tcode) {
		if v.Name == village || v.Name == village+"村" || v.Name == village+"社区" {
			return v.Code, nil
		}
	}
	return "", &apperr.Error{Code: apperr.Invalid, Message: "在" + town + "找不到村（社区）：" + village, Fields: map[string]string{"village": town + "没有“" + village + "”"}}
}

func optNum[T int | int64 | float64](row map[string]string, key string, fields map[string]string, parse func(string) (T, error)) *T {
	v := strings.ReplaceAll(strings.TrimSpace(row[key]), ",", "")
	if v == "" {
		return nil
	}
	x, err := parse(v)
	if err != nil {
		fields[key] = "应为数字：" + v
		return nil
	}
	return &x
}

// RowInput turns a sheet row into a SubjectInput; masked ID numbers (with *) mean "unchanged".
func (s *Service) RowInput(row map[string]string, p *auth.Principal) (SubjectInput, error) {
	fields := map[string]string{}
	in := SubjectInput{}
	set := func(key string, dst **string) {
		if v, ok := row[key]; ok {
			v := v
			*dst = &v
		}
	}
	set("kind", &in.Kind)
	set("name", &in.Name)
	set("credit_code", &in.CreditCode)
	set("legal_rep", &in.LegalRep)
	set("phone", &in.Phone)
	set("address", &in.Address)
	set("established_on", &in.EstablishedOn)
	set("registered_on", &in.RegisteredOn)
	set("note", &in.Note)
	if v, ok := row["id_number"]; ok && !strings.Contains(v, "*") {
		in.IDNumber = &v
	}
	if in.Phone != nil && strings.Contains(*in.Phone, "*") {
		in.Phone = nil
	}
	if v, ok := row["industries"]; ok {
		list := strings.FieldsFunc(v, func(c rune) bool {
			return c == '、' || c == ',' || c == '，' || c == ';' || c == '；' || c == '/' || c == ' '
		})
		in.Industries = &list
	}
	if v := validate.Normalize(row["status"]); v != "" {
		st := StatusActive
		if v == "已注销" || v == "注销" || v == StatusInactive {
			st = StatusInactive
		}
		in.Status = &st
	}
	code, err := s.resolveRegion(row, p)
	if err != nil {
		for k, v := range apperr.FieldsOf(err) {
			fields[k] = v
		}
	} else if code != "" {
		in.RegionCode = &code
	}
	in.ScaleMu = optNum(row, "scale_mu", fields, func(v string) (float64, error) { return strconv.ParseFloat(v, 64) })
	in.ScaleHead = optNum(row, "scale_head", fields, func(v string) (int64, error) { return strconv.ParseInt(v, 10, 64) })
	in.HouseholdsLed = optNum(row, "households_led", fields, strconv.Atoi)
	in.Lng = optNum(row, "lng", fields, func(v string) (float64, error) { return strconv.ParseFloat(v, 64) })
	in.Lat = optNum(row, "lat", fields, func(v string) (float64, error) { return strconv.ParseFloat(v, 64) })
	return in, apperr.FieldErrors(fields)
}

// match finds the existing subject a row refers to: by 编号, then ID number, then credit code, then (for
// organisations without either) the same kind and name in the same region. When nothing matches, the ID number and
// credit code are known to be free among subjects and household members in this transaction.
func (s *Service) match(ctx context.Context, q db.Querier, row map[string]string, in SubjectInput, idHash string) (int64, error) {
	var id int64
	one := func(query string, args ...any) (bool, error) {
		err := q.QueryRowContext(ctx, query, args...).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil
		}
		return err == nil, err
	}
	if v := strings.TrimSpace(row["id"]); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, &apperr.Error{Code: apperr.Invalid, Message: "编号应为数字", Fields: map[string]string{"id": "编号应为数字"}}
		}
		if ok, err := one(`SELECT id FROM subjects WHERE id = ?`, n); ok || err != nil {
			return id, err
		}
	}
	if idHash == "" && in.IDNumber != nil {
		if n, err := validate.IDNumber(*in.IDNumber); err == nil {
			idHash = s.box.Hash(n)
		}
	}
	if idHash != "" {
		{
			// one statement answers both: a subject (match) or a household member (conflict)
			var sid, mid sql.NullInt64
			h := idHash
			if err := q.QueryRowContext(ctx, `SELECT (SELECT id FROM subjects WHERE id_hash = ?), (SELECT subject_id FROM household_members WHERE id_hash = ?)`, h, h).Scan(&sid, &mid); err != nil {
				return 0, err
			}
			if sid.Valid {
				return sid.Int64, nil
			}
			if mid.Valid {
				return 0, &apperr.Error{Code: apperr.Conflict, Message: fmt.Sprintf("该身份证号已作为家庭成员登记在主体编号 %d 下", mid.Int64),
					Fields: map[string]string{"id_number": fmt.Sprintf("已作为家庭成员登记在主体编号 %d 下", mid.Int64)}}
			}
		}
	}
	if in.CreditCode != nil {
		if c, err := validate.CreditCode(*in.CreditCode); err == nil {
			if ok, err := one(`SELECT id FROM subjects WHERE credit_code = ?`, c); ok || err != nil {
				return id, err
			}
		}
	}
	if in.Kind != nil && in.Name != nil && in.RegionCode != nil {
		k, ok := KindOf(validate.Normalize(*in.Kind))
		if ok && k.Org && (in.CreditCode == nil || validate.Compact(*in.CreditCode) == "") {
			if ok, err := one(`SELECT id FROM subjects WHERE kind = ? AND name = ? AND region_code = ?`, k.Code, validate.Normalize(*in.Name), *in.RegionCode); ok || err != nil {
				return id, err
			}
		}
	}
	return 0, nil
}

// subjectRow is a row after the database-free work.
type subjectRow struct {
	in     SubjectInput
	rowErr error            // unreadable cells: the row is rejected whatever matches
	ps     *preparedSubject // ready to insert if nothing matches
	psErr  error            // why it cannot be inserted as new (it may still update an existing subject)
	row    map[string]string
}

// Prepare parses, validates and seals a row without touching the database; imports run it on several cores.
func (i SubjectImporter) Prepare(ctx context.Context, p *auth.Principal, row map[string]string) any {
	s := i.S
	r := &subjectRow{row: row}
	r.in, r.rowErr = s.RowInput(row, p)
	if r.rowErr != nil {
		// report every problem of the row at once, not only the unreadable cells
		_, verr := s.apply(ctx, normalized{}, r.in)
		fields := apperr.FieldsOf(r.rowErr)
		for k, v := range apperr.FieldsOf(verr) {
			if k == "region_code" && (fields["township"] != "" || fields["village"] != "") {
				continue
			}
			if _, ok := fields[k]; !ok {
				fields[k] = v
			}
		}
		r.rowErr = apperr.FieldErrors(fields)
		return r
	}
	r.ps, r.psErr = s.prepareCreate(ctx, r.in)
	return r
}

// Write stores a prepared row: it updates the subject the row matches, or inserts the prepared new one.
func (i SubjectImporter) Write(ctx context.Context, tx *db.Tx, p *auth.Principal, prepared any) (bool, error) {
	s := i.S
	r := prepared.(*subjectRow)
	if r.rowErr != nil {
		return false, r.rowErr
	}
	hash := ""
	if r.ps != nil {
		hash = r.ps.idHash
	}
	id, err := s.match(ctx, tx, r.row, r.in, hash)
	if err != nil {
		return false, err
	}
	if id != 0 {
		_, err := s.UpdateTx(ctx, tx, p, id, r.in)
		return false, err
	}
	if r.psErr != nil {
		return false, r.psErr
	}
	_, err = s.insertPrepared(ctx, tx, p, r.ps, true)
	return err == nil, err
}

// WriteBatch stores a batch: the ID numbers and credit codes of all rows are looked up at once, rows that are new
// (the usual case) are inserted with multi-row statements, and the rest (updates, rows matched by 编号 or by name,
// repeats within the file) go through Write one by one, in file order.
func (i SubjectImporter) WriteBatch(ctx context.Context, tx *db.Tx, p *auth.Principal, prepared []any) ([]imports.RowResult, error) {
	s := i.S
	rows := make([]*subjectRow, len(prepared))
	var hashes, codes []any
	for k, v := range prepared {
		r := v.(*subjectRow)
		rows[k] = r
		if r.rowErr == nil && r.ps != nil {
			if r.ps.idHash != "" {
				hashes = append(hashes, r.ps.idHash)
			}
			if r.ps.x.CreditCode != "" {
				codes = append(codes, r.ps.x.CreditCode)
			}
		}
	}
	subjByHash, err := lookupMany(ctx, tx, `SELECT id_hash, id FROM subjects WHERE id_hash IN `, hashes)
	if err != nil {
		return nil, err
	}
	memberByHash, err := lookupMany(ctx, tx, `SELECT id_hash, subject_id FROM household_members WHERE id_hash IN `, hashes)
	if err != nil {
		return nil, err
	}
	subjByCode, err := lookupMany(ctx, tx, `SELECT credit_code, id FROM subjects WHERE credit_code IN `, codes)
	if err != nil {
		return nil, err
	}
	res := make([]imports.RowResult, len(rows))
	var pending []*preparedSubject
	var pendingIdx []int
	flush := func() error {
		if err := s.insertMany(ctx, tx, p, pending); err != nil {
			return err
		}
		for _, k := range pendingIdx {
			res[k].Created = true
		}
		pending, pendingIdx = pending[:0], pendingIdx[:0]
		return nil
	}
	seen := map[string]bool{}
	for k, r := range rows {
		if r.rowErr != nil {
			res[k].Err = r.rowErr
			continue
		}
		fast := r.ps != nil && strings.TrimSpace(r.row["id"]) == "" && (r.ps.idHash != "" || r.ps.x.CreditCode != "")
		if fast {
			hk, ck := "h:"+r.ps.idHash, "c:"+r.ps.x.CreditCode
			_, hasSubj := subjByHash[r.ps.idHash]
			_, hasCode := subjByCode[r.ps.x.CreditCode]
			fast = !hasSubj && !hasCode && !(r.ps.idHash != "" && seen[hk]) && !(r.ps.x.CreditCode != "" && seen[ck])
			if r.ps.idHash != "" {
				seen[hk] = true
			}
			if r.ps.x.CreditCode != "" {
				seen[ck] = true
			}
		}
		if fast {
			if sid, ok := memberByHash[r.ps.idHash]; ok && r.ps.idHash != "" {
				res[k].Err = &apperr.Error{Code: apperr.Conflict, Message: fmt.Sprintf("该身份证号已作为家庭成员登记在主体编号 %d 下", sid),
					Fields: map[string]string{"id_number": fmt.Sprintf("已作为家庭成员登记在主体编号 %d 下", sid)}}
				continue
			}
			if p != nil {
				if err := canEdit(p, r.ps.x.RegionCode); err != nil {
					res[k].Err = err
					continue
				}
			}
			pending = append(pending, r.ps)
			pendingIdx = append(pendingIdx, k)
			continue
		}
		// the slow path sees the database as the file order says it should be
		if err := flush(); err != nil {
			return nil, err
		}
		c, err := i.Write(ctx, tx, p, r)
		if err != nil && apperr.CodeOf(err) == apperr.Internal {
			return nil, err
		}
		res[k] = imports.RowResult{Created: c, Err: err}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return res, nil
}

// lookupMany maps keys to ids with IN queries of at most 500 keys.
func lookupMany(ctx context.Context, q db.Querier, prefix string, keys []any) (map[string]int64, error) {
	out := map[string]int64{}
	for start := 0; start < len(keys); start += 500 {
		part := keys[start:min(start+500, len(keys))]
		rows, err := q.QueryContext(ctx, prefix+"("+strings.TrimSuffix(strings.Repeat("?,", len(part)), ",")+")", part...)
		if err != nil {
			return nil, fmt.Errorf("bulk lookup: %w", err)
		}
		for rows.Next() {
			var k string
			var id int64
			if err := rows.Scan(&k, &id); err != nil {
				rows.Close()
				return nil, err
			}
			out[k] = id
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ImportRow upserts one subject.
func (i SubjectImporter) ImportRow(ctx context.Context, tx *db.Tx, p *auth.Principal, row map[string]string) (bool, error) {
	return i.Write(ctx, tx, p, i.Prepare(ctx, p, row))
}

// MemberImporter imports household members: one row per person, naming the household by the head's ID number.
type MemberImporter struct{ S *Service }

func (MemberImporter) Name() string  { return "members" }
func (MemberImporter) Title() string { return "家庭成员" }
func (MemberImporter) Columns() []imports.Column {
	return []imports.Column{
		{Key: "head_id_number", Header: "户主身份证号", Required: true, Example: "500237198003150012"},
		{Key: "name", Header: "姓名", Required: true, Example: "向小红"},
		{Key: "relation", Header: "与户主关系", Example: "子女"},
		{Key: "id_number", Header: "身份证号", Example: ""},
		{Key: "phone", Header: "手机号"},
		{Key: "note", Header: "备注"},
	}
}

// ImportRow adds or updates one member.
func (i MemberImporter) ImportRow(ctx context.Context, tx *db.Tx, p *auth.Principal, row map[string]string) (bool, error) {
	head, err := validate.IDNumber(row["head_id_number"])
	if err != nil {
		return false, &apperr.Error{Code: apperr.Invalid, Message: err.Error(), Fields: map[string]string{"head_id_number": err.Error()}}
	}
	var sid int64
	if err := tx.QueryRowContext(ctx, `SELECT id FROM subjects WHERE id_hash = ?`, i.S.box.Hash(head)).Scan(&sid); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return false, &apperr.Error{Code: apperr.Invalid, Message: "户主未登记", Fields: map[string]string{"head_id_number": "找不到该身份证号的农户，请先导入主体名录"}}
		}
		return false, err
	}
	var before int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM household_members WHERE subject_id = ?`, sid).Scan(&before); err != nil {
		return false, err
	}
	if _, err := i.S.AddMemberTx(ctx, tx, p, sid, MemberInput{Name: row["name"], Relation: row["relation"], IDNumber: row["id_number"], Phone: row["phone"], Note: row["note"]}); err != nil {
		return false, err
	}
	var after int
	err = tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM household_members WHERE subject_id = ?`, sid).Scan(&after)
	return after > before, err
}

// PlotImporter imports plots: the holder by ID number, credit code or 编号, the plot by name.
type PlotImporter struct{ S *Service }

func (PlotImporter) Name() string  { return "plots" }
func (PlotImporter) Title() string { return "地块" }
func (PlotImporter) Columns() []imports.Column {
	return []imports.Column{
		{Key: "holder", Header: "主体证件号", Required: true, Note: "户主身份证号、统一社会信用代码或主体编号", Aliases: []string{"身份证号", "统一社会信用代码", "主体编号"}, Example: "500237198003150012"},
		{Key: "name", Header: "地块名称", Required: true, Example: "屋后坡地"},
		{Key: "township", Header: "乡镇", Example: "骡坪镇"},
		{Key: "village", Header: "村社区", Aliases: []string{"村"}},
		{Key: "region_code", Header: "区划代码"},
		{Key: "crop", Header: "作物", Example: "脆李"},
		{Key: "area_mu", Header: "面积(亩)", Aliases: []string{"面积"}, Example: "2.5"},
		{Key: "polygon", Header: "边界GeoJSON", Note: "可选；填了边界可不填面积"},
		{Key: "note", Header: "备注"},
	}
}

// ImportRow upserts one plot.
func (i PlotImporter) ImportRow(ctx context.Context, tx *db.Tx, p *auth.Principal, row map[string]string) (bool, error) {
	s := i.S
	sid, err := s.FindByKey(ctx, tx, row["holder"])
	if err != nil {
		if apperr.CodeOf(err) == apperr.NotFound {
			return false, &apperr.Error{Code: apperr.Invalid, Message: "找不到该主体", Fields: map[string]string{"holder": "找不到该主体，请先导入主体名录"}}
		}
		return false, err
	}
	code, err := s.resolveRegion(row, p)
	if err != nil {
		return false, err
	}
	in := PlotInput{SubjectID: sid, RegionCode: code, Name: row["name"], Crop: row["crop"], Polygon: row["polygon"], Note: row["note"]}
	fields := map[string]string{}
	in.AreaMu = optNum(row, "area_mu", fields, func(v string) (float64, error) { return strconv.ParseFloat(v, 64) })
	if err := apperr.FieldErrors(fields); err != nil {
		return false, err
	}
	_, created, err := s.SavePlotTx(ctx, tx, p, in)
	return created, err
}

// FindByKey finds a subject by what staff write in sheets: an ID number, a credit code or the 编号.
func (s *Service) FindByKey(ctx context.Context, q db.Querier, key string) (int64, error) {
	h := validate.Compact(key)
	var sid int64
	var err error
	switch {
	case h == "":
		err = sql.ErrNoRows
	case len(h) == 18:
		if id, e := validate.IDNumber(h); e == nil {
			err = q.QueryRowContext(ctx, `SELECT id FROM subjects WHERE id_hash = ?`, s.box.Hash(id)).Scan(&sid)
		} else {
			err = q.QueryRowContext(ctx, `SELECT id FROM subjects WHERE credit_code = ?`, h).Scan(&sid)
		}
	default:
		n, _ := strconv.ParseInt(h, 10, 64)
		err = q.QueryRowContext(ctx, `SELECT id FROM subjects WHERE id = ?`, n).Scan(&sid)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return 0, apperr.New(apperr.NotFound, "找不到该主体："+key)
	}
	return sid, err
}

// ExportRow is a subject as a row of SubjectColumns.
func (s *Service) ExportRow(x *Subject) []string {
	town, village := "", ""
	if len(x.RegionCode) == 12 {
		town = s.regions.ShortName(region.Township(x.RegionCode))
		if x.RegionCode[9:] != "000" {
			village = s.regions.ShortName(x.RegionCode)
		}
	}
	f := func(v float64) string {
		if v == 0 {
			return ""
		}
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	i := func(v int64) string {
		if v == 0 {
			return ""
		}
		return strconv.FormatInt(v, 10)
	}
	return []string{fmt.Sprint(x.ID), x.KindLabel, x.Name, x.CreditCode, x.LegalRep, x.IDNumber, x.Phone, town, village, x.RegionCode, x.Address,
		strings.Join(x.Industries, "、"), f(x.ScaleMu), i(x.ScaleHead), i(int64(x.HouseholdsLed)), f(x.Lng), f(x.Lat), x.EstablishedOn, x.RegisteredOn, StatusLabel(x.Status), x.Note}
}

// ExportHeader is the header of exports.
func ExportHeader() []string {
	out := make([]string, len(SubjectColumns))
	for i, c := range SubjectColumns {
		out[i] = c.Header
	}
	return out
}
