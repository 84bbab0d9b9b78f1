package market

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/region"
)

// EventKinds are the kinds of marketing events.
var EventKinds = []Option{{"fair", "展示展销"}, {"festival", "节庆活动"}, {"livestream", "直播带货"}}

// Event is a marketing event (展示展销、节庆、直播) with its participants and their sales.
type Event struct {
	ID           int64       `json:"id"`
	Kind         string      `json:"kind" doc:"fair 展示展销、festival 节庆活动、livestream 直播带货"`
	KindLabel    string      `json:"kind_label"`
	Name         string      `json:"name"`
	RegionCode   string      `json:"region_code"`
	RegionName   string      `json:"region_name"`
	Venue        string      `json:"venue"`
	DateFrom     string      `json:"date_from"`
	DateTo       string      `json:"date_to"`
	Note         string      `json:"note"`
	Participants []EventSale `json:"participants"`
	SalesFen     int64       `json:"sales_fen"`
	CreatedAt    time.Time   `json:"created_at"`
}

// EventSale is one participant's sales at an event.
type EventSale struct {
	SubjectID   int64  `json:"subject_id"`
	SubjectName string `json:"subject_name"`
	Volume      int64  `json:"volume"`
	Unit        string `json:"unit"`
	SalesFen    int64  `json:"sales_fen"`
	Note        string `json:"note"`
}

// EventInput creates an event.
type EventInput struct {
	Kind       string `json:"kind"`
	Name       string `json:"name"`
	RegionCode string `json:"region_code"`
	Venue      string `json:"venue"`
	DateFrom   string `json:"date_from"`
	DateTo     string `json:"date_to"`
	Note       string `json:"note"`
}

// SaleInput records (or replaces) a participant's sales.
type SaleInput struct {
	SubjectID int64  `json:"subject_id"`
	Volume    int64  `json:"volume"`
	Unit      string `json:"unit"`
	SalesFen  int64  `json:"sales_fen"`
	Note      string `json:"note"`
}

// ListEvents lists events p may read (members: every event of their county), newest first, with participants.
func (s *Service) ListEvents(ctx context.Context, p *auth.Principal) ([]*Event, error) {
	if !canSee(p) {
		return nil, errNoAccess
	}
	where, args := scopeSQL(p, "e.region_code")
	if isMember(p) {
		county, err := s.countyOf(ctx, p)
		if err != nil {
			return nil, err
		}
		where, args = "e.county_code = ?", []any{county}
	}
	rows, err := s.db.QueryContext(ctx, `SELECT e.id, e.kind, e.name, e.region_code, e.venue, e.date_from, e.date_to, e.note, e.created_at
		FROM market_events e WHERE `+where+` ORDER BY e.date_from DESC, e.id DESC LIMIT 200`, args...)
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	var out []*Event
	byID := map[int64]*Event{}
	for rows.Next() {
		e := &Event{Participants: []EventSale{}}
		if err := rows.Scan(&e.ID, &e.Kind, &e.Name, &e.RegionCode, &e.Venue, &e.DateFrom, &e.DateTo, &e.Note, &e.CreatedAt); err != nil {
			rows.Close()
			return nil, err
		}
		e.KindLabel, e.RegionName, e.CreatedAt = labelOf(EventKinds, e.Kind), s.regions.Name(e.RegionCode), e.CreatedAt.UTC()
		out = append(out, e)
		byID[e.ID] = e
	}
	rows.Close()
	if len(out) == 0 {
		return out, nil
	}
	var ids []int64
	for _, e := range out {
		ids = append(ids, e.ID)
	}
	ph, a := db.InList(ids)
	rows, err = s.db.QueryContext(ctx, `SELECT event_id, subject_id, volume, unit, sales_fen, note FROM market_event_sales WHERE event_id IN (`+ph+`)
		ORDER BY sales_fen DESC, subject_id`, a...)
	if err != nil {
		return nil, fmt.Errorf("event sales: %w", err)
	}
	var sids []int64
	for rows.Next() {
		var eid int64
		var x EventSale
		if err := rows.Scan(&eid, &x.SubjectID, &x.Volume, &x.Unit, &x.SalesFen, &x.Note); err != nil {
			rows.Close()
			return nil, err
		}
		e := byID[eid]
		e.Participants = append(e.Participants, x)
		e.SalesFen += x.SalesFen
		sids = append(sids, x.SubjectID)
	}
	rows.Close()
	subs, err := s.names(ctx, sids)
	if err != nil {
		return nil, err
	}
	for _, e := range out {
		for i := range e.Participants {
			if x, ok := subs[e.Participants[i].SubjectID]; ok {
				e.Participants[i].SubjectName = x.Name
			}
		}
	}
	return out, nil
}

// GetEvent returns one event p may read.
func (s *Service) GetEvent(ctx context.Context, p *auth.Principal, id int64) (*Event, error) {
	list, err := s.ListEvents(ctx, p)
	if err != nil {
		return nil, err
	}
	for _, e := range list {
		if e.ID == id {
			return e, nil
		}
	}
	return nil, errNoEvent
}

