package federation

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/validate"
)

// fedForRead loads a federation p may see.
func (s *Service) fedForRead(ctx context.Context, p *auth.Principal, id int64) (*Federation, error) {
	f, err := s.getFed(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	if !canReadFed(p, f) {
		return nil, errNoFed
	}
	return f, nil
}

// fedForGovern loads a federation p may govern.
func (s *Service) fedForGovern(ctx context.Context, p *auth.Principal, id int64) (*Federation, error) {
	f, err := s.fedForRead(ctx, p, id)
	if err != nil {
		return nil, err
	}
	return f, canGovern(p, f)
}

// TermLabel is 第N届.
func TermLabel(n int) string { return fmt.Sprintf("第%d届", n) }

// dateField validates an optional date field into fields.
func dateField(fields map[string]string, name, v string, required bool) string {
	v = strings.TrimSpace(v)
	if v == "" {
		if required {
			fields[name] = "请填写日期"
		}
		return ""
	}
	d, ok := ParseDate(v)
	if !ok {
		fields[name] = "日期格式应为 2024-08-01"
	}
	return d
}

// Bodies returns a federation's governance bodies (newest term first within each kind), each with its posts.
func (s *Service) Bodies(ctx context.Context, p *auth.Principal, fedID int64) ([]Body, error) {
	if _, err := s.fedForRead(ctx, p, fedID); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, federation_id, kind, term_no, term_start, term_end, note, created_at FROM governance_bodies
		WHERE federation_id = ? ORDER BY CASE kind WHEN 'assembly' THEN 0 WHEN 'council' THEN 1 ELSE 2 END, term_no DESC`, fedID)
	if err != nil {
		return nil, fmt.Errorf("bodies: %w", err)
	}
	out := []Body{}
	idx := map[int64]int{}
	for rows.Next() {
		var b Body
		if err := rows.Scan(&b.ID, &b.FederationID, &b.Kind, &b.TermNo, &b.TermStart, &b.TermEnd, &b.Note, &b.CreatedAt); err != nil {
			rows.Close()
			return nil, err
		}
		b.KindLabel, b.TermLabel, b.Posts = BodyLabel(b.Kind), TermLabel(b.TermNo), []Post{}
		idx[b.ID] = len(out)
		out = append(out, b)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	prow, err := s.db.QueryContext(ctx, `SELECT id, federation_id, body_id, title, holder_name, holder_subject_id, term_start, term_end, note, created_at
		FROM governance_posts WHERE federation_id = ? ORDER BY body_id, id`, fedID)
	if err != nil {
		return nil, fmt.Errorf("posts: %w", err)
	}
	defer prow.Close()
	for prow.Next() {
		var x Post
		if err := prow.Scan(&x.ID, &x.FederationID, &x.BodyID, &x.Title, &x.HolderName, &x.HolderSubjectID, &x.TermStart, &x.TermEnd, &x.Note, &x.CreatedAt); err != nil {
			return nil, err
		}
		if i, ok := idx[x.BodyID]; ok {
			out[i].Posts = append(out[i].Posts, x)
		}
	}
	return out, prow.Err()
}

// AddBody opens a new term of a governance body.
func (s *Service) AddBody(ctx context.Context, p *auth.Principal, fedID int64, in BodyInput) (Body, error) {
	f, err := s.fedForGovern(ctx, p, fedID)
	if err != nil {
		return Body{}, err
	}
	fields := map[string]string{}
	if BodyLabel(in.Kind) == in.Kind {
		fields["kind"] = "机构应为 assembly（会员（代表）大会）、council（理事会）或 supervisory_board（监事会）"
	}
	if in.TermNo < 0 || in.TermNo > 100 {
		fields["term_no"] = "届次应为1–100"
	}
	b := Body{FederationID: fedID, Kind: in.Kind, TermNo: in.TermNo, Note: validate.Normalize(in.Note)}
	b.TermStart = dateField(fields, "term_start", in.TermStart, true)
	b.TermEnd = dateField(fields, "term_end", in.TermEnd, false)
	if b.TermEnd != "" && b.TermStart != "" && b.TermEnd < b.TermStart {
		fields["term_end"] = "届期结束不能早于开始"
	}
	if err := apperr.FieldErrors(fields); err != nil {
		return Body{}, err
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if b.TermNo == 0 {
			if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(term_no), 0) + 1 FROM governance_bodies WHERE federation_id = ? AND kind = ?`, fedID, b.Kind).Scan(&b.TermNo); err != nil {
				return err
			}
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM governance_bodies WHERE federation_id = ? AND kind = ? AND term_no = ?`, fedID, b.Kind, b.TermNo).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return &apperr.Error{Code: apperr.Conflict, Message: fmt.Sprintf("%s%s已登记", BodyLabel(b.Kind), TermLabel(b.TermNo)), Fields: map[string]string{"term_no": "该届已登记"}}
		}
		b.ID = tx.NextID()
		b.CreatedAt = s.now().UTC()
		if err := insertBody(ctx, tx, &b); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "create", Entity: "governance_body", EntityID: b.ID,
			Summary: fmt.Sprintf("%s 登记%s%s", f.Name, BodyLabel(b.Kind), TermLabel(b.TermNo)), After: b})
	})
	b.KindLabel, b.TermLabel, b.Posts = BodyLabel(b.Kind), TermLabel(b.TermNo), []Post{}
	return b, err
}

func insertBody(ctx context.Context, tx *db.Tx, b *Body) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO governance_bodies (id, federation_id, kind, term_no, term_start, term_end, note, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		b.ID, b.FederationID, b.Kind, b.TermNo, b.TermStart, b.TermEnd, b.Note, b.CreatedAt)
	if err != nil {
		if db.IsUniqueViolation(err) {
			return apperr.New(apperr.Conflict, "该届机构已登记")
		}
		return fmt.Errorf("insert body: %w", err)
	}
	return nil
}

func (s *Service) body(ctx context.Context, q db.Querier, fedID, bodyID int64) (Body, bool) {
	var b Body
	err := q.QueryRowContext(ctx, `SELECT id, federation_id, kind, term_no, term_start, term_end FROM governance_bodies WHERE id = ? AND federation_id = ?`,
		bodyID, fedID).Scan(&b.ID, &b.FederationID, &b.Kind, &b.TermNo, &b.TermStart, &b.TermEnd)
	return b, err == nil
}

// AddPost seats a person on a body.
func (s *Service) AddPost(ctx context.Context, p *auth.Principal, fedID int64, in PostInput) (Post, error) {
	f, err := s.fedForGovern(ctx, p, fedID)
	if err != nil {
		return Post{}, err
	}
	fields := map[string]string{}
	x := Post{FederationID: fedID, BodyID: in.BodyID, Title: validate.Normalize(in.Title), HolderName: validate.Normalize(in.HolderName),
		HolderSubjectID: in.HolderSubjectID, Note: validate.Normalize(in.Note)}
	b, ok := s.body(ctx, s.db, fedID, in.BodyID)
	if !ok {
		fields["body_id"] = "请选择本农合联已登记的机构（届）"
	}
	if x.Title == "" || utf8.RuneCountInString(x.Title) > 20 {
		fields["title"] = "请填写职务，如 会长、理事、监事长"
	}
	if x.HolderName == "" || utf8.RuneCountInString(x.HolderName) > 50 {
		fields["holder_name"] = "请填写任职人姓名"
	}
	x.TermStart = dateField(fields, "term_start", in.TermStart, false)
	x.TermEnd = dateField(fields, "term_end", in.TermEnd, false)
	if x.TermStart == "" {
		x.TermStart = b.TermStart
	}
	if x.TermEnd == "" && in.TermEnd == "" {
		x.TermEnd = b.TermEnd
	}
	if x.TermEnd != "" && x.TermStart != "" && x.TermEnd < x.TermStart {
		fields["term_end"] = "任期结束不能早于开始"
	}
	if x.HolderSubjectID != 0 {
		found, err := s.subjects.Lookup(ctx, []int64{x.HolderSubjectID})
		if err != nil {
			return Post{}, err
		}
		if found[x.HolderSubjectID] == nil {
			fields["holder_subject_id"] = "主体名录中没有该编号"
		}
	}
	if err := apperr.FieldErrors(fields); err != nil {
		return Post{}, err
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		x.ID = tx.NextID()
		x.CreatedAt = s.now().UTC()
		if err := insertPost(ctx, tx, &x); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "create", Entity: "governance_post", EntityID: x.ID,
			Summary: fmt.Sprintf("%s %s%s：%s 任 %s", f.Name, BodyLabel(b.Kind), TermLabel(b.TermNo), x.HolderName, x.Title), After: x})
	})
	return x, err
}

func insertPost(ctx context.Context, tx *db.Tx, x *Post) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO governance_posts (id, federation_id, body_id, title, holder_name, holder_subject_id, term_start, term_end, note, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, x.ID, x.FederationID, x.BodyID, x.Title, x.HolderName, x.HolderSubjectID, x.TermStart, x.TermEnd, x.Note, x.CreatedAt)
	if err != nil {
		return fmt.Errorf("insert post: %w", err)
	}
	return nil
}

// Meetings returns a federation's meetings, newest first.
func (s *Service) Meetings(ctx context.Context, p *auth.Principal, fedID int64) ([]Meeting, error) {
	if _, err := s.fedForRead(ctx, p, fedID); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT mt.id, mt.federation_id, mt.body_id, b.kind, mt.held_on, mt.title, mt.agenda, mt.attendees, mt.present, mt.expected,
		mt.minutes, mt.created_by, mt.created_at FROM governance_meetings mt JOIN governance_bodies b ON b.id = mt.body_id
		WHERE mt.federation_id = ? ORDER BY mt.held_on DESC, mt.id DESC`, fedID)
	if err != nil {
		return nil, fmt.Errorf("meetings: %w", err)
	}
	defer rows.Close()
	out := []Meeting{}
	for rows.Next() {
		var m Meeting
		var kind, att string
		if err := rows.Scan(&m.ID, &m.FederationID, &m.BodyID, &kind, &m.HeldOn, &m.Title, &m.Agenda, &att, &m.Present, &m.Expected,
			&m.Minutes, &m.CreatedBy, &m.CreatedAt); err != nil {
			return nil, err
		}
		m.BodyLabel = BodyLabel(kind)
		m.Attendees = splitLines(att)
		out = append(out, m)
	}
	return out, rows.Err()
}

