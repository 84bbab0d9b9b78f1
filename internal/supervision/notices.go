package supervision

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/web"
)

// EscalateAfter is how long past its deadline an unanswered notice stays at level 2 before it goes to the
// county leader in charge (分管县领导).
const EscalateAfter = 7 * 24 * time.Hour

// EscalationRule is the rule as the screens show it.
const EscalationRule = `一级（专班督办）：下发后至答复期限当日24时。
二级（升级督办，抄送责任单位主要负责人）：逾期未答复。
三级（分管县领导督办）：逾期超过7天仍未答复。
答复后级别不再上升；逾期后答复的记为“逾期后答复”，保留答复时的级别。`

// LevelLabel is the Chinese name of an escalation level.
func LevelLabel(l int) string {
	switch l {
	case 1:
		return "一级·专班督办"
	case 2:
		return "二级·升级督办"
	case 3:
		return "三级·分管县领导督办"
	}
	return ""
}

// NoticeStateLabel is the Chinese label of a notice state.
func NoticeStateLabel(s string) string {
	switch s {
	case NoticeOpen:
		return "待答复"
	case NoticeOverdue:
		return "逾期未答复"
	case NoticeAnswered:
		return "已答复"
	case NoticeAnsweredLate:
		return "逾期后答复"
	}
	return s
}

// Badge is the badge class of the notice's state.
func (n Notice) Badge() string {
	switch n.State {
	case NoticeOverdue:
		return "bad"
	case NoticeAnswered:
		return "ok"
	case NoticeAnsweredLate:
		return "warn"
	}
	return "info"
}

// deadlineEnd is the end of the deadline day (24:00 Asia/Shanghai).
func deadlineEnd(day string) time.Time {
	d, err := parseDay(day)
	if err != nil {
		return time.Time{}
	}
	return d.AddDate(0, 0, 1)
}

// Escalate computes a notice's state and level at now: computed on read, so no job has to run for a notice to
// escalate and the result is the same whenever it is asked.
func Escalate(deadline string, answeredAt *time.Time, now time.Time) (state string, level, daysOverdue int) {
	end := deadlineEnd(deadline)
	at := now
	if answeredAt != nil {
		at = *answeredAt
	}
	over := at.Sub(end)
	level = 1
	if over > 0 {
		level = 2
		daysOverdue = int(math.Ceil(over.Hours() / 24))
		if over > EscalateAfter {
			level = 3
		}
	}
	switch {
	case answeredAt != nil && over > 0:
		state = NoticeAnsweredLate
	case answeredAt != nil:
		state = NoticeAnswered
	case over > 0:
		state = NoticeOverdue
	default:
		state = NoticeOpen
	}
	return state, level, daysOverdue
}

func (s *Service) notices(ctx context.Context, where string, args ...any) ([]Notice, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT n.id, n.no, n.task_id, t.no, t.text, n.unit_id, u.name, n.body, n.deadline, n.issued_by_name, n.issued_at,
		n.answer, n.answered_by_name, n.answered_at FROM sup_notices n JOIN sup_tasks t ON t.id = n.task_id JOIN sup_units u ON u.id = n.unit_id `+where+` ORDER BY n.issued_at DESC, n.id DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("notices: %w", err)
	}
	defer rows.Close()
	now := s.now()
	var out []Notice
	for rows.Next() {
		var n Notice
		var answered sql.NullTime
		if err := rows.Scan(&n.ID, &n.No, &n.TaskID, &n.TaskNo, &n.TaskText, &n.UnitID, &n.UnitName, &n.Body, &n.Deadline, &n.IssuedByName, &n.IssuedAt,
			&n.Answer, &n.AnsweredByName, &answered); err != nil {
			return nil, err
		}
		if answered.Valid {
			t := answered.Time
			n.AnsweredAt = &t
		}
		n.State, n.Level, n.DaysOverdue = Escalate(n.Deadline, n.AnsweredAt, now)
		n.StateLabel, n.LevelLabel = NoticeStateLabel(n.State), LevelLabel(n.Level)
		out = append(out, n)
	}
	return out, rows.Err()
}

