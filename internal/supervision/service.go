// Package supervision is the reform's supervision room (督办): progress reports on the plan's tasks, computed task
// status, 督办 notices with escalation, the weekly summary, and the reform's special funds (专项资金).
package supervision

import (
	"context"
	"embed"

	"nongfu/internal/platform/db"
	"nongfu/internal/platform/web"
	"nongfu/internal/reform"
	"nongfu/internal/region"
)

//go:embed migrations
var migrationsFS embed.FS

// Migrations is the room's schema (applied after reform: reports and notices refer to the plan's tasks).
var Migrations = db.RoomMigrations("supervision", migrationsFS, "migrations")

// Service is the room's use cases.
type Service struct {
	db      *db.DB
	regions *region.Service
	plan    *reform.Service
}

// NewService wires the room.
func NewService(d *db.DB, regions *region.Service, plan *reform.Service) *Service {
	return &Service{db: d, regions: regions, plan: plan}
}

// Routes registers the room's pages and API.
func (s *Service) Routes(srv *web.Server) {}

// SeedDemo adds the room's demo data.
func (s *Service) SeedDemo(ctx context.Context, tx *db.Tx) error { return nil }