func splitLines(s string) []string {
	out := []string{}
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// AddMeeting records a meeting with its attendance and minutes.
func (s *Service) AddMeeting(ctx context.Context, p *auth.Principal, fedID int64, in MeetingInput) (Meeting, error) {
	f, err := s.fedForGovern(ctx, p, fedID)
	if err != nil {
		return Meeting{}, err
	}
	fields := map[string]string{}
	m := Meeting{FederationID: fedID, BodyID: in.BodyID, Title: validate.Normalize(in.Title), Agenda: strings.TrimSpace(in.Agenda),
		Minutes: strings.TrimSpace(in.Minutes), Present: in.Present, Expected: in.Expected, Attendees: []string{}, CreatedBy: p.Username}
	b, ok := s.body(ctx, s.db, fedID, in.BodyID)
	if !ok {
		fields["body_id"] = "请选择召开会议的机构"
	}
	m.BodyLabel = BodyLabel(b.Kind)
	m.HeldOn = dateField(fields, "held_on", in.HeldOn, true)
	if m.Title == "" || utf8.RuneCountInString(m.Title) > 100 {
		fields["title"] = "请填写会议名称（100字以内）"
	}
	for _, a := range in.Attendees {
		for _, x := range splitLines(strings.NewReplacer("，", "\n", ",", "\n", "、", "\n").Replace(a)) {
			m.Attendees = append(m.Attendees, validate.Normalize(x))
		}
	}
	if m.Present == 0 {
		m.Present = len(m.Attendees)
	}
	if m.Present < 0 || m.Expected < 0 {
		fields["present"] = "人数不能为负数"
	} else if m.Expected > 0 && m.Present > m.Expected {
		fields["present"] = "实到人数不能多于应到人数"
	}
	if err := apperr.FieldErrors(fields); err != nil {
		return Meeting{}, err
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		m.ID = tx.NextID()
		m.CreatedAt = s.now().UTC()
		if err := insertMeeting(ctx, tx, &m); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "create", Entity: "governance_meeting", EntityID: m.ID,
			Summary: fmt.Sprintf("%s 记录会议：%s（%s）", f.Name, m.Title, m.HeldOn), After: m})
	})
	return m, err
}

