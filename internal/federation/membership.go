package federation

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
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

// Membership actions (the transitions of the state machine).
const (
	ActApprove  = "approve"
	ActReject   = "reject"
	ActWithdraw = "withdraw"
	ActExpel    = "expel"
)

// transitions: action → allowed from-states and the to-state.
var transitions = map[string]struct {
	from  []string
	to    string
	label string
}{
	ActApprove:  {[]string{StatusApplied}, StatusApproved, "批准入会"},
	ActReject:   {[]string{StatusApplied}, StatusRejected, "驳回申请"},
	ActWithdraw: {[]string{StatusApproved, StatusApplied}, StatusWithdrawn, "退会"},
	ActExpel:    {[]string{StatusApproved}, StatusExpelled, "除名"},
}

const memberCols = `m.id, m.federation_id, m.subject_id, m.subject_kind, m.region_code, m.township_code, m.status, COALESCE(m.member_no, ''), m.note,
	m.on_behalf, m.applied_by, m.applied_by_name, m.applied_at, m.decided_at, m.decided_by_name, m.reason, m.updated_at, m.consent`

func scanMembership(sc interface{ Scan(...any) error }) (*Membership, error) {
	m := &Membership{}
	var decided sql.NullTime
	err := sc.Scan(&m.ID, &m.FederationID, &m.SubjectID, &m.SubjectKind, &m.RegionCode, &m.TownshipCode, &m.Status, &m.MemberNo, &m.Note,
		&m.OnBehalf, &m.AppliedBy, &m.AppliedByName, &m.AppliedAt, &decided, &m.DecidedByName, &m.Reason, &m.UpdatedAt, &m.Consent)
	if err != nil {
		return nil, err
	}
	if decided.Valid {
		t := decided.Time.UTC()
		m.DecidedAt = &t
	}
	m.AppliedAt = m.AppliedAt.UTC()
	m.UpdatedAt = m.UpdatedAt.UTC()
	m.SubjectKindLabel = registry.KindLabel(m.SubjectKind)
	m.StatusLabel = StatusLabel(m.Status)
	return m, nil
}

