// Package market is the produce-marketing room (产销对接): supply and demand listings, matching, order contracts
// (订单农业) with fulfilment, regional public brands (区域公用品牌) with authorised users and batch codes, and
// marketing events.
package market

import (
	"context"
	"embed"
	"fmt"
	"time"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/web"
	"nongfu/internal/region"
	"nongfu/internal/registry"
)

//go:embed migrations
var migrationsFS embed.FS

// Migrations is the room's schema (applied after registry: listings and contracts refer to subjects by id).
var Migrations = db.RoomMigrations("market", migrationsFS, "migrations")

// Service is the room's use cases.
type Service struct {
	db       *db.DB
	regions  *region.Service
	subjects *registry.Service
	now      func() time.Time
	// BaseURL is the public address printed in batch QR codes (e.g. https://nongfu.example.cn); empty = the
	// address the request came in on.
	BaseURL string
}

// NewService wires the room.
func NewService(d *db.DB, regions *region.Service, subjects *registry.Service) *Service {
	return &Service{db: d, regions: regions, subjects: subjects, now: time.Now}
}

// SetClock replaces the clock (tests build timelines with it).
func (s *Service) SetClock(now func() time.Time) { s.now = now }

func (s *Service) nowUTC() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

func (s *Service) today() string { return s.now().In(web.Shanghai).Format("2006-01-02") }

// subject reads one subject of the register (active or not) or fails with a field error on field.
func (s *Service) subject(ctx context.Context, id int64, field string) (*registry.Subject, error) {
	if id == 0 {
		return nil, apperr.FieldErrors(map[string]string{field: "请选择主体"})
	}
	subs, err := s.subjects.Lookup(ctx, []int64{id})
	if err != nil {
		return nil, fmt.Errorf("look up subject %d: %w", id, err)
	}
	x, ok := subs[id]
	if !ok {
		return nil, apperr.FieldErrors(map[string]string{field: "主体不存在"})
	}
	return x, nil
}

// names maps subject ids to names.
func (s *Service) names(ctx context.Context, ids []int64) (map[int64]*registry.Subject, error) {
	if len(ids) == 0 {
		return map[int64]*registry.Subject{}, nil
	}
	return s.subjects.Lookup(ctx, ids)
}

// countyOf is the county a principal works in (its first scope, or its subject's region for members).
func (s *Service) countyOf(ctx context.Context, p *auth.Principal) (string, error) {
	if p == nil {
		return "", errNoAccess
	}
	if len(p.Scopes) > 0 {
		return region.County(p.Scopes[0]), nil
	}
	if p.SubjectID != 0 {
		x, err := s.subject(ctx, p.SubjectID, "subject_id")
		if err != nil {
			return "", err
		}
		return region.County(x.RegionCode), nil
	}
	return "", apperr.New(apperr.Forbidden, "您的账号没有所属区县")
}

func displayName(p *auth.Principal) string {
	if p == nil {
		return "系统"
	}
	if p.DisplayName != "" {
		return p.DisplayName
	}
	return p.Username
}

func validDate(s string) bool {
	_, err := time.Parse("2006-01-02", s)
	return err == nil
}

func parseDay(s string) time.Time {
	t, _ := time.Parse("2006-01-02", s)
	return t
}

func shanghai() *time.Location { return web.Shanghai }

// lockRow serialises writes that check a total before adding to it (batch quota, contract fulfilment): on
// PostgreSQL it locks the parent row for the rest of the transaction; SQLite's single writer (BEGIN IMMEDIATE)
// already serialises every write transaction.
func lockRow(ctx context.Context, tx *db.Tx, table string, id int64) error {
	q := `SELECT id FROM ` + table + ` WHERE id = ?`
	if tx.Engine() == db.Postgres {
		q += ` FOR UPDATE`
	}
	var x int64
	if err := tx.QueryRowContext(ctx, q, id).Scan(&x); err != nil {
		return fmt.Errorf("lock %s %d: %w", table, id, err)
	}
	return nil
}