// NoticeFilter selects notices.
type NoticeFilter struct {
	State  string
	UnitID int64
}

// Notices lists the notices p may read (a department: its units' only).
func (s *Service) Notices(ctx context.Context, p *auth.Principal, f NoticeFilter) ([]Notice, error) {
	if err := canRead(p); err != nil {
		return nil, err
	}
	var conds []string
	var args []any
	if f.UnitID != 0 {
		conds, args = append(conds, "n.unit_id = ?"), append(args, f.UnitID)
	}
	if !seesAll(p) {
		mine, err := s.myUnits(ctx, s.db, p)
		if err != nil {
			return nil, err
		}
		if len(mine) == 0 {
			return []Notice{}, nil
		}
		in, a := db.InList(sortedKeys(mine))
		conds, args = append(conds, "n.unit_id IN ("+in+")"), append(args, a...)
	}
	where := ""
	if len(conds) > 0 {
		where = "WHERE " + strings.Join(conds, " AND ")
	}
	all, err := s.notices(ctx, where, args...)
	if err != nil {
		return nil, err
	}
	out := []Notice{}
	for _, n := range all {
		if f.State == "" || n.State == f.State || (f.State == "unanswered" && n.AnsweredAt == nil) {
			out = append(out, n)
		}
	}
	return out, nil
}

// GetNotice returns one notice p may read.
func (s *Service) GetNotice(ctx context.Context, p *auth.Principal, id int64) (Notice, bool, error) {
	if err := canRead(p); err != nil {
		return Notice{}, false, err
	}
	ns, err := s.notices(ctx, `WHERE n.id = ?`, id)
	if err != nil {
		return Notice{}, false, err
	}
	if len(ns) == 0 {
		return Notice{}, false, apperr.New(apperr.NotFound, "督办通知不存在")
	}
	mine, err := s.myUnits(ctx, s.db, p)
	if err != nil {
		return Notice{}, false, err
	}
	if !seesAll(p) && !mine[ns[0].UnitID] {
		return Notice{}, false, apperr.New(apperr.NotFound, "督办通知不存在或您无权查看")
	}
	return ns[0], mine[ns[0].UnitID] && ns[0].AnsweredAt == nil, nil
}

// IssueNotice issues a 督办 notice to a unit of a task (工作专班).
func (s *Service) IssueNotice(ctx context.Context, p *auth.Principal, in NoticeInput) (Notice, error) {
	if err := canIssue(p); err != nil {
		return Notice{}, err
	}
	var id int64
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		fields := map[string]string{}
		var taskNo int
		if in.TaskID == 0 {
			fields["task_id"] = "请选择重点任务"
		} else if err := tx.QueryRowContext(ctx, `SELECT no FROM sup_tasks WHERE id = ?`, in.TaskID).Scan(&taskNo); err != nil {
			fields["task_id"] = "重点任务不存在"
		}
		if in.UnitID == 0 && fields["task_id"] == "" {
			_ = tx.QueryRowContext(ctx, `SELECT unit_id FROM sup_links WHERE owner_kind = 'task' AND owner_id = ? AND role = 'lead' ORDER BY sort LIMIT 1`, in.TaskID).Scan(&in.UnitID)
		}
		var unitName string
		if fields["task_id"] == "" {
			err := tx.QueryRowContext(ctx, `SELECT u.name FROM sup_links l JOIN sup_units u ON u.id = l.unit_id WHERE l.owner_kind = 'task' AND l.owner_id = ? AND l.unit_id = ?`,
				in.TaskID, in.UnitID).Scan(&unitName)
			if errors.Is(err, sql.ErrNoRows) {
				fields["unit_id"] = "被督办单位应为本任务的责任单位或配合单位"
			} else if err != nil {
				return err
			}
		}
		in.Body = strings.TrimSpace(in.Body)
		if n := utf8.RuneCountInString(in.Body); n < 5 {
			fields["body"] = "请填写督办事项（至少5个字）"
		} else if n > 2000 {
			fields["body"] = "督办事项不能超过2000字"
		}
		now := s.now()
		today := now.In(web.Shanghai).Format("2006-01-02")
		if _, err := parseDay(in.Deadline); err != nil {
			fields["deadline"] = "答复期限格式应为 YYYY-MM-DD"
		} else if in.Deadline < today {
			fields["deadline"] = "答复期限不能早于今天"
		}
		if err := apperr.FieldErrors(fields); err != nil {
			return err
		}
		year := now.In(web.Shanghai).Year()
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM sup_notices WHERE no LIKE ?`, fmt.Sprintf("督办〔%d〕%%", year)).Scan(&n); err != nil {
			return err
		}
		no := fmt.Sprintf("督办〔%d〕%d号", year, n+1)
		id = tx.NextID()
		if _, err := tx.ExecContext(ctx, `INSERT INTO sup_notices (id, no, task_id, unit_id, body, deadline, issued_by, issued_by_name, issued_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, no, in.TaskID, in.UnitID, in.Body, in.Deadline, p.UserID, p.Username, now.UTC().Truncate(time.Microsecond)); err != nil {
			if db.IsUniqueViolation(err) {
				return apperr.New(apperr.Conflict, "督办编号冲突，请重试")
			}
			return fmt.Errorf("insert notice: %w", err)
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "create", Entity: "supervision_notice", EntityID: id,
			Summary: fmt.Sprintf("向 %s 下发%s（重点任务第%d项，%s前答复）", unitName, no, taskNo, in.Deadline),
			After:   map[string]any{"no": no, "task": taskNo, "unit": unitName, "deadline": in.Deadline, "body": in.Body}})
	})
	if err != nil {
		return Notice{}, err
	}
	ns, err := s.notices(ctx, `WHERE n.id = ?`, id)
	if err != nil || len(ns) == 0 {
		return Notice{}, err
	}
	return ns[0], nil
}