// CreateEvent registers an event (staff, in scope).
func (s *Service) CreateEvent(ctx context.Context, p *auth.Principal, in EventInput) (*Event, error) {
	if !isStaff(p) {
		return nil, apperr.New(apperr.Forbidden, "只有县级管理员和乡镇操作员可以登记营销活动")
	}
	in.Name, in.Venue, in.Note, in.RegionCode = strings.TrimSpace(in.Name), strings.TrimSpace(in.Venue), strings.TrimSpace(in.Note), strings.TrimSpace(in.RegionCode)
	fields := map[string]string{}
	if labelOf(EventKinds, in.Kind) == in.Kind {
		fields["kind"] = "类型应为 fair 展示展销、festival 节庆活动或 livestream 直播带货"
	}
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 60 {
		fields["name"] = "请填写活动名称（不超过 60 字）"
	}
	if _, ok := s.regions.Get(in.RegionCode); !ok {
		fields["region_code"] = "请选择举办地"
	}
	if !validDate(in.DateFrom) {
		fields["date_from"] = "请填写开始日期（YYYY-MM-DD）"
	}
	if !validDate(in.DateTo) || in.DateTo < in.DateFrom {
		fields["date_to"] = "请填写不早于开始日期的结束日期"
	}
	if utf8.RuneCountInString(in.Note) > 500 {
		fields["note"] = "备注不能超过 500 字"
	}
	if len(fields) > 0 {
		return nil, apperr.FieldErrors(fields)
	}
	if err := staffFor(p, in.RegionCode, "举办地"); err != nil {
		return nil, err
	}
	var id int64
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var e error
		id, e = s.insertEvent(ctx, tx, p, in)
		return e
	})
	if err != nil {
		return nil, err
	}
	return s.GetEvent(ctx, p, id)
}

func (s *Service) insertEvent(ctx context.Context, tx *db.Tx, p *auth.Principal, in EventInput) (int64, error) {
	id := tx.NextID()
	if _, err := tx.ExecContext(ctx, `INSERT INTO market_events (id, county_code, kind, name, region_code, venue, date_from, date_to, note, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, region.County(in.RegionCode), in.Kind, in.Name, in.RegionCode, in.Venue, in.DateFrom, in.DateTo,
		in.Note, displayName(p), s.nowUTC()); err != nil {
		return 0, fmt.Errorf("insert event: %w", err)
	}
	return id, audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "create", Entity: "market_event", EntityID: id,
		Summary: "登记营销活动：" + in.Name, After: in})
}

// RecordSale records a participant's volume and sales at an event (staff in the event's scope); recording again
// replaces the figures.
func (s *Service) RecordSale(ctx context.Context, p *auth.Principal, eventID int64, in SaleInput) (*Event, error) {
	e, err := s.GetEvent(ctx, p, eventID)
	if err != nil {
		return nil, err
	}
	if err := staffFor(p, e.RegionCode, "该活动"); err != nil {
		return nil, err
	}
	in.Unit, in.Note = strings.TrimSpace(in.Unit), strings.TrimSpace(in.Note)
	fields := map[string]string{}
	x, err := s.subject(ctx, in.SubjectID, "subject_id")
	if err != nil {
		if apperr.FieldsOf(err) == nil {
			return nil, err
		}
		fields["subject_id"] = apperr.FieldsOf(err)["subject_id"]
	}
	if in.Volume < 0 {
		fields["volume"] = "销量不能为负数"
	}
	if in.Volume > 0 && !unitKnown(in.Unit) {
		fields["unit"] = "单位应为 公斤、斤、吨、箱、枚、头 或 只"
	}
	if in.SalesFen < 0 || in.SalesFen > 1e12 {
		fields["sales_fen"] = "销售额（分）不能为负数"
	}
	if len(fields) > 0 {
		return nil, apperr.FieldErrors(fields)
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		return s.upsertSale(ctx, tx, p, e, x.RegionCode, x.Name, in)
	})
	if err != nil {
		return nil, err
	}
	return s.GetEvent(ctx, p, eventID)
}

func (s *Service) upsertSale(ctx context.Context, tx *db.Tx, p *auth.Principal, e *Event, regionCode, name string, in SaleInput) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM market_event_sales WHERE event_id = ? AND subject_id = ?`, e.ID, in.SubjectID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO market_event_sales (event_id, subject_id, region_code, volume, unit, sales_fen, note) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		e.ID, in.SubjectID, regionCode, in.Volume, in.Unit, in.SalesFen, in.Note); err != nil {
		return fmt.Errorf("record sale: %w", err)
	}
	return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "update", Entity: "market_event", EntityID: e.ID,
		Summary: fmt.Sprintf("登记“%s”参展主体 %s 销售额 %s", e.Name, name, yuan(in.SalesFen)), After: in})
}
