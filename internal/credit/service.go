package credit

import (
	"context"
	"database/sql"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/jobs"
	"nongfu/internal/platform/web"
	"nongfu/internal/region"
	"nongfu/internal/registry"
)

//go:embed migrations
var migrationsFS embed.FS

// Migrations is the room's schema (it references the registry's subjects, so it is applied after registry).
var Migrations = db.RoomMigrations("credit", migrationsFS, "migrations")

// MembershipSource lists a subject's approved federation memberships for the credit file (wired by the app; the
// credit room does not read the federation room's tables).
type MembershipSource interface {
	ApprovedMemberships(ctx context.Context, subjectID int64) ([]string, error)
}

// Service is the room's use cases.
type Service struct {
	db          *db.DB
	regions     *region.Service
	subjects    *registry.Service
	Memberships MembershipSource // optional
	Facts       []FactSource     // optional: history from other rooms for the credit file and ratings
	Partners    PartnerSource    // optional: who transacted with whom, for 会员互评
	Contracts   ContractSource   // optional: order contracts and receivables that may be pledged
	Jobs        func() *jobs.Service
	now         func() time.Time
}

// NewService wires the room.
func NewService(d *db.DB, regions *region.Service, subjects *registry.Service) *Service {
	return &Service{db: d, regions: regions, subjects: subjects, now: time.Now}
}