// AnswerNotice records the notified unit's answer; a notice is answered once.
func (s *Service) AnswerNotice(ctx context.Context, p *auth.Principal, id int64, in AnswerInput) (Notice, error) {
	if err := canRead(p); err != nil {
		return Notice{}, err
	}
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var unitID int64
		var no, deadline string
		var answered sql.NullTime
		if err := tx.QueryRowContext(ctx, `SELECT unit_id, no, deadline, answered_at FROM sup_notices WHERE id = ?`, id).Scan(&unitID, &no, &deadline, &answered); err != nil {
			return apperr.New(apperr.NotFound, "督办通知不存在")
		}
		mine, err := s.myUnits(ctx, tx, p)
		if err != nil {
			return err
		}
		if !mine[unitID] {
			if seesAll(p) {
				return apperr.New(apperr.Forbidden, "只有被督办单位的账号可以答复")
			}
			return apperr.New(apperr.NotFound, "督办通知不存在或您无权查看")
		}
		if answered.Valid {
			return apperr.New(apperr.Conflict, "该督办通知已答复")
		}
		in.Answer = strings.TrimSpace(in.Answer)
		if n := utf8.RuneCountInString(in.Answer); n < 10 {
			return apperr.FieldErrors(map[string]string{"answer": "请填写答复内容（至少10个字）"})
		} else if n > 5000 {
			return apperr.FieldErrors(map[string]string{"answer": "答复内容不能超过5000字"})
		}
		now := s.now().UTC().Truncate(time.Microsecond)
		res, err := tx.ExecContext(ctx, `UPDATE sup_notices SET answer = ?, answered_by_name = ?, answered_at = ? WHERE id = ? AND answered_at IS NULL`, in.Answer, p.Username, now, id)
		if err != nil {
			return fmt.Errorf("answer notice: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.New(apperr.Conflict, "该督办通知已答复")
		}
		state, level, _ := Escalate(deadline, &now, now)
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "answer", Entity: "supervision_notice", EntityID: id,
			Summary: fmt.Sprintf("答复%s（%s，%s）", no, NoticeStateLabel(state), LevelLabel(level)), After: map[string]any{"answer": in.Answer, "state": state, "level": level}})
	})
	if err != nil {
		return Notice{}, err
	}
	ns, err := s.notices(ctx, `WHERE n.id = ?`, id)
	if err != nil || len(ns) == 0 {
		return Notice{}, err
	}
	return ns[0], nil
}