func (s *Service) getMembership(ctx context.Context, q db.Querier, id int64) (*Membership, error) {
	m, err := scanMembership(q.QueryRowContext(ctx, `SELECT `+memberCols+` FROM memberships m WHERE m.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoMember
	}
	if err != nil {
		return nil, fmt.Errorf("get membership %d: %w", id, err)
	}
	return m, nil
}

// presentMemberships fills federation, subject and township names.
func (s *Service) presentMemberships(ctx context.Context, ms []*Membership) error {
	if len(ms) == 0 {
		return nil
	}
	var ids []int64
	fedIDs := map[int64]bool{}
	for _, m := range ms {
		ids = append(ids, m.SubjectID)
		fedIDs[m.FederationID] = true
		m.TownshipName = s.regions.ShortName(m.TownshipCode)
	}
	subs, err := s.subjects.Lookup(ctx, ids)
	if err != nil {
		return err
	}
	names := map[int64]string{}
	for id := range fedIDs {
		var n string
		if err := s.db.QueryRowContext(ctx, `SELECT name FROM federations WHERE id = ?`, id).Scan(&n); err != nil {
			return fmt.Errorf("federation name: %w", err)
		}
		names[id] = n
	}
	for _, m := range ms {
		if x := subs[m.SubjectID]; x != nil {
			m.SubjectName = x.Name
		}
		m.FederationName = names[m.FederationID]
	}
	return nil
}

// GetMembership returns a membership p may see, with its history.
func (s *Service) GetMembership(ctx context.Context, p *auth.Principal, id int64) (*MembershipDetail, error) {
	m, err := s.getMembership(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	f, err := s.getFed(ctx, s.db, m.FederationID)
	if err != nil {
		return nil, err
	}
	if !canSeeMembership(p, m, f) {
		return nil, errNoMember
	}
	if err := s.presentMemberships(ctx, []*Membership{m}); err != nil {
		return nil, err
	}
	d := &MembershipDetail{Membership: *m, Events: []Event{}}
	rows, err := s.db.QueryContext(ctx, `SELECT id, membership_id, at, actor_id, actor_name, from_status, to_status, reason, on_behalf
		FROM membership_events WHERE membership_id = ? ORDER BY at, id`, id)
	if err != nil {
		return nil, fmt.Errorf("membership events: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e Event
		if err := rows.Scan(&e.ID, &e.MembershipID, &e.At, &e.ActorID, &e.ActorName, &e.From, &e.To, &e.Reason, &e.OnBehalf); err != nil {
			return nil, err
		}
		e.At = e.At.UTC()
		e.FromLabel, e.ToLabel = StatusLabel(e.From), StatusLabel(e.To)
		d.Events = append(d.Events, e)
	}
	return d, rows.Err()
}

// ListMemberships returns the memberships p may see that match f, newest first.
func (s *Service) ListMemberships(ctx context.Context, p *auth.Principal, f MembershipFilter) ([]*Membership, int, error) {
	managed, err := s.managedIDs(ctx, p)
	if err != nil {
		return nil, 0, err
	}
	where, args := membershipScope(p, managed)
	conds := []string{where}
	add := func(c string, a ...any) {
		conds = append(conds, c)
		args = append(args, a...)
	}
	if f.Status != "" {
		if StatusLabel(f.Status) == f.Status {
			return nil, 0, apperr.FieldErrors(map[string]string{"status": "状态应为 applied、approved、rejected、withdrawn 或 expelled"})
		}
		add("m.status = ?", f.Status)
	}
	if f.FederationID != 0 {
		add("m.federation_id = ?", f.FederationID)
	}
	if f.SubjectID != 0 {
		add("m.subject_id = ?", f.SubjectID)
	}
	if f.Kind != "" {
		add("m.subject_kind = ?", f.Kind)
	}
	if f.Township != "" {
		add("m.township_code = ?", f.Township)
	}
	if f.Reviewable {
		if len(managed) == 0 {
			conds = append(conds, "1 = 0")
		} else {
			a := make([]any, len(managed))
			for i, id := range managed {
				a[i] = id
			}
			add("m.federation_id IN ("+db.Placeholders(len(managed))+")", a...)
		}
	}
	w := strings.Join(conds, " AND ")
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM memberships m WHERE `+w, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count memberships: %w", err)
	}
	if f.PerPage <= 0 {
		f.PerPage = 20
	}
	if f.Page <= 0 {
		f.Page = 1
	}
	order := "m.id DESC"
	if f.Status == StatusApproved {
		order = "m.member_seq, m.id"
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+memberCols+` FROM memberships m WHERE `+w+` ORDER BY `+order+` LIMIT ? OFFSET ?`,
		append(args, f.PerPage, (f.Page-1)*f.PerPage)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list memberships: %w", err)
	}
	var out []*Membership
	for rows.Next() {
		m, err := scanMembership(rows)
		if err != nil {
			rows.Close()
			return nil, 0, err
		}
		out = append(out, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	return out, total, s.presentMemberships(ctx, out)
}

// openMembership returns the subject's open (applied or approved) membership of a federation, if any.
func openMembership(ctx context.Context, q db.Querier, fedID, subjectID int64) (*Membership, error) {
	m, err := scanMembership(q.QueryRowContext(ctx, `SELECT `+memberCols+` FROM memberships m WHERE m.federation_id = ? AND m.subject_id = ?
		AND m.status IN ('applied', 'approved')`, fedID, subjectID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return m, err
}

func openConflict(f *Federation, subjectName string, m *Membership) error {
	if m.Status == StatusApproved {
		return &apperr.Error{Code: apperr.Conflict, Message: fmt.Sprintf("%s 已是%s会员（会员编号 %s，入会记录 %d），不能重复申请", subjectName, f.Name, m.MemberNo, m.ID),
			Fields: map[string]string{"subject_id": "已是该农合联会员"}}
	}
	return &apperr.Error{Code: apperr.Conflict, Message: fmt.Sprintf("%s 已向%s提交入会申请（入会记录 %d，待审核），请勿重复申请", subjectName, f.Name, m.ID),
		Fields: map[string]string{"subject_id": "已有待审核的入会申请"}}
}

// Apply files an application to join: by a member user for its own subject, or by staff on a subject's behalf (代办).
func (s *Service) Apply(ctx context.Context, p *auth.Principal, in ApplyInput) (*MembershipDetail, error) {
	var id int64
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		id, err = s.ApplyTx(ctx, tx, p, in)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.GetMembership(ctx, p, id)
}

// ApplyTx files an application inside tx (imports) and returns the membership id.
func (s *Service) ApplyTx(ctx context.Context, tx *db.Tx, p *auth.Principal, in ApplyInput) (int64, error) {
	if p == nil {
		return 0, errCannotWrite
	}
	if in.SubjectID == 0 && selfService(p) {
		in.SubjectID = p.SubjectID
	}
	fields := map[string]string{}
	if in.FederationID == 0 {
		fields["federation_id"] = "请选择要加入的农合联"
	}
	if in.SubjectID == 0 {
		fields["subject_id"] = "请选择申请入会的主体"
	}
	in.Note = validate.Normalize(in.Note)
	if utf8.RuneCountInString(in.Note) > 1000 {
		fields["note"] = "备注不能超过1000字"
	}
	if err := apperr.FieldErrors(fields); err != nil {
		return 0, err
	}
	f, err := s.getFed(ctx, s.db, in.FederationID)
	if err != nil || !canReadFed(p, f) {
		return 0, &apperr.Error{Code: apperr.Invalid, Message: "农合联不存在", Fields: map[string]string{"federation_id": "农合联不存在"}}
	}
	if selfService(p) && in.SubjectID != p.SubjectID {
		return 0, apperr.New(apperr.Forbidden, "只能为本人（本单位）主体申请入会")
	}
	subs, err := s.subjects.Lookup(ctx, []int64{in.SubjectID})
	if err != nil {
		return 0, err
	}
	x := subs[in.SubjectID]
	if x == nil {
		return 0, &apperr.Error{Code: apperr.Invalid, Message: "主体名录中没有该主体", Fields: map[string]string{"subject_id": "主体名录中没有该主体"}}
	}
	onBehalf, err := canFileFor(p, x)
	if err != nil {
		return 0, err
	}
	in.Consent = validate.Normalize(in.Consent)
	if onBehalf && in.Consent == "" {
		return 0, &apperr.Error{Code: apperr.Invalid, Message: "代办入会须记录本人同意的方式", Fields: map[string]string{"consent": "请选择本人同意的方式（当面、电话、书面委托等）"}}
	}
	if x.Status != registry.StatusActive {
		return 0, &apperr.Error{Code: apperr.Invalid, Message: x.Name + " 已注销，不能申请入会", Fields: map[string]string{"subject_id": "主体已注销"}}
	}
	if f.Status != FedActive {
		return 0, apperr.New(apperr.Conflict, f.Name+"已撤销，不再接受入会申请")
	}
	town := region.Township(x.RegionCode)
	if f.Level == LevelTownship && x.Kind == "household" {
		covered := false
		for _, t := range f.Townships {
			covered = covered || t == town
		}
		if !covered {
			return 0, &apperr.Error{Code: apperr.Invalid, Message: "农户只能加入所在乡镇（片区）的乡镇农合联",
				Fields: map[string]string{"federation_id": "该农合联不覆盖" + s.regions.ShortName(town)}}
		}
	}
	var id int64
	err = func() error {
		if m, err := openMembership(ctx, tx, f.ID, x.ID); err != nil {
			return err
		} else if m != nil {
			return openConflict(f, x.Name, m)
		}
		now := s.now().UTC()
		id = tx.NextID()
		_, err := tx.ExecContext(ctx, `INSERT INTO memberships (id, federation_id, county_code, subject_id, subject_kind, region_code, township_code,
			status, note, on_behalf, applied_by, applied_by_name, applied_at, updated_at, consent) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, f.ID, f.CountyCode, x.ID, x.Kind, x.RegionCode, town, StatusApplied, in.Note, onBehalf, p.UserID, p.Username, now, now, in.Consent)
		if err != nil {
			if db.IsUniqueViolation(err) {
				return apperr.New(apperr.Conflict, x.Name+" 已有该农合联的入会申请或会籍，请勿重复申请")
			}
			return fmt.Errorf("insert membership: %w", err)
		}
		if err := writeEvent(ctx, tx, id, f.ID, now, p, "", StatusApplied, in.Note, onBehalf); err != nil {
			return err
		}
		summary := x.Name + " 申请加入" + f.Name
		if onBehalf {
			summary += "（" + p.Username + " 代办，本人" + in.Consent + "）"
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "apply", Entity: "membership", EntityID: id, Summary: summary,
			After: map[string]any{"federation_id": f.ID, "subject_id": x.ID, "status": StatusApplied, "on_behalf": onBehalf, "consent": in.Consent, "note": in.Note}})
	}()
	return id, err
}

func writeEvent(ctx context.Context, tx *db.Tx, membershipID, fedID int64, at time.Time, p *auth.Principal, from, to, reason string, onBehalf bool) error {
	a := p.Actor()
	if _, err := tx.ExecContext(ctx, `INSERT INTO membership_events (id, membership_id, federation_id, at, actor_id, actor_name, from_status, to_status, reason, on_behalf)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, tx.NextID(), membershipID, fedID, at, a.ID, a.Name, from, to, reason, onBehalf); err != nil {
		return fmt.Errorf("membership event: %w", err)
	}
	return nil
}

var reMemberNo = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,31}$`)

// TransitionInput carries what an action needs: a reason (reject, expel; optional for withdraw) or a member number
// (approve; assigned when empty).
type TransitionInput struct {
	Reason   string `json:"reason"`
	MemberNo string `json:"member_no" doc:"批准时可指定会员编号，缺省按 农合联编码-4位序号 分配"`
}

// Transition applies an action (approve, reject, withdraw, expel) to a membership and records the event.
func (s *Service) Transition(ctx context.Context, p *auth.Principal, id int64, action string, in TransitionInput) (*MembershipDetail, error) {
	err := s.db.InTx(ctx, func(tx *db.Tx) error { return s.TransitionTx(ctx, tx, p, id, action, in) })
	if err != nil {
		return nil, err
	}
	return s.GetMembership(ctx, p, id)
}

// TransitionTx applies an action inside tx (imports).
func (s *Service) TransitionTx(ctx context.Context, tx *db.Tx, p *auth.Principal, id int64, action string, in TransitionInput) error {
	t, ok := transitions[action]
	if !ok {
		return apperr.New(apperr.Invalid, "未知的操作："+action)
	}
	m, err := s.getMembership(ctx, tx, id)
	if err != nil {
		return err
	}
	f, err := s.getFed(ctx, tx, m.FederationID)
	if err != nil {
		return err
	}
	if !canSeeMembership(p, m, f) {
		return errNoMember
	}
	own := selfService(p) && p.SubjectID != 0 && p.SubjectID == m.SubjectID
	if !(action == ActWithdraw && own) {
		if err := canGovern(p, f); err != nil {
			return err
		}
	}
	in.Reason = validate.Normalize(in.Reason)
	in.MemberNo = strings.TrimSpace(in.MemberNo)
	fields := map[string]string{}
	if (action == ActReject || action == ActExpel) && in.Reason == "" {
		fields["reason"] = map[string]string{ActReject: "请填写驳回原因", ActExpel: "请填写除名原因"}[action]
	}
	if utf8.RuneCountInString(in.Reason) > 500 {
		fields["reason"] = "原因不能超过500字"
	}
	if action == ActApprove && in.MemberNo != "" && !reMemberNo.MatchString(in.MemberNo) {
		fields["member_no"] = "会员编号为字母、数字或短横线，最长32位"
	}
	if err := apperr.FieldErrors(fields); err != nil {
		return err
	}
	return func() error {
		cur, err := s.getMembership(ctx, tx, id)
		if err != nil {
			return err
		}
		allowed := false
		for _, st := range t.from {
			allowed = allowed || cur.Status == st
		}
		if !allowed {
			return apperr.Errorf(apperr.Conflict, "该入会记录当前为「%s」，不能%s", StatusLabel(cur.Status), t.label)
		}
		now := s.now().UTC()
		memberNo, seq := cur.MemberNo, 0
		if action == ActApprove {
			if memberNo, seq, err = s.assignNumber(ctx, tx, f, in.MemberNo); err != nil {
				return err
			}
		}
		reason := in.Reason
		if action == ActApprove {
			reason = ""
		}
		q := `UPDATE memberships SET status = ?, reason = ?, decided_at = ?, decided_by_name = ?, updated_at = ?`
		args := []any{t.to, reason, now, p.Username, now}
		if action == ActApprove {
			q += `, member_no = ?, member_seq = ?`
			args = append(args, memberNo, seq)
		}
		if _, err := tx.ExecContext(ctx, q+` WHERE id = ? AND status = ?`, append(args, id, cur.Status)...); err != nil {
			if db.IsUniqueViolation(err) {
				return &apperr.Error{Code: apperr.Conflict, Message: "会员编号已被使用：" + memberNo, Fields: map[string]string{"member_no": "会员编号已被使用"}}
			}
			return fmt.Errorf("update membership: %w", err)
		}
		if err := writeEvent(ctx, tx, id, f.ID, now, p, cur.Status, t.to, reason, false); err != nil {
			return err
		}
		summary := fmt.Sprintf("%s：%s 入会记录 %d", t.label, f.Name, id)
		if memberNo != "" && action == ActApprove {
			summary += "，会员编号 " + memberNo
		}
		if reason != "" {
			summary += "（" + reason + "）"
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: action, Entity: "membership", EntityID: id, Summary: summary,
			Before: map[string]any{"status": cur.Status, "member_no": cur.MemberNo},
			After:  map[string]any{"status": t.to, "member_no": memberNo, "reason": reason}})
	}()
}

// assignNumber checks a requested member number or makes the next one: the federation code, '-', a 4-digit sequence.
func (s *Service) assignNumber(ctx context.Context, tx *db.Tx, f *Federation, want string) (string, int, error) {
	if want != "" {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM memberships WHERE federation_id = ? AND member_no = ?`, f.ID, want).Scan(&n); err != nil {
			return "", 0, err
		}
		if n > 0 {
			return "", 0, &apperr.Error{Code: apperr.Conflict, Message: "会员编号已被使用：" + want, Fields: map[string]string{"member_no": "会员编号已被使用"}}
		}
		var max int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(member_seq), 0) FROM memberships WHERE federation_id = ?`, f.ID).Scan(&max); err != nil {
			return "", 0, err
		}
		return want, max + 1, nil
	}
	var max int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(member_seq), 0) FROM memberships WHERE federation_id = ?`, f.ID).Scan(&max); err != nil {
		return "", 0, err
	}
	for seq := max + 1; ; seq++ {
		no := fmt.Sprintf("%s-%04d", f.Code, seq)
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM memberships WHERE federation_id = ? AND member_no = ?`, f.ID, no).Scan(&n); err != nil {
			return "", 0, err
		}
		if n == 0 {
			return no, seq, nil
		}
	}
}

// UpdateNote changes the note of a membership (the applicant, or staff who may file or review for it).
func (s *Service) UpdateNote(ctx context.Context, p *auth.Principal, id int64, note string) (*MembershipDetail, error) {
	m, err := s.getMembership(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	f, err := s.getFed(ctx, s.db, m.FederationID)
	if err != nil {
		return nil, err
	}
	if !canSeeMembership(p, m, f) {
		return nil, errNoMember
	}
	own := selfService(p) && p.SubjectID == m.SubjectID
	filer := p.Is(auth.CountyAdmin, auth.TownshipOperator) && p.InRegion(m.RegionCode)
	if !own && !filer {
		if err := canGovern(p, f); err != nil {
			return nil, err
		}
	}
	note = validate.Normalize(note)
	if utf8.RuneCountInString(note) > 1000 {
		return nil, apperr.FieldErrors(map[string]string{"note": "备注不能超过1000字"})
	}
	if note == m.Note {
		return s.GetMembership(ctx, p, id)
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE memberships SET note = ?, updated_at = ? WHERE id = ?`, note, s.now().UTC(), id); err != nil {
			return fmt.Errorf("update membership note: %w", err)
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "update", Entity: "membership", EntityID: id,
			Summary: fmt.Sprintf("修改入会记录 %d 的备注", id), Before: map[string]string{"note": m.Note}, After: map[string]string{"note": note}})
	})
	if err != nil {
		return nil, err
	}
	return s.GetMembership(ctx, p, id)
}