// SetClock replaces the clock (tests).
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// today is the current date in Shanghai, as a UTC midnight.
func (s *Service) today() time.Time {
	t := s.now().In(web.Shanghai)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

func (s *Service) subject(ctx context.Context, id int64) (*registry.Subject, error) {
	if id <= 0 {
		return nil, errNoSubject
	}
	m, err := s.subjects.Lookup(ctx, []int64{id})
	if err != nil {
		return nil, err
	}
	x := m[id]
	if x == nil {
		return nil, errNoSubject
	}
	return x, nil
}

func (s *Service) names(ctx context.Context, ids ...int64) map[int64]*registry.Subject {
	m, err := s.subjects.Lookup(ctx, ids)
	if err != nil || m == nil {
		return map[int64]*registry.Subject{}
	}
	return m
}

func isInstitution(kind string) bool {
	return kind == "bank" || kind == "guarantor" || kind == "insurer"
}

// ---------------------------------------------------------------------------------------------------------------
// Consents
// ---------------------------------------------------------------------------------------------------------------

const consentCols = `c.id, c.subject_id, c.region_code, c.institution_id, c.purpose, c.valid_from, c.valid_to, c.status, c.on_behalf,
	c.scan_id, c.note, c.created_by_name, c.created_at, c.revoked_at, c.revoked_by_name, c.revoke_reason, COALESCE(cs.file_name, '')`

const consentFrom = ` FROM consents c LEFT JOIN consent_scans cs ON cs.id = c.scan_id`

func scanConsent(sc interface{ Scan(...any) error }) (*Consent, error) {
	var c Consent
	var scan sql.NullInt64
	var revoked sql.NullTime
	if err := sc.Scan(&c.ID, &c.SubjectID, &c.RegionCode, &c.InstitutionID, &c.Purpose, &c.ValidFrom, &c.ValidTo, &c.Status, &c.OnBehalf,
		&scan, &c.Note, &c.CreatedByName, &c.CreatedAt, &revoked, &c.RevokedByName, &c.RevokeReason, &c.ScanName); err != nil {
		return nil, err
	}
	c.scanID, c.HasScan = scan.Int64, scan.Valid
	c.CreatedAt = c.CreatedAt.UTC()
	if revoked.Valid {
		t := revoked.Time.UTC()
		c.RevokedAt = &t
	}
	return &c, nil
}

func (s *Service) presentConsents(ctx context.Context, l []*Consent) {
	var ids []int64
	for _, c := range l {
		ids = append(ids, c.SubjectID, c.InstitutionID)
	}
	names := s.names(ctx, ids...)
	today := FormatDate(s.today())
	for _, c := range l {
		if x := names[c.SubjectID]; x != nil {
			c.SubjectName = x.Name
		}
		if x := names[c.InstitutionID]; x != nil {
			c.InstitutionName = x.Name
		}
		c.RegionName = s.regions.Name(c.RegionCode)
		switch {
		case c.Status == ConsentRevoked:
			c.State = "revoked"
		case today < c.ValidFrom:
			c.State = "pending"
		case today > c.ValidTo:
			c.State = "expired"
		default:
			c.State = "live"
		}
		c.StateLabel = stateLabel(c.State)
	}
}

// ConsentFilter selects consents.
type ConsentFilter struct {
	SubjectID     int64
	InstitutionID int64
	State         string // live, expired, revoked, pending
	Page, PerPage int
}

// ListConsents returns the consents p may see, newest first.
func (s *Service) ListConsents(ctx context.Context, p *auth.Principal, f ConsentFilter) ([]*Consent, int, error) {
	where, args := scopeSQL(p, "c.region_code", "c.subject_id", "c.institution_id")
	conds := []string{where}
	if f.SubjectID != 0 {
		conds, args = append(conds, "c.subject_id = ?"), append(args, f.SubjectID)
	}
	if f.InstitutionID != 0 {
		conds, args = append(conds, "c.institution_id = ?"), append(args, f.InstitutionID)
	}
	today := FormatDate(s.today())
	switch f.State {
	case "":
	case "live":
		conds, args = append(conds, "c.status = 'active' AND c.valid_from <= ? AND c.valid_to >= ?"), append(args, today, today)
	case "expired":
		conds, args = append(conds, "c.status = 'active' AND c.valid_to < ?"), append(args, today)
	case "pending":
		conds, args = append(conds, "c.status = 'active' AND c.valid_from > ?"), append(args, today)
	case "revoked":
		conds = append(conds, "c.status = 'revoked'")
	default:
		return nil, 0, apperr.FieldErrors(map[string]string{"state": "状态应为 live、pending、expired 或 revoked"})
	}
	w := strings.Join(conds, " AND ")
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM consents c WHERE `+w, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count consents: %w", err)
	}
	f.Page, f.PerPage = max(f.Page, 1), cmpOr(f.PerPage, 50)
	rows, err := s.db.QueryContext(ctx, `SELECT `+consentCols+consentFrom+` WHERE `+w+` ORDER BY c.id DESC LIMIT ? OFFSET ?`,
		append(args, f.PerPage, (f.Page-1)*f.PerPage)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list consents: %w", err)
	}
	defer rows.Close()
	out := []*Consent{}
	for rows.Next() {
		c, err := scanConsent(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	s.presentConsents(ctx, out)
	return out, total, nil
}

func cmpOr(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

func (s *Service) getConsent(ctx context.Context, q db.Querier, id int64) (*Consent, error) {
	c, err := scanConsent(q.QueryRowContext(ctx, `SELECT `+consentCols+consentFrom+` WHERE c.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoConsent
	}
	if err != nil {
		return nil, fmt.Errorf("get consent: %w", err)
	}
	return c, nil
}

