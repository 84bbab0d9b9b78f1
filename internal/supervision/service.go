// Package supervision is the reform's supervision room (督办): the plan's structure as data (units, the 18 work
// items, 附件1 “四个重大”, the 34 tasks of 附件2), progress reports on the tasks with computed task status, 督办
// notices with escalation, the weekly summary for leaders, and the reform's special funds (专项资金) with budgets,
// allocations and disbursements that can never exceed their allocation.
package supervision

import (
	"context"
	"embed"
	"sync"
	"time"

	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/reform"
	"nongfu/internal/region"
	"nongfu/internal/registry"
)

//go:embed migrations
var migrationsFS embed.FS

// Migrations is the room's schema (applied after reform: reports and notices refer to the plan's tasks).
var Migrations = db.RoomMigrations("supervision", migrationsFS, "migrations")

// KPIReader is what the room needs from the plan room: the plan's KPIs with actual values and targets
// (reform.Service satisfies it).
type KPIReader interface {
	KPIs(ctx context.Context, p *auth.Principal, regionCode string) (reform.Board, error)
}

// Users is what the room needs from the accounts: the list of users, to link them to units.
type Users interface {
	ListUsers(ctx context.Context) ([]auth.User, error)
}

// Service is the room's use cases.
type Service struct {
	db       *db.DB
	regions  *region.Service
	subjects *registry.Service
	users    Users
	plan     KPIReader
	now      func() time.Time

	// the plan's KPIs are evaluated over every room's data; pages that show task status reuse one evaluation
	// for kpiTTL (a status never needs fresher figures than the dashboard's)
	kpiMu    sync.Mutex
	kpiAt    time.Time
	kpiCache map[string]reform.KPI
	kpiTTL   time.Duration
}

// NewService wires the room. plan may be nil (no KPI binding: status from reports only).
func NewService(d *db.DB, regions *region.Service, subjects *registry.Service, users Users, plan KPIReader) *Service {
	return &Service{db: d, regions: regions, subjects: subjects, users: users, plan: plan, now: time.Now, kpiTTL: 30 * time.Second}
}

// SetClock replaces the clock (tests build timelines with it); it also turns the KPI cache off, so a test sees
// every change of its plan figures at once.
func (s *Service) SetClock(now func() time.Time) { s.now, s.kpiTTL = now, 0 }