func insertMeeting(ctx context.Context, tx *db.Tx, m *Meeting) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO governance_meetings (id, federation_id, body_id, held_on, title, agenda, attendees, present, expected, minutes, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, m.ID, m.FederationID, m.BodyID, m.HeldOn, m.Title, m.Agenda, strings.Join(m.Attendees, "\n"),
		m.Present, m.Expected, m.Minutes, m.CreatedBy, m.CreatedAt)
	if err != nil {
		return fmt.Errorf("insert meeting: %w", err)
	}
	return nil
}

// Charters returns every version of a federation's 章程, newest (current) first.
func (s *Service) Charters(ctx context.Context, p *auth.Principal, fedID int64) ([]Charter, error) {
	if _, err := s.fedForRead(ctx, p, fedID); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, federation_id, version, adopted_on, body, note, created_by, created_at FROM charters
		WHERE federation_id = ? ORDER BY version DESC`, fedID)
	if err != nil {
		return nil, fmt.Errorf("charters: %w", err)
	}
	defer rows.Close()
	out := []Charter{}
	for rows.Next() {
		var c Charter
		if err := rows.Scan(&c.ID, &c.FederationID, &c.Version, &c.AdoptedOn, &c.Text, &c.Note, &c.CreatedBy, &c.CreatedAt); err != nil {
			return nil, err
		}
		c.Current = len(out) == 0
		out = append(out, c)
	}
	return out, rows.Err()
}

// AddCharter adopts a new version of the 章程; the version number is the next one of this federation.
func (s *Service) AddCharter(ctx context.Context, p *auth.Principal, fedID int64, in CharterInput) (Charter, error) {
	f, err := s.fedForGovern(ctx, p, fedID)
	if err != nil {
		return Charter{}, err
	}
	fields := map[string]string{}
	c := Charter{FederationID: fedID, Text: strings.TrimSpace(in.Text), Note: validate.Normalize(in.Note), CreatedBy: p.Username, Current: true}
	c.AdoptedOn = dateField(fields, "adopted_on", in.AdoptedOn, true)
	if c.Text == "" {
		fields["text"] = "请填写章程全文"
	} else if len(c.Text) > 200000 {
		fields["text"] = "章程全文过长"
	}
	if err := apperr.FieldErrors(fields); err != nil {
		return Charter{}, err
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) + 1 FROM charters WHERE federation_id = ?`, fedID).Scan(&c.Version); err != nil {
			return err
		}
		c.ID = tx.NextID()
		c.CreatedAt = s.now().UTC()
		if err := insertCharter(ctx, tx, &c); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "create", Entity: "charter", EntityID: c.ID,
			Summary: fmt.Sprintf("%s 通过章程第%d版（%s）", f.Name, c.Version, c.AdoptedOn),
			After:   map[string]any{"version": c.Version, "adopted_on": c.AdoptedOn, "note": c.Note, "chars": utf8.RuneCountInString(c.Text)}})
	})
	return c, err
}

func insertCharter(ctx context.Context, tx *db.Tx, c *Charter) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO charters (id, federation_id, version, adopted_on, body, note, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.FederationID, c.Version, c.AdoptedOn, c.Text, c.Note, c.CreatedBy, c.CreatedAt)
	if err != nil {
		if db.IsUniqueViolation(err) {
			return apperr.New(apperr.Conflict, "章程版本号冲突，请重试")
		}
		return fmt.Errorf("insert charter: %w", err)
	}
	return nil
}