// GetConsent returns one consent p may see.
func (s *Service) GetConsent(ctx context.Context, p *auth.Principal, id int64) (*Consent, error) {
	c, err := s.getConsent(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	if !canSeeSubject(p, c.SubjectID, c.RegionCode) && !(isBank(p) && p.SubjectID == c.InstitutionID) {
		return nil, errNoConsent
	}
	s.presentConsents(ctx, []*Consent{c})
	return c, nil
}

// ConsentScan returns the scan of a consent's signed paper form (not to banks: they see that it exists).
func (s *Service) ConsentScan(ctx context.Context, p *auth.Principal, id int64) (*Scan, error) {
	c, err := s.GetConsent(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if !c.HasScan {
		return nil, apperr.New(apperr.NotFound, "该授权没有扫描件")
	}
	var sc Scan
	err = s.db.QueryRowContext(ctx, `SELECT file_name, content_type, data FROM consent_scans WHERE id = ?`, c.scanID).Scan(&sc.FileName, &sc.ContentType, &sc.Data)
	if err != nil {
		return nil, fmt.Errorf("read scan: %w", err)
	}
	return &sc, nil
}

var scanTypes = map[string]string{"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}

// checkScan validates an uploaded scan and returns its sniffed content type.
func checkScan(name string, data []byte) (string, string) {
	switch {
	case len(data) == 0:
		return "", "代办须上传本人签字的授权书扫描件（JPEG、PNG 或 PDF）"
	case len(data) > MaxScanBytes:
		return "", "扫描件不能超过 5 MB"
	}
	ct := http.DetectContentType(data)
	if _, ok := scanTypes[ct]; !ok {
		return "", "扫描件应为 JPEG、PNG 或 PDF 文件"
	}
	if utf8.RuneCountInString(name) > 200 {
		return "", "文件名过长"
	}
	return ct, ""
}

// CreateConsent files a consent: by the subject's own user, or by staff in scope as 代办 with the scan attached.
func (s *Service) CreateConsent(ctx context.Context, p *auth.Principal, in ConsentInput) (*Consent, error) {
	if isSelf(p) && in.SubjectID == 0 {
		in.SubjectID = p.SubjectID
	}
	fields := map[string]string{}
	sub, err := s.subject(ctx, in.SubjectID)
	if err != nil {
		if apperr.CodeOf(err) != apperr.NotFound {
			return nil, err
		}
		if !isSelf(p) && !isStaff(p) {
			return nil, errReadOnly
		}
		fields["subject_id"] = "请选择授权主体"
	} else if err := canActFor(p, sub.ID, sub.RegionCode); err != nil {
		return nil, err
	}
	inst, err := s.subject(ctx, in.InstitutionID)
	if err != nil && apperr.CodeOf(err) != apperr.NotFound {
		return nil, err
	}
	if inst == nil || !isInstitution(inst.Kind) || inst.Status != registry.StatusActive {
		fields["institution_id"] = "请选择被授权的金融、担保或保险机构"
	}
	in.Purpose = strings.TrimSpace(in.Purpose)
	if !slices.Contains(Purposes, in.Purpose) {
		fields["purpose"] = "请选择授权用途：" + strings.Join(Purposes, "、")
	}
	from, err1 := ParseDate(strings.TrimSpace(in.ValidFrom))
	to, err2 := ParseDate(strings.TrimSpace(in.ValidTo))
	if strings.TrimSpace(in.ValidFrom) == "" {
		from, err1 = s.today(), nil
	}
	switch {
	case err1 != nil:
		fields["valid_from"] = "日期格式应为 YYYY-MM-DD"
	case err2 != nil:
		fields["valid_to"] = "请填写授权截止日期（YYYY-MM-DD）"
	case to.Before(from):
		fields["valid_to"] = "截止日期不能早于起始日期"
	case to.After(AddMonths(from, 60)):
		fields["valid_to"] = "授权期限最长 5 年"
	case to.Before(s.today()):
		fields["valid_to"] = "截止日期已过"
	}
	if utf8.RuneCountInString(in.Note) > 500 {
		fields["note"] = "备注最多 500 字"
	}
	onBehalf := isStaff(p)
	var scanType string
	if onBehalf {
		data := in.Scan
		if data == nil && in.ScanBase64 != "" {
			b, err := base64.StdEncoding.DecodeString(in.ScanBase64)
			if err != nil {
				fields["scan"] = "扫描件内容不是有效的 base64"
			}
			data = b
		}
		in.Scan = data
		if fields["scan"] == "" {
			ct, msg := checkScan(in.ScanName, data)
			if msg != "" {
				fields["scan"] = msg
			}
			scanType = ct
		}
		if strings.TrimSpace(in.ScanName) == "" {
			in.ScanName = "授权书" + scanTypes[scanType]
		}
		in.ScanName = path.Base(strings.ReplaceAll(in.ScanName, `\`, "/"))
	}
	if err := apperr.FieldErrors(fields); err != nil {
		return nil, err
	}
	now := s.now().UTC()
	var id int64
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		id = tx.NextID()
		var scanID any
		if onBehalf {
			sid := tx.NextID()
			if _, err := tx.ExecContext(ctx, `INSERT INTO consent_scans (id, file_name, content_type, size, data, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
				sid, in.ScanName, scanType, len(in.Scan), in.Scan, now); err != nil {
				return fmt.Errorf("insert scan: %w", err)
			}
			scanID = sid
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO consents (id, county_code, region_code, subject_id, institution_id, purpose, valid_from, valid_to, status,
			on_behalf, scan_id, note, created_by, created_by_name, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?, ?, ?, ?)`,
			id, region.County(sub.RegionCode), sub.RegionCode, sub.ID, inst.ID, in.Purpose, FormatDate(from), FormatDate(to), onBehalf, scanID,
			strings.TrimSpace(in.Note), p.UserID, p.Username, now); err != nil {
			return fmt.Errorf("insert consent: %w", err)
		}
		summary := fmt.Sprintf("%s 授权 %s 查询信用档案（%s，%s 至 %s）", sub.Name, inst.Name, in.Purpose, FormatDate(from), FormatDate(to))
		if onBehalf {
			summary += "，工作人员代办"
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "create", Entity: "consent", EntityID: id, Summary: summary,
			After: map[string]any{"subject_id": sub.ID, "institution_id": inst.ID, "purpose": in.Purpose, "valid_from": FormatDate(from),
				"valid_to": FormatDate(to), "on_behalf": onBehalf, "scan": in.ScanName, "scan_size": len(in.Scan)}})
	})
	if err != nil {
		return nil, err
	}
	return s.GetConsent(ctx, p, id)
}

// RevokeConsent revokes a consent (the subject's user, or staff in scope).
func (s *Service) RevokeConsent(ctx context.Context, p *auth.Principal, id int64, reason string) (*Consent, error) {
	c, err := s.GetConsent(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if err := canActFor(p, c.SubjectID, c.RegionCode); err != nil {
		return nil, err
	}
	if c.Status == ConsentRevoked {
		return nil, apperr.New(apperr.Conflict, "该授权已撤销")
	}
	if utf8.RuneCountInString(reason) > 500 {
		return nil, apperr.FieldErrors(map[string]string{"reason": "原因最多 500 字"})
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE consents SET status = 'revoked', revoked_at = ?, revoked_by_name = ?, revoke_reason = ? WHERE id = ? AND status = 'active'`,
			s.now().UTC(), p.Username, strings.TrimSpace(reason), id)
		if err != nil {
			return fmt.Errorf("revoke consent: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.New(apperr.Conflict, "该授权已撤销")
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "revoke", Entity: "consent", EntityID: id,
			Summary: fmt.Sprintf("撤销 %s 对 %s 的授权", c.SubjectName, c.InstitutionName), Before: map[string]any{"status": ConsentActive},
			After: map[string]any{"status": ConsentRevoked, "reason": strings.TrimSpace(reason)}})
	})
	if err != nil {
		return nil, err
	}
	return s.GetConsent(ctx, p, id)
}

// liveConsent returns the live consent of subject to institution (nil if none).
func (s *Service) liveConsent(ctx context.Context, q db.Querier, subjectID, institutionID int64) (*Consent, error) {
	today := FormatDate(s.today())
	c, err := scanConsent(q.QueryRowContext(ctx, `SELECT `+consentCols+consentFrom+` WHERE c.subject_id = ? AND c.institution_id = ? AND c.status = 'active'
		AND c.valid_from <= ? AND c.valid_to >= ? ORDER BY c.valid_to DESC, c.id DESC LIMIT 1`, subjectID, institutionID, today, today))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("live consent: %w", err)
	}
	s.presentConsents(ctx, []*Consent{c})
	return c, nil
}

// ---------------------------------------------------------------------------------------------------------------
// Credit files
// ---------------------------------------------------------------------------------------------------------------

// fileAccess checks that p may open subject's credit file; for a bank it returns the consent relied on.
func (s *Service) fileAccess(ctx context.Context, p *auth.Principal, sub *registry.Subject) (*Consent, error) {
	if isBank(p) {
		c, err := s.liveConsent(ctx, s.db, sub.ID, p.SubjectID)
		if err != nil {
			return nil, err
		}
		if c == nil {
			return nil, errBankNoLive
		}
		return c, nil
	}
	if !canSeeSubject(p, sub.ID, sub.RegionCode) {
		return nil, apperr.New(apperr.Forbidden, "您无权查看该主体的信用档案")
	}
	return nil, nil
}

// File assembles subject's credit file for p. A bank needs a live consent (else 403 and no data) and its read is
// logged with the consent.
func (s *Service) File(ctx context.Context, p *auth.Principal, subjectID int64) (*File, error) {
	sub, err := s.subject(ctx, subjectID)
	if err != nil {
		if isBank(p) && apperr.CodeOf(err) == apperr.NotFound {
			return nil, errBankNoLive // a bank learns nothing, not even whether the subject exists
		}
		return nil, err
	}
	c, err := s.fileAccess(ctx, p, sub)
	if err != nil {
		return nil, err
	}
	f, err := s.assemble(ctx, sub)
	if err != nil {
		return nil, err
	}
	if c != nil {
		f.Consent = c
		err := s.db.InTx(ctx, func(tx *db.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO credit_file_reads (id, subject_id, institution_id, consent_id, user_id, user_name, role, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
				tx.NextID(), sub.ID, p.SubjectID, c.ID, p.UserID, p.Username, string(p.Role), s.now().UTC())
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("log read: %w", err)
		}
	}
	return f, nil
}

// Reads lists who read subject's credit file (the subject's own user and staff in scope).
func (s *Service) Reads(ctx context.Context, p *auth.Principal, subjectID int64) ([]Read, error) {
	sub, err := s.subject(ctx, subjectID)
	if err != nil {
		return nil, err
	}
	if !canSeeSubject(p, sub.ID, sub.RegionCode) {
		return nil, apperr.New(apperr.Forbidden, "只有本人和管辖范围内的工作人员可以查看查询记录")
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, subject_id, institution_id, consent_id, user_name, role, at FROM credit_file_reads WHERE subject_id = ? ORDER BY at DESC, id DESC LIMIT 500`, subjectID)
	if err != nil {
		return nil, fmt.Errorf("reads: %w", err)
	}
	defer rows.Close()
	out := []Read{}
	var ids []int64
	for rows.Next() {
		var r Read
		if err := rows.Scan(&r.ID, &r.SubjectID, &r.InstitutionID, &r.ConsentID, &r.UserName, &r.Role, &r.At); err != nil {
			return nil, err
		}
		r.At = r.At.UTC()
		out = append(out, r)
		ids = append(ids, r.InstitutionID)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	names := s.names(ctx, ids...)
	for i := range out {
		if x := names[out[i].InstitutionID]; x != nil {
			out[i].InstitutionName = x.Name
		}
	}
	return out, nil
}

// systemPrincipal reads the register on the room's behalf after the room's own access check.
func systemPrincipal(regionCode string) *auth.Principal {
	return &auth.Principal{Username: "credit", Role: auth.CountyAdmin, Scopes: []string{region.County(regionCode) + "000000"}}
}

func (s *Service) assemble(ctx context.Context, sub *registry.Subject) (*File, error) {
	now := s.now().UTC()
	today := FormatDate(s.today())
	sys := systemPrincipal(sub.RegionCode)
	full, err := s.subjects.Get(ctx, sys, sub.ID)
	if err != nil {
		return nil, err
	}
	regDate := FormatDate(full.UpdatedAt.In(web.Shanghai))
	const reg = "主体名录"
	f := &File{SubjectID: sub.ID, SubjectName: full.Name, Kind: full.Kind, KindLabel: full.KindLabel, RegionName: full.RegionName, AssembledAt: now}
	add := func(group, key, label, value, source, asOf string) {
		if value == "" {
			value = "—"
		}
		f.Indicators = append(f.Indicators, Indicator{Group: group, Key: key, Label: label, Value: value, Source: source, AsOf: asOf})
	}
	add("身份与家庭", "name", "名称", full.Name, reg, regDate)
	add("身份与家庭", "kind", "主体类型", full.KindLabel, reg, regDate)
	if full.CreditCode != "" {
		add("身份与家庭", "credit_code", "统一社会信用代码", full.CreditCode, reg, regDate)
	}
	add("身份与家庭", "id_number", "户主/法定代表人身份证号", full.IDNumber, reg, regDate) // masked by the register
	if full.Kind == "household" {
		add("身份与家庭", "household_members", "家庭成员数", fmt.Sprintf("%d 人", full.MemberCount), reg, today)
	}
	add("身份与家庭", "region", "所在地", full.RegionName, reg, regDate)
	add("身份与家庭", "new_type", "新型农业经营主体", map[bool]string{true: "是", false: "否"}[full.NewType], reg, regDate)
	add("资产与经营", "industries", "主营产业", strings.Join(full.Industries, "、"), reg, regDate)
	add("资产与经营", "scale_mu", "经营面积", fmt.Sprintf("%.2f 亩", full.ScaleMu), reg, regDate)
	add("资产与经营", "scale_head", "养殖规模", fmt.Sprintf("%d 头/只", full.ScaleHead), reg, regDate)
	plots, total, err := s.subjects.Plots(ctx, sys, registry.PlotFilter{SubjectID: sub.ID, PerPage: 1000})
	if err != nil {
		return nil, err
	}
	var area float64
	for _, pl := range plots {
		area += pl.AreaMu
	}
	add("资产与经营", "plots", "登记地块", fmt.Sprintf("%d 块，合计 %.2f 亩", total, area), "地块登记", today)
	if s.Memberships != nil {
		ms, err := s.Memberships.ApprovedMemberships(ctx, sub.ID)
		if err != nil {
			return nil, err
		}
		v := "未加入农合联"
		if len(ms) > 0 {
			v = strings.Join(ms, "、")
		}
		add("组织", "memberships", "农合联会员", v, "农合联入会记录", today)
	}
	if err := s.assembleMore(ctx, sub.ID, add, today); err != nil {
		return nil, err
	}
	h, err := s.history(ctx, sub.ID)
	if err != nil {
		return nil, err
	}
	const lsrc = "本平台贷款记录"
	add("借贷", "loans", "贷款笔数", fmt.Sprintf("%d 笔（在贷 %d，结清 %d，核销 %d）", h.count, h.active, h.settled, h.writtenOff), lsrc, today)
	add("借贷", "disbursed", "累计放款", web.FormatFen(h.disbursed), lsrc, today)
	add("借贷", "balance", "贷款余额", web.FormatFen(h.balance), lsrc, today)
	add("借贷", "arrears", "当前欠款（逾期本息）", web.FormatFen(h.arrears), lsrc, today)
	add("借贷", "overdue_days", "当前逾期天数", fmt.Sprintf("%d 天（%s）", h.days, BucketLabel(BucketOf(h.days))), lsrc, today)
	add("借贷", "max_overdue_days", "历史最长逾期", fmt.Sprintf("%d 天", h.maxDays), lsrc, today)
	return f, nil
}

type history struct {
	count, active, settled, writtenOff int
	disbursed, balance, arrears        int64
	days, maxDays                      int
}

func (s *Service) history(ctx context.Context, subjectID int64) (history, error) {
	var h history
	rows, err := s.db.QueryContext(ctx, `SELECT id, status, amount FROM loans WHERE subject_id = ? AND status IN ('disbursed', 'settled', 'written_off')`, subjectID)
	if err != nil {
		return h, fmt.Errorf("history: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id, amount int64
		var st string
		if err := rows.Scan(&id, &st, &amount); err != nil {
			rows.Close()
			return h, err
		}
		h.count++
		switch st {
		case LoanDisbursed:
			h.active++
		case LoanSettled:
			h.settled++
		case LoanWrittenOff:
			h.writtenOff++
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return h, err
	}
	inst, err := s.installments(ctx, s.db, ids)
	if err != nil {
		return h, err
	}
	today := s.today()
	for _, id := range ids {
		l := inst[id]
		for _, i := range l {
			h.disbursed += i.Principal
		}
		o := OverdueAsOf(l, today)
		h.balance += o.OutstandingBalance
		h.arrears += o.ArrearsPrincipal + o.ArrearsInterest
		h.days = max(h.days, o.Days)
		h.maxDays = max(h.maxDays, o.MaxDays)
	}
	return h, nil
}
